/* SPDX-License-Identifier: MIT */
/*
 * init.c - the recorder's life: configuration, start, fork, and the end.
 *
 * Start (the library's constructor): read the environment, find the real
 * functions, set up the buffers and start the flusher (launch.c).  If any
 * step fails the library stays out of the way: ws_on stays 0 and every
 * wrapper only calls the real function; with WHYSLOW_DEBUG set, it says
 * why on stderr, naming the path and the system's error.  Under
 * secure-exec (setuid, setgid, capabilities) it does nothing at all.
 *
 * Environment:
 *   WHYSLOW_DIR       where logs go (default ./whyslow.data, made absolute;
 *                     checked: logfile.c)
 *   WHYSLOW_FLUSH_MS  how often buffers being filled are written (100;
 *                     1 to 60000)
 *   WHYSLOW_LOCKS     "all": record every lock acquisition and release
 *   WHYSLOW_REDACT    what the log must not hold, a comma-separated list:
 *                     "sql" (literals in SQL text become ?), "argv" (the
 *                     arguments of processes become ?), "url" (request
 *                     paths and query strings, once requests are recorded)
 *   WHYSLOW_SQL       "redact": the old name of WHYSLOW_REDACT=sql
 *   WHYSLOW_DISABLE   set and not "0": record nothing
 *   WHYSLOW_BUFFER_MB the buffer pool (64 MiB, 1 to 65536, of which only
 *                     what is used takes memory)
 *   WHYSLOW_STACK_MS  events at least this long keep their call stack
 *                     (1; fractions allowed; 0: none; at most 3600000)
 *   WHYSLOW_CLOCK     "monotonic": stamp with CLOCK_MONOTONIC, not rdtsc
 *   WHYSLOW_JIT_MAP   "record": set by `whyslow record` when it asked Node
 *                     for a perf map, which the flusher removes once copied
 *   WHYSLOW_PYTHON    "off": do not read a CPython program's frames
 *                     (pyframes.c): its sites name the interpreter's C code
 *   WHYSLOW_DEBUG     set: say on stderr why tracing is off
 *   WHYSLOW_SOCK      set by `whyslow record`: its socket (launch.c)
 *   WHYSLOW_REAPER    set by a traced process that reaps orphans, for
 *                     the traced processes below it (launch.c)
 *   WHYSLOW_HOST      set by `whyslow record` when it loads this library
 *                     to serve flushers: record nothing of it
 * A value that is not valid is reported with WHYSLOW_DEBUG (and by
 * `whyslow record`, which refuses to start), and its default is used.
 */
#include <dlfcn.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include "internal.h"
#include "whyslow/serve.h"

WS_HOT _Atomic int ws_on;
/* The constructor has read the settings, or found it has none to read. */
_Atomic int ws_settled WS_START_RW;
/* (WS_START_RW: every traced start reads or writes them) */
int ws_hands_off WS_START_RW;
int ws_debug WS_START_RW;
int ws_redact_sql WS_START_RW;
int ws_redact_argv WS_START_RW;
int ws_jit_map_ours WS_START_RW;
WS_HOT int ws_locks_all;
unsigned ws_flush_ms = 100;
/* WHYSLOW_DIR made absolute (read_dir()): most fit the short buffer, in
 * the .bss a start touches anyway; the long one is a page of its own,
 * which every traced process would otherwise fault in to copy a path. */
static char dir_short[256];
WS_BIG static char dir_long[4096];
const char *ws_dir = dir_short;
extern int64_t ws_exit_status;
static unsigned nbufs;
static uint64_t stack_ns; /* WHYSLOW_STACK_MS */

#define REAPER_ENV "WHYSLOW_REAPER"

/* glibc's, behind pthread_atfork() (whyslow_start()). */
extern int __register_atfork(void (*prepare)(void), void (*parent)(void), void (*child)(void),
                             void *dso_handle);
extern void *__dso_handle;

void ws_quiet(const char *why)
{
    /* Asked only with WHYSLOW_DEBUG: getpid() is a page of libc's text
     * that a disabled process would otherwise fault in for nothing. */
    if (ws_debug) ws_quiet_pid(getpid(), why);
}

void ws_quiet_pid(pid_t pid, const char *why)
{
    if (ws_debug) {
        char msg[768];
        int n = snprintf(msg, sizeof msg, "whyslow: not tracing pid %d: %s\n", (int)pid, why);
        if (n > 0) real_write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    }
}

/* Says, with WHYSLOW_DEBUG, that a setting was not valid. */
static void bad_setting(char *msg, size_t len, const char *name, const char *value,
                        const char *want)
{
    size_t n = strlen(msg);
    snprintf(msg + n, len - n, "%s%s=%s is not valid (%s)", n ? "; " : "", name, value, want);
}

WS_EVERY_PROCESS static unsigned env_uint(const char *name, unsigned dflt, unsigned min,
                                          unsigned max, char *msg, size_t len)
{
    const char *s = getenv(name);
    if (!s || !*s) return dflt;
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || errno || s[0] == '-' || v < min || v > max) {
        char want[64];
        snprintf(want, sizeof want, "a whole number from %u to %u", min, max);
        bad_setting(msg, len, name, s, want);
        return dflt;
    }
    return (unsigned)v;
}

/* A duration given in ms, fractions allowed ("0.5"), in ns.  (In whole
 * numbers until one is given: a double's constants are read from .rodata,
 * a page the start of a traced process need not touch.) */
WS_EVERY_PROCESS static uint64_t env_ms_as_ns(const char *name, uint64_t dflt_ns, char *msg,
                                              size_t len)
{
    const char *s = getenv(name);
    if (!s || !*s) return dflt_ns;
    char *end;
    double v = strtod(s, &end);
    if (*end || !(v >= 0 && v <= 3600000)) {
        bad_setting(msg, len, name, s, "milliseconds from 0 to 3600000");
        return dflt_ns;
    }
    return (uint64_t)(v * 1e6);
}

/* WHYSLOW_REDACT: a list of sql, argv, url. */
WS_EVERY_PROCESS static void env_redact(char *msg, size_t len)
{
    const char *s = getenv(WS_START_STR("WHYSLOW_REDACT"));
    ws_redact_sql = ws_redact_argv = ws_redact_url = 0;
    for (const char *p = s; p && *p;) {
        size_t n = strcspn(p, ",");
        if (n == 3 && memcmp(p, "sql", 3) == 0)
            ws_redact_sql = 1;
        else if (n == 4 && memcmp(p, "argv", 4) == 0)
            ws_redact_argv = 1;
        else if (n == 3 && memcmp(p, "url", 3) == 0)
            ws_redact_url = 1;
        else if (n > 0)
            bad_setting(msg, len, "WHYSLOW_REDACT", s, "a list of sql, argv and url");
        p += n + (p[n] == ',');
    }
    const char *old = getenv(WS_START_STR("WHYSLOW_SQL"));
    if (old && strcmp(old, WS_START_STR("redact")) == 0) ws_redact_sql = 1;
}

/* Reads the settings; what was not valid goes to msg. */
WS_EVERY_PROCESS static void read_settings(char *msg, size_t len)
{
    const char *s;
    msg[0] = 0;
    ws_locks_all =
        (s = getenv(WS_START_STR("WHYSLOW_LOCKS"))) && strcmp(s, WS_START_STR("all")) == 0;
    ws_http_on =
        !((s = getenv(WS_START_STR("WHYSLOW_HTTP"))) && strcmp(s, WS_START_STR("off")) == 0);
    ws_jit_map_ours =
        (s = getenv(WS_START_STR("WHYSLOW_JIT_MAP"))) && strcmp(s, WS_START_STR("record")) == 0;
    env_redact(msg, len);
    ws_flush_ms = env_uint(WS_START_STR("WHYSLOW_FLUSH_MS"), 100, 1, 60000, msg, len);
    stack_ns = env_ms_as_ns(WS_START_STR("WHYSLOW_STACK_MS"), 1000000, msg, len); /* 0: none */
    nbufs = env_uint(WS_START_STR("WHYSLOW_BUFFER_MB"), 64, 1, 65536, msg, len) *
            (1024 * 1024 / WS_BUF_SIZE);
}

WS_EXPORT int whyslow_settings(char *msg, size_t len)
{
    read_settings(msg, len);
    return msg[0] ? -1 : 0;
}

void ws_load_settings(void)
{
    ws_flush_ms = ws_sh->flush_ms ? ws_sh->flush_ms : 100;
    ws_locks_all = ws_sh->locks_all;
    ws_redact_sql = ws_sh->redact_sql;
    ws_redact_argv = ws_sh->redact_argv;
    ws_clock_tsc = ws_sh->clock_tsc; /* its timestamps are the program's kind */
}

/* cwd "/" s (s alone when cwd is empty) into dst; -1 when it does not
 * fit.  (Not snprintf: libc's printf is three pages a traced process
 * would fault in for it.) */
static int dir_join(char *dst, size_t cap, const char *cwd, const char *s)
{
    size_t c = strlen(cwd), n = strlen(s), sep = c > 0;
    if (c + sep + n >= cap) return -1;
    memcpy(dst, cwd, c);
    if (sep) dst[c] = '/';
    memcpy(dst + c + sep, s, n + 1);
    return 0;
}

/* WHYSLOW_DIR, made absolute; -1 with ws_why set. */
static int read_dir(void)
{
    const char *s = getenv(WS_START_STR("WHYSLOW_DIR"));
    if (!s || !*s) s = WS_START_STR("whyslow.data");
    const char *cwd = WS_START_STR("");
    char cwd_buf[2048];
    if (s[0] != '/') {
        if (!getcwd(cwd_buf, sizeof cwd_buf)) {
            snprintf(ws_why, sizeof ws_why, "cannot know the current directory for %s: %s", s,
                     strerror(errno));
            return -1;
        }
        cwd = cwd_buf;
    }
    if (dir_join(dir_short, sizeof dir_short, cwd, s) == 0)
        ws_dir = dir_short;
    else if (dir_join(dir_long, sizeof dir_long, cwd, s) == 0)
        ws_dir = dir_long;
    else
        goto too_long;
    /* Made here if missing, then checked (logfile.c); not when `whyslow
     * record` serves the process, which did both before it started. */
    if (ws_serve_sock[0]) return 0;
    int fd = ws_logdir_open(ws_dir, 1);
    if (fd < 0) return -1;
    ws_sys(SYS_close, fd);
    return 0;
too_long:
    snprintf(ws_why, sizeof ws_why, "WHYSLOW_DIR is too long");
    return -1;
}

static void note_reaper(pid_t self);

/*
 * An image makes its region, and sends its hello or starts its flusher,
 * at its first event too, not at its start: most processes of a build or
 * a script record nothing (true, cmake -E, as, whose stdio calls stay
 * inside libc), and under `whyslow record` the region, its first pages
 * and the hello cost each of them some 300 us on a virtual machine whose
 * page tables the hypervisor shadows, and its flusher as much again; a
 * flusher of its own, cloned from it, 2 to 4 ms.  Until then ws_sh is
 * pending_head, a head of our own that no one else reads, and what the
 * log will say of the start is kept as it was then (its clocks and
 * parent here, its arguments and directory in launch.c); if the image
 * ends by exit or _exit first, that head, filled in, is its log: sent to
 * record in a closing hello (launch.c), or written by the process itself
 * (closelog.c).  An exec leaves no log of it, as of a fork child (below).
 * One killed before its first event has no log.
 */
static pid_t pending_pid; /* the image whose region waits, 0: none */
static struct ws_start pending_start;
static struct ws_shared pending_head WS_START_RW; /* its fields: no text (launch.c) */

/* The real functions, found once (real.c), and our own calls bound
 * (bind.c): by the constructor of a process that records from its start,
 * by the first event of one whose region waits (an image, or the child
 * of such an image's fork), which most short ones never make. */
static int resolved;

static void resolve(void)
{
    if (resolved) return;
    ws_resolve();
    ws_bind_calls();
    resolved = 1;
}

/*
 * The child of fork(): a region, a log and a flusher of its own, made at
 * its first event rather than here.  Most children of a shell, make or a
 * test runner call exec at once and record nothing before it: making a
 * region and starting a flusher for an image that ends a moment later
 * cost each of them some 100 us, and the flusher's reading of /proc more.
 * Until then the parent's region stays mapped (shared with the parent,
 * which goes on using it) but is never written here: ws_enter_slow() and
 * ws_lose() look at ws_fork_pending first, ws_flusher_end() makes the
 * region at an exit (the process then has a log saying how it ended) and
 * passes an exec by (the new image makes its own).  The child may be a
 * reaper where its parent was not: the first process of a new pid
 * namespace.
 */
_Atomic int ws_fork_pending;          /* 1: to make; 2: being made */
static pid_t pending_owner;           /* the process whose region it is (not a vfork child) */
static _Atomic uint64_t pending_lost; /* events lost while it was made */

static void fork_child(void)
{
    if (!atomic_load(&ws_on)) return;
    int saved = errno;
    /* Only what a child that records nothing needs: every page of ours it
     * writes is a copy made for it (a 14 us fault on a virtual machine),
     * every page of code it runs a fault too, and every system call a
     * microsecond or two, before an exec that makes them all moot.  The
     * rest waits for ws_fork_setup(). */
    ws_thread_internal(); /* until the child has its own region (TLS: copied already) */
    ws_guard_forget();    /* (writes only where a guarded log fd was open) */
    atomic_store(&ws_fork_pending, 1);
    pending_owner = ws_getpid();
    ws_me.self = NULL; /* its next call goes to ws_enter_slow() */
    /* A child's region says when it was made, and /proc its arguments; it
     * has lost nothing of its own yet.  (Looked at first: a page written
     * here is a page copied.) */
    if (pending_pid) pending_pid = 0;
    if (ws_start_argv) ws_forget_start();
    if (atomic_load(&pending_lost)) atomic_store(&pending_lost, 0);
    errno = saved;
}

/* Blocks the program's signals while the region is made or a closing
 * hello sent (a few hundred us at most): a handler that ran then, on this
 * thread, and called exit, _exit, exec or fork, would never return to
 * what was half done (two flushers, or none; a child with its parent's
 * region).  They are delivered when it is done.  Held before the pending
 * word is taken, not after: a handler that ran between the two found the
 * word taken by the thread it interrupted, waited a second for it in
 * vain, and its _exit left no log. */
static void hold_signals(sigset_t *old)
{
    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, old);
}

/* Takes the pending word (1 -> 2) with the signals held, old the mask to
 * restore: 1 when taken; else the mask is back and *was says what the
 * word was (0: the region is made; 2: another thread is making it). */
static int take_pending(sigset_t *old, int *was)
{
    hold_signals(old);
    int expect = 1;
    if (atomic_compare_exchange_strong(&ws_fork_pending, &expect, 2)) return 1;
    pthread_sigmask(SIG_SETMASK, old, NULL);
    *was = expect;
    return 0;
}

/* Makes the region and starts the flusher (the setup proper, with the
 * pending word taken and the signals held, old the mask to restore); 0
 * when the caller may record. */
static int setup(const sigset_t *old)
{
    int saved = errno;
    /* Starting the flusher (its socket, its hello) is not the program's
     * doing: the thread records again only after. */
    struct ws_thread *self = ws_me.self;
    int busy = ws_me.busy;
    ws_thread_internal();
    resolve();
    if (!pending_pid) {
        ws_fd_forget_all(); /* the child's log names its fds itself */
        ws_py_fork_child(); /* and its code objects */
        note_reaper(ws_getpid());
    }
    if (ws_shared_create(nbufs, pending_pid ? &pending_start : NULL) != 0) {
        atomic_store(&ws_on, 0);
        ws_quiet(ws_why);
    } else if ((ws_thread_internal(), ws_flusher_start()) != 0) { /* the region reset ws_me.self */
        atomic_store(&ws_on, 0);
        ws_quiet(ws_why);
    }
    pending_pid = pending_owner = 0;
    ws_forget_start(); /* (kept for the hello or the closing log) */
    atomic_store(&ws_fork_pending, 0);
    uint64_t lost = atomic_exchange(&pending_lost, 0);
    if (lost && atomic_load(&ws_on)) atomic_fetch_add(&ws_sh->lost, lost);
    ws_me.self = self;
    ws_me.busy = busy;
    pthread_sigmask(SIG_SETMASK, old, NULL);
    errno = saved;
    return atomic_load(&ws_on) ? 0 : -1;
}

/* Makes the region and starts its flusher, once; 0 when the caller may
 * record (nothing pending, or made now). */
int ws_fork_setup(void)
{
    /* A vfork child of a process that has no region yet shares its
     * memory: what it records would be that process's, which has no log
     * to put it in before its own first event (counted there). */
    if (pending_owner && ws_getpid() != pending_owner) {
        atomic_fetch_add(&pending_lost, 1);
        return -1;
    }
    int saved = errno, was;
    sigset_t old;
    if (!take_pending(&old, &was)) {
        errno = saved;
        if (was == 0) return 0;
        atomic_fetch_add(&pending_lost, 1); /* another thread is making it */
        return -1;
    }
    return setup(&old);
}

/* Before a call that changes what a process cloned from this one would
 * be (wrap_change.c): the region and the flusher, when they wait, made
 * now, as the start made them.  Not by a vfork child: they would be its
 * parent's, made in its place. */
void ws_setup_before_change(void)
{
    if (!atomic_load(&ws_on) || (pending_owner && ws_getpid() != pending_owner)) return;
    int saved = errno, was;
    sigset_t old;
    /* (another thread making them: waited for, at most 1 s) */
    for (int waited = 0; waited < 1000; waited++) {
        if (take_pending(&old, &was)) {
            setup(&old);
            break;
        }
        if (was == 0) break;
        struct timespec ms = {0, 1000000};
        REAL(nanosleep)(&ms, NULL);
    }
    errno = saved;
}

/* An event lost while the fork child's region is not made counts there. */
void ws_lose_pending(void)
{
    atomic_fetch_add(&pending_lost, 1);
}

/* An image that recorded nothing ends: its log from pending_head, sent
 * to record in a closing hello (launch.c), or written by the process
 * itself when it has no record (closelog.c), and no region; 0 when done.
 * The caller holds the signals (hold_signals()). */
static int end_closing(int end_kind, int64_t status)
{
    ws_head_init(ws_sh, nbufs, &pending_start); /* (ws_sh: pending_head) */
    atomic_store(&ws_sh->lost, atomic_load(&pending_lost));
    ws_sh->end_status = status;
    ws_sh->end_ts = ws_now();
    atomic_store(&ws_sh->end_kind, end_kind);
    return ws_serve_sock[0] ? ws_serve_closing() : ws_write_closing_log();
}

/*
 * The image ends (exit, _exit or exec) while its region is not made, or
 * being made.  Returns 1 when the caller goes on to end it as any (the
 * region is made now), 0 when there is nothing more to do: an exec, which
 * leaves no log of this image; an image's exit, its log from its head
 * (end_closing()); the end of a vfork child, which is not this image's.
 * Another thread that is making the region (never this one: setup()
 * holds its signals) is waited for, at most 1 s.
 */
WS_EVERY_PROCESS int ws_end_pending(int end_kind, int64_t status)
{
    if (!atomic_load(&ws_on) || (pending_owner && ws_getpid() != pending_owner)) return 0;
    int saved = errno;
    struct ws_thread *self = ws_me.self;
    int busy = ws_me.busy;
    ws_thread_internal();
    int r = 0;
    for (int waited = 0;; waited++) {
        int now = atomic_load(&ws_fork_pending);
        if (now == 0) {
            r = 1; /* made meanwhile */
            break;
        }
        if (now == 1 && end_kind == WS_END_EXEC) break; /* exec may fail: the image goes on */
        if (now == 1) {
            sigset_t old;
            int was;
            if (!take_pending(&old, &was)) continue; /* taken or made meanwhile: look again */
            if (pending_pid && end_closing(end_kind, status) == 0) {
                atomic_store(&ws_on, 0); /* later calls, on any thread, pass straight through */
                atomic_store(&ws_fork_pending, 0);
                pthread_sigmask(SIG_SETMASK, &old, NULL);
            } else {
                r = setup(&old) == 0; /* its log says how it ended */
            }
            break;
        }
        if (waited == 1000) break;
        struct timespec ms = {0, 1000000};
        REAL(nanosleep)(&ms, NULL);
    }
    ws_me.self = self;
    ws_me.busy = busy;
    errno = saved;
    return r;
}

/* A program that reaps orphans (PID 1, a subreaper), and any traced one
 * below it, needs a flusher thread (launch.c): say so to its descendants. */
static void note_reaper(pid_t self)
{
    ws_reaper_line |= getenv(WS_START_STR(REAPER_ENV)) != NULL;
    if (!ws_reaper_line && ws_reaps_orphans(self)) {
        ws_reaper_line = 1;
        char pid[16];
        snprintf(pid, sizeof pid, "%d", (int)self);
        /* Safe here: the constructor runs before any thread, and a child
         * of fork() comes here at its first event (ws_fork_setup()),
         * which its first pthread_create() makes before the thread
         * (stack.c): it still has only the one that forked. */
        setenv(REAPER_ENV, pid, 1);
    }
}

/* glibc calls the constructors of a preloaded library with the program's
 * arguments. */
__attribute__((constructor)) static void whyslow_start(int argc, char **argv)
{
    int saved = errno;
    ws_locate(); /* not traced: the real functions are found at their first call (real.c) */
    ws_debug = getenv(WS_START_STR("WHYSLOW_DEBUG")) != NULL;
    if (ws_debug) resolve(); /* ws_quiet() writes */
    /* Loaded by `whyslow record` to serve flushers: nothing of it to trace. */
    if (getenv(WS_START_STR("WHYSLOW_HOST"))) {
        resolve();
        goto out;
    }
    if (getauxval(AT_SECURE)) { /* setuid and the like: hands off */
        ws_hands_off = 1;
        goto out;
    }
    const char *off = getenv(WS_START_STR("WHYSLOW_DISABLE"));
    if (off && *off && strcmp(off, WS_START_STR("0")) != 0) {
        ws_quiet("WHYSLOW_DISABLE is set");
        goto out;
    }
    char bad[512];
    read_settings(bad, sizeof bad);
    if (bad[0]) ws_quiet(bad); /* the defaults are used: tracing goes on */
    ws_note_sock();
    if (read_dir() != 0) {
        ws_quiet(ws_why);
        goto out;
    }
    ws_clock_init();
    const char *clk = getenv(WS_START_STR("WHYSLOW_CLOCK"));
    if (clk && strcmp(clk, WS_START_STR("monotonic")) == 0) ws_clock_tsc = 0;
    pid_t pid = ws_getpid();
    note_reaper(pid);
    if (!ws_reaper_line && ws_walk_ready()) {
        /* The region waits for the first event (above), and the real
         * functions too (resolve()).  (Not a reaper: it must know at its
         * start whether it needs a flusher thread, launch.c.  Nor where
         * the loader's list could not be read: the first event may be a
         * signal handler's, where only reading it is safe.) */
        ws_clock_pair(&pending_start.ts, &pending_start.mono_ns, &pending_start.real_ns, 1);
        pending_start.ppid = ws_getppid();
        ws_sh = &pending_head;
        ws_note_start(argc, argv, ws_serve_sock[0] != 0); /* for the hello, or the closing log */
        pending_pid = pending_owner = pid;
        atomic_store(&ws_fork_pending, 1);
    } else {
        resolve();
        if (ws_shared_create(nbufs, NULL) != 0) {
            ws_quiet(ws_why);
            goto out;
        }
        ws_note_start(argc, argv, 0);
        int started = ws_flusher_start();
        ws_forget_start(); /* in the child of fork(), /proc says them */
        if (started != 0) {
            ws_quiet(ws_why);
            goto out;
        }
    }
    /* What pthread_atfork() does: its code is a stub linked at the end of
     * our text, a page the start would fault in for that call alone. */
    if (__register_atfork(NULL, NULL, fork_child, &__dso_handle) != 0) goto out;
    ws_stack_init(stack_ns); /* after the region: it measures from its start */
    atomic_store_explicit(&ws_on, 1, memory_order_release);
    const char *py = getenv(WS_START_STR("WHYSLOW_PYTHON"));
    ws_py_init(py && strcmp(py, WS_START_STR("off")) == 0); /* which CPython, if one: a record */
out:
    /* Not all found (disabled, or waiting for its first event): those
     * its children need now, while the tables are at hand
     * (real.c).  Only from the list read, which needs no dlsym. */
    if (!resolved && !ws_hands_off && ws_walk_ready()) ws_resolve_child_calls();
    atomic_store_explicit(&ws_settled, 1, memory_order_release); /* (wrap_lock.c) */
    /* CPython's own mutexes (the GIL's): see bypass.c.  Also when not
     * recording: our wrappers would only slow them down. */
    const void *runtime = ws_lookup(WS_START_STR("_PyRuntime"));
    if (runtime) ws_bypass_locks_of(runtime); /* (none: its code's page stays untouched) */
    errno = saved;
}

/* After the program's own destructors: a preloaded library is finalized
 * among the last. */
__attribute__((destructor)) static void whyslow_stop(void)
{
    ws_flusher_end(WS_END_EXIT, ws_exit_status);
}
