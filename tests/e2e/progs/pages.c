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
 */
#define _GNU_SOURCE
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static uintptr_t page, zeroed_start, zeroed_end;

/* The zeroed part of libwhyslow.so's writable segment. */
static int find(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libwhyslow.so")) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD || !(p->p_flags & PF_W)) continue;
        uintptr_t at = info->dlpi_addr + p->p_vaddr;
        zeroed_start = (at + p->p_filesz + page - 1) & ~(page - 1);
        zeroed_end = (at + p->p_memsz + page - 1) & ~(page - 1);
        return 1;
    }
    return 0;
}

int main(void)
{
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || write(fd, "x", 1) != 1) {
        perror("e2e_pages: /dev/null");
        return 1;
    }
    close(fd);
    page = (uintptr_t)sysconf(_SC_PAGESIZE);
    if (!dl_iterate_phdr(find, NULL)) {
        printf("pages -1\n");
        return 0;
    }
    int map = open("/proc/self/pagemap", O_RDONLY);
    if (map < 0) {
        perror("e2e_pages: /proc/self/pagemap");
        return 1;
    }
    int pages = 0;
    for (uintptr_t a = zeroed_start; a < zeroed_end; a += page) {
        uint64_t e;
        if (pread(map, &e, sizeof e, (off_t)(a / page * sizeof e)) != sizeof e) {
            perror("e2e_pages: pagemap");
            return 1;
        }
        /* bit 63: present; bit 56: mapped exactly once (not the zero page) */
        if ((e >> 63 & 1) && (e >> 56 & 1)) pages++;
    }
    close(map);
    printf("pages %d\n", pages);
    return 0;
}
