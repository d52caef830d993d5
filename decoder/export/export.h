/* SPDX-License-Identifier: MIT */
/*
 * export.h - `whyslow export`: a run as a timeline for other tools
 * (docs/export.md).  walk.c reads each process's events once more, after
 * the analysis, and hands a writer (a sink) what a timeline viewer or a
 * tracing system shows: processes, threads, slices, flows and counters.
 * The writers only encode: perfetto.c (Perfetto's protobuf trace),
 * chrome.c (Chrome's trace-event JSON), otlp.c (OpenTelemetry spans as
 * OTLP/JSON).
 *
 * What the walker promises a sink:
 *   - a process comes before its threads, its threads before their
 *     slices, and process_end() after its last slice; processes one after
 *     another, in the order of the logs;
 *   - a process's slices come in start order (ties: the enclosing one
 *     first); the slices of one thread that are not async nest: a slice
 *     that begins inside another ends inside it (its end is cut to the
 *     enclosing one's if the log says otherwise);
 *   - async slices (requests that overlap others on one thread, as on an
 *     event loop) are on no thread track: each is its own track;
 *   - times are Unix nanoseconds.
 */
#ifndef WHYSLOW_EXPORT_H
#define WHYSLOW_EXPORT_H

#include "analysis/analyze.h"
#include "findings/findings.h"

#include <stdint.h>
#include <stdio.h>

enum ex_kind {
    EX_CALL,     /* a recorded call that is not one below (a syscall, a db open, ...) */
    EX_QUERY,    /* a database statement's execution */
    EX_LOCK,     /* a lock, semaphore, condition or futex wait (or a wake) */
    EX_REQUEST,  /* an HTTP request the program served (or a turn of another protocol) */
    EX_OUTGOING, /* an HTTP request the program made to another service */
    EX_MARK,     /* a mark of the marker API: a test's phase, a step */
};

/* A named value shown with a slice. */
struct ex_arg {
    const char *key;
    const char *s; /* the string, or NULL: the integer i */
    int64_t i;
};

#define EX_ARGS_MAX  16
#define EX_FLOWS_MAX 8

struct ex_slice {
    enum ex_kind kind;
    const char *name;   /* "read", a normalized statement, "GET /albums/{id}", a test's node id */
    const char *cat;    /* "syscall", "db", "lock", "http", "test", ... (the mark's kind) */
    int64_t start, end; /* Unix ns */
    uint32_t tid;
    uint32_t thread; /* the thread's serial in its log */
    /* An async slice has a track of its own (async_id, unique in the
     * process), not the thread's; 0: on its thread's track. */
    uint64_t async_id;
    /* Flows: the waits this slice woke (a wake: an unlock, a post), and
     * the one that woke this slice (a wait): ids unique in the export.  A
     * flow's start is at the waker's start, its end at the waiter's end. */
    uint64_t flows_out[EX_FLOWS_MAX];
    unsigned nflows_out;
    uint64_t flow_in;     /* 0: none */
    uint32_t flow_in_tid; /* the waker's thread */
    struct ex_arg args[EX_ARGS_MAX];
    unsigned nargs;
    const char *stack; /* the call stack of a slow event, one frame a line, or NULL */
    int failed;        /* a call that failed, a response >= 500 */
    /* The served request it happened in (index in its proc_report's
     * requests), or -1; for EX_REQUEST, its own index.  For an
     * EX_OUTGOING, req is the call (index in requests) too. */
    int64_t request;
    const struct http_request *req; /* EX_REQUEST, EX_OUTGOING: the request */
    const struct mark *mark;        /* EX_MARK */
    const struct query *query;      /* EX_QUERY: its statement's query (db, kind, text) */
    int slow;                       /* at least the slow threshold (--slow-ms) */
};

struct ex_process {
    const struct proc_report *pr;
    const struct ws_process *p;
    uint64_t pid, ppid;
    const char *name;   /* what the report calls it: "python3 app.py" */
    const char *exe;    /* may be NULL */
    int64_t start, end; /* Unix ns */
    uint64_t lost;      /* events the recorder could not store */
    uint64_t dropped;   /* events the export left out for size (known at process_end) */
};

struct ex_sink {
    void *ctx;
    void (*process)(void *ctx, const struct ex_process *p);
    void (*thread)(void *ctx, const struct ex_process *p, uint32_t tid, uint32_t serial,
                   const char *name);
    void (*slice)(void *ctx, const struct ex_process *p, const struct ex_slice *s);
    /* A value counted over time: on a thread's track (tid) or the
     * process's (tid 0). */
    void (*counter)(void *ctx, const struct ex_process *p, uint32_t tid, const char *name,
                    int64_t at, double value);
    void (*process_end)(void *ctx, const struct ex_process *p);
    /* After the last process: whether everything was written (0) or not. */
    int (*finish)(void *ctx);
};

/* What `whyslow export` was asked for. */
struct export_opts {
    int has_pid;
    uint64_t pid;
    int has_from, has_to;
    int64_t from_ns, to_ns; /* since the run's start (the earliest process start) */
    const char *endpoint;   /* --endpoint PATTERN (narrow.h's matching) */
    const char *test;       /* --test PATTERN: marks of kind test, by node id (fnmatch) */
    uint64_t max_events;    /* past this many slices, the shortest are left out */
};

#define EXPORT_MAX_EVENTS_DEFAULT 20000000u

/* What the walk left out, for the writers' and stderr's notes. */
struct export_stats {
    int64_t origin;         /* the run's start: the earliest process start, Unix ns */
    uint64_t slices;        /* handed to the sink */
    uint64_t spans;         /* OTLP: the spans it wrote (slices it made spans of, and more) */
    uint64_t dropped;       /* events left out for size */
    uint64_t dropped_below; /* ...all shorter than this (ns); 0: none is */
};

/* Whether --endpoint or --test select anything (1 without them): asked
 * before a sink is made, so that nothing is written when they do not. */
int export_selects(const struct analysis *a, const struct export_opts *o);

/* Hands the analysed run to the sink; returns what sink->finish() does. */
int export_walk(const struct analysis *a, const struct findings *fs, const struct export_opts *o,
                const struct ex_sink *sink, struct export_stats *st);

/* The writers: each makes a sink writing to f (which stays the caller's).
 * st is filled by export_walk(): its origin and dropped_below before its
 * first call to the sink, slices and dropped by the time of finish(). */
void perfetto_sink(struct ex_sink *s, FILE *f, const struct export_stats *st);
void chrome_sink(struct ex_sink *s, FILE *f, const struct export_stats *st);
/* OTLP: TracesData objects, one a line, to f; or with url (--send), the
 * same posted to a collector in batches (otlp_send.c), f unused. */
void otlp_sink(struct ex_sink *s, FILE *f, const char *url, const struct analysis *a,
               const struct findings *fs, struct export_stats *st);

#endif
