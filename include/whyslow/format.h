/* SPDX-License-Identifier: MIT */
/*
 * format.h - the whyslow log format: the one contract between the recorder
 * (libwhyslow.so) and the decoder (the whyslow CLI).
 *
 * This header is the format's one description and its exact definition.
 * Both sides include it and nothing else of each other.
 *
 * A log is one process's: a file of its own, or a member of a pack (below).
 * It is a valid zstd stream: every piece of it is either a zstd skippable
 * frame (our headers) or a zstd frame (the compressed records), so
 * `zstd -dc LOG` prints the raw records.
 *
 *   file    := file_header chunk*
 *   file_header: skippable frame, magic WS_MAGIC_FILE, 16 bytes of payload:
 *                "WHYSLOW\0", u32 version, u32 flags (0)
 *   chunk   := chunk_header zstd_frame
 *   chunk_header: skippable frame, magic WS_MAGIC_CHUNK, payload
 *                 struct ws_chunk_header (little endian, packed)
 *   zstd_frame: one zstd frame with its content checksum, holding
 *               raw_size bytes: the chunk's records.
 *
 * A pack holds the logs of several processes, whole, one after another:
 * `whyslow record` packs the logs of short processes, where creating a
 * file per process would cost more than the rest of their recording
 * (preload/logpack.c), and a process traced without it that records no
 * event appends its log to its directory's pack-closing.wslog, which
 * many processes share (preload/closelog.c).  A decoder reads each member as the log it is.  A
 * pack is a valid zstd stream too.
 *
 *   pack    := pack_header member*
 *   pack_header: skippable frame, magic WS_MAGIC_PACK, 16 bytes of payload:
 *                "WSPACK\0\0", u32 pack version (WS_PACK_VERSION), u32 flags (0)
 *   member  := member_header file
 *   member_header: skippable frame, magic WS_MAGIC_MEMBER, 8 bytes of
 *                payload: u64 the length of the file that follows
 *
 * A member is appended with one write, and an append that fails is cut
 * off again: only a writer killed in the middle of its write, or a pack
 * that could not be cut back, ends inside its last member.
 *
 * A chunk is either an EVENTS chunk (the events of one thread, in the
 * order that thread recorded them) or a META chunk (process metadata).
 * Chunks of different threads interleave in the file; a decoder orders the
 * chunks of one thread by their seq (a byte offset in that thread's
 * stream of raw records, so it only grows).
 *
 * All multi-byte integers in headers are little endian.  Inside chunks,
 * integers are LEB128 varints ("uv") or zigzag varints ("sv").
 */
#ifndef WHYSLOW_FORMAT_H
#define WHYSLOW_FORMAT_H

#include <stddef.h>
#include <stdint.h>

/* Version 2 added call stacks (WS_CALL_STACK), the wake-up records
 * (WS_COND_SIGNAL..WS_FUTEX_WAKE, WS_LOCK_WAKES) and SQLite statement
 * texts written once (WS_SQLITE_STMT); a version 1 log is a version 2 log
 * without them.  Version 3 added Python frames (WS_EV_PYCODE,
 * WS_EV_PYSITE, WS_EV_PYSTACK), epoll_ctl and socketpair; a version 2 log
 * is a version 3 log without them.  Version 4 added HTTP messages
 * (WS_EV_HTTP), sendfile and splice; a version 3 log is a version 4 log
 * without them.  Version 5 added marks (WS_EV_MARK_BEGIN, WS_EV_MARK_END);
 * a version 4 log is a version 5 log without them. */
#define WS_FORMAT_VERSION 5

/* zstd skippable frame magics (0x184D2A50..0x184D2A5F). */
#define WS_MAGIC_FILE  0x184D2A5Eu
#define WS_MAGIC_CHUNK 0x184D2A5Fu
#define WS_FILE_TAG    "WHYSLOW" /* 8 bytes with its NUL */

/* Packs (see above): their own version, which a decoder checks as it
 * checks a log's. */
#define WS_MAGIC_PACK   0x184D2A5Du
#define WS_MAGIC_MEMBER 0x184D2A5Cu
#define WS_PACK_TAG     "WSPACK\0" /* 8 bytes with its NUL */
#define WS_PACK_VERSION 1

/* Chunk kinds. */
enum ws_chunk_kind {
    WS_CHUNK_EVENTS = 1,
    WS_CHUNK_META = 2,
};

/* The payload of a chunk's skippable frame (32 bytes). */
struct ws_chunk_header {
    uint32_t kind;     /* enum ws_chunk_kind */
    uint32_t thread;   /* EVENTS: the thread's serial in this process (1..) */
    uint64_t seq;      /* EVENTS: offset of the chunk in its thread's stream */
    uint64_t base_ts;  /* EVENTS: the timestamp deltas start from */
    uint32_t tid;      /* EVENTS: the kernel thread id */
    uint32_t raw_size; /* bytes of the decompressed zstd frame */
} __attribute__((packed));

/*
 * Sizes a recorder never exceeds, so that a decoder may refuse what does
 * (a log is a file anyone may have made: without them a 3.5 KB file could
 * inflate to gigabytes).
 *
 * WS_EVENTS_RAW_MAX: the raw bytes of an EVENTS chunk.  A recorder's
 * chunk holds the records of at most one 64 KiB buffer, compacted: at most
 * 132 KiB (libwhyslow's flusher); the limit leaves room for larger
 * buffers.
 * WS_META_RAW_MAX: the raw bytes of a META chunk.  libwhyslow's are at
 * most 8 MiB (a memory map is most of it).
 * WS_PAYLOAD_MAX: the bytes of a payload, literal or interned (a path, a
 * peer, a name, an SQL text, a stack), and of a WS_META_STRING record.
 * libwhyslow cuts every payload to 4096 bytes.
 */
#define WS_EVENTS_RAW_MAX (1u << 20)
#define WS_META_RAW_MAX   (16u << 20)
#define WS_PAYLOAD_MAX    4096u

/*
 * Timestamps ("ts") are TSC ticks when the process's clock record says
 * WS_CLOCK_TSC, else CLOCK_MONOTONIC nanoseconds.  CLOCK records pair a
 * timestamp with CLOCK_MONOTONIC and CLOCK_REALTIME, so the decoder turns
 * ticks into nanoseconds and wall-clock time from the widest pair.
 */
enum ws_clock_source {
    WS_CLOCK_TSC = 1,
    WS_CLOCK_MONOTONIC = 2,
};

/*
 * Event records (in EVENTS chunks).  Every record has the same fields:
 *
 *   u8  call      enum ws_call, or'ed with WS_CALL_STACK when the
 *                 record ends with a call stack (see below)
 *   sv  start     start timestamp minus the previous record's start
 *                 (the first record: minus the chunk's base_ts)
 *   uv  dur       duration in timestamp units
 *   sv  obj       the fd (-1: none), or the lock/futex address; for
 *                 open/openat the directory fd (-100: AT_FDCWD)
 *   sv  result    the return value (-1 on failure for syscalls; the
 *                 returned error number for pthread calls and
 *                 clock_nanosleep; the EAI_* code for getaddrinfo)
 *   uv  err       errno for syscalls that failed (for clock_nanosleep
 *                 the error it returned; for getaddrinfo errno when it
 *                 returned EAI_SYSTEM); for lock calls, WS_LOCK_* flags
 *   sv  caller    the caller's return address minus the previous
 *                 record's caller (the first record: minus 0)
 *   uv  aux1, uv aux2   only when the call has WS_CALL_HAS_AUX
 *   payload       only when the call has WS_CALL_HAS_PAYLOAD in
 *                 ws_call_flags(): uv tag, then
 *                   tag even: a literal of tag/2 bytes follows;
 *                   tag odd:  the string WS_META_STRING number tag/2
 *                             (0, 1, 2... in the order they appear in
 *                             the file, always before their first use)
 *
 *   stack         only when the call byte has WS_CALL_STACK: uv tag as
 *                 for payloads, naming bytes that hold the native call
 *                 stack when the call returned: little-endian u64 return
 *                 addresses, innermost first, the first being the
 *                 call's own caller (the recorder's frames left out).
 *                 The recorder keeps stacks of the events that lasted at
 *                 least WHYSLOW_STACK_MS.
 *
 * Strings are interned: a path, peer or name is written once per log, in
 * a WS_META_STRING record, and events refer to it by number.  A recorder
 * may also write literals (when its table is full).
 *
 * The calls and records, their ids, which have a payload and what it
 * holds, and what obj is, are the table of calls.h.
 *
 * Wake-ups: a call that let a waiting thread go on (WS_CALL_WAKES in
 * calls.h), so the decoder can link a waiter to the thread that released
 * it.  One timestamp (dur 0), taken when the call returned; obj is the
 * object waited on.  Recorded only when the object may have had waiters
 * (glibc's own counters say so), which keeps them off the uncontended
 * path; with them go WS_MUTEX_UNLOCK with WS_LOCK_WAKES, the release of a
 * mutex glibc marked as possibly waited for, and WS_RWLOCK_UNLOCK with
 * WS_LOCK_WAKES, the release of an rwlock that had readers or writers
 * blocked.  glibc marks a mutex so after any wait for it, and a mutex
 * re-taken at the end of a condition wait: such a release may have woken
 * nobody.  A waiter is woken by the last wake-up on its object during its
 * wait.  WS_SEM_POST: result 0 or -1, err errno; WS_FUTEX_WAKE: result
 * the threads woken (> 0).
 *
 * Database calls: obj is the connection (the sqlite3* or the PGconn*).
 * WS_SQLITE_QUERY and WS_PG_QUERY are one execution of a statement:
 *   start   when it began (SQLite: its first sqlite3_step after prepare
 *           or reset; libpq: the PQexec* or PQsend* call)
 *   dur     until it ended (SQLite: SQLITE_DONE, an error, a reset or
 *           a finalize; libpq: PQexec* returning, or PQgetResult
 *           returning NULL for an async query): the span, in which the
 *           program may also have done other work between rows
 *   result  SQLite: the last result code (101 SQLITE_DONE, 100
 *           SQLITE_ROW when reset or finalized before the end, or an
 *           error); libpq: the ExecStatusType of its last result
 *   err     the rows it returned (SQLITE_ROW steps; PQntuples summed)
 *   aux1    a 32-bit hash of the values bound to its parameters (0:
 *           none); the values themselves are never recorded
 *   aux2    libpq: the time spent inside the library's calls for
 *           it, timestamp units; SQLite: the statement (sqlite3_stmt*)
 *           whose text a WS_SQLITE_STMT record gave (version 1: 0)
 *   payload libpq: the statement's text (literals replaced by ? when
 *           WHYSLOW_SQL=redact); SQLite: empty, the text being the
 *           one of the thread's latest WS_SQLITE_STMT record for the
 *           statement in aux2 (version 1: the text)
 * Python frames (a CPython 3.8 to 3.13 program, preload/pyframes.c): a
 * frame is a key, u64: a code object's number << 32 | the byte offset of
 * the instruction it runs in the code.
 * WS_EV_PYCODE names a code object, before the first key that uses its
 *   number: obj the number (unique in the log; one code object may get
 *   several), result its first line, err the Python version (major << 8 |
 *   minor), caller its address; payload u16 name length, u16 file length,
 *   the qualified name (before 3.11: the name), the file name (UTF-8,
 *   each cut to fit), then its line table as the interpreter keeps it
 *   (co_linetable; co_lnotab before 3.10; cut to fit), from which an
 *   offset's line is worked out.
 * WS_EV_PYSITE is the Python site of the thread's next event (a contended
 *   lock wait, a call that lasted an eighth of WHYSLOW_STACK_MS but less
 *   than it): obj the innermost frame's key, result the innermost frame
 *   of the user's own code (not the interpreter's library, not an
 *   installed package), 0 when that is the innermost one or none is.
 *   start: the event's start, dur 0.  With err WS_PYSITE_DB, the site of
 *   the thread's database executions (WS_SQLITE_QUERY, WS_PG_QUERY) from
 *   its next on, until the next such record (obj 0: none): a loop's
 *   executions from one line are written once.
 * WS_EV_PYSTACK is the Python stack of the thread's next event, one that
 *   keeps a native stack: obj the number of frames, payload their keys,
 *   innermost first (128 at most).  start: the event's start, dur 0.
 * A thread's next event is its next record that is no WS_EV_PY* record.
 * WS_EV_PYTHON, written once at the start of a CPython program: obj its
 *   version (Py_Version's form: major << 24 | minor << 16 | micro << 8),
 *   result 1 when its frames are read, else 0 with err saying why:
 *   WS_PY_VERSION (a version whose layout the recorder does not know),
 *   WS_PY_DEBUG (a debug build), WS_PY_FREE_THREADED (3.13t), WS_PY_OFF
 *   (the user said WHYSLOW_PYTHON=off).
 *
 * HTTP messages (preload/http.c): a WS_EV_HTTP record follows the record
 * of the read or write on a stream socket whose bytes began an HTTP/1.x
 * message (over TLS: the SSL_read or SSL_write that moved its plaintext,
 * not recorded itself), with the same start and duration; obj the fd, result the
 * status of a response (0 for a request), err WS_HTTP_* flags saying
 * which way (WS_HTTP_OUT: written, else read), whether a request or a
 * response, and, when WS_HTTP_DONE says the message ended in the same
 * call's bytes, how its body was framed.  The payload: the message's
 * first line (the request line or the status line, the request's query
 * string dropped when WHYSLOW_REDACT=url), a LF, then "Host: ...\n" and
 * "traceparent: ...\n" when those headers were in the same call's bytes.
 * Nothing else of the message is kept.  A request the program writes (a
 * call it makes) may have a WS_EV_PYSITE record just before: its Python
 * site, taken then.  A response that ends in a later
 * call gets an end record there (WS_HTTP_END, no payload; a body that
 * ends with the connection ends at the read that returned 0 or at the
 * close; one sent by sendfile or splice at that call).  Several messages
 * of one call (pipelining) get a record each, in order.  On a connection
 * the program accepted whose bytes are no HTTP, a read after a write (or
 * its first) starts a turn: a record with WS_HTTP_TURN | WS_HTTP_IN whose
 * payload is the read's first bytes (up to 32; none when WHYSLOW_REDACT
 * has sql or url); the turn lasts to the last write on the fd before the
 * next turn or the fd's close.  A connection whose bytes are TLS records
 * gets one record with WS_HTTP_TLS (no payload) when its handshake is
 * seen: its messages come from OpenSSL's calls, and a decoder that sees
 * none knows it was not in clear.
 *
 * Marks (preload/mark.c, the API of include/whyslow/mark.h): a
 * WS_EV_MARK_BEGIN record when the program begins a mark on a thread:
 * start the time (dur 0), caller where it was called from, obj the
 * number of the thread's marks open before it (its depth), payload the
 * mark's kind, a NUL, then its name (cut to fit).  A WS_EV_MARK_END record
 * ends the thread's innermost open mark: obj that depth, no payload.  An
 * end with no mark open is not written.
 *
 * WS_SQLITE_STMT: obj the sqlite3_stmt*; payload its text (redacted as
 * above).  Written before the first execution a thread records of it,
 * and again when its text changes; start: that execution's start, dur 0.
 * The other database calls: result the library's return code (SQLite)
 * or status (libpq: ConnStatusType for PQconnect* and PQreset,
 * ExecStatusType for PQprepare).
 */
#include "calls.h" /* the ids: enum ws_call, ws_call_flags(), ws_call_name() */

/* err field of WS_EV_PYTHON records: why the frames are not read. */
#define WS_PY_VERSION       1u
#define WS_PY_DEBUG         2u
#define WS_PY_FREE_THREADED 3u
#define WS_PY_OFF           4u /* WHYSLOW_PYTHON=off */

/* err field of WS_EV_PYSITE. */
#define WS_PYSITE_DB 1u /* the site of the thread's database executions */

/* err field of WS_EV_HTTP. */
#define WS_HTTP_IN          0u   /* read from the fd */
#define WS_HTTP_OUT         1u   /* written to the fd */
#define WS_HTTP_RESPONSE    2u   /* a response (else a request) */
#define WS_HTTP_LENGTH      4u   /* its body's length was given */
#define WS_HTTP_CHUNKED     8u   /* its body came in chunks */
#define WS_HTTP_UNTIL_CLOSE 16u  /* its body ran to the connection's end */
#define WS_HTTP_NOBODY      32u  /* a response without a body (HEAD, 1xx, 204, 304) */
#define WS_HTTP_DONE        64u  /* the message ended in this call's bytes */
#define WS_HTTP_END         128u /* an end record: the message ended here */
#define WS_HTTP_TURN        256u /* a turn on a connection served in another protocol */
#define WS_HTTP_TLS         512u /* its bytes are TLS records (once per connection) */

/* err field of lock records. */
#define WS_LOCK_CONTENDED 1u /* the lock was busy: dur is the wait */
#define WS_LOCK_WAKES     2u /* an unlock that may have released waiters */

/* The high bit of a record's call byte: a stack follows the record. */
#define WS_CALL_STACK 0x80u
#define WS_STACK_MAX  32 /* frames a recorder keeps at most */

/* err field of WS_EV_FD_INFO. */
enum ws_fd_kind {
    WS_FD_FILE = 1,   /* payload: path */
    WS_FD_SOCKET = 2, /* payload: struct sockaddr of the peer (or of the
                         local end when unconnected, or when the peer
                         has no name), may be empty; result 1 when it
                         listens for connections (0 in older logs) */
    WS_FD_PIPE = 3,   /* payload: "pipe:[inode]" */
    WS_FD_TTY = 4,    /* payload: the terminal's path */
    WS_FD_OTHER = 5,  /* payload: what /proc/self/fd/N links to */
};

/*
 * Metadata records (in META chunks): u8 type, uv length, then that many
 * bytes, laid out as listed (uv/sv varints, "str" = uv length + bytes).
 * Unknown types are skipped by their length, so later versions may add
 * record types without a version change.
 */
enum ws_meta_type {
    /* uv pid, uv ppid, str exe, uv argc, str argv[argc],
       uv start_realtime_ns, uv clock_source, uv flags */
    WS_META_PROCESS = 1,
    /* uv ts, uv monotonic_ns, uv realtime_ns */
    WS_META_CLOCK = 2,
    /* str: the text of /proc/self/maps */
    WS_META_MAPS = 3,
    /* uv events dropped by the whole process so far (cumulative) */
    WS_META_LOST = 4,
    /* uv thread serial, uv tid, uv uncontended lock acquisitions so far */
    WS_META_COUNTERS = 5,
    /* uv kind (enum ws_end_kind), sv status (-1: unknown, as when main
       returns), uv ts */
    WS_META_END = 6,
    /* uv thread serial, uv tid, str name (a thread alive at the end) */
    WS_META_THREAD_NAME = 7,
    /* the bytes of the next interned string (the record's whole body) */
    WS_META_STRING = 8,
    /* uv ts, uv signal: a signal sent to the flusher stopped it at ts;
       the process's events after that are not in the log */
    WS_META_STOPPED = 9,
    /* uv ts: the flusher found the program gone with no END record (it
       was killed) at ts; it died after its last record, at most one flush
       period (WHYSLOW_FLUSH_MS) before ts */
    WS_META_GONE = 10,
    /* str: the command line the process gave itself (what `ps` shows of
       PostgreSQL's or nginx's processes: "postgres: checkpointer"), its
       words joined by spaces, when it differs from its arguments; the
       last one in the log counts */
    WS_META_TITLE = 11,
    /* uv thread serial, uv tid, uv call, sv obj, uv start ts, uv seen ts,
       uv caller (the return address of the call):
       at the end (or when found gone), the thread was still in this
       waiting call, started at start; seen is when the flusher looked.
       The call's record never comes: a decoder counts the wait as
       lasting to the process's end */
    WS_META_UNFINISHED = 12,
    /* uv thread serial, uv tid, uv ts, uv run_ns, uv wait_ns: the kernel's
       count (/proc/PID/task/TID/schedstat) at ts of the time the thread
       ran on a CPU, and waited for one while runnable, since it started;
       taken each flush period for the threads that recorded events since
       the last, and at the end for all */
    WS_META_SCHED = 13,
    /* str: the names of the process's JIT code at its end, the lines of
       the perf map its runtime wrote (/tmp/perf-PID.map: "START SIZE
       NAME\n", hex) that name code in anonymous memory, as they were
       ("JS:~f /app/x.js:2:17"), up to 4 MiB */
    WS_META_JITMAP = 14,
    /* str: the name of the host the process ran on (uname's nodename),
       after its PROCESS record */
    WS_META_HOST = 15,
};

/* WS_META_PROCESS flags. */
#define WS_PROC_LOCKS_ALL 1u /* WHYSLOW_LOCKS=all: every acquisition */

enum ws_end_kind {
    WS_END_EXIT = 1,  /* exit() or return from main: status */
    WS_END__EXIT = 2, /* _exit() / _Exit(): status */
    WS_END_EXEC = 3,  /* execve() and friends, about to run */
};

/* ---- varints, shared by the encoder and the decoder ---- */

#define WS_VARINT_MAX 10 /* bytes of the longest 64-bit varint */

static inline uint64_t ws_zigzag(int64_t v)
{
    return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t ws_unzigzag(uint64_t v)
{
    return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

/* Writes v at p (which has room for WS_VARINT_MAX bytes); returns the end. */
static inline uint8_t *ws_put_uv(uint8_t *p, uint64_t v)
{
    while (v >= 0x80) {
        *p++ = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    *p++ = (uint8_t)v;
    return p;
}

/* Reads a varint from [*pp, end); returns 0 and advances *pp, or -1 when
 * the varint runs past end or past 64 bits. */
static inline int ws_get_uv(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    const uint8_t *p = *pp;
    uint64_t v = 0;
    for (unsigned shift = 0; shift < 64; shift += 7) {
        if (p >= end) return -1;
        uint8_t b = *p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *pp = p;
            *out = v;
            return 0;
        }
    }
    return -1;
}

#endif
