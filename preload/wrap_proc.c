/* SPDX-License-Identifier: MIT */
/*
 * wrap_proc.c - calls that end the process's image: exit, _exit and the
 * exec family.  Each tells the flusher how the image ends; exit and _exit
 * also wait for it to write the rest of the log.  With them, what passes
 * the news of a process that reaps orphans to the images it starts
 * (launch.c): the exec family and posix_spawn, and prctl.
 *
 * exit() only notes its status: the end is posted by the library's
 * destructor (init.c), after the program's own atexit handlers and
 * destructors have had their say.  fork() is handled by a pthread_atfork
 * handler (init.c); vfork() and posix_spawn() need nothing: their child
 * shares our memory until it calls exec or _exit, and ws_flusher_end()
 * recognizes it by its pid and leaves the parent's log alone.
 */
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>

#include "internal.h"

int64_t ws_exit_status = -1; /* -1: unknown */

extern char **environ;

/*
 * The program's main, wrapped to learn its return value: returning from
 * main calls exit() inside libc, where no wrapper sees it.
 */
static int (*program_main)(int, char **, char **) WS_START_RW = NULL;

WS_EVERY_PROCESS static int main_wrapper(int argc, char **argv, char **envp)
{
    int r = program_main(argc, argv, envp);
    ws_exit_status = r & 0xff; /* the status the parent sees */
    return r;
}

WS_REAL(__libc_start_main);
WS_EVERY_PROCESS WS_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc,
                                                 char **argv, void (*init)(void),
                                                 void (*fini)(void), void (*rtld_fini)(void),
                                                 void *stack_end)
{
    program_main = main;
    return REAL(__libc_start_main)(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}

WS_REAL(exit);
WS_EVERY_PROCESS WS_EXPORT void exit(int status)
{
    ws_exit_status = status & 0xff;
    REAL(exit)(status);
    __builtin_unreachable();
}

WS_REAL(_exit);
WS_EXPORT void _exit(int status)
{
    ws_flusher_end(WS_END__EXIT, status & 0xff);
    REAL(_exit)(status);
    __builtin_unreachable();
}

WS_REAL(_Exit);
WS_EXPORT void _Exit(int status)
{
    ws_flusher_end(WS_END__EXIT, status & 0xff);
    REAL(_Exit)(status);
    __builtin_unreachable();
}

/*
 * The environment an exec gives the new image.  In a process that reaps
 * orphans, or below one (launch.c), the traced processes it starts must
 * know it: WHYSLOW_REAPER is added to an environment that preloads us and
 * lacks it (the reaper became one after its start, or the program builds
 * its children's environment itself).  room (EXEC_ROOM) holds the copy;
 * an environment too large for it goes as it is.
 */
#define ENV_ROOM 1024

/* The room for the copy, on the caller's stack, made only where there may
 * be one: 8 KiB on every exec's frame overflowed a signal handler's small
 * alternate stack when the handler exec'd (execve() is async-signal-safe;
 * e2e_small_altstack). */
#define EXEC_ROOM(envp)                                                                            \
    (ws_reaper_line && (envp) && atomic_load_explicit(&ws_on, memory_order_relaxed)                \
         ? (char **)__builtin_alloca(ENV_ROOM * sizeof(char *))                                    \
         : NULL)

static char *const *exec_env(char *const *envp, char **room)
{
    if (!room) return envp;
    size_t n = 0;
    int preload = 0;
    for (; envp[n]; n++) {
        if (strncmp(envp[n], "WHYSLOW_REAPER=", 15) == 0) return envp;
        preload |= strncmp(envp[n], "LD_PRELOAD=", 11) == 0;
        if (n + 2 >= ENV_ROOM) return envp;
    }
    if (!preload) return envp; /* the new image is not traced */
    static char var[32];
    snprintf(var, sizeof var, "WHYSLOW_REAPER=%d", (int)getpid());
    memcpy(room, envp, n * sizeof *room);
    room[n] = var;
    room[n + 1] = NULL;
    return room;
}

WS_REAL(execve);
WS_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    envp = exec_env(envp, EXEC_ROOM(envp));
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(execve)(path, argv, envp);
    ws_flusher_exec_failed();
    return r;
}

WS_REAL(execv);
WS_EXPORT int execv(const char *path, char *const argv[])
{
    if (ws_reaper_line) return execve(path, argv, environ);
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(execv)(path, argv);
    ws_flusher_exec_failed();
    return r;
}

WS_REAL(execvp);
WS_EXPORT int execvp(const char *file, char *const argv[])
{
    if (ws_reaper_line) return execvpe(file, argv, environ);
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(execvp)(file, argv);
    ws_flusher_exec_failed();
    return r;
}

WS_REAL(execvpe);
WS_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    envp = exec_env(envp, EXEC_ROOM(envp));
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(execvpe)(file, argv, envp);
    ws_flusher_exec_failed();
    return r;
}

WS_REAL(fexecve);
WS_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    envp = exec_env(envp, EXEC_ROOM(envp));
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(fexecve)(fd, argv, envp);
    ws_flusher_exec_failed();
    return r;
}

/* posix_spawn and posix_spawnp: only for the environment (see above); the
 * child execs in a copy of our memory, where the exec wrappers are not. */
WS_REAL(posix_spawn);
WS_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *fa,
                          const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return REAL(posix_spawn)(pid, path, fa, attr, argv, exec_env(envp, EXEC_ROOM(envp)));
}

WS_REAL(posix_spawnp);
WS_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *fa,
                           const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    return REAL(posix_spawnp)(pid, file, fa, attr, argv, exec_env(envp, EXEC_ROOM(envp)));
}

/* A program that becomes a subreaper: the traced processes it starts from
 * now on need flusher threads (launch.c).  One that installs a seccomp
 * filter: its region and flusher first, when they wait (wrap_change.c). */
WS_REAL(prctl);
WS_EXPORT int prctl(int option, ...)
{
    va_list ap;
    va_start(ap, option);
    unsigned long a2 = va_arg(ap, unsigned long), a3 = va_arg(ap, unsigned long);
    unsigned long a4 = va_arg(ap, unsigned long), a5 = va_arg(ap, unsigned long);
    va_end(ap);
    if (option == PR_SET_SECCOMP && atomic_load(&ws_fork_pending)) ws_setup_before_change();
    int r = REAL(prctl)(option, a2, a3, a4, a5);
    if (r == 0 && option == PR_SET_CHILD_SUBREAPER && a2 != 0) ws_reaper_line = 1;
    return r;
}

/* The execl forms gather their arguments into an argv on the stack (as
 * glibc's own do) and go through the wrappers above. */
#define GATHER_ARGS(arg0, last)                                                                    \
    size_t argc = 1;                                                                               \
    va_list ap;                                                                                    \
    va_start(ap, arg0);                                                                            \
    while (va_arg(ap, const char *) != NULL)                                                       \
        argc++;                                                                                    \
    va_end(ap);                                                                                    \
    const char *argv[argc + 1];                                                                    \
    argv[0] = arg0;                                                                                \
    va_start(ap, arg0);                                                                            \
    for (size_t i = 1; i <= argc; i++)                                                             \
        argv[i] = va_arg(ap, const char *);                                                        \
    last;                                                                                          \
    va_end(ap)

WS_EXPORT int execl(const char *path, const char *arg0, ...)
{
    GATHER_ARGS(arg0, (void)0);
    return execv(path, (char *const *)argv);
}

WS_EXPORT int execlp(const char *file, const char *arg0, ...)
{
    GATHER_ARGS(arg0, (void)0);
    return execvp(file, (char *const *)argv);
}

WS_EXPORT int execle(const char *path, const char *arg0, ...)
{
    char *const *envp;
    GATHER_ARGS(arg0, envp = va_arg(ap, char *const *));
    return execve(path, (char *const *)argv, envp);
}
