/* SPDX-License-Identifier: MIT */
/*
 * pages.c - e2e program: how many pages of the recorder's zeroed memory
 * (its .bss and .lbss, past the part of its writable segment that is in
 * the file) a short process wrote.  On a host where a page fault costs
 * tens of microseconds (a virtual machine with shadowed page tables),
 * each such page is that much more for every traced process.
 *
 * Usage: e2e_pages.  Writes a byte to /dev/null (an event, and its fd's
 * first use), then prints "pages N": the pages of that range present and
 * mapped once in this process (/proc/self/pagemap; a page only read is
 * the kernel's shared zero page, not counted), or "pages -1" when
 * libwhyslow.so is not loaded.  (smaps would not do: the kernel merges the
 * range with the loader's own anonymous pages next to it.)
 *
 * e2e_pages quiet: the same count for a child (this program run as
 * "e2e_pages end") that makes no traced call and then ends: the pages its
 * end wrote too.  Such a process, under record, sends its log in a closing
 * hello.  The child fills a large stdout buffer and returns from main;
 * libc writes that buffer out after the library's end ran, into a pipe
 * that nobody reads until it is full, so the child waits there while its
 * pages are counted (/proc/PID/pagemap).
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uintptr_t page, base, zeroed_start, zeroed_end;

/* The zeroed part of libwhyslow.so's writable segment. */
static int find(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libwhyslow.so")) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD || !(p->p_flags & PF_W)) continue;
        base = info->dlpi_addr;
        uintptr_t at = base + p->p_vaddr;
        zeroed_start = (at + p->p_filesz + page - 1) & ~(page - 1);
        zeroed_end = (at + p->p_memsz + page - 1) & ~(page - 1);
        return 1;
    }
    return 0;
}

/* Pages of [start, end) present and mapped once in the process whose
 * pagemap is open as map; -1 on an error (said). */
static int count(int map, uintptr_t start, uintptr_t end)
{
    int pages = 0;
    for (uintptr_t a = start; a < end; a += page) {
        uint64_t e;
        if (pread(map, &e, sizeof e, (off_t)(a / page * sizeof e)) != sizeof e) {
            perror("e2e_pages: pagemap");
            return -1;
        }
        /* bit 63: present; bit 56: mapped exactly once (not the zero page) */
        if ((e >> 63 & 1) && (e >> 56 & 1)) pages++;
    }
    return pages;
}

/* Where pid loaded libwhyslow.so (its mapping at offset 0), or 0. */
static uintptr_t base_in(pid_t pid)
{
    char path[64], line[512];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    uintptr_t at = 0;
    while (!at && fgets(line, sizeof line, f)) {
        unsigned long lo, off;
        if (strstr(line, "libwhyslow.so") && sscanf(line, "%lx-%*x %*s %lx", &lo, &off) == 2 &&
            off == 0)
            at = lo;
    }
    fclose(f);
    return at;
}

/* The child: no traced call, then an end whose last write waits. */
static int end_quietly(void)
{
    static char buf[256 * 1024], more[128 * 1024];
    setvbuf(stdout, buf, _IOFBF, sizeof buf);
    memset(more, 'x', sizeof more);
    fwrite(more, 1, sizeof more, stdout); /* kept in buf: larger than a pipe holds */
    return 0;
}

static int quiet(const char *self)
{
    int p[2];
    if (pipe(p) != 0) return perror("e2e_pages: pipe"), 1;
    pid_t pid = fork();
    if (pid == 0) {
        dup2(p[1], 1);
        close(p[0]);
        close(p[1]);
        execl(self, self, "end", (char *)NULL);
        _exit(127);
    }
    close(p[1]);
    int full = fcntl(p[0], F_GETPIPE_SZ), queued = 0;
    for (int i = 0; i < 20000 && queued < full; i++) { /* at most 20 s */
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
        if (ioctl(p[0], FIONREAD, &queued) != 0) queued = 0;
    }
    int pages = -2;
    if (queued < full) {
        fprintf(stderr, "e2e_pages: the child did not fill its pipe (%d of %d bytes)\n", queued,
                full);
    } else if (!base) {
        pages = -1;
    } else {
        uintptr_t child = base_in(pid);
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
        int map = open(path, O_RDONLY);
        if (!child || map < 0)
            fprintf(stderr, "e2e_pages: the child's map or pagemap cannot be read\n");
        else
            pages = count(map, zeroed_start - base + child, zeroed_end - base + child);
        if (map >= 0) close(map);
    }
    char drain[65536];
    long got = 0;
    for (ssize_t n; (n = read(p[0], drain, sizeof drain)) > 0;)
        got += n;
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        got != 128 * 1024) {
        fprintf(stderr, "e2e_pages: the child failed (%ld bytes)\n", got);
        return 1;
    }
    if (pages < -1) return 1;
    printf("pages %d\n", pages);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "end") == 0) return end_quietly();
    page = (uintptr_t)sysconf(_SC_PAGESIZE);
    dl_iterate_phdr(find, NULL);
    if (argc > 1 && strcmp(argv[1], "quiet") == 0) return quiet(argv[0]);
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || write(fd, "x", 1) != 1) {
        perror("e2e_pages: /dev/null");
        return 1;
    }
    close(fd);
    if (!base) {
        printf("pages -1\n");
        return 0;
    }
    int map = open("/proc/self/pagemap", O_RDONLY);
    if (map < 0) {
        perror("e2e_pages: /proc/self/pagemap");
        return 1;
    }
    int pages = count(map, zeroed_start, zeroed_end);
    close(map);
    if (pages < 0) return 1;
    printf("pages %d\n", pages);
    return 0;
}
