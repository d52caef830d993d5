/* SPDX-License-Identifier: MIT */
/*
 * stack_harm.c - e2e program: places where taking a slow call's stack
 * could harm the program (preload/stack.c must see them and not unwind).
 *
 *   stack_harm crash      a SIGSEGV handler (after a call through a bad
 *                         pointer) makes a slow call, then _exit(3)
 *   stack_harm altstack   a handler on an 8 KiB sigaltstack with a 256-byte
 *                         buffer makes a slow call, 3 times
 *   stack_harm tiny       a thread on a PTHREAD_STACK_MIN stack uses 8 KiB
 *                         of it, then makes a slow call
 *   stack_harm register   the program registers its own unwind data (as a
 *                         JIT does) and unwinds in a loop for 1 s while a
 *                         timer's handler makes slow calls
 * Each prints what it did; untraced and traced must print the same and
 * exit the same.
 */
#define _GNU_SOURCE
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <unwind.h>

static volatile int handled;

static void crash_handler(int sig)
{
    (void)sig;
    poll(NULL, 0, 3); /* a crash reporter's slow write */
    static const char msg[] = "crash report written\n";
    write(1, msg, sizeof msg - 1);
    _exit(3);
}

static int crash(void)
{
    struct sigaction sa = {.sa_handler = crash_handler};
    sigaction(SIGSEGV, &sa, NULL);
    void (*volatile f)(void) = (void (*)(void))0xdead0000;
    f();
    return 0;
}

static void small_handler(int sig)
{
    (void)sig;
    char msg[256];
    memset(msg, 'x', sizeof msg);
    poll(NULL, 0, 3);
    handled += write(-1, msg, sizeof msg) < 0;
}

static int altstack(void)
{
    size_t page = 4096, size = 8192;
    char *m = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 1;
    mprotect(m, page, PROT_NONE); /* an overflow faults */
    stack_t ss = {.ss_sp = m + page, .ss_size = size};
    sigaltstack(&ss, NULL);
    struct sigaction sa = {.sa_handler = small_handler, .sa_flags = SA_ONSTACK};
    sigaction(SIGUSR1, &sa, NULL);
    for (int i = 0; i < 3; i++)
        raise(SIGUSR1);
    printf("handled %d\n", handled);
    return 0;
}

__attribute__((noinline)) static int deep(void)
{
    volatile char buf[8 * 1024];
    memset((char *)buf, 1, sizeof buf);
    return poll(NULL, 0, 3) + buf[5];
}

static void *tiny_thread(void *arg)
{
    (void)arg;
    return (void *)(long)deep();
}

static int tiny(void)
{
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, PTHREAD_STACK_MIN);
    pthread_t t;
    void *r;
    if (pthread_create(&t, &attr, tiny_thread, NULL) != 0) return 1;
    pthread_join(t, &r);
    printf("thread returned %ld\n", (long)r);
    return 0;
}

void __register_frame(void *);
static void *eh_frame;

static int find_eh_frame(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    (void)data;
    for (int k = 0; k < info->dlpi_phnum; k++)
        if (info->dlpi_phdr[k].p_type == PT_GNU_EH_FRAME) {
            uint8_t *h = (uint8_t *)(info->dlpi_addr + info->dlpi_phdr[k].p_vaddr);
            if (h[1] == 0x1b) eh_frame = h + 4 + *(int32_t *)(h + 4); /* pcrel sdata4 */
        }
    return 1; /* the program is first */
}

static void timer_handler(int sig)
{
    (void)sig;
    poll(NULL, 0, 2);
    handled++;
}

static _Unwind_Reason_Code count_frame(struct _Unwind_Context *c, void *n)
{
    (void)c;
    ++*(int *)n;
    return _URC_NO_REASON;
}

static int registered(void)
{
    dl_iterate_phdr(find_eh_frame, NULL);
    if (!eh_frame) return 1;
    __register_frame(eh_frame);
    signal(SIGALRM, timer_handler);
    struct itimerval it = {{0, 3000}, {0, 3000}};
    setitimer(ITIMER_REAL, &it, NULL);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        int n = 0;
        _Unwind_Backtrace(count_frame, &n);
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } while ((t1.tv_sec - t0.tv_sec) * 1000000000L + (t1.tv_nsec - t0.tv_nsec) < 1000000000L);
    it = (struct itimerval){0};
    setitimer(ITIMER_REAL, &it, NULL);
    printf("unwound while handling signals: %s\n", handled > 0 ? "yes" : "no");
    return 0;
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    if (strcmp(mode, "crash") == 0) return crash();
    if (strcmp(mode, "altstack") == 0) return altstack();
    if (strcmp(mode, "tiny") == 0) return tiny();
    if (strcmp(mode, "register") == 0) return registered();
    fprintf(stderr, "usage: stack_harm crash|altstack|tiny|register\n");
    return 2;
}
