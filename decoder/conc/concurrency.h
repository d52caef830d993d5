/* SPDX-License-Identifier: MIT */
/*
 * concurrency.h - what threads of one process waited for each other for,
 * found from the wake links (wakes.h):
 *
 *   conn_pools.c    pool_exhaustion: threads waiting for one of a fixed
 *                   set of database connections, all of them checked out;
 *   thread_pools.c  thread_pool_exhaustion: threads waiting for results
 *                   from a pool of worker threads that were all busy, with
 *                   tasks queued;
 *   gil.c           gil_contention: Python threads waiting for the GIL.
 *
 * analyze.c feeds every event of a process to a wakes collector, then
 * conc_analyze() links the waits and runs the three; the findings are
 * made from what they found (findings_conc.c), and the roles of the
 * objects waited on decide which locks lock_contention may name.
 */
#ifndef WHYSLOW_CONCURRENCY_H
#define WHYSLOW_CONCURRENCY_H

#include "conc/wakes.h"
#include "log/process.h"
#include "time/breakdown.h"

#include <stddef.h>
#include <stdint.h>

/* A pool of connections that ran dry. */
struct pool_ex {
    int postgres;      /* libpq connections, else SQLite */
    uint32_t resource; /* strpool id: the file or server (0: not seen opened) */
    uint32_t pool_size;
    uint64_t waiters; /* waits for a connection */
    uint32_t threads; /* distinct threads that waited */
    uint64_t wait_total_ns, wait_max_ns;
    uint32_t tid;    /* the thread of the longest wait */
    uint64_t caller; /* where most of the waits were made */
};

/* A pool of worker threads that was entirely busy while threads waited
 * for their results. */
struct tpool_ex {
    uint64_t queue; /* the object the workers wait on for work */
    uint8_t queue_kind;
    uint32_t workers;
    uint64_t saturated_ns;        /* time no worker was waiting for work */
    uint64_t waits;               /* waits for results during it */
    uint64_t wait_total_ns;       /* their time during it */
    uint32_t tid;                 /* the thread that waited the most */
    uint64_t caller;              /* where most of those waits were made */
    uint64_t busy_ns[TIME_PARTS]; /* the workers' time during it, by time part */
    uint8_t loop;                 /* most of that time, event loops waited (epoll) */
};

/* A Python thread's waits for the GIL. */
struct gil_thread {
    uint32_t tid, name; /* name: strpool id, 0 if unnamed */
    uint64_t wait_ns, wall_ns;
};

/* Python threads that took turns on the GIL. */
struct gil_ex {
    struct gil_thread *threads; /* most waiting first */
    size_t nthreads;
    uint64_t wait_total_ns; /* every thread's waits for the GIL */
    uint64_t thread_ns;     /* every thread's wall time */
    size_t peak;            /* the most of the listed threads alive at once */
};

/* A gil_contention whose listed threads number more than this many times
 * the most alive at once came and went: a thread per request or task. */
#define GIL_SHORT_LIVED 3

/* GIL contention: at least this share (percent) of the process's thread
 * time, and this much time. */
#define GIL_MIN_PERCENT 10
#define GIL_MIN_NS      50000000ull
/* A thread is listed when it waited at least this share (percent) of its
 * own time for the GIL. */
#define GIL_THREAD_PERCENT 5

struct conc_report {
    struct wake_data links; /* after conc_trim(), only its objects (the roles) */
    /* The steps the pool and thread pool detectors may still take
     * (conc_spend): some of their work grows with the product of what a
     * log holds (candidate pools by waits, threads by threads). */
    uint64_t work_left;
    struct pool_ex *pools; /* most waiting first */
    size_t npools;
    struct tpool_ex *tpools; /* most waiting first */
    size_t ntpools;
    struct gil_ex *gil; /* NULL: no contention worth a finding */
};

/* Links the waits of w's process, runs the detectors and frees w; the
 * links stay whole in c->links until conc_trim(c) keeps only what the
 * report needs.
 * slow_ns (--slow-ms) is the least waiting that makes a pool or thread
 * pool finding; the threads' time breakdown (breakdown.h) gives their GIL
 * waits. */
struct conc_report *conc_analyze(struct wakes *w, uint64_t slow_ns,
                                 const struct thread_time *threads, size_t nthreads);

void conc_trim(struct conc_report *c);

void conc_report_free(struct conc_report *c);

/* The role of a lock (wakes.h): which locks lock_contention may name. */
enum wait_role conc_lock_role(const struct conc_report *c, uint64_t addr, int kind);

/* Steps the detectors may take for a log of len bytes: real logs take a
 * few per wait. */
#define CONC_WORK(len) ((64ull << 20) + 64ull * (len))

/* Whether the detectors may take `steps` more steps (a loop's turn, an
 * event read again); when not, the process gets a note that they stopped
 * there, and every later call says no. */
int conc_spend(struct conc_report *c, uint64_t steps);

/* The detectors (called by conc_analyze). */
void find_pools(struct conc_report *c, const struct wake_data *d, uint64_t slow_ns);
void find_tpools(struct conc_report *c, const struct wake_data *d, uint64_t slow_ns);
void find_gil(struct conc_report *c, const struct thread_time *threads, size_t nthreads);

/* "sqlite connections to /srv/app.db", "postgres connections to host=...
 * dbname=...", or without " to ..." when the opening was not seen. */
const char *pool_resource(const struct ws_process *p, const struct pool_ex *x, char *buf,
                          size_t len);

#endif
