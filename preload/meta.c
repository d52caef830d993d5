/* SPDX-License-Identifier: MIT */
/*
 * meta.c - the metadata records of a log (WS_META_* in format.h): who the
 * process is and the title it gives itself, its clocks, its memory map,
 * its counters and how it ended.
 *
 * Records are appended to a growing META payload that the flusher
 * compresses into a META chunk.  This runs in the flusher process, which
 * reads what it needs of the program in /proc/<pid>.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "internal.h"
#include "meta.h"

static uint8_t *meta; /* the pending META payload */
static size_t meta_len;
static size_t meta_cap;
static uint8_t *scratch;    /* one record while it is built */
static uint64_t maps_hash;  /* of the file mappings last written */
static uint64_t lost_last;  /* the events lost, as last written */
static uint64_t args_hash;  /* of the command line as last written */
static uint64_t region_ino; /* of the region's memfd (ws_meta_region()); 0: not known */
#define META_CAP (8u << 20)
_Static_assert(META_CAP <= WS_META_RAW_MAX, "META chunks within the format's limit");

int ws_meta_init(void)
{
    meta_len = 0;
    maps_hash = 0;
    lost_last = 0;
    args_hash = 0;
    if (meta) return 0; /* again in the child of fork(): what is pending is the parent's */
    meta_cap = META_CAP;
    meta = mmap(NULL, meta_cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                -1, 0);
    scratch = mmap(NULL, meta_cap, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return meta == MAP_FAILED || scratch == MAP_FAILED ? -1 : 0;
}

const uint8_t *ws_meta_take(size_t *len)
{
    *len = meta_len;
    meta_len = 0;
    return meta;
}

/* ---- records, laid out as format.h says: for the flusher (below), and
 * for a process that writes its own closing log (closelog.c) ---- */

uint8_t *ws_meta_record(uint8_t *out, unsigned type, const uint8_t *body, const uint8_t *end)
{
    size_t blen = (size_t)(end - body);
    *out++ = (uint8_t)type;
    out = ws_put_uv(out, blen);
    memmove(out, body, blen);
    return out + blen;
}

/* Appends record type with body [scratch, end). */
static void put_record(unsigned type, const uint8_t *end)
{
    size_t blen = (size_t)(end - scratch);
    if (meta_len + blen + 1 + WS_VARINT_MAX > meta_cap) return;
    meta_len = (size_t)(ws_meta_record(meta + meta_len, type, scratch, end) - meta);
}

static uint8_t *put_str(uint8_t *p, const char *s, size_t n)
{
    p = ws_put_uv(p, n);
    memcpy(p, s, n);
    return p + n;
}

size_t ws_read_file(const char *path, char *buf, size_t cap)
{
    /* (a flusher thread in the program's fd table: logfile.c) */
    if (ws_fds_hold() != 0) return 0;
    int fd = REAL(open)(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        ws_fds_release();
        return 0;
    }
    size_t n = 0;
    while (n < cap) {
        ssize_t r = REAL(read)(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        n += (size_t)r;
    }
    REAL(close)(fd);
    ws_fds_release();
    return n;
}

/* A command line's hash, without the NULs that pad it. */
static uint64_t cmdline_hash(const char *s, size_t n)
{
    while (n && s[n - 1] == 0)
        n--;
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (uint8_t)s[i]) * 1099511628211u;
    return h;
}

/* A PROCESS record's body at p: the executable and the command line (its
 * arguments, each ended by a NUL), as /proc says them.  At most
 * 64 + elen + 2 * clen bytes (an empty argument redacted takes two). */
uint8_t *ws_body_process(uint8_t *p, const char *exe, size_t elen, const char *cmdline, size_t clen)
{
    p = ws_put_uv(p, (uint64_t)ws_sh->pid);
    p = ws_put_uv(p, (uint64_t)ws_sh->ppid);
    p = put_str(p, exe, elen);
    unsigned argc = 0;
    for (size_t i = 0; i < clen; i++)
        argc += cmdline[i] == 0;
    if (clen && cmdline[clen - 1] != 0) argc++; /* cut short */
    p = ws_put_uv(p, argc);
    for (size_t i = 0; i < clen;) {
        size_t n = strnlen(cmdline + i, clen - i);
        /* WHYSLOW_REDACT=argv: the arguments, which may hold a password,
         * become "?"; the program's name stays. */
        if (ws_redact_argv && i > 0)
            p = put_str(p, "?", 1);
        else
            p = put_str(p, cmdline + i, n);
        i += n + 1;
    }
    p = ws_put_uv(p, ws_sh->start_real_ns);
    p = ws_put_uv(p, ws_clock_tsc ? WS_CLOCK_TSC : WS_CLOCK_MONOTONIC);
    return ws_put_uv(p, ws_locks_all ? WS_PROC_LOCKS_ALL : 0);
}

uint8_t *ws_body_host(uint8_t *p, const struct utsname *u)
{
    return put_str(p, u->nodename, strnlen(u->nodename, sizeof u->nodename));
}

uint8_t *ws_body_clock(uint8_t *p, uint64_t ts, uint64_t mono_ns, uint64_t real_ns)
{
    p = ws_put_uv(p, ts);
    p = ws_put_uv(p, mono_ns);
    return ws_put_uv(p, real_ns);
}

uint8_t *ws_body_end(uint8_t *p, int kind, int64_t status, uint64_t ts)
{
    p = ws_put_uv(p, (uint64_t)kind);
    p = ws_put_uv(p, ws_zigzag(status));
    return ws_put_uv(p, ts);
}

/* The PROCESS record, then the HOST record. */
static void put_process(const char *exe, size_t elen, const char *cmdline, size_t clen)
{
    args_hash = cmdline_hash(cmdline, clen);
    put_record(WS_META_PROCESS, ws_body_process(scratch, exe, elen, cmdline, clen));
    /* The host, for the tools its spans go to (whyslow export): read here,
     * in the flusher, where it costs the program nothing; once in a
     * served flusher's life, which serves process after process. */
    static struct utsname u;
    static int known;
    if (!known) known = uname(&u) == 0 ? 1 : -1;
    if (known > 0) put_record(WS_META_HOST, ws_body_host(scratch, &u));
}

void ws_meta_process_self(void)
{
    /* A flusher forked from the program (or a thread of it) reads its own
     * exe and arguments, the program's as they were at the fork: by now
     * the program may have exec'd. */
    static WS_BIG char exe[4096], cmdline[WS_ARGS_MAX];
    ssize_t elen = readlink("/proc/self/exe", exe, sizeof exe);
    if (elen < 0) elen = 0;
    put_process(exe, (size_t)elen, cmdline,
                ws_read_file("/proc/self/cmdline", cmdline, sizeof cmdline));
}

/* The file the kernel runs for path: path itself, or the interpreter its
 * "#!" line names (that of a script run by one, up to 4 deep), in out
 * with symbolic links resolved, as /proc/PID/exe says it; 0, or -1. */
/* The last path executable_of() was asked that named no script, its
 * answer, and the identity of the file it named (stat() follows the
 * links: a link that now leads elsewhere, or the file changed, is another
 * identity).  A served flusher is asked for the same programs again and
 * again (a build's compilers, a script's tools), and realpath()'s
 * readlinks with the read of the file's first line cost it some 60 us a
 * process on a virtual machine where each system call flushes the TLB. */
static struct {
    int known;
    dev_t dev;
    ino_t ino;
    struct timespec mtime, ctime;
    char path[4096], out[4096];
} last_exe WS_BIG;

static int same_file(const struct stat *st)
{
    return st->st_dev == last_exe.dev && st->st_ino == last_exe.ino &&
           st->st_mtim.tv_sec == last_exe.mtime.tv_sec &&
           st->st_mtim.tv_nsec == last_exe.mtime.tv_nsec &&
           st->st_ctim.tv_sec == last_exe.ctime.tv_sec &&
           st->st_ctim.tv_nsec == last_exe.ctime.tv_nsec;
}

static int executable_of(const char *path, char *out)
{
    char at[4096], head[256];
    size_t len = strlen(path);
    if (len >= sizeof at) return -1;
    struct stat st;
    int have_st = stat(path, &st) == 0;
    if (have_st && last_exe.known && strcmp(path, last_exe.path) == 0 && same_file(&st)) {
        strcpy(out, last_exe.out);
        return 0;
    }
    memcpy(at, path, len + 1);
    for (int depth = 0; depth < 5; depth++) {
        if (!realpath(at, out)) return -1;
        int fd = open(out, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, head, sizeof head - 1) : -1;
        if (fd >= 0) real_close(fd);
        if (n < 2 || head[0] != '#' || head[1] != '!') {
            if (depth == 0 && have_st) { /* not a script: the answer for this file */
                last_exe.known = 1;
                last_exe.dev = st.st_dev;
                last_exe.ino = st.st_ino;
                last_exe.mtime = st.st_mtim;
                last_exe.ctime = st.st_ctim;
                memcpy(last_exe.path, path, len + 1);
                strcpy(last_exe.out, out);
            }
            return 0;
        }
        head[n] = 0;
        char *s = head + 2 + strspn(head + 2, " \t");
        size_t k = strcspn(s, " \t\n");
        if (k == 0) return 0;
        memcpy(at, s, k);
        at[k] = 0;
    }
    return 0;
}

void ws_meta_process_given(int pidfd)
{
    /* A served flusher: the program put them in the region (launch.c). */
    /* (the region is the program's to scribble on: lengths bounded) */
    size_t elen = ws_sh->exe_len <= WS_EXE_MAX ? ws_sh->exe_len : 0;
    size_t clen = ws_sh->args_len <= WS_ARGS_MAX ? ws_sh->args_len : 0;
    const char *exe = ws_sh->text, *args = ws_sh->text + elen;
    static WS_BIG char path[4096];
    if (ws_sh->exe_as_given) {
        /* The path its exec was given.  /proc/PID/exe names the file that
         * runs, as it would have: it is the program's while the program
         * has not posted an exec or an end (it posts before it execs) and
         * is not gone (its pid then cannot be another's); which
         * readlink() read first (not read once it posted its end).  Else
         * the path, its links resolved, or the interpreter its "#!" line
         * names. */
        char link[64], given[WS_EXE_MAX + 1];
        memcpy(given, ws_sh->text, elen);
        given[elen] = 0;
        snprintf(link, sizeof link, "/proc/%d/exe", (int)ws_proc_pid);
        ssize_t n = atomic_load(&ws_sh->end_kind) == 0 && pidfd >= 0
                        ? readlink(link, path, sizeof path - 1)
                        : -1;
        if (n > 0 && atomic_load(&ws_sh->end_kind) == 0 &&
            real_syscall(SYS_pidfd_send_signal, pidfd, 0, NULL, 0) == 0) {
            elen = (size_t)n;
            exe = path;
        } else if (executable_of(given, path) == 0) {
            elen = strlen(path);
            exe = path;
        }
    }
    put_process(exe, elen, args, clen);
}

void ws_meta_clock(uint64_t ts, uint64_t mono_ns, uint64_t real_ns)
{
    put_record(WS_META_CLOCK, ws_body_clock(scratch, ts, mono_ns, real_ns));
}

void ws_meta_clock_now(void)
{
    uint64_t ts, mono, real;
    ws_clock_pair(&ts, &mono, &real, 0);
    ws_meta_clock(ts, mono, real);
}

/* Does this maps line name the shared region (our memfd, by inode)? */
static int is_region_line(const char *line, const char *end)
{
    size_t nlen = strlen(WS_REGION_NAME);
    for (const char *p = line; p + nlen <= end; p++)
        if (memcmp(p, WS_REGION_NAME, nlen) == 0) {
            unsigned long long ino;
            return sscanf(line, "%*s %*s %*s %*s %llu", &ino) == 1 && ino == region_ino;
        }
    return 0;
}

/*
 * The inode of the region's memfd, by which the map names the region:
 * memfd's when the flusher has it (record hands it over: serve.c), else
 * (memfd -1) on the line of the flusher's own map that holds the head: a
 * flusher forked from the program, or its thread, has the region where
 * the program has it.  0, or -1 when not found.  (The program does not
 * ask it: an fstat() was some 20 us of a short process on a virtual
 * machine.)
 */
int ws_meta_region(int memfd)
{
    struct stat st;
    region_ino = 0;
    if (memfd >= 0) {
        if (fstat(memfd, &st) != 0) return -1;
        region_ino = st.st_ino;
        return 0;
    }
    char *text = (char *)scratch + meta_cap / 2;
    size_t n = ws_read_file("/proc/self/maps", text, meta_cap / 2 - 1);
    text[n] = 0;
    unsigned long head = (unsigned long)(uintptr_t)ws_sh;
    for (char *line = text, *nl; line < text + n; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) nl = text + n;
        unsigned long from, to;
        unsigned long long ino;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %llu", &from, &to, &ino) == 3 && from <= head &&
            head < to) {
            region_ino = ino;
            return 0;
        }
    }
    return -1;
}

static int put_maps(char *text, size_t n, size_t cap, int force);

/*
 * The memory map, so that the decoder can name code addresses; written
 * again when its file mappings changed (a dlopen, say).  Returns 0 when
 * the program's map no longer holds the shared region: it exec'd, and the
 * map is the new image's (not written); -1 when it cannot be read.
 * force: write it even unchanged; at start, when the program may have
 * exec'd already, the flusher's own
 * map (a copy of the program's when it was forked) is written instead.
 */
int ws_meta_maps(int force)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)ws_proc_pid);
    char *text = (char *)scratch + meta_cap / 2;
    size_t cap = meta_cap / 2 - 2 * WS_VARINT_MAX - 1;
    size_t n = ws_read_file(path, text, cap);
    if (n == 0 && !force) return -1; /* unreadable (not dumpable, no /proc) */
    return put_maps(text, n, cap, force);
}

/* The names a served program gave at its end (ws_meta_given()): struct
 * ws_given_name, packed (read with memcpy). */
static const char *given_names;
static uint32_t given_count;

/*
 * At the end: what a served program put in its head in place of /proc
 * (own_maps_len, internal.h): its memory map, written as ws_meta_maps()
 * writes /proc's, and its threads' names, which ws_meta_counters() takes.
 * 0 when it gave them (and they lie within its text), else -1: /proc it
 * is.
 */
int ws_meta_given(void)
{
    given_names = NULL;
    given_count = 0;
    size_t n = atomic_load_explicit(&ws_sh->own_maps_len, memory_order_acquire);
    /* (the program's to scribble on: every length is checked) */
    size_t off = (size_t)ws_sh->exe_len + ws_sh->args_len;
    if (off >= WS_TEXT_MAX || n == 0 || n > WS_TEXT_MAX - off) return -1;
    size_t at = (n + 3) & ~(size_t)3;
    size_t count = ws_sh->own_names;
    if (at > WS_TEXT_MAX - off || count > (WS_TEXT_MAX - off - at) / sizeof(struct ws_given_name))
        return -1;
    char *text = (char *)scratch + meta_cap / 2;
    size_t cap = meta_cap / 2 - 2 * WS_VARINT_MAX - 1;
    if (n > cap) return -1;
    memcpy(text, ws_sh->text + off, n);
    if (put_maps(text, n, cap, 0) <= 0) return -1; /* not its map (it has its region) */
    given_names = ws_sh->text + off + at;
    given_count = (uint32_t)count;
    return 0;
}

/* The memory map text[0..n) (cap bytes there) goes to the log, unless it
 * names the same files as the last one: ws_meta_maps(). */
static int put_maps(char *text, size_t n, size_t cap, int force)
{
    text[n] = 0;
    /* Hash the file mappings, and where the heap starts (it names the
     * locks in it, and may first appear after the start): anonymous
     * mappings come and go with every large malloc and name nothing, and
     * the heap's end moves with every brk. */
    uint64_t hash = 1469598103934665603u; /* FNV-1a */
    int mapped = 0;
    for (char *line = text, *nl; line < text + n; line = nl + 1) {
        nl = strchr(line, '\n');
        if (!nl) nl = text + n;
        if (is_region_line(line, nl)) mapped = 1;
        const char *end = NULL;
        if (memchr(line, '/', (size_t)(nl - line)))
            end = nl;
        else if (nl - line > 6 && memcmp(nl - 6, "[heap]", 6) == 0)
            end = memchr(line, '-', (size_t)(nl - line));
        for (const char *c = line; end && c < end; c++)
            hash = (hash ^ (uint8_t)*c) * 1099511628211u;
    }
    if (!mapped) {
        if (!force) return 0;
        n = ws_read_file("/proc/self/maps", text, cap);
    } else if (!force && hash == maps_hash) {
        return 1;
    }
    maps_hash = hash;
    uint8_t *p = ws_put_uv(scratch, n);
    memmove(p, text, n);
    put_record(WS_META_MAPS, p + n);
    if (mapped && !atomic_exchange(&ws_sh->maps_seen, 1))
        ws_futex(&ws_sh->maps_seen, FUTEX_WAKE, INT32_MAX, NULL);
    return mapped;
}

void ws_meta_lost(int force)
{
    uint64_t lost = atomic_load(&ws_sh->lost);
    if (lost == lost_last && !force) return;
    lost_last = lost;
    uint8_t *p = ws_put_uv(scratch, lost);
    put_record(WS_META_LOST, p);
}

/* Uncontended lock counts of live threads, when they changed. */
void ws_meta_counters(int final)
{
    uint32_t next = 0; /* in the names given */
    for (unsigned i = 0, n = ws_slots_used(); i < n; i++) {
        struct ws_thread *t = &ws_threads[i];
        uint32_t serial =
            atomic_load_explicit((_Atomic uint32_t *)&t->serial, memory_order_acquire);
        if (serial == 0) continue;
        uint64_t n = t->uncontended;
        pid_t tid = t->tid;
        if (atomic_load((_Atomic uint32_t *)&t->serial) != serial) continue;
        if (final) {
            char path[64], name[64];
            /* (the names given are in slot order, as this loop) */
            size_t len = 0;
            for (; next < given_count; next++) {
                struct ws_given_name g;
                memcpy(&g, given_names + next * sizeof g, sizeof g);
                if (g.slot < i) continue;
                if (g.slot == i && g.serial == serial && g.tid == tid)
                    len = strnlen(memcpy(name, g.name, sizeof g.name), sizeof g.name);
                break;
            }
            if (len == 0) {
                snprintf(path, sizeof path, "/proc/%d/task/%d/comm", (int)ws_proc_pid, (int)tid);
                len = ws_read_file(path, name, sizeof name);
            }
            while (len && (name[len - 1] == '\n' || name[len - 1] == 0))
                len--;
            uint8_t *p = ws_put_uv(scratch, serial);
            p = ws_put_uv(p, (uint64_t)tid);
            p = put_str(p, name, len);
            put_record(WS_META_THREAD_NAME, p);
        }
        if (n == t->reported && !final) continue;
        t->reported = n;
        uint8_t *p = ws_put_uv(scratch, serial);
        p = ws_put_uv(p, (uint64_t)tid);
        p = ws_put_uv(p, n);
        put_record(WS_META_COUNTERS, p);
    }
}

/* How long each thread ran and waited for a CPU (the kernel's schedstat),
 * for the threads whose stream moved since the last look (an idle
 * process's threads cost no reads), or all at the end.  Slots past
 * SCHED_SLOTS are read at the end only. */
#define SCHED_SLOTS 1024
static WS_BIG uint64_t sched_seen[SCHED_SLOTS];   /* a slot's stream position when last read */
static WS_BIG uint32_t sched_serial[SCHED_SLOTS]; /* whose */

void ws_meta_sched(int final)
{
    uint64_t now = ws_now();
    for (unsigned i = 0, n = ws_slots_used(); i < n; i++) {
        struct ws_thread *t = &ws_threads[i];
        uint32_t serial =
            atomic_load_explicit((_Atomic uint32_t *)&t->serial, memory_order_acquire);
        if (serial == 0) continue;
        /* (where its buffer's whole records end: what it wrote lives in
         * its TLS) */
        uint32_t k = t->buf_index;
        uint64_t at =
            t->stream_off +
            (k && k <= ws_bufs_used() ? ws_buf_filled(&ws_bufs[k - 1], ws_bufs[k - 1].flushed) : 0);
        if (!final) {
            if (i >= SCHED_SLOTS) continue;
            if (sched_serial[i] == serial && sched_seen[i] == at) continue; /* idle */
            sched_serial[i] = serial;
            sched_seen[i] = at;
        }
        pid_t tid = t->tid;
        char path[64], text[96];
        snprintf(path, sizeof path, "/proc/%d/task/%d/schedstat", (int)ws_proc_pid, (int)tid);
        size_t len = ws_read_file(path, text, sizeof text - 1);
        if (len == 0) continue; /* gone */
        text[len] = 0;
        unsigned long long run = 0, wait = 0;
        if (sscanf(text, "%llu %llu", &run, &wait) != 2) continue;
        uint8_t *p = ws_put_uv(scratch, serial);
        p = ws_put_uv(p, (uint64_t)tid);
        p = ws_put_uv(p, now);
        p = ws_put_uv(p, run);
        p = ws_put_uv(p, wait);
        put_record(WS_META_SCHED, p);
    }
}

/* At the end: the threads still in a waiting call (ws_wait_begin()),
 * whose records never come. */
void ws_meta_unfinished(uint64_t seen)
{
    for (unsigned i = 0, n = ws_slots_used(); i < n; i++) {
        struct ws_thread *t = &ws_threads[i];
        uint32_t serial =
            atomic_load_explicit((_Atomic uint32_t *)&t->serial, memory_order_acquire);
        uint32_t call = atomic_load_explicit(&t->wait_call, memory_order_acquire);
        if (serial == 0 || call == 0 || call > WS_CALL_MAX) continue;
        int64_t obj = t->wait_obj;
        uint64_t start = t->wait_start, caller = t->wait_caller;
        pid_t tid = t->tid;
        if (atomic_load(&t->wait_call) != call || start > seen) continue; /* it went on */
        uint8_t *p = ws_put_uv(scratch, serial);
        p = ws_put_uv(p, (uint64_t)tid);
        p = ws_put_uv(p, call);
        p = ws_put_uv(p, ws_zigzag(obj));
        p = ws_put_uv(p, start);
        p = ws_put_uv(p, seen);
        p = ws_put_uv(p, caller);
        put_record(WS_META_UNFINISHED, p);
    }
}

void ws_meta_string(const void *s, size_t n)
{
    memcpy(scratch, s, n);
    put_record(WS_META_STRING, scratch + n);
}

int ws_meta_pending(void)
{
    return meta_len != 0;
}

void ws_meta_stopped(uint64_t ts, unsigned sig)
{
    uint8_t *p = ws_put_uv(scratch, ts);
    p = ws_put_uv(p, sig);
    put_record(WS_META_STOPPED, p);
}

void ws_meta_gone(uint64_t ts)
{
    put_record(WS_META_GONE, ws_put_uv(scratch, ts));
}

/* A process that rewrote its command line (PostgreSQL's and nginx's name
 * each process's role there, "postgres: checkpointer"): the TITLE record,
 * when it changed.  Read with the memory map and at the end; not with
 * WHYSLOW_REDACT=argv, as a title may show arguments too. */
void ws_meta_title(void)
{
    /* After an exec (end_kind is set before it), the pid's command line
     * is the next image's. */
    if (ws_redact_argv || atomic_load(&ws_sh->end_kind) == WS_END_EXEC) return;
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)ws_proc_pid);
    char *text = (char *)scratch + meta_cap / 2;
    size_t n = ws_read_file(path, text, 4096);
    if (n == 0) return; /* gone (a zombie's is empty), or unreadable */
    uint64_t h = cmdline_hash(text, n);
    if (h == args_hash) return;
    args_hash = h;
    while (n && (text[n - 1] == 0 || text[n - 1] == ' '))
        n--;
    for (size_t i = 0; i < n; i++)
        if (text[i] == 0) text[i] = ' ';
    uint8_t *p = ws_put_uv(scratch, n);
    memmove(p, text, n);
    put_record(WS_META_TITLE, p + n);
}

/* The names of the program's JIT code, at its end: the perf map its
 * runtime wrote (/tmp/perf-PID.map, Node with --perf-basic-prof), which
 * may be gone by the time the report is made.  Kept: the lines naming
 * code the runtime compiled, in anonymous memory, those a report can name
 * no other way (V8's "Builtin:" and "BytecodeHandler:" lines name code in
 * its executable, whose symbols say the same); at most JIT_MAP_MAX bytes.
 * A map older than the process is another's (a pid reused): ignored.
 * Removed once copied when `whyslow record` asked for it. */
#define JIT_MAP_MAX (4u << 20)
#define JIT_READ    65536u
_Static_assert(JIT_MAP_MAX + WS_VARINT_MAX + JIT_READ <= META_CAP, "the map's room");

/* Appends the perf map's line [l, l + len) at *p if it names JIT code
 * and fits, ending it with a newline. */
static void jit_line(const char *l, size_t len, uint8_t **p, const uint8_t *start)
{
    const char *end = l + len, *sp = memchr(l, ' ', len);
    sp = sp ? memchr(sp + 1, ' ', (size_t)(end - (sp + 1))) : NULL;
    if (!sp) return;
    const char *name = sp + 1;
    size_t rest = (size_t)(end - name);
    if ((rest >= 8 && memcmp(name, "Builtin:", 8) == 0) ||
        (rest >= 16 && memcmp(name, "BytecodeHandler:", 16) == 0))
        return;
    int nl = len && l[len - 1] == '\n';
    if ((size_t)(*p - start) + len + !nl > JIT_MAP_MAX) return;
    memcpy(*p, l, len);
    *p += len;
    if (!nl) *(*p)++ = '\n';
}

void ws_meta_jitmap(void)
{
    char path[64];
    /* Read through the end of the scratch space: a flusher thread's own
     * stack is small, and the lines kept go at its start. */
    char *buf = (char *)scratch + meta_cap - JIT_READ;
    snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)ws_proc_pid);
    if (ws_fds_hold() != 0) return; /* (as in ws_read_file) */
    /* Only a file of ours: not a link or a FIFO someone left in /tmp. */
    int fd = real_open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
    if (fd < 0) {
        ws_fds_release();
        return;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec <
            ws_sh->start_real_ns) {
        real_close(fd);
        ws_fds_release();
        return;
    }
    uint8_t *p = scratch + WS_VARINT_MAX, *start = p; /* the length goes in front, after */
    size_t have = 0;
    int eof = 0, skipping = 0; /* skipping: the rest of a line longer than the buffer */
    while (!eof || have) {
        if (!eof) {
            ssize_t r = real_read(fd, buf + have, JIT_READ - have);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0)
                eof = 1;
            else
                have += (size_t)r;
        }
        /* Whole lines; the last one when the file ends without a newline;
         * a line that fills the buffer is dropped. */
        size_t used = 0;
        for (;;) {
            char *nl = memchr(buf + used, '\n', have - used);
            size_t len;
            if (nl) {
                len = (size_t)(nl - (buf + used)) + 1;
            } else if (eof) {
                len = have - used;
            } else if (used == 0 && have == JIT_READ) {
                skipping = 1;
                used = have;
                break;
            } else {
                break; /* the rest of it is still to read */
            }
            if (len == 0) break;
            if (skipping)
                skipping = 0;
            else
                jit_line(buf + used, len, &p, start);
            used += len;
        }
        memmove(buf, buf + used, have - used);
        have -= used;
    }
    real_close(fd);
    ws_fds_release();
    if (ws_sh->jit_map_ours) unlink(path);
    if (p == start) return;
    /* The record's body: the length, then the lines. */
    size_t n = (size_t)(p - start);
    uint8_t *body = ws_put_uv(scratch, n);
    memmove(body, start, n);
    put_record(WS_META_JITMAP, body + n);
}

void ws_meta_end(int kind, int64_t status, uint64_t ts)
{
    put_record(WS_META_END, ws_body_end(scratch, kind, status, ts));
}
