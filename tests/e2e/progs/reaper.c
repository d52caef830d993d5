/* SPDX-License-Identifier: MIT */
/*
 * reaper.c - a process that reaps orphans, as a container's init or a
 * supervisor does: it starts 3 children and waits for anything until
 * ECHILD, checking that every pid wait() gives it is one of its own.  The
 * recorder must add none (launch.c: flusher threads below a reaper).
 *
 * usage: reaper [subreaper] [closefds]
 *   subreaper  become a child subreaper first (PID 1 of a pid namespace
 *              is one already: run it under unshare --pid --fork)
 *   closefds   close every fd from 3 up first, as daemons do
 * Child 1 writes 5 times and _exits 1; child 2 writes 5 times and execs
 * "reaper leaf", which writes 3 times; child 3 posix_spawns "reaper leaf"
 * and _exits 3 (its leaf, orphaned, is the reaper's to reap when it is
 * one).  Then the reaper writes 2 times.  Prints "reaped N unknown M fds
 * K" (N: its children and the orphaned leaf it reaped; M: pids it never
 * made; K: fds open in it at the end, but the one that lists them) and
 * exits 0 when M is 0.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void writes(int n)
{
    int fd = open("/dev/null", O_WRONLY);
    for (int i = 0; i < n; i++)
        if (write(fd, "x", 1) != 1) _exit(20);
    close(fd);
}

static int open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d) return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        n += de->d_name[0] != '.';
    closedir(d);
    return n - 1; /* the directory's own */
}

/* PID 1 ignores a signal whose action is the default: a handler it obeys. */
static void give_up(int sig)
{
    (void)sig;
    static const char msg[] = "reaper: still waiting after 20 s\n";
    if (write(2, msg, sizeof msg - 1) < 0) _exit(9);
    _exit(9);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "leaf") == 0) {
        writes(3);
        return 0;
    }
    signal(SIGALRM, give_up);
    alarm(20); /* a reaper waiting for a process it never made hangs: fail instead */
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "subreaper") == 0 && prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return 30;
        if (strcmp(argv[i], "closefds") == 0)
            for (int fd = 3; fd < 1024; fd++)
                close(fd);
    }
    int leaf_pipe[2];
    if (pipe(leaf_pipe) != 0) return 32;
    pid_t kids[4] = {0, 0, 0, 0}; /* and the spawned leaf */
    for (int k = 0; k < 3; k++) {
        pid_t pid = fork();
        if (pid < 0) return 31;
        if (pid == 0) {
            writes(5);
            if (k == 1) {
                char *leaf[] = {argv[0], "leaf", NULL};
                execv("/proc/self/exe", leaf);
                _exit(40);
            }
            if (k == 2) {
                char *leaf[] = {argv[0], "leaf", NULL};
                pid_t spawned;
                if (posix_spawn(&spawned, "/proc/self/exe", NULL, NULL, leaf, environ) != 0)
                    _exit(41);
                if (write(leaf_pipe[1], &spawned, sizeof spawned) != sizeof spawned) _exit(42);
                _exit(3);
            }
            _exit(k + 1);
        }
        kids[k] = pid;
    }
    close(leaf_pipe[1]);
    if (read(leaf_pipe[0], &kids[3], sizeof kids[3]) != sizeof kids[3]) return 33;
    close(leaf_pipe[0]);
    writes(2);
    int reaped = 0, unknown = 0, status;
    pid_t pid;
    while ((pid = wait(&status)) > 0) {
        int ours = 0;
        for (int k = 0; k < 4; k++)
            ours |= pid == kids[k];
        reaped += ours;
        unknown += !ours;
    }
    printf("reaped %d unknown %d fds %d\n", reaped, unknown, open_fds());
    return unknown == 0 ? 0 : 1;
}
