/* SPDX-License-Identifier: MIT */
/*
 * child_exec.c - e2e program: whether a child of fork() reads libc's
 * symbol tables to call execve(), as a shell's child does for each
 * command.  A child has none of the file pages its parent mapped (fork
 * copies only a process's own memory): a lookup there faults the tables
 * in again, 50 to 90 us for each command a script runs on a host where a
 * page fault costs tens of microseconds.
 *
 * Usage: e2e_child_exec.  Forks a child before making any other call the
 * recorder wraps (a process served by `whyslow record` is then still
 * waiting for its first event).  The child calls execve() on a path that
 * does not exist, which fails without replacing it, and stops itself
 * (raise() is not wrapped: it touches no table).  The parent counts the
 * pages of libc's first segment, where its symbol tables are, present in
 * the child (/proc/PID/pagemap), lets it go on, and prints
 * "tables N errno E": N those pages, E the failed execve's errno (the
 * child's exit status).  Linked with -z now: a call bound at its first
 * use would have the loader read libc's tables in the child too.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static uintptr_t tables_start, tables_end;

/* libc's first loaded segment: its headers and dynamic symbol tables. */
static int find(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size, (void)arg;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "/libc.so")) return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *p = &info->dlpi_phdr[i];
        if (p->p_type != PT_LOAD) continue;
        tables_start = info->dlpi_addr + p->p_vaddr;
        tables_end = tables_start + p->p_memsz;
        return 1;
    }
    return 0;
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    if (!dl_iterate_phdr(find, NULL)) {
        fprintf(stderr, "e2e_child_exec: libc not found\n");
        return 1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("e2e_child_exec: fork");
        return 1;
    }
    if (pid == 0) {
        char *argv[] = {"e2e_child_exec_missing", NULL};
        execve("/nonexistent/e2e_child_exec_missing", argv, environ);
        int e = errno;
        raise(SIGSTOP);
        _exit(e);
    }
    int status;
    if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status)) {
        fprintf(stderr, "e2e_child_exec: the child did not stop (status %#x)\n", status);
        return 1;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/pagemap", (int)pid);
    int map = open(path, O_RDONLY);
    if (map < 0) {
        perror("e2e_child_exec: pagemap");
        return 1;
    }
    int pages = 0;
    for (uintptr_t a = tables_start & ~(uintptr_t)(page - 1); a < tables_end; a += page) {
        uint64_t e;
        if (pread(map, &e, sizeof e, (off_t)(a / page * sizeof e)) != sizeof e) {
            perror("e2e_child_exec: pagemap");
            return 1;
        }
        pages += (int)(e >> 63 & 1); /* present in the child's page tables */
    }
    close(map);
    kill(pid, SIGCONT);
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status)) {
        fprintf(stderr, "e2e_child_exec: the child did not exit (status %#x)\n", status);
        return 1;
    }
    printf("tables %d errno %d\n", pages, WEXITSTATUS(status));
    return 0;
}
