/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - fork, vfork+exec, posix_spawn, exec and _exit, each with
 * a known number of writes, for the process tree the tests expect:
 *   parent: 3 writes, then fork
 *     fork child: 5 writes, _exit(7)
 *   parent: vfork, child execs `lifecycle leaf 2` (2 writes, exit 0)
 *   parent: posix_spawn `lifecycle leaf 4`
 *   parent: 1 write, then execs itself as `lifecycle leaf 6` (same pid)
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void writes(int n)
{
    int fd = open("/dev/null", O_WRONLY);
    for (int i = 0; i < n; i++)
        write(fd, "x", 1);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "leaf") == 0) {
        writes(atoi(argv[2]));
        return 0;
    }
    writes(3);
    pid_t c = fork();
    if (c == 0) {
        writes(5);
        _exit(7);
    }
    int st;
    waitpid(c, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 7) return 1;

    pid_t v = vfork();
    if (v == 0) {
        execl("/proc/self/exe", argv[0], "leaf", "2", (char *)NULL);
        _exit(127);
    }
    waitpid(v, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 2;

    char *sargv[] = {argv[0], "leaf", "4", NULL};
    pid_t s;
    if (posix_spawn(&s, "/proc/self/exe", NULL, NULL, sargv, environ) != 0) return 3;
    waitpid(s, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 4;

    writes(1);
    execl("/proc/self/exe", argv[0], "leaf", "6", (char *)NULL);
    return 5;
}
