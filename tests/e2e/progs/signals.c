/* SPDX-License-Identifier: MIT */
/*
 * signals.c - traced calls made from a signal handler while the main
 * thread makes traced calls in a loop: a timer fires SIGALRM every 100 us
 * and the handler writes to a pipe; the main thread checks that every
 * write it made succeeded and that the handler's writes all arrived.
 * Prints the counts; exits 0 when nothing was disturbed.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static int pfd[2];
static volatile sig_atomic_t fired;

static void on_alarm(int sig)
{
    (void)sig;
    int saved = errno;
    if (write(pfd[1], "s", 1) == 1) fired++;
    errno = saved;
}

int main(void)
{
    if (pipe(pfd) != 0) return 1;
    fcntl(pfd[0], F_SETFL, O_NONBLOCK);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 100}, {0, 100}};
    setitimer(ITIMER_REAL, &it, NULL);
    int devnull = open("/dev/null", O_WRONLY);
    long ok = 0;
    while (fired < 200)
        if (write(devnull, "m", 1) == 1) ok++;
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, NULL);
    char buf[4096];
    long got = 0;
    ssize_t r;
    while ((r = read(pfd[0], buf, sizeof buf)) > 0)
        got += r;
    printf("fired=%d got=%ld main_ok=%s\n", (int)fired, got, ok > 0 ? "yes" : "no");
    return got == fired ? 0 : 1;
}
