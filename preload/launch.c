/* SPDX-License-Identifier: MIT */
/*
 * launch.c - starting a process's flusher (flusher.c), and ending with it:
 * the program's side.
 *
 * The flusher runs in one of three places, chosen at start and in the
 * child of fork():
 *
 *   served   a process `whyslow record` forks from itself, when
 *            WHYSLOW_SOCK names record's socket (include/whyslow/serve.h).
 *            No process is added to the program's tree, and starting
 *            costs a message: the program does not wait for the answer.
 *            It is sent at the first event (init.c); a process that ends
 *            before one sends a closing hello instead (ws_serve_closing()).
 *            At its end, if it recorded events, a program that record
 *            will serve goes without waiting for the answer; one that
 *            record refuses, or that may not be served, learns it then
 *            and only then starts a flusher of its own (settle_end()).
 *   process  a process cloned from the program twice, with no exit signal:
 *            no child of the program, so its wait() never sees it and no
 *            SIGCHLD is sent.  The default.  A process rather than a
 *            thread: a second thread makes glibc take the multi-threaded
 *            path of every cancellable call (about 45 ns more per write()
 *            here), changes the process as the program sees it (signals,
 *            fork), and dies with it on SIGKILL.
 *   thread   a thread of the program, in a program that reaps orphans
 *            (PID 1 of a pid namespace, a child subreaper) and in every
 *            traced process below it.  A flusher process's parent is gone
 *            once it is started, so it is reparented to whatever reaps
 *            orphans above it: a container's init or a supervisor would
 *            then see, in wait(), a process it never made, and wait for it
 *            for good.  Such programs pay for the thread (see above), and
 *            a SIGKILL there loses what was not written yet.  The traced
 *            processes below one learn it from WHYSLOW_REAPER in their
 *            environment, which the reaper adds at its start or, when it
 *            becomes a subreaper later, to the environment of what it
 *            execs (wrap_proc.c).
 *
 * The end: at exit and _exit the program posts how it ends and waits (a
 * few ms, at most 5 s) for the flusher to write the rest; a served one
 * gives its flusher what it would read in /proc and goes (give_proc()),
 * and one that recorded no event does not wait at all
 * (ws_flusher_end()).  A flusher process's data is safe
 * in the shared region once the program is gone, but whatever ends the
 * program's session may end the flusher too: a container whose first
 * process exits is torn down, and a service manager stops every process
 * of a service's cgroup once its main process exits.  A served flusher's
 * parent, record, outlives it.  At exec the program posts that an exec is
 * under way: a flusher process sees it succeed (flusher.c), a flusher
 * thread is waited for first.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>

#include "internal.h"
#include "whyslow/serve.h"

/* (WS_START_RW, as the start's variables below: every traced start
 * writes them, and .data's last page is written by the loader anyway) */
enum ws_flusher_mode ws_mode WS_START_RW;
int ws_reaper_line WS_START_RW;

WS_EVERY_PROCESS int ws_reaps_orphans(pid_t self)
{
    int sub = 0;
    return self == 1 || (ws_sys(SYS_prctl, PR_GET_CHILD_SUBREAPER, &sub) == 0 && sub);
}

/* Buffers a thread hands over before it wakes the flusher (see below). */
#define WAKE_EVERY 16

void ws_flusher_enqueue(struct ws_thread *t, struct ws_buf *b)
{
    cds_wfcq_enqueue(&ws_sh->queue_head, &ws_sh->queue_tail, &b->node);
    /* Wake the flusher only every WAKE_EVERY buffers of a thread, or when
     * half the pool is in use: each wake-up costs the program a futex
     * call (in a virtual machine, an interrupt sent to the other CPU) and
     * the flusher a compressed frame and a write of its own; one per
     * buffer (64 KiB, some 1300 records) added about 10 ns to each traced
     * write() on a 2-core VM (tests/bench, side by side).  The flusher
     * also wakes every WHYSLOW_FLUSH_MS, and at a thread's or the
     * program's end. */
    if (++t->handed < WAKE_EVERY &&
        atomic_load_explicit(&ws_sh->free_bufs, memory_order_relaxed) > (int)ws_sh->nbufs / 2)
        return;
    t->handed = 0;
    ws_flusher_wake();
}

void ws_flusher_wake(void)
{
    atomic_fetch_add(&ws_sh->wake_seq, 1);
    if (atomic_load(&ws_sh->sleeping)) ws_futex(&ws_sh->wake_seq, FUTEX_WAKE, 1, NULL);
}

/* Waits until *word is `want` (until it is no longer `want` when
 * negate), in steps of 10 ms for at most ms; gives up early when the
 * flusher process is gone. */
static void wait_for_ms(_Atomic uint32_t *word, uint32_t want, int negate, int ms)
{
    struct timespec step = {0, 10 * 1000000};
    for (int waited = 0; waited < ms / 10; waited++) {
        uint32_t now = atomic_load(word);
        if ((now == want) != negate) return;
        ws_futex(word, FUTEX_WAIT, now, &step);
        pid_t flusher = atomic_load(&ws_sh->flusher_pid);
        if (flusher > 0 && kill(flusher, 0) != 0 && errno == ESRCH) return; /* it died */
    }
}

/* The same for at most 5 s: the flusher's work. */
static void wait_for(_Atomic uint32_t *word, uint32_t want, int negate)
{
    wait_for_ms(word, want, negate, 5000);
}

/* ---- served ---- */

/* argv as the program's start was given it (init.c), for the region;
 * with, where exec laid them out as one block (it does), that block,
 * which still says them in their order once getopt() has permuted argv;
 * and the directory at the start, for a relative path of the executable.
 * A served image sends them at its first event or its end, not at its
 * start (init.c). */
char **ws_start_argv WS_START_RW;
static const char *start_args WS_START_RW;
static size_t start_args_len WS_START_RW;
static const char *start_cwd WS_START_RW;
/* kept for later, but getcwd() failed: /proc says the path */
static int start_cwd_lost WS_START_RW;
static WS_BIG char start_cwd_buf[WS_EXE_MAX];
char ws_serve_sock[sizeof(((struct sockaddr_un *)0)->sun_path) + 1] WS_START_RW = "";

WS_EVERY_PROCESS void ws_note_start(int argc, char **argv, int later)
{
    ws_start_argv = argv;
    const char *p = argc > 0 ? argv[0] : NULL;
    for (int i = 0; p && i < argc; i++)
        p = argv[i] == p ? p + strlen(p) + 1 : NULL;
    start_args = p ? argv[0] : NULL;
    start_args_len = p ? (size_t)(p - argv[0]) : 0;
    /* The directory, only when the hello comes later: one sent now reads
     * it itself. */
    const char *fn = later ? (const char *)getauxval(AT_EXECFN) : NULL;
    start_cwd =
        fn && fn[0] != '/' && getcwd(start_cwd_buf, sizeof start_cwd_buf) ? start_cwd_buf : NULL;
    start_cwd_lost = fn && fn[0] != '/' && !start_cwd;
}

/* WHYSLOW_SOCK, read once: a program may change its environment before
 * its first event or its end, where the hello is sent.  One too long for
 * a socket's name is none (the process gets a flusher of its own). */
WS_EVERY_PROCESS void ws_note_sock(void)
{
    const char *sock = getenv(WS_START_STR(WS_SERVE_ENV));
    size_t n = sock ? strlen(sock) : 0;
    if (n < sizeof ws_serve_sock) memcpy(ws_serve_sock, sock ? sock : "", n + 1);
}

void ws_forget_start(void)
{
    ws_start_argv = NULL;
    start_args = start_cwd = NULL;
    start_cwd_lost = 0;
}

/* What its flusher would read in /proc, put in the head (and in text,
 * which has room for WS_TEXT_MAX bytes): the program's executable and
 * arguments.  At start, the executable as exec was given it (AT_EXECFN,
 * on our stack), which the flusher makes the path
 * /proc/PID/exe says (meta.c): readlink() of /proc/self/exe cost a short
 * process some 25 us on a virtual machine.  Made absolute here when it is
 * relative: the flusher does not know our directory.  The arguments are
 * argv, which costs no system call.  In the child of fork(), where the
 * directory may have changed since the exec, both as /proc says them: a
 * title the program gave itself since (setproctitle) shows in
 * /proc/self/cmdline as a flusher forked from it would read it. */
WS_EVERY_PROCESS static void give_identity(char *text)
{
    size_t n = 0;
    const char *fn = ws_start_argv && !start_cwd_lost ? (const char *)getauxval(AT_EXECFN) : NULL;
    if (fn) {
        if (fn[0] != '/' &&
            (start_cwd ? (strcpy(text, start_cwd), 1) : getcwd(text, WS_EXE_MAX) != NULL)) {
            n = strlen(text);
            if (n < WS_EXE_MAX) text[n++] = '/';
        }
        size_t k = strnlen(fn, WS_EXE_MAX - n);
        memcpy(text + n, fn, k);
        n += k;
        /* exec("/proc/self/exe"), fexecve() ("/dev/fd/N"): a path that
         * names another file in the flusher's eyes. */
        if (n >= 6 && (memcmp(text, WS_START_STR("/proc/"), 6) == 0 ||
                       (n >= 8 && memcmp(text, WS_START_STR("/dev/fd/"), 8) == 0)))
            fn = NULL;
    }
    if (!fn) {
        ssize_t k = readlink(WS_START_STR("/proc/self/exe"), text, WS_EXE_MAX);
        n = k > 0 ? (size_t)k : 0;
    }
    ws_sh->exe_as_given = fn != NULL;
    ws_sh->exe_len = (uint32_t)n;
    ws_sh->args_len = (uint32_t)ws_start_args(text + n); /* right after it (internal.h) */
}

/* The arguments as exec laid them out, when the start kept that block
 * (most processes do), and its length (at most WS_ARGS_MAX) in *len;
 * else NULL. */
const char *ws_start_block(size_t *len)
{
    *len = start_args_len < WS_ARGS_MAX ? start_args_len : WS_ARGS_MAX;
    return start_args;
}

/* The arguments as the start kept them (above), each ended by a NUL, into
 * args (room for WS_ARGS_MAX bytes); returns their length. */
WS_EVERY_PROCESS size_t ws_start_args(char *args)
{
    size_t len = 0;
    if (start_args) {
        len = start_args_len < WS_ARGS_MAX ? start_args_len : WS_ARGS_MAX;
        memcpy(args, start_args, len);
        if (len) args[len - 1] = 0;
    } else if (ws_start_argv) {
        for (char **a = ws_start_argv; *a && len < WS_ARGS_MAX; a++) {
            size_t k = strnlen(*a, WS_ARGS_MAX - len - 1) + 1; /* with its NUL */
            memcpy(args + len, *a, k - 1);
            args[len + k - 1] = 0;
            len += k;
        }
    } else {
        len = ws_read_file("/proc/self/cmdline", args, WS_ARGS_MAX);
    }
    return len;
}

/* At most how many bytes of text give_identity() writes, when the start
 * kept all it needs (most processes): SIZE_MAX when it would ask the
 * kernel (getcwd, readlink, /proc/self/cmdline). */
WS_EVERY_PROCESS static size_t identity_size(void)
{
    const char *fn = ws_start_argv && !start_cwd_lost ? (const char *)getauxval(AT_EXECFN) : NULL;
    if (!fn || !start_args || (fn[0] != '/' && !start_cwd)) return SIZE_MAX;
    const char *first = fn[0] == '/' ? fn : start_cwd; /* how the path starts */
    if (strncmp(first, WS_START_STR("/proc/"), 6) == 0 ||
        strncmp(first, WS_START_STR("/dev/fd/"), 8) == 0)
        return SIZE_MAX;
    return (fn[0] == '/' ? 0 : strlen(start_cwd) + 1) + strlen(fn) + start_args_len;
}

/* Waits for record's answer (at most ms); 0 when a flusher took the
 * region.  Else the answer can no longer come: the word is ours
 * (WS_SERVE_GIVEN_UP, unless a refusal came first) and -1, with ws_why
 * set. */
static int served_answer(int ms)
{
    _Atomic int32_t *w = &ws_sh->serve.word;
    wait_for_ms((_Atomic uint32_t *)w, WS_SERVE_PENDING, 1, ms);
    int32_t now = WS_SERVE_PENDING;
    if (atomic_compare_exchange_strong(w, &now, WS_SERVE_GIVEN_UP)) {
        if (ms)
            snprintf(ws_why, sizeof ws_why, "whyslow record did not answer in %d ms", ms);
        else
            snprintf(ws_why, sizeof ws_why, "whyslow record is gone");
        return -1;
    }
    if (now == WS_SERVED) return 0;
    snprintf(ws_why, sizeof ws_why, "whyslow record did not serve it (errno %d)", -now);
    return -1;
}

/* A socket connected to record's (sock: "@name"); -1 with errno set.
 * System calls, not libc's socket(), connect() and close() (ws_sys()). */
WS_EVERY_PROCESS static int connect_record(const char *sock)
{
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    size_t n = strlen(sock);
    if (sock[0] != '@' || n < 2 || n > sizeof a.sun_path) {
        errno = EINVAL;
        return -1;
    }
    memcpy(a.sun_path + 1, sock + 1, n - 1); /* sun_path[0] = 0: abstract */
    /* Non-blocking: a record too busy to take the connection (its
     * backlog full) costs the process a flusher of its own at once, not a
     * wait. */
    int s = (int)ws_sys(SYS_socket, AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s >= 0 && ws_sys(SYS_connect, s, &a, offsetof(struct sockaddr_un, sun_path) + n) != 0) {
        int err = errno;
        ws_sys(SYS_close, s);
        errno = err;
        s = -1;
    }
    return s;
}

/* The decimal number at *p, and the '-' after it; 0 when there is none. */
static int take_field(const char **p, unsigned long *v)
{
    const char *s = *p;
    *v = 0;
    for (; *s >= '0' && *s <= '9'; s++)
        *v = *v * 10 + (unsigned long)(*s - '0');
    if (s == *p || *s != '-') return 0;
    *p = s + 1;
    return 1;
}

/* What the name of record's socket says of it (whyslow/serve.h): its pid
 * and effective uid; 0 when it is a name of another form. */
static int record_named(unsigned long *pid, unsigned long *uid)
{
    const char *p = ws_serve_sock;
    if (strncmp(p, "@whyslow-", 9) != 0) return 0;
    p += 9;
    return take_field(&p, pid) && take_field(&p, uid) && *pid > 0 && *pid <= INT32_MAX;
}

/* The hello went as record will judge it: of record's euid (SO_PEERCRED
 * at connect()) and pid namespace.  Then the process need not wait for the
 * answer at its end (settle_end()).  On the page the loader writes: in
 * .bss, it was a page fault more for each served process with events. */
static int hello_sure WS_START_RW;

/* record's pid, as its socket's name says it (0: it does not), read with
 * hello_sure, for the end to ask whether record is still there. */
static pid_t record_pid WS_START_RW;

/*
 * Before the hello, on the socket connected to record's (s): -1 when
 * record cannot serve this process.  Record's pid as this process sees it
 * (SO_PEERCRED: the kernel gives it in the asker's pid namespace, 0 where
 * record is not in sight) is not the one its socket's name says: this
 * process is in another pid namespace (a sandbox, a container started
 * under record), where record would know it by another pid.  It starts a
 * flusher of its own at once, which writes its events as they come, not
 * only at its end, once refused.  Another euid is judged by record, and
 * the process waits for its answer: it may be back to record's euid by
 * its end, and a flusher of its own that started as another user could
 * not create the log in record's directory.  (This process's own pid
 * namespace, read as /proc/self/ns/pid, was 20 to 30 us of a short
 * process on a virtual machine: the kernel makes /proc's entries for it
 * there.)
 */
static int judge_hello(int s)
{
    unsigned long pid, uid;
    struct ucred cred;
    socklen_t len = sizeof cred;
    hello_sure = 0;
    record_pid = 0;
    if (!record_named(&pid, &uid)) return 0; /* it cannot tell: record judges */
    record_pid = (pid_t)pid;
    if (ws_sys(SYS_getsockopt, s, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0) return 0;
    if (cred.pid != (pid_t)pid) return -1;
    hello_sure = (unsigned long)ws_sys(SYS_geteuid) == uid;
    return 0;
}

/* Asks `whyslow record` (sock: "@name") for a flusher; 0 when it asked
 * (the answer comes in the region), -1 with ws_why set when it cannot. */
static int start_served(const char *sock)
{
    int fds[2] = {ws_region_fd, -1};
    int s = connect_record(sock);
    if (s < 0) goto fail;
    if (judge_hello(s) != 0) {
        real_close(s); /* (record takes a connection without a hello for none) */
        snprintf(ws_why, sizeof ws_why, "whyslow record is in another pid namespace");
        return -1;
    }
    give_identity(ws_sh->text);
    fds[1] = (int)real_syscall(SYS_pidfd_open, ws_sh->pid, 0);
    struct ws_serve_hello h;
    h.magic = WS_SERVE_MAGIC;
    WS_NO_MERGE();
    h.version = WS_SERVE_VERSION;
    h.addr = (uint64_t)(uintptr_t)ws_region_data(ws_sh->nbufs);
    h.size = ws_region_size(ws_sh->nbufs);
    h.head = ws_region_head_at(ws_sh->nbufs);
    h.nbufs = ws_sh->nbufs;
    h.pid = (int32_t)ws_sh->pid;
    h.closing = 0;
    h.head_len = 0;
    if (ws_send_fds(REAL(sendmsg), s, &h, sizeof h, fds, fds[1] >= 0 ? 2 : 1) != (ssize_t)sizeof h)
        goto fail;
    real_close(s);
    /* Without a pidfd, the flusher would know the program by its pid only,
     * which another process may have once the program is gone; a reaper
     * must know now whether it needs a flusher thread (see above). */
    if (fds[1] < 0) return served_answer(WS_SERVE_TIMEOUT_MS);
    real_close(fds[1]);
    return ws_reaper_line ? served_answer(WS_SERVE_TIMEOUT_MS) : 0;
fail:;
    int err = errno;
    if (s >= 0) real_close(s);
    if (fds[1] >= 0) real_close(fds[1]);
    /* (errno's number: strerror() is not async-signal-safe, and the first
     * event that gets here may be a signal handler's) */
    snprintf(ws_why, sizeof ws_why, "cannot reach whyslow record at %s (errno %d)", sock, err);
    return -1;
}

_Static_assert(WS_HEAD_SIZE <= WS_SERVE_HEAD_MAX, "a closing hello's head fits what record takes");

/* A closing hello's text (give_identity()): most processes' fit the
 * small one, in .data (WS_START_RW), on the page the loader writes; the
 * large one is at least one page of .lbss more to fault in, some 15 us on
 * a virtual machine whose page tables the hypervisor shadows, and most
 * processes that end with a closing hello (true, cmake -E, as) last less
 * than a millisecond. */
static char closing_text[256] WS_START_RW;
static WS_BIG char closing_text_big[WS_TEXT_MAX];

/* A closing hello: the hello, then the head (init.c filled in its fields)
 * up to the end of the command line give_identity() put in its text; 0
 * when sent.  record does not answer it: the process is ending. */
WS_EVERY_PROCESS int ws_serve_closing(void)
{
    const char *sock = ws_serve_sock;
    if (!*sock) return -1;
    char *text = identity_size() <= sizeof closing_text ? closing_text : closing_text_big;
    give_identity(text);
    struct ws_serve_hello h;
    memset(&h, 0, sizeof h);
    h.magic = WS_SERVE_MAGIC;
    WS_NO_MERGE(); /* (see start_served()) */
    h.version = WS_SERVE_VERSION;
    h.nbufs = ws_sh->nbufs;
    h.pid = (int32_t)ws_sh->pid;
    h.closing = 1;
    size_t text_len = ws_sh->exe_len + ws_sh->args_len;
    h.head_len = (uint32_t)(offsetof(struct ws_shared, text) + text_len);
    struct iovec iov[3] = {
        {&h, sizeof h}, {ws_sh, offsetof(struct ws_shared, text)}, {text, text_len}};
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = 3};
    int s = connect_record(sock);
    if (s < 0) return -1;
    ssize_t sent = ws_sys(SYS_sendmsg, s, &m, MSG_NOSIGNAL);
    ws_sys(SYS_close, s);
    return sent == (ssize_t)(sizeof h + h.head_len) ? 0 : -1;
}

/* ---- process ---- */

void ws_flusher_process(pid_t pid) __attribute__((noreturn));

/* The middle process shares the program's memory, so it runs on a stack
 * of its own; it only makes the flusher and exits. */
static WS_BIG char mid_stack[16384] __attribute__((aligned(64)));

static int mid_start(void *arg)
{
    long pid = real_syscall(SYS_clone, 0L /* no exit signal */, 0L, 0L, 0L, 0L);
    if (pid == 0) ws_flusher_process(*(pid_t *)arg); /* it creates the log */
    return pid < 0 ? 1 : 0;
}

static int start_process(void)
{
    /* Made twice, with no exit signal: the flusher is not the program's
     * child, so neither the program's wait(), whatever its flags, nor an
     * image that replaces the program by exec ever sees it or its end.
     * The middle process shares the program's memory and the program waits
     * until it is gone (CLONE_VM | CLONE_VFORK): only the flusher copies
     * the program's page tables, once.  It takes no signal: a handler of
     * the program's would run in it, on the program's memory. */
    pid_t self = ws_sh->pid;
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int mid = clone(mid_start, mid_stack + sizeof mid_stack, CLONE_VM | CLONE_VFORK, &self);
    int err = errno;
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (mid < 0) {
        snprintf(ws_why, sizeof ws_why, "cannot make the flusher process (errno %d)", err);
        return -1;
    }
    int status = 1;
    while (waitpid((pid_t)mid, &status, __WALL) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(ws_why, sizeof ws_why, "cannot make the flusher process");
        return -1;
    }
    return 0;
}

/* ---- thread ---- */

void *ws_flusher_thread(void *arg);

static int start_thread(void)
{
    if (ws_flusher_init() != 0) return -1;
    atomic_store(&ws_sh->flusher_started, 0);
    /* It shares the program's fd table until it has one of its own: set
     * before it runs, and mostly before the program's threads do
     * (logfile.c). */
    atomic_store(&ws_fds_shared, 1);
    /* The thread takes no signal: they are the program's. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 1u << 20);
    pthread_t t;
    int r = real_pthread_create(&t, &attr, ws_flusher_thread, NULL);
    pthread_attr_destroy(&attr);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (r != 0) {
        snprintf(ws_why, sizeof ws_why, "cannot make the flusher thread (errno %d)", r);
        return -1;
    }
    /* It says whether it could open the log (ws_why if not). */
    wait_for(&ws_sh->flusher_started, 0, 1);
    return atomic_load(&ws_sh->flusher_started) == 1 ? 0 : -1;
}

/* Starts the flusher of this process (at start and in the child of fork)
 * where it belongs (see above); 0, or -1 with ws_why set. */
int ws_flusher_start(void)
{
    /* Why record could not serve it, while the other ways are tried.  Not
     * on the stack: a fork child's first event, which starts its flusher,
     * may be a signal handler's on a small alternate stack; one start at
     * a time, with the region's pending word or the constructor.  Written
     * only when the served start failed: a page of .lbss that every
     * served start wrote cost each a page fault. */
    WS_BIG static char served_why[sizeof ws_why];
    const char *sock = ws_serve_sock;
    int r = -1, served_failed = 0;
    if (sock && *sock) {
        r = start_served(sock);
        if (r == 0) {
            ws_mode = WS_FLUSHER_SERVED;
        } else {
            memcpy(served_why, ws_why, sizeof served_why);
            served_failed = 1;
        }
    }
    if (r != 0 && ws_reaper_line) {
        r = start_thread();
        if (r == 0) ws_mode = WS_FLUSHER_THREAD;
    } else if (r != 0) {
        r = start_process();
        if (r == 0) ws_mode = WS_FLUSHER_PROCESS;
    }
    if (r != 0 && served_failed && served_why[0]) { /* both reasons */
        size_t n = strlen(ws_why);
        snprintf(ws_why + n, sizeof ws_why - n, "; before that, %s", served_why);
    }
    real_close(ws_region_fd);
    ws_region_fd = -1;
    return r;
}

/*
 * A served program that recorded events makes sure, before its image
 * ends, that they have a flusher: record's (it waits at most ms for the
 * answer), or, when record refused or did not answer, one it starts now,
 * which writes all it recorded.  -1 when there is none: nobody will write
 * its events.
 */
static int settle_served(int ms)
{
    if (ws_mode != WS_FLUSHER_SERVED || ws_slots_used() == 0 || served_answer(ms) == 0) return 0;
    int r;
    if (ws_reaper_line || ws_reaps_orphans(ws_sh->pid)) { /* it became one since its start */
        r = start_thread();
        if (r == 0) ws_mode = WS_FLUSHER_THREAD;
    } else {
        r = start_process();
        if (r == 0) ws_mode = WS_FLUSHER_PROCESS;
    }
    if (r != 0) { /* (WHYSLOW_DEBUG says why) */
        atomic_store(&ws_on, 0);
        ws_quiet(ws_why);
    }
    return r;
}

/* Whether record is still there: 1, -1 when it is gone, 0 when the
 * process cannot tell. */
static int record_there(void)
{
    if (!record_pid) return 0;
    if (ws_sys(SYS_kill, record_pid, 0) == 0) return 1;
    return errno == ESRCH ? -1 : 0;
}

/*
 * The end (exit, _exit) of a served program that recorded events, once it
 * gave its flusher what it would read in /proc, if it could (given,
 * give_proc()): 0 when its events will be written, -1 when nobody will.
 *
 * A flusher took its region already; or its hello went as record will
 * judge it (hello_sure) and record is still there, and the program says
 * it goes without waiting for the answer, by compare-and-swap on the word
 * (WS_SERVE_LEFT): a flusher takes such a region as any other, and all it
 * needs is in it, which record's copy of the memfd keeps once the program
 * is gone.  The answer it did not wait for came after record's next look
 * at its socket and a flusher's hand-over: a short process that recorded
 * events (cat, a compiler's driver) waited 1.2 to 1.9 ms for it.  Should
 * record refuse it all the same (out of processes or memory), record
 * counts it as not recorded.  Otherwise it waits for the answer
 * (settle_served()); not at all when record is gone.
 */
static int settle_end(int given)
{
    _Atomic int32_t *w = &ws_sh->serve.word;
    int32_t now = atomic_load(w);
    if (now == WS_SERVED) return 0;
    int there = now == WS_SERVE_PENDING ? record_there() : 0;
    if (there > 0 && hello_sure && given && atomic_compare_exchange_strong(w, &now, WS_SERVE_LEFT))
        return 0;
    return settle_served(there < 0 ? 0 : WS_SERVE_TIMEOUT_MS);
}

/*
 * What a served flusher reads of the program in /proc at its end (its
 * memory map, for the code addresses of its events; its threads' names),
 * read by the program itself and put in its head, after its command line
 * (own_maps_len, internal.h): then the program need not wait until the
 * flusher has read them before it goes.  That wait cost each short
 * process of a build two context switches, a wake-up of the flusher
 * while both CPUs were busy, and often a move to the other CPU (its
 * exit's TLB flush then interrupts that CPU too).  0 when all of it is
 * there; -1 when it does not fit or cannot be read: the program waits as
 * before.
 */
static int give_proc(void)
{
    size_t off = (size_t)ws_sh->exe_len + ws_sh->args_len;
    if (off >= WS_TEXT_MAX) return -1;
    size_t room = WS_TEXT_MAX - off;
    char *text = ws_sh->text + off;
    size_t n = ws_read_file("/proc/self/maps", text, room);
    if (n == 0 || n == room) return -1; /* unreadable, or maybe cut */
    size_t at = (n + 3) & ~(size_t)3;
    pid_t self = (pid_t)ws_sys(SYS_gettid);
    uint32_t names = 0;
    for (unsigned i = 0, used = ws_slots_used(); i < used; i++) {
        struct ws_thread *t = &ws_threads[i];
        uint32_t serial = atomic_load((_Atomic uint32_t *)&t->serial);
        pid_t tid = t->tid;
        if (serial == 0) continue;
        if (at + sizeof(struct ws_given_name) > room) return -1;
        /* (its newline, if any, the flusher drops, as /proc's) */
        struct ws_given_name g = {.slot = i, .serial = serial, .tid = tid};
        if (tid == self) {
            ws_sys(SYS_prctl, PR_GET_NAME, g.name);
        } else {
            char path[48];
            strcpy(ws_put_dec(stpcpy(path, "/proc/self/task/"), (unsigned)tid), "/comm");
            ws_read_file(path, g.name, sizeof g.name);
        }
        if (!g.name[0]) continue; /* gone: the flusher tries /proc */
        memcpy(text + at, &g, sizeof g);
        at += sizeof g;
        names++;
    }
    ws_sh->own_names = names;
    atomic_store_explicit(&ws_sh->own_maps_len, (uint32_t)n, memory_order_release);
    return 0;
}

/*
 * The program's image ends by exit, _exit or exec: post how, and wait
 * until the flusher wrote everything (or died).  Not in a vfork() child:
 * it shares our memory but is another process, and the parent's log is
 * the parent's.
 */
WS_EVERY_PROCESS void ws_flusher_end(int end_kind, int64_t status)
{
    /* A fork child, or an image, that recorded nothing: an exec leaves
     * no log of this image (the new one makes its own), an exit one
     * saying how it ended (an image's from its head: init.c). */
    if (atomic_load(&ws_fork_pending) && ws_end_pending(end_kind, status) == 0) return;
    if (!atomic_load(&ws_on) || ws_getpid() != ws_sh->pid || atomic_load(&ws_sh->stopped)) return;
    int saved = errno;
    /* A served image that ends by exit or _exit settles with record once
     * it gave its flusher what it can (below). */
    int served_exit = ws_mode == WS_FLUSHER_SERVED && end_kind != WS_END_EXEC;
    if (!served_exit) settle_served(WS_SERVE_TIMEOUT_MS);
    if (!atomic_load(&ws_on)) {
        errno = saved;
        return;
    }
    ws_sh->end_status = status;
    ws_sh->end_ts = ws_now();
    if (end_kind == WS_END_EXEC) {
        atomic_store(&ws_sh->end_kind, end_kind);
        if (ws_mode == WS_FLUSHER_THREAD) { /* it dies with the image */
            uint32_t req = atomic_fetch_add(&ws_sh->sync_req, 1) + 1;
            ws_flusher_wake();
            wait_for(&ws_sh->sync_done, req, 0);
        } else {
            ws_flusher_wake();
            /* A served flusher may not have read the program's map yet
             * (flusher.c): the events of this image name their code by
             * it, so the program waits until it has (it reads it as soon
             * as it sees the exec posted). */
            if (ws_mode == WS_FLUSHER_SERVED && ws_slots_used() > 0)
                wait_for(&ws_sh->maps_seen, 0, 1);
        }
        errno = saved;
        return;
    }
    /* Later calls on any thread pass straight through. */
    atomic_store(&ws_on, 0);
    ws_all_busy();
    int wrote = ws_slots_used() > 0;
    int given = served_exit && wrote && give_proc() == 0;
    if (served_exit && wrote && settle_end(given) != 0) {
        errno = saved;
        return;
    }
    atomic_store(&ws_sh->end_kind, end_kind);
    ws_flusher_wake();
    /* A served flusher is `whyslow record`'s child, and record waits for
     * it before it exits: the program gave it what it would read in /proc
     * (give_proc()), or waits while the flusher reads it there.  A flusher
     * thread dies with the program, which waits until all is written; so
     * does a program with a flusher process, which may end with it (see
     * above).  A program that recorded no event (the shortest processes of
     * a build or a script) has nothing to lose, and does not wait for a
     * flusher process or a served one: at worst its log would lack how it
     * ended. */
    if (ws_mode == WS_FLUSHER_THREAD || (ws_mode == WS_FLUSHER_PROCESS && wrote))
        wait_for(&ws_sh->done, 0, 1);
    else if (ws_mode == WS_FLUSHER_SERVED && wrote && !given) /* then record answered: served */
        wait_for(&ws_sh->proc_read, 0, 1);
    errno = saved;
}

/* exec failed: the program goes on, and so does the flusher. */
void ws_flusher_exec_failed(void)
{
    if (atomic_load(&ws_on) && ws_getpid() == ws_sh->pid) atomic_store(&ws_sh->end_kind, 0);
}
