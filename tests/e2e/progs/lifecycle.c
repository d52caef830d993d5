/* SPDX-License-Identifier: MIT */
/*
 * lifecycle.c - fork, vfork+exec, posix_spawn, exec and _exit, each with
 * a known number of writes, for the process tree the tests expect:
 *   parent: 3 writes, then fork
 *     fork child: 5 writes, _exit(7)
 *   parent: vfork, child execs `lifecycle leaf 2` (2 writes, exit 0)
 *   parent: posix_spawn `lifecycle leaf 4`
 *   parent: 1 write, then execs itself as `lifecycle leaf 6` (same pid)
 * `lifecycle forks`: children of fork that record nothing before their end,
 * or whose first event is a signal handler's (their region is made then):
 *     child 1: execs `lifecycle leaf 1` at once
 *     child 2: _exit(9), nothing recorded
 *     child 3: a write in a SIGUSR1 handler first, then 2 writes, _exit(0)
 * `lifecycle pending`: an image that records nothing for a while (served,
 * it has no region yet), named pending-1, waits for SIGUSR2; then 2
 * writes, named pending-2, waits for SIGUSR2 again; exit(3).  The waits
 * spin: pause() and the like are events.
 * `lifecycle vfork-first`: before any event, a vfork child that writes
 * twice and _exits(4); then the parent writes once and ends with exit(0).
 * `lifecycle identity A B`: before any event, swaps its argv's last two
 * pointers (as getopt() permutes them) and moves to /; exit(0).
 * `lifecycle alarm-exit US`: a SIGALRM handler that calls _exit(7), due
 * US microseconds after the start; meanwhile writes without end.
 * `lifecycle change WHAT [DIR]`: before any event, becomes uid and gid
 * 65534 with no groups (WHAT setuid; syscall-setuid: with syscall(), as
 * one thread), or moves its root to DIR (chroot); then 2 writes, exit(0).
 * `lifecycle other-euid`: named euid-1, waits for SIGUSR2 (spinning); then
 * as uid 65534 (seteuid, from root) writes twice, and back as uid 0
 * exit(0).
 * `lifecycle given`: a thread named given-worker writes once and spins to
 * the end; the main thread writes twice, is named given-1 once the
 * thread wrote, waits for SIGUSR2 (spinning) and calls exit(4) while the
 * thread runs.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/time.h>
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

static void on_usr1(int sig)
{
    (void)sig;
    int fd = open("/dev/null", O_WRONLY);
    write(fd, "s", 1);
    close(fd);
}

static int forks(char **argv)
{
    int st;
    pid_t c = fork();
    if (c == 0) {
        execl("/proc/self/exe", argv[0], "leaf", "1", (char *)NULL);
        _exit(127);
    }
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 1;
    c = fork();
    if (c == 0) _exit(9);
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 9) return 2;
    c = fork();
    if (c == 0) {
        signal(SIGUSR1, on_usr1);
        raise(SIGUSR1);
        writes(2);
        _exit(0);
    }
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st) || WEXITSTATUS(st) != 0) return 3;
    return 0;
}

static volatile sig_atomic_t told;

static void on_usr2(int sig)
{
    (void)sig;
    told++;
}

static int pending(void)
{
    signal(SIGUSR2, on_usr2);
    prctl(PR_SET_NAME, "pending-1");
    while (told < 1)
        sched_yield();
    writes(2);
    prctl(PR_SET_NAME, "pending-2");
    while (told < 2)
        sched_yield();
    exit(3);
}

static atomic_int worker_wrote;

static void *given_worker(void *arg)
{
    (void)arg;
    pthread_setname_np(pthread_self(), "given-worker");
    writes(1);
    atomic_store(&worker_wrote, 1);
    for (;;)
        sched_yield();
    return NULL;
}

static int given(void)
{
    pthread_t t;
    signal(SIGUSR2, on_usr2);
    if (pthread_create(&t, NULL, given_worker, NULL) != 0) return 1;
    writes(2);
    while (!atomic_load(&worker_wrote))
        sched_yield();
    prctl(PR_SET_NAME, "given-1");
    while (told < 1)
        sched_yield();
    exit(4);
}

static int other_euid(void)
{
    signal(SIGUSR2, on_usr2);
    prctl(PR_SET_NAME, "euid-1");
    while (told < 1)
        sched_yield();
    if (seteuid(65534) != 0) return 1;
    writes(2);
    return seteuid(0) == 0 ? 0 : 2;
}

static int vfork_first(void)
{
    int st;
    pid_t v = vfork();
    if (v == 0) {
        write(-1, "x", 1);
        write(-1, "x", 1);
        _exit(4);
    }
    if (waitpid(v, &st, 0) != v || !WIFEXITED(st) || WEXITSTATUS(st) != 4) return 1;
    writes(1);
    return 0;
}

static int identity(int argc, char **argv)
{
    char *last = argv[argc - 1];
    argv[argc - 1] = argv[argc - 2];
    argv[argc - 2] = last;
    return chdir("/") == 0 ? 0 : 1;
}

static int change(const char *what, const char *dir)
{
    int ok = 0;
    if (strcmp(what, "setuid") == 0)
        ok = setgroups(0, NULL) == 0 && setresgid(65534, 65534, 65534) == 0 &&
             setresuid(65534, 65534, 65534) == 0;
    else if (strcmp(what, "syscall-setuid") == 0)
        ok = syscall(SYS_setgroups, 0, NULL) == 0 &&
             syscall(SYS_setresgid, 65534, 65534, 65534) == 0 &&
             syscall(SYS_setresuid, 65534, 65534, 65534) == 0;
    else if (strcmp(what, "chroot") == 0 && dir)
        ok = chroot(dir) == 0 && chdir("/") == 0;
    if (!ok) return 2;
    writes(2);
    return 0;
}

static void on_alarm(int sig)
{
    (void)sig;
    _exit(7);
}

static __attribute__((noreturn)) void alarm_exit(const char *us)
{
    signal(SIGALRM, on_alarm);
    struct itimerval it = {{0, 0}, {0, atoi(us)}};
    setitimer(ITIMER_REAL, &it, NULL);
    int fd = open("/dev/null", O_WRONLY);
    for (;;)
        write(fd, "x", 1);
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "leaf") == 0) {
        writes(atoi(argv[2]));
        return 0;
    }
    if (argc > 1 && strcmp(argv[1], "forks") == 0) return forks(argv);
    if (argc > 1 && strcmp(argv[1], "pending") == 0) return pending();
    if (argc > 1 && strcmp(argv[1], "given") == 0) return given();
    if (argc > 1 && strcmp(argv[1], "vfork-first") == 0) return vfork_first();
    if (argc > 1 && strcmp(argv[1], "other-euid") == 0) return other_euid();
    if (argc > 3 && strcmp(argv[1], "identity") == 0) return identity(argc, argv);
    if (argc > 2 && strcmp(argv[1], "alarm-exit") == 0) alarm_exit(argv[2]);
    if (argc > 2 && strcmp(argv[1], "change") == 0) return change(argv[2], argv[3]);
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
