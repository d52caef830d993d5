/* SPDX-License-Identifier: MIT */
/*
 * wakes.c - collects a process's waits, wakes and connection runs as its
 * timeline is read, then links each wait to its waker and gives each
 * object waited on its role (see wakes.h for the rules).
 *
 * Only compact records are kept: a wait (40 bytes), a wake (24) or a run
 * (40), and a thread's database calls on one connection in a row are one
 * run however many there are.  A wake no wait can take (none is running
 * on its object: the unlock of a mutex that a cond wait re-took, say) is
 * not kept; waits on the GIL are not kept (a Python program has many: the
 * time breakdown sums them); and a process with one thread has no one to
 * wake: nothing is kept for it.  Each object waited on gets a number as
 * it is first met, so the waits and wakes of one object are found by a
 * counting sort. */
#include "conc/wakes.h"

#include "base/text.h"
#include "base/util.h"
#include "log/calls.h"
#include "symbols/symbolize.h"

#include <whyslow/format.h>

#include <errno.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <string.h>

struct thread_state {
    uint32_t serial, tid;
    int64_t first;     /* its first event */
    int64_t start_rec; /* its THREAD_START, when has_start */
    int64_t end_rec;   /* its THREAD_END, when has_end */
    uint32_t parent;   /* its creator's serial from its THREAD_START, or 0 */
    int has_start, has_end;
    size_t run1;        /* its current run, index + 1 (0: none) */
    int parked;         /* it waited on a cond, sem or futex since its run's last call */
    size_t last_wake1;  /* its latest wake, index + 1, while nothing else came after it */
    int acted;          /* it made a call (GIL waits aside) */
    uint32_t calls;     /* its syscalls and database calls so far */
    int64_t first_call; /* the start of its first of them (INT64_MAX: none yet) */
};

/* Threads by serial: an array for the small serials a recorder gives. */
#define DIRECT_SERIALS 4096

struct wakes {
    struct ws_process *p;
    int off;                         /* one thread: nothing to link */
    uint32_t direct[DIRECT_SERIALS]; /* serial -> index + 1 in ts */
    struct map thread_ix;            /* larger serials -> index + 1 */
    struct thread_state *ts;
    size_t nts, tscap;
    struct map gil; /* lock address -> 1 + whether it is the GIL */
    struct gil_seen {
        uint64_t addr;
        int gil;
    } gil_cache[64]; /* the latest answers, by address: a few locks take most calls */
    struct oid_seen {
        uint64_t obj;
        uint32_t oid1; /* oid + 1 */
        uint8_t kind;
    } oid_cache[64]; /* likewise for object numbers */
    struct map oids; /* (obj, kind) -> index + 1 in objs */
    struct wk_object *objs;
    int64_t *until; /* per object: the latest end of a wait on it that can be woken */
    size_t nobjs, objcap, untilcap;
    struct map conn_ix; /* connection -> index + 1 in conns, of its latest open */
    struct map texts;   /* ws_event.text -> strpool id of what a connection was opened to */
    struct wk_wait *waits;
    size_t nwaits, waitcap;
    struct wk_wake *wakes;
    size_t nwakes, wakecap;
    struct wk_run *runs;
    size_t nruns, runcap;
    struct wk_conn *conns;
    size_t nconns, conncap;
    /* Notifications through fds (notify_event()). */
    struct map peers;    /* fd -> the other end of its socketpair + 1 */
    struct map watched;  /* channel -> (epoll fd + 1) << 32 | the fd watched in it */
    struct map eventfds; /* target -> 1 + whether it names an eventfd */
};

struct wakes *wakes_open(struct ws_process *p)
{
    struct wakes *w = xcalloc(1, sizeof(*w));
    w->p = p;
    w->off = p->nthreads < 2;
    return w;
}

static struct thread_state *thread_of(struct wakes *w, const struct ws_event *ev, uint32_t *ix)
{
    uint32_t *direct = ev->thread < DIRECT_SERIALS ? &w->direct[ev->thread] : NULL;
    uint64_t *slot = NULL;
    if (!direct) slot = map_put(&w->thread_ix, ev->thread, 0, NULL);
    uint64_t at = direct ? *direct : *slot;
    if (!at) {
        struct thread_state t = {
            .serial = ev->thread, .tid = ev->tid, .first = ev->at, .first_call = INT64_MAX};
        ARRAY_PUSH(w->ts, w->nts, w->tscap) = t;
        at = w->nts;
        if (direct)
            *direct = (uint32_t)at;
        else
            *map_put(&w->thread_ix, ev->thread, 0, NULL) = at;
    }
    *ix = (uint32_t)(at - 1);
    return &w->ts[at - 1];
}

static int is_gil(struct wakes *w, uint64_t addr)
{
    struct gil_seen *c = &w->gil_cache[(addr >> 3) % 64];
    if (c->addr == addr && addr) return c->gil;
    int created;
    uint64_t *slot = map_put(&w->gil, addr, 0, &created);
    if (created) *slot = 1 + (sym_is_gil(w->p, addr) != 0);
    c->addr = addr;
    c->gil = *slot == 2;
    return c->gil;
}

/* The number of the object (obj, kind), made when create is set; -1 if none. */
static long object_of(struct wakes *w, uint64_t obj, enum lock_kind kind, int create)
{
    struct oid_seen *c = &w->oid_cache[(obj >> 3) % 64];
    if (c->oid1 && c->obj == obj && c->kind == kind) return (long)c->oid1 - 1;
    uint64_t *slot = create ? map_put(&w->oids, obj, (uint64_t)kind, NULL)
                            : map_get(&w->oids, obj, (uint64_t)kind);
    if (!slot) return -1;
    if (!*slot) {
        struct wk_object o = {.obj = obj, .kind = (uint8_t)kind};
        ARRAY_PUSH(w->objs, w->nobjs, w->objcap) = o;
        xgrow(&w->until, &w->untilcap, w->nobjs, sizeof(*w->until));
        w->until[w->nobjs - 1] = INT64_MIN;
        *slot = w->nobjs;
    }
    *c = (struct oid_seen){.obj = obj, .oid1 = (uint32_t)*slot, .kind = (uint8_t)kind};
    return (long)*slot - 1;
}

/* A semaphore destroyed: whatever is made at its address from now on is
 * another object, with a role of its own. */
static void end_object(struct wakes *w, uint64_t obj, enum lock_kind kind)
{
    struct oid_seen *c = &w->oid_cache[(obj >> 3) % 64];
    if (c->obj == obj && c->kind == kind) c->oid1 = 0;
    map_del(&w->oids, obj, (uint64_t)kind);
}

/* A wait of thread t (index ix) on ev's object, of kind; ok: it
 * succeeded, and may have a waker. */
static void add_wait(struct wakes *w, const struct thread_state *t, uint32_t ix,
                     const struct ws_event *ev, enum lock_kind kind, int ok)
{
    long oid = object_of(w, (uint64_t)ev->obj, kind, 1);
    struct wk_wait a = {.start = ev->at,
                        .end = event_end(ev),
                        .caller = ev->caller,
                        .oid = (uint32_t)oid,
                        .thread = ix,
                        .calls = t->calls,
                        .kind = (uint8_t)kind,
                        .flags = ok ? WAIT_OK : 0};
    ARRAY_PUSH(w->waits, w->nwaits, w->waitcap) = a;
    w->objs[oid].nwaits++;
    w->objs[oid].wait_ns += a.end - a.start;
    if (ok && a.end > w->until[oid]) w->until[oid] = a.end;
}

static void lock_event(struct wakes *w, struct thread_state *t, uint32_t ix,
                       const struct ws_event *ev)
{
    enum lock_kind kind = lock_kind_of(ev->call);
    if (ev->call == WS_SEM_DESTROY) { /* not an act of the thread's: no wake, no wait */
        end_object(w, (uint64_t)ev->obj, kind);
        return;
    }
    int waited = lock_event_waited(ev), wakes = lock_event_wakes(ev);
    if (is_gil(w, (uint64_t)ev->obj)) {
        /* Not the thread's own doing: a Python thread takes and drops
         * the GIL all the time, also after its last act.  (The time
         * breakdown sums its waits for the GIL.) */
        return;
    }
    int first = !t->acted;
    t->acted = 1;
    t->last_wake1 = 0;
    if (wakes) {
        /* Waits come in the order they started, so a wait this wake can
         * end has come already: when none is still running (or ended within
         * the slack), no one can take it, and it is not kept. */
        long oid = object_of(w, (uint64_t)ev->obj, kind, 0);
        if (oid < 0 || w->until[oid] + WAKE_SLACK_NS < ev->at) return;
        struct wk_wake k = {
            .at = ev->at, .oid = (uint32_t)oid, .thread = ix, .calls = t->calls, .kind = kind};
        k.uses = ev->call == WS_COND_BROADCAST ? WAKE_ALL
                 : ev->call == WS_FUTEX_WAKE && ev->result > 1
                     ? (uint16_t)(ev->result < 1000 ? ev->result : 1000)
                     : 1;
        if (first) k.flags |= WAKE_FIRST;
        ARRAY_PUSH(w->wakes, w->nwakes, w->wakecap) = k;
        w->objs[oid].nwakes++;
        t->last_wake1 = w->nwakes;
        return;
    }
    if (!waited) return; /* an acquisition or release recorded in all mode */
    add_wait(w, t, ix, ev, kind, ev->result == 0);
    if (kind == LOCK_COND || kind == LOCK_SEM || kind == LOCK_FUTEX) t->parked = 1;
}

/* What a connection was opened to (its payload, cleaned for printing),
 * as a strpool id; a text known by its number is cleaned once. */
static uint32_t resource_of(struct wakes *w, const struct ws_event *ev)
{
    if (!ev->payload_len) return 0;
    int created = 1;
    uint64_t *id = ev->text ? map_put(&w->texts, ev->text, 0, &created) : NULL;
    if (!created) return (uint32_t)*id;
    char buf[4096];
    size_t n = text_clean(ev->payload, ev->payload_len, buf, sizeof(buf));
    uint32_t r = strpool_intern(&w->p->strings, buf, n);
    if (id) *id = r;
    return r;
}

/* A connection opened: what to, for the runs on it from now on. */
static void conn_open(struct wakes *w, const struct ws_event *ev)
{
    struct wk_conn c = {.conn = (uint64_t)ev->obj, .postgres = ev->call == WS_PG_CONNECT};
    c.resource = resource_of(w, ev);
    ARRAY_PUSH(w->conns, w->nconns, w->conncap) = c;
    *map_put(&w->conn_ix, c.conn, 0, NULL) = w->nconns;
}

/* Whether a database call uses the connection its obj is: not a close, not
 * an open that failed, not a statement's text (whose obj is the statement). */
static int uses_connection(const struct ws_event *ev)
{
    if (call_obj(ev->call) != OBJ_CONN || (ws_call_flags(ev->call) & WS_CALL_CLOSES)) return 0;
    return ev->call != WS_SQLITE_OPEN || ev->result == 0;
}

static void db_event(struct wakes *w, struct thread_state *t, uint32_t ix,
                     const struct ws_event *ev)
{
    if (ev->obj == 0 || !uses_connection(ev)) return;
    if (ev->call == WS_SQLITE_OPEN || ev->call == WS_PG_CONNECT) {
        conn_open(w, ev);
        t->run1 = 0; /* a new connection, even at an old one's address */
    }
    uint64_t conn = (uint64_t)ev->obj;
    int64_t end = event_end(ev);
    if (t->run1 && !t->parked && w->runs[t->run1 - 1].conn == conn) {
        struct wk_run *r = &w->runs[t->run1 - 1];
        if (end > r->end) r->end = end;
        return;
    }
    uint64_t *db = map_get(&w->conn_ix, conn, 0);
    struct wk_run r = {.start = ev->at,
                       .end = end,
                       .conn = conn,
                       .thread = ix,
                       .db = db ? (uint32_t)*db : 0,
                       .postgres = call_family(ev->call) == FAMILY_PQ};
    ARRAY_PUSH(w->runs, w->nruns, w->runcap) = r;
    t->run1 = w->nruns;
    t->parked = 0;
}

/* ---- notifications through fds ----
 *
 * An event loop learns that a worker thread finished a task through an
 * fd its epoll set watches: libuv's eventfd, asyncio's socketpair, a
 * pipe.  A write on such a channel by another thread is a wake of the set
 * (kind LOCK_NOTIFY, the epoll fd as object), and each epoll wait is a
 * wait on it, successful when it returned events.  Writes on other fds
 * (a socket to a client, which the set may also watch) wake no one.
 */

#define CHAN_PIPE 1ull << 62 /* channels: a pipe by its inode's name, */
#define CHAN_PAIR 2ull << 62 /* a socketpair by its lower fd, an eventfd by its fd */

static int is_eventfd(struct wakes *w, const struct ws_event *ev)
{
    if (ev->target_kind != WS_FD_OTHER || !ev->target) return 0;
    int created;
    uint64_t *slot = map_put(&w->eventfds, ev->target, 0, &created);
    if (created)
        *slot = 1 + (strcmp(strpool_get(&w->p->strings, ev->target), "anon_inode:[eventfd]") == 0);
    return *slot == 2;
}

/* The channel an event's fd is an end of, or 0: none that notifies. */
static uint64_t channel_of(struct wakes *w, const struct ws_event *ev)
{
    if (ev->obj < 0) return 0;
    if (ev->target_kind == WS_FD_PIPE && ev->target) return CHAN_PIPE | ev->target;
    uint64_t *peer = map_get(&w->peers, (uint64_t)ev->obj, 0);
    if (peer)
        return CHAN_PAIR | (uint64_t)(ev->obj < (int64_t)*peer - 1 ? ev->obj : (int64_t)*peer - 1);
    return is_eventfd(w, ev) ? (uint64_t)ev->obj : 0;
}

static void notify_event(struct wakes *w, struct thread_state *t, uint32_t ix,
                         const struct ws_event *ev)
{
    uint64_t chan;
    switch (ev->call) {
    case WS_SOCKETPAIR:
        if (ev->result != 0 || ev->obj < 0 || (int64_t)ev->aux1 < 0) return;
        *map_put(&w->peers, (uint64_t)ev->obj, 0, NULL) = ev->aux1 + 1;
        *map_put(&w->peers, ev->aux1, 0, NULL) = (uint64_t)ev->obj + 1;
        return;
    case WS_EPOLL_CTL:
        if (ev->result != 0 || !(chan = channel_of(w, ev))) return;
        if (ev->aux2 == EPOLL_CTL_DEL)
            map_del(&w->watched, chan, 0);
        else
            *map_put(&w->watched, chan, 0, NULL) = (ev->aux1 + 1) << 32 | (uint32_t)ev->obj;
        return;
    case WS_CLOSE: {
        if (ev->result != 0) return;
        chan = channel_of(w, ev);
        uint64_t *at = chan ? map_get(&w->watched, chan, 0) : NULL;
        if (at && (uint32_t)*at == (uint32_t)ev->obj) map_del(&w->watched, chan, 0);
        uint64_t *peer = map_get(&w->peers, (uint64_t)ev->obj, 0);
        if (peer) map_del(&w->peers, *peer - 1, 0);
        map_del(&w->peers, (uint64_t)ev->obj, 0);
        return;
    }
    case WS_EPOLL_WAIT:
    case WS_EPOLL_PWAIT: {
        if (ev->unfinished || ev->obj < 0) return;
        add_wait(w, t, ix, ev, LOCK_NOTIFY, ev->result > 0);
        return;
    }
    }
    if (!(ws_call_flags(ev->call) & WS_CALL_WRITES) || ev->result <= 0 ||
        !(chan = channel_of(w, ev)))
        return;
    uint64_t *at = map_get(&w->watched, chan, 0);
    long oid = at ? object_of(w, (*at >> 32) - 1, LOCK_NOTIFY, 0) : -1;
    if (oid < 0 || w->until[oid] + WAKE_SLACK_NS < ev->at) return;
    struct wk_wake k = {.at = ev->at,
                        .oid = (uint32_t)oid,
                        .thread = ix,
                        .calls = t->calls,
                        .uses = 1,
                        .kind = LOCK_NOTIFY};
    if (!t->acted) k.flags |= WAKE_FIRST;
    ARRAY_PUSH(w->wakes, w->nwakes, w->wakecap) = k;
    w->objs[oid].nwakes++;
    t->last_wake1 = w->nwakes;
}

void wakes_event(struct wakes *w, const struct ws_event *ev)
{
    if (w->off || ev->call == WS_EV_FD_INFO) return;
    uint32_t ix;
    struct thread_state *t = thread_of(w, ev, &ix);
    switch (ev->call) {
    case WS_EV_THREAD_START:
        t->start_rec = ev->at;
        t->parent = ev->result > 0 && ev->result <= UINT32_MAX ? (uint32_t)ev->result : 0;
        t->has_start = 1;
        return;
    case WS_EV_THREAD_END:
        t->end_rec = ev->at;
        t->has_end = 1;
        if (t->last_wake1) w->wakes[t->last_wake1 - 1].flags |= WAKE_EXIT;
        return;
    case WS_EV_THREAD_NAME:
        return;
    }
    if (lock_kind_of(ev->call) != LOCK_NONE) {
        lock_event(w, t, ix, ev);
        return;
    }
    t->last_wake1 = 0;
    if (call_is_syscall(ev->call) || call_is_db(ev->call)) {
        if (t->first_call == INT64_MAX) t->first_call = ev->at;
        t->calls++;
    }
    if (call_is_syscall(ev->call)) notify_event(w, t, ix, ev);
    t->acted = 1;
    if (call_is_db(ev->call)) db_event(w, t, ix, ev);
}

/* ---- linking ---- */

void by_object(size_t nobjs, size_t n, const uint32_t *oid_of, size_t stride, uint32_t **pos,
               size_t **first)
{
    size_t *f = xcalloc(nobjs + 2, sizeof(*f));
    uint32_t *p = xmalloc((n ? n : 1) * sizeof(*p));
    for (size_t i = 0; i < n; i++)
        f[*(const uint32_t *)((const char *)oid_of + i * stride) + 2]++;
    for (size_t o = 0; o < nobjs; o++)
        f[o + 2] += f[o + 1];
    for (size_t i = 0; i < n; i++)
        p[f[*(const uint32_t *)((const char *)oid_of + i * stride) + 1]++] = (uint32_t)i;
    *pos = p;
    *first = f;
}

/*
 * The wakes by object, each object's in time order, and which are used
 * up: a signal, a post or an unlock wakes one waiter, a FUTEX_WAKE as many
 * as it says, a broadcast every waiter (but a thread once).  prev[i] and
 * next[i] lead to the nearest position at or before (after) i whose wake
 * is not used up (union-find with path halving; -1 or n: none).
 */
struct linker {
    const struct wake_data *d;
    uint32_t *ix;  /* positions -> wake index */
    size_t *first; /* per object: its first position */
    size_t *after; /* per object: the first position after the latest end linked (waits
                      come in the order they ended, so it only moves on) */
    size_t n;
    uint16_t *left; /* per position: waiters it can still wake */
    int32_t *prev, *next;
    struct map bcast; /* (wake index, waiter thread) -> 1: a broadcast it took */
};

static long find_prev(struct linker *l, long i)
{
    while (i >= 0 && l->prev[i] != i) {
        if (l->prev[i] >= 0) l->prev[i] = l->prev[l->prev[i]];
        i = l->prev[i];
    }
    return i;
}

static long find_next(struct linker *l, long i)
{
    while (i < (long)l->n && l->next[i] != i) {
        if (l->next[i] < (long)l->n) l->next[i] = l->next[l->next[i]];
        i = l->next[i];
    }
    return i;
}

/* Whether the wake at position i may wake wait a. */
static int may_wake(struct linker *l, long i, const struct wk_wait *a)
{
    const struct wk_wake *k = &l->d->wakes[l->ix[i]];
    if (k->thread == a->thread) return 0;
    return l->left[i] != WAKE_ALL || !map_get(&l->bcast, l->ix[i], a->thread);
}

static void take(struct linker *l, long i, const struct wk_wait *a)
{
    if (l->left[i] == WAKE_ALL) {
        map_put(&l->bcast, l->ix[i], a->thread, NULL);
    } else if (--l->left[i] == 0) {
        l->prev[i] = (int32_t)(i - 1);
        l->next[i] = (int32_t)(i + 1);
    }
}

/* Positions looked at past ones another wait's thread made, at most. */
#define LINK_SCAN 32

/* The waker of a wait: the latest wake left on its object from another
 * thread within the wait; else the first within the slack after it. */
static uint32_t find_waker(struct linker *l, const struct wk_wait *a)
{
    const struct wk_wake *wk = l->d->wakes;
    long lo = (long)l->first[a->oid], hi = (long)l->first[a->oid + 1];
    size_t *after = &l->after[a->oid];
    while (*after < (size_t)hi && wk[l->ix[*after]].at <= a->end)
        (*after)++;
    long at = (long)*after;
    int scan = 0;
    for (long i = find_prev(l, at - 1); i >= lo && scan < LINK_SCAN;
         i = find_prev(l, i - 1), scan++) {
        if (wk[l->ix[i]].at < a->start) break;
        if (may_wake(l, i, a)) {
            take(l, i, a);
            return l->ix[i] + 1;
        }
    }
    scan = 0;
    for (long i = find_next(l, at); i < hi && scan < LINK_SCAN; i = find_next(l, i + 1), scan++) {
        if (wk[l->ix[i]].at > a->end + WAKE_SLACK_NS) break;
        if (may_wake(l, i, a)) {
            take(l, i, a);
            return l->ix[i] + 1;
        }
    }
    return 0;
}

struct end_key {
    uint64_t end; /* the wait's end, from the earliest one's */
    uint32_t wait;
};

/* Sorts the keys by end, ties in their order (a stable LSD radix sort,
 * 11 bits a pass, as many passes as the ends need). */
static void sort_by_end(struct end_key *v, size_t n)
{
    uint64_t top = 0;
    for (size_t i = 0; i < n; i++)
        if (v[i].end > top) top = v[i].end;
    struct end_key *tmp = xmalloc((n ? n : 1) * sizeof(*tmp));
    size_t *count = xmalloc(2049 * sizeof(*count));
    for (unsigned shift = 0; shift < 64 && (top >> shift); shift += 11) {
        memset(count, 0, 2049 * sizeof(*count));
        for (size_t i = 0; i < n; i++)
            count[(v[i].end >> shift & 2047) + 1]++;
        for (size_t b = 0; b < 2048; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++)
            tmp[count[v[i].end >> shift & 2047]++] = v[i];
        memcpy(v, tmp, n * sizeof(*v));
    }
    xfree(count);
    xfree(tmp);
}

/* Links the waits in the order they ended: a wake taken by one that ended
 * earlier is not there for a later one. */
static void link_waits(struct wake_data *d)
{
    struct linker l = {.d = d, .n = d->nwakes};
    by_object(d->nobjects, d->nwakes, d->wakes ? &d->wakes[0].oid : NULL, sizeof(*d->wakes), &l.ix,
              &l.first);
    size_t n = d->nwakes ? d->nwakes : 1;
    l.left = xmalloc(n * sizeof(*l.left));
    l.after = xmalloc((d->nobjects ? d->nobjects : 1) * sizeof(*l.after));
    for (size_t o = 0; o < d->nobjects; o++)
        l.after[o] = l.first[o];
    l.prev = xmalloc(n * sizeof(*l.prev));
    l.next = xmalloc(n * sizeof(*l.next));
    for (size_t i = 0; i < d->nwakes; i++) {
        l.left[i] = d->wakes[l.ix[i]].uses;
        l.prev[i] = l.next[i] = (int32_t)i;
    }

    struct end_key *order = xmalloc((d->nwaits ? d->nwaits : 1) * sizeof(*order));
    size_t m = 0;
    int64_t first_end = INT64_MAX;
    for (size_t i = 0; i < d->nwaits; i++)
        if (d->waits[i].end < first_end) first_end = d->waits[i].end;
    for (size_t i = 0; i < d->nwaits; i++)
        if ((d->waits[i].flags & WAIT_OK) && d->objects[d->waits[i].oid].nwakes)
            order[m++] =
                (struct end_key){(uint64_t)d->waits[i].end - (uint64_t)first_end, (uint32_t)i};
    sort_by_end(order, m);
    for (size_t k = 0; k < m; k++) {
        struct wk_wait *a = &d->waits[order[k].wait];
        a->waker = find_waker(&l, a);
        if (!a->waker) continue;
        /* A new thread telling the one that started it that it runs (the
         * start may be stamped after the wait's end, as the wake may). */
        const struct wk_wake *w = &d->wakes[a->waker - 1];
        const struct wk_thread *x = &d->threads[w->thread];
        if ((w->flags & WAKE_FIRST) || (x->start >= a->start && x->start <= w->at))
            a->flags |= WAIT_HANDSHAKE;
    }
    xfree(order);
    xfree(l.ix);
    xfree(l.first);
    xfree(l.after);
    xfree(l.left);
    xfree(l.prev);
    xfree(l.next);
    map_free(&l.bcast);
}

/* ---- roles ---- */

static const struct wk_object *sort_objects;

static int cmp_object(const void *a, const void *b)
{
    const struct wk_object *x = &sort_objects[*(const uint32_t *)a];
    const struct wk_object *y = &sort_objects[*(const uint32_t *)b];
    if (x->obj != y->obj) return x->obj < y->obj ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

/* The object at obj, of kind; of several in turn there (a semaphore
 * destroyed and another made at its address), the one waited on longest:
 * what the address's line in the report mostly counts. */
static const struct wk_object *find_object(const struct wake_data *d, uint64_t obj, int kind)
{
    size_t lo = 0, hi = d->nobjects;
    while (lo < hi) { /* the first at (obj, kind) or after */
        size_t mid = lo + (hi - lo) / 2;
        const struct wk_object *o = &d->objects[d->objects_by_addr[mid]];
        if (o->obj < obj || (o->obj == obj && o->kind < kind))
            lo = mid + 1;
        else
            hi = mid;
    }
    const struct wk_object *best = NULL;
    for (; lo < d->nobjects; lo++) {
        const struct wk_object *o = &d->objects[d->objects_by_addr[lo]];
        if (o->obj != obj || o->kind != kind) break;
        if (!best || o->wait_ns > best->wait_ns) best = o;
    }
    return best;
}

/* Each object's role; then each wait's. */
static void give_roles(struct wake_data *d, struct wakes *w)
{
    /* A sem or futex is a lock unless a producer releases it: a thread
     * that never waits for it, and whose releases mostly let a waiter go
     * on (a post that lets no one go on means the poster took the object
     * back at once, without waiting: a lock's holder does that). */
    /* Who waited where: threads 0-63 in a mask per object, others in a map. */
    uint64_t *mask = xcalloc(d->nobjects ? d->nobjects : 1, sizeof(*mask));
    struct map waiters = {0}; /* (oid, thread) -> 1: it waited there */
    for (size_t i = 0; i < d->nwaits; i++) {
        const struct wk_wait *a = &d->waits[i];
        if (a->thread < 64)
            mask[a->oid] |= 1ull << a->thread;
        else
            map_put(&waiters, a->oid, a->thread, NULL);
    }
    uint8_t *consumed = xcalloc(d->nwakes ? d->nwakes : 1, 1);
    for (size_t i = 0; i < d->nwaits; i++)
        if (d->waits[i].waker) consumed[d->waits[i].waker - 1] = 1;
    struct map posts = {0}; /* (oid, non-waiting thread) -> posts << 32 | consumed */
    uint8_t *producer = xcalloc(d->nobjects ? d->nobjects : 1, 1);
    for (size_t i = 0; i < d->nwakes; i++) {
        const struct wk_wake *k = &d->wakes[i];
        if (k->thread < 64 ? (mask[k->oid] >> k->thread & 1)
                           : map_get(&waiters, k->oid, k->thread) != NULL)
            continue;
        *map_put(&posts, k->oid, k->thread, NULL) += (1ull << 32) + consumed[i];
    }
    for (size_t i = 0; i < posts.cap; i++) {
        const struct map_slot *p = &posts.slots[i];
        if (p->used && (p->value & 0xffffffffu) * 2 >= p->value >> 32) producer[p->a] = 1;
    }
    for (size_t i = 0; i < d->nobjects; i++) {
        struct wk_object *o = &d->objects[i];
        if (o->kind == LOCK_MUTEX || o->kind == LOCK_RWLOCK)
            o->role = WAIT_LOCK;
        else if (o->kind == LOCK_SEM || o->kind == LOCK_FUTEX)
            o->role = o->nwakes && !producer[i] ? WAIT_LOCK : WAIT_PARK;
        else
            o->role = WAIT_PARK;
    }
    xfree(producer);
    xfree(consumed);
    xfree(mask);
    map_free(&posts);
    map_free(&waiters);

    /* The GIL's objects that were waited on. */
    size_t cap = d->nobjects;
    for (size_t i = 0; i < w->gil.cap; i++) {
        const struct map_slot *s = &w->gil.slots[i];
        if (!s->used || s->value != 2) continue;
        for (int kind = LOCK_MUTEX; kind <= LOCK_FUTEX; kind++) {
            struct wk_object o = {.obj = s->a, .kind = (uint8_t)kind, .role = WAIT_GIL};
            ARRAY_PUSH(d->objects, d->nobjects, cap) = o;
        }
    }
    d->objects_by_addr = xmalloc((d->nobjects ? d->nobjects : 1) * sizeof(*d->objects_by_addr));
    for (size_t i = 0; i < d->nobjects; i++)
        d->objects_by_addr[i] = (uint32_t)i;
    sort_objects = d->objects;
    xsort(d->objects_by_addr, d->nobjects, sizeof(*d->objects_by_addr), cmp_object);
    sort_objects = NULL;
    for (size_t i = 0; i < d->nwaits; i++)
        d->waits[i].role = d->objects[d->waits[i].oid].role;
}

void wakes_close(struct wakes *w, struct wake_data *out)
{
    struct ws_process *p = w->p;
    memset(out, 0, sizeof(*out));
    out->p = p;
    out->nthreads = w->nts;
    out->threads = xcalloc(w->nts ? w->nts : 1, sizeof(*out->threads));
    int64_t duration = p->duration_ns > 0 ? p->duration_ns : 0;
    for (size_t i = 0; i < w->nts; i++) {
        const struct thread_state *t = &w->ts[i];
        struct wk_thread *o = &out->threads[i];
        o->serial = t->serial;
        o->tid = t->tid;
        o->start = t->tid == p->pid ? 0 : t->has_start ? t->start_rec : t->first;
        o->end = t->has_end ? t->end_rec : duration;
        if (o->end < o->start) o->end = o->start;
        o->ended = t->has_end;
        o->parent = t->parent;
        o->first_call = t->first_call;
    }
    out->waits = w->waits;
    out->nwaits = w->nwaits;
    out->wakes = w->wakes;
    out->nwakes = w->nwakes;
    out->runs = w->runs;
    out->nruns = w->nruns;
    out->conns = w->conns;
    out->nconns = w->nconns;
    out->objects = w->objs;
    out->nobjects = w->nobjs;
    link_waits(out);
    give_roles(out, w);

    map_free(&w->thread_ix);
    map_free(&w->gil);
    map_free(&w->oids);
    xfree(w->until);
    map_free(&w->conn_ix);
    map_free(&w->texts);
    map_free(&w->peers);
    map_free(&w->watched);
    map_free(&w->eventfds);
    xfree(w->ts);
    xfree(w);
}

void wake_data_free(struct wake_data *d)
{
    xfree(d->threads);
    xfree(d->waits);
    xfree(d->wakes);
    xfree(d->runs);
    xfree(d->conns);
    xfree(d->objects);
    xfree(d->objects_by_addr);
    memset(d, 0, sizeof(*d));
}

enum wait_role wake_role(const struct wake_data *d, uint64_t addr, int kind)
{
    const struct wk_object *o = find_object(d, addr, kind);
    if (o) return (enum wait_role)o->role;
    return kind == LOCK_MUTEX || kind == LOCK_RWLOCK ? WAIT_LOCK : WAIT_PARK;
}

const char *wait_role_name(enum wait_role role)
{
    switch (role) {
    case WAIT_LOCK:
        return "lock";
    case WAIT_GIL:
        return "gil";
    case WAIT_IPC:
        return "ipc";
    default:
        return "park";
    }
}
