/*
 * wrap_proc.c - calls that end the process's image: exit, _exit and the
 * exec family.  Each tells the flusher process how the image ends;
 * exit and _exit also wait for it to write the rest of the log.
 *
 * exit() only notes its status: the end is posted by the library's
 * destructor (init.c), after the program's own atexit handlers and
 * destructors have had their say.  fork() is handled by a pthread_atfork
 * handler (init.c); vfork() and posix_spawn() need nothing: their child
 * shares our memory until it calls exec or _exit, and ws_flusher_end()
 * recognizes it by its pid and leaves the parent's log alone.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "internal.h"

int64_t ws_exit_status = -1; /* -1: unknown */

/*
 * The program's main, wrapped to learn its return value: returning from
 * main calls exit() inside libc, where no wrapper sees it.
 */
static int (*program_main)(int, char **, char **);

static int main_wrapper(int argc, char **argv, char **envp)
{
    int r = program_main(argc, argv, envp);
    ws_exit_status = r & 0xff; /* the status the parent sees */
    return r;
}

WS_REAL(__libc_start_main);
WS_EXPORT int __libc_start_main(int (*main)(int, char **, char **), int argc, char **argv,
                                void (*init)(void), void (*fini)(void), void (*rtld_fini)(void),
                                void *stack_end)
{
    program_main = main;
    return REAL(__libc_start_main)(main_wrapper, argc, argv, init, fini, rtld_fini, stack_end);
}

WS_REAL(exit);
WS_EXPORT void exit(int status)
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

WS_REAL(execve);
WS_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(execve)(path, argv, envp);
    ws_flusher_exec_failed();
    return r;
}

WS_REAL(execv);
WS_EXPORT int execv(const char *path, char *const argv[])
{
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(execv)(path, argv);
    ws_flusher_exec_failed();
    return r;
}

WS_REAL(execvp);
WS_EXPORT int execvp(const char *file, char *const argv[])
{
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(execvp)(file, argv);
    ws_flusher_exec_failed();
    return r;
}

WS_REAL(execvpe);
WS_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(execvpe)(file, argv, envp);
    ws_flusher_exec_failed();
    return r;
}

WS_REAL(fexecve);
WS_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    ws_flusher_end(WS_END_EXEC, 0);
    int r = REAL(fexecve)(fd, argv, envp);
    ws_flusher_exec_failed();
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
