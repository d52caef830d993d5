/* SPDX-License-Identifier: MIT */
/*
 * small_altstack.c - e2e program: a signal handler on a small alternate
 * stack makes the process's first traced call.
 *
 * Usage: small_altstack SIZE [fork|exit|exec]
 * Installs a SIZE-byte sigaltstack (a guard page below it: an overflow
 * faults), raises SIGUSR1, and its handler writes "handled" to fd 1: under
 * the recorder, the first event of the process and of its thread, and the
 * first use of fd 1, all on that stack.  With fork, the handler first
 * forks, and the child writes "child" there before it _exits (its own
 * first event: a child's region and flusher are made at it).  With exit,
 * the handler only calls _exit(0): a process that ends without a record
 * (under record, its quiet end runs on that stack).  With exec, the
 * handler only execs /bin/echo exec (the exec's wrapper, and the end of
 * the image, on that stack).  Then main
 * writes "done".  Untraced it needs what the kernel's signal frame and
 * libc's calls take; traced, the recorder may add its wrapper's frame, no
 * more.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

static int forks, exits, execs;

static void handler(int sig)
{
    (void)sig;
    if (exits) _exit(0);
    if (execs) {
        char *argv[] = {"/bin/echo", "exec", NULL}, *envp[] = {NULL};
        extern char **environ;
        execve(argv[0], argv, environ ? environ : envp);
        _exit(1);
    }
    if (forks) {
        pid_t p = fork();
        if (p == 0) _exit(write(1, "child\n", 6) == 6 ? 0 : 1);
        int status;
        if (p < 0 || waitpid(p, &status, 0) != p || status != 0) _exit(1);
    }
    if (write(1, "handled\n", 8) != 8) _exit(1);
}

int main(int argc, char **argv)
{
    size_t page = 4096, size = argc > 1 ? strtoul(argv[1], NULL, 0) : 8192;
    forks = argc > 2 && strcmp(argv[2], "fork") == 0;
    exits = argc > 2 && strcmp(argv[2], "exit") == 0;
    execs = argc > 2 && strcmp(argv[2], "exec") == 0;
    char *m = mmap(NULL, size + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return 1;
    mprotect(m, page, PROT_NONE);
    stack_t ss = {.ss_sp = m + page, .ss_size = size};
    if (sigaltstack(&ss, NULL) != 0) return 1;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    return write(1, "done\n", 5) == 5 ? 0 : 1;
}
