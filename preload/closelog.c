/* SPDX-License-Identifier: MIT */
/*
 * closelog.c - the log of an image that ends before its first event,
 * written by the process itself when no `whyslow record` serves it.
 *
 * Most processes of a build or a script record nothing (true, cmake -E,
 * as: their stdio calls stay inside libc).  A process with a flusher of
 * its own used to make its region and clone its flusher at its start:
 * a /bin/true preloaded so took 2 to 4 ms more here, for a log that says
 * only who it was and how it ended.  Now its region and flusher wait for
 * its first event, as a served image's do (init.c), and one that ends
 * first writes that log here, at its exit: the head init.c filled in
 * (its start, its parent, how it ended, what it lost), its executable
 * and its arguments, as the META records a flusher would have written
 * for it (meta.c), in one chunk.
 *
 * A zstd frame's block may hold its bytes as they are (a raw block), so
 * the chunk is such a frame, with its checksum (XXH64, below): the
 * process loads no compressor for a few hundred bytes, and the log is
 * one a flusher could have written (include/whyslow/format.h).
 *
 * It runs at exit or _exit, with the signals held (init.c), and may run
 * in a signal handler that called _exit: system calls and memory of its
 * own, no malloc, no stdio.  The log is appended with one write to the
 * directory's pack of such logs (pack_append()).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/utsname.h>

#include "internal.h"
#include "meta.h"

/*
 * Its memory: one page of .lbss (each page a process writes is a fault,
 * 15 to 25 us on a virtual machine whose page tables the hypervisor
 * shadows) for the executable's path, the host's name and the records of
 * most processes; pages apart for a long path or command line.
 */
#define RECORDS_ROOM 512 /* the records but PROCESS's, and each record's type and length */
static WS_BIG struct {
    char exe[512];
    struct utsname host;
    uint8_t body[1280];               /* a record's, while it is built */
    uint8_t raw[1280 + RECORDS_ROOM]; /* the records */
} small __attribute__((aligned(4096)));
_Static_assert(sizeof small <= 4096, "a closing log's usual memory is one page");

#define BODY_MAX (64 + WS_EXE_MAX + 2 * WS_ARGS_MAX) /* ws_body_process() */
static WS_BIG char big_exe[WS_EXE_MAX], big_args[WS_ARGS_MAX];
static WS_BIG uint8_t big_body[BODY_MAX], big_raw[BODY_MAX + RECORDS_ROOM];

/* A zstd block holds at most 128 KiB: the records take one or two. */
#define BLOCK_MAX ((size_t)128 << 10)
#define BLOCKS    ((sizeof big_raw + BLOCK_MAX - 1) / BLOCK_MAX)

/* ---- XXH64 (seed 0), the checksum a zstd frame ends with (its low 32 bits) ---- */

#define P1 11400714785074694791u
#define P2 14029467366897019727u
#define P3 1609587929392839161u
#define P4 9650029242287828579u
#define P5 2870177450012600261u

static uint64_t rotl(uint64_t x, int r)
{
    return (x << r) | (x >> (64 - r));
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8); /* (x86-64 and the other hosts we build for are little endian) */
    return v;
}

static uint64_t xround(uint64_t acc, uint64_t in)
{
    return rotl(acc + in * P2, 31) * P1;
}

static uint64_t xmerge(uint64_t h, uint64_t v)
{
    return (h ^ xround(0, v)) * P1 + P4;
}

static uint64_t xxh64(const uint8_t *p, size_t len)
{
    const uint8_t *end = p + len;
    uint64_t h;
    if (len >= 32) {
        uint64_t v1 = P1 + P2, v2 = P2, v3 = 0, v4 = 0 - P1;
        for (; end - p >= 32; p += 32) {
            v1 = xround(v1, le64(p));
            v2 = xround(v2, le64(p + 8));
            v3 = xround(v3, le64(p + 16));
            v4 = xround(v4, le64(p + 24));
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = xmerge(xmerge(xmerge(xmerge(h, v1), v2), v3), v4);
    } else {
        h = P5;
    }
    h += len;
    for (; end - p >= 8; p += 8)
        h = rotl(h ^ xround(0, le64(p)), 27) * P1 + P4;
    if (end - p >= 4) {
        uint32_t w;
        memcpy(&w, p, 4);
        h = rotl(h ^ (uint64_t)w * P1, 23) * P2 + P3;
        p += 4;
    }
    for (; p < end; p++)
        h = rotl(h ^ *p * P5, 11) * P1;
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    return h ^ (h >> 32);
}

/* ---- the log ---- */

/* The records a flusher would write for an image that recorded nothing
 * (flusher.c: run(), then flush(1)), into raw; returns their end. */
static uint8_t *records(uint8_t *raw, uint8_t *body, const char *exe, size_t elen, const char *args,
                        size_t alen)
{
    struct ws_shared *sh = ws_sh;
    uint8_t *o = raw;
    o = ws_meta_record(o, WS_META_PROCESS, body, ws_body_process(body, exe, elen, args, alen));
    if (uname(&small.host) == 0)
        o = ws_meta_record(o, WS_META_HOST, body, ws_body_host(body, &small.host));
    uint8_t *e = ws_body_clock(body, sh->start_ts, sh->start_mono_ns, sh->start_real_ns);
    o = ws_meta_record(o, WS_META_CLOCK, body, e);
    e = ws_body_end(body, atomic_load(&sh->end_kind), sh->end_status, sh->end_ts);
    o = ws_meta_record(o, WS_META_END, body, e);
    uint64_t ts, mono, real;
    ws_clock_pair(&ts, &mono, &real, 1); /* (system calls: no page of the vDSO's) */
    o = ws_meta_record(o, WS_META_CLOCK, body, ws_body_clock(body, ts, mono, real));
    e = ws_put_uv(body, atomic_load(&sh->lost)); /* (a LOST record's body) */
    return ws_meta_record(o, WS_META_LOST, body, e);
}

static ssize_t sum_of(const struct iovec *iov, int n)
{
    ssize_t want = 0;
    for (int i = 0; i < n; i++)
        want += (ssize_t)iov[i].iov_len;
    return want;
}

/*
 * Appends the log (iov[2..n), with its member's header iov[1]) to the
 * directory's pack of closing logs, made with its header iov[0] when new:
 * 0, or -1 with the pack as it was.  Creating a file cost a short process
 * more than the rest of its log (logpack.c: 35 us in a fresh directory of
 * ext4, 300 here, after a build's deletions); appending to one made
 * already is an open.  The pack's lock makes each append whole, as in
 * record's packs; one that fails is cut off again.  The lock is waited
 * for 10 ms at most: a process stopped while it held it (SIGSTOP, a
 * debugger) must not hold up every other's end.  A pack that is not this
 * user's own file is left alone (another user could read it), and so is
 * one that would grow past room, the process's file size limit: past it
 * the kernel sends SIGXFSZ, which the held signals would deliver as the
 * process ends, and kill it.
 */
static int pack_append(int dirfd, struct iovec *iov, int n, rlim_t room)
{
    int fd = openat(dirfd, WS_START_STR("pack-closing.wslog"),
                    O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return -1;
    int locked = 0;
    for (int i = 0; i < 100 && !(locked = flock(fd, LOCK_EX | LOCK_NB) == 0); i++) {
        if (errno != EWOULDBLOCK) break; /* (a file system without locks) */
        struct timespec t = {0, 100000};
        REAL(nanosleep)(&t, NULL);
    }
    struct stat st;
    int r = -1;
    if (locked && fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        (st.st_size == 0 || st.st_size >= 24)) {
        int from = st.st_size == 0 ? 0 : 1; /* (new: its header first) */
        ssize_t want = sum_of(iov + from, n - from);
        if ((rlim_t)st.st_size + (rlim_t)want <= room) {
            if (writev(fd, iov + from, n - from) == want)
                r = 0;
            else
                (void)!ftruncate(fd, st.st_size); /* (O_APPEND: the next append follows) */
        }
    }
    ws_sys(SYS_close, fd); /* (and the lock with it) */
    return r;
}

/* The log (iov[0..n), its header first) in a file of its own: 0, or -1
 * with no file left.  Not past room (above). */
static int own_file(int dirfd, const struct iovec *iov, int n, rlim_t room)
{
    if ((rlim_t)sum_of(iov, n) > room) return -1;
    char base[16], name[64];
    ws_decimal(base, ws_sh->pid);
    int fd = ws_file_new(dirfd, base, iov[0].iov_base, 1, name);
    if (fd < 0) return -1;
    int r = writev(fd, iov + 1, n - 1) == sum_of(iov + 1, n - 1) ? 0 : -1;
    REAL(close)(fd);
    /* (cut short, it is no log: the caller makes one the usual way) */
    if (r != 0) unlinkat(dirfd, name, 0);
    return r;
}

int ws_write_closing_log(void)
{
    /* Our calls into libc that are still lazy (bind.c): bound at their
     * first call, they would run the loader's resolver on this stack,
     * which may be a signal handler's, and small. */
    ws_bind_calls();
    /* The executable as /proc says it (a script's is its interpreter, as
     * in a flusher's log), and the arguments as the start kept them. */
    const char *exe = small.exe;
    ssize_t n = readlink("/proc/self/exe", small.exe, sizeof small.exe);
    if (n == (ssize_t)sizeof small.exe) {
        exe = big_exe;
        n = readlink("/proc/self/exe", big_exe, sizeof big_exe);
    }
    size_t elen = n > 0 ? (size_t)n : 0, alen;
    const char *args = ws_start_block(&alen);
    if (!args) {
        alen = ws_start_args(big_args);
        args = big_args;
    }
    int fits = 64 + elen + 2 * alen <= sizeof small.body; /* (ws_body_process()'s bound) */
    uint8_t *raw = fits ? small.raw : big_raw;
    size_t len = (size_t)(records(raw, fits ? small.body : big_body, exe, elen, args, alen) - raw);

    /* The chunk: its header (a skippable frame), then one zstd frame:
     * magic, a descriptor (a 4-byte content size, one segment, a
     * checksum), the content size; then its raw blocks, each after its
     * 3-byte header (the last one's low bit set); then the checksum. */
    uint8_t head[8 + sizeof(struct ws_chunk_header) + 9], bh[BLOCKS][4], sum[4];
    uint32_t magic = WS_MAGIC_CHUNK, hsize = sizeof(struct ws_chunk_header);
    struct ws_chunk_header h = {.kind = WS_CHUNK_META, .raw_size = (uint32_t)len};
    memcpy(head, &magic, 4);
    memcpy(head + 4, &hsize, 4);
    memcpy(head + 8, &h, sizeof h);
    uint8_t *f = head + 8 + sizeof h;
    uint32_t zmagic = 0xFD2FB528u, size = (uint32_t)len;
    memcpy(f, &zmagic, 4);
    f[4] = 0xA4; /* content size: 4 bytes (2 << 6); single segment (1 << 5); checksum (1 << 2) */
    memcpy(f + 5, &size, 4);
    /* iov: [the pack's header] [a member's header] the log's header, then
     * the chunk (the first two only in a pack, the first only in a new one) */
    uint8_t pack_hdr[24], log_hdr[24], member[16];
    struct iovec iov[5 + 2 * BLOCKS];
    int k = 3;
    iov[k++] = (struct iovec){head, sizeof head};
    for (size_t at = 0, b = 0; at < len; at += BLOCK_MAX, b++) {
        size_t part = len - at < BLOCK_MAX ? len - at : BLOCK_MAX;
        uint32_t word = (uint32_t)part << 3 | (at + part == len); /* raw: type 0 */
        memcpy(bh[b], &word, 4); /* (little endian: its low 3 bytes) */
        iov[k++] = (struct iovec){bh[b], 3};
        iov[k++] = (struct iovec){raw + at, part};
    }
    uint32_t check = (uint32_t)xxh64(raw, len);
    memcpy(sum, &check, 4);
    iov[k++] = (struct iovec){sum, 4};
    ws_file_header(log_hdr, WS_MAGIC_FILE, WS_FILE_TAG, WS_FORMAT_VERSION);
    iov[2] = (struct iovec){log_hdr, 24};
    uint64_t log_len = (uint64_t)sum_of(iov + 2, k - 2);
    uint32_t mmagic = WS_MAGIC_MEMBER, msize = 8;
    memcpy(member, &mmagic, 4);
    memcpy(member + 4, &msize, 4);
    memcpy(member + 8, &log_len, 8);
    iov[1] = (struct iovec){member, sizeof member};
    ws_file_header(pack_hdr, WS_MAGIC_PACK, WS_PACK_TAG, WS_PACK_VERSION);
    iov[0] = (struct iovec){pack_hdr, 24};

    struct rlimit rl;
    rlim_t room = getrlimit(RLIMIT_FSIZE, &rl) == 0 ? rl.rlim_cur : 0;
    int dirfd = ws_logdir_open(ws_dir, 0);
    if (dirfd < 0) return -1;
    int r = pack_append(dirfd, iov, k, room);
    if (r != 0) r = own_file(dirfd, iov + 2, k - 2, room);
    ws_sys(SYS_close, dirfd);
    return r;
}
