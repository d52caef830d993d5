/*
 * init.c - the recorder's life: configuration, start, fork, and the end.
 *
 * Start (the library's constructor): read the environment, find the real
 * functions, set up the buffers, create the log and start the flusher.  If
 * any step fails the library stays out of the way: ws_on stays 0 and every
 * wrapper only calls the real function.  Under secure-exec (setuid,
 * setgid, capabilities) it does nothing at all.
 *
 * Environment:
 *   WHYSLOW_DIR       where logs go (default ./whyslow.data, made absolute)
 *   WHYSLOW_FLUSH_MS  how often buffers being filled are written (100)
 *   WHYSLOW_LOCKS     "all": record every lock acquisition and release
 *   WHYSLOW_SQL       "redact": literals in SQL text are replaced by ?
 *                     before the text reaches the log
 *   WHYSLOW_DISABLE   set and not "0": record nothing
 *   WHYSLOW_BUFFER_MB the buffer pool (64 MiB, of which only what is
 *                     used takes memory)
 *   WHYSLOW_STACK_MS  events at least this long keep their call stack
 *                     (1; fractions allowed; 0: none)
 *   WHYSLOW_CLOCK     "monotonic": stamp with CLOCK_MONOTONIC, not rdtsc
 *   WHYSLOW_DEBUG     set: say on stderr why tracing is off
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>

#include "internal.h"

_Atomic int ws_on;
int ws_hands_off;
int ws_debug;
int ws_sql_redact;
int ws_locks_all;
unsigned ws_flush_ms = 100;
char ws_dir[4096];
extern int64_t ws_exit_status;
static unsigned nbufs;
static double stack_ms; /* WHYSLOW_STACK_MS */

void ws_quiet(const char *why)
{
    if (ws_debug) {
        char msg[256];
        int n = snprintf(msg, sizeof msg, "whyslow: not tracing pid %d: %s\n", (int)getpid(), why);
        if (n > 0) real_write(2, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    }
}

static unsigned env_uint(const char *name, unsigned dflt, unsigned min, unsigned max)
{
    const char *s = getenv(name);
    if (!s || !*s) return dflt;
    char *end;
    unsigned long v = strtoul(s, &end, 10);
    if (*end || v < min || v > max) return dflt;
    return (unsigned)v;
}

/* A duration in ms, fractions allowed ("0.5"); dflt when unset or bad. */
static double env_ms(const char *name, double dflt)
{
    const char *s = getenv(name);
    if (!s || !*s) return dflt;
    char *end;
    double v = strtod(s, &end);
    return *end || !(v >= 0 && v <= 3600000) ? dflt : v;
}

static int read_config(void)
{
    const char *s = getenv("WHYSLOW_DISABLE");
    if (s && *s && strcmp(s, "0") != 0) return -1;
    ws_locks_all = (s = getenv("WHYSLOW_LOCKS")) && strcmp(s, "all") == 0;
    ws_sql_redact = (s = getenv("WHYSLOW_SQL")) && strcmp(s, "redact") == 0;
    ws_flush_ms = env_uint("WHYSLOW_FLUSH_MS", 100, 1, 60000);
    stack_ms = env_ms("WHYSLOW_STACK_MS", 1.0); /* 0: no stacks */
    nbufs = env_uint("WHYSLOW_BUFFER_MB", 64, 1, 65536) * (1024 * 1024 / WS_BUF_SIZE);
    s = getenv("WHYSLOW_DIR");
    if (!s || !*s) s = "whyslow.data";
    if (s[0] == '/') {
        if (strlen(s) >= sizeof ws_dir) return -1;
        strcpy(ws_dir, s);
    } else {
        char cwd[2048];
        if (!getcwd(cwd, sizeof cwd)) return -1;
        if ((size_t)snprintf(ws_dir, sizeof ws_dir, "%s/%s", cwd, s) >= sizeof ws_dir) return -1;
    }
    if (mkdir(ws_dir, 0755) != 0 && errno != EEXIST) return -1;
    return 0;
}

/* The child of fork(): a region, a log and a flusher of its own.  The
 * parent's region stays mapped (shared with the parent, which goes on
 * using it) but is never written here. */
static void fork_child(void)
{
    if (!atomic_load(&ws_on)) return;
    int saved = errno;
    ws_thread_internal(); /* until the child has its own region */
    if (ws_shared_create(nbufs) != 0 || ws_flusher_start() != 0) {
        atomic_store(&ws_on, 0);
        ws_quiet("cannot start in the child of fork");
    }
    errno = saved;
}

__attribute__((constructor)) static void whyslow_start(void)
{
    int saved = errno;
    ws_resolve();
    ws_debug = getenv("WHYSLOW_DEBUG") != NULL;
    if (getauxval(AT_SECURE)) { /* setuid and the like: hands off */
        ws_hands_off = 1;
        goto out;
    }
    if (read_config() != 0) {
        ws_quiet("disabled, or WHYSLOW_DIR unusable");
        goto out;
    }
    ws_clock_init();
    const char *clk = getenv("WHYSLOW_CLOCK");
    if (clk && strcmp(clk, "monotonic") == 0) ws_clock_tsc = 0;
    if (ws_shared_create(nbufs) != 0 || ws_flusher_init() != 0) {
        ws_quiet("out of memory");
        goto out;
    }
    if (ws_flusher_start() != 0) {
        ws_quiet("cannot create the log or the flusher");
        goto out;
    }
    if (pthread_atfork(NULL, NULL, fork_child) != 0) goto out;
    ws_stack_init(stack_ms); /* after the region: it measures from its start */
    atomic_store_explicit(&ws_on, 1, memory_order_release);
out:
    /* CPython's own mutexes (the GIL's): see bypass.c.  Also when not
     * recording: our wrappers would only slow them down. */
    ws_bypass_locks_of(dlsym(RTLD_DEFAULT, "_PyRuntime"));
    errno = saved;
}

/* After the program's own destructors: a preloaded library is finalized
 * among the last. */
__attribute__((destructor)) static void whyslow_stop(void)
{
    ws_flusher_end(WS_END_EXIT, ws_exit_status);
}
