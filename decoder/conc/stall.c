/* SPDX-License-Identifier: MIT */
/*
 * stall.c - finding event loops that stalled, and what blocked them (see
 * stall.h).
 *
 * Each thread that waited for events is followed from its first wait on:
 * up to LOOP_SITES call sites of waits (call, caller), each with its open
 * gap (since its last wait returned) and what the thread did in it so far.
 * A thread's events are given out through one sweep (sweep.h) whose spans
 * are the groups of stall.h; the stretches it hands out go to every site
 * whose gap they fall in.  When a site's next wait starts, its gap is a
 * stall if it lasted the threshold, and what it held is kept if it is the
 * longest so far.  Which site is the thread's loop is known only at the
 * end (the one with LOOP_MIN_WAITS waits outside database calls and the
 * most stalled time), so every site is followed until then.
 */
#include "conc/stall.h"

#include "base/hashmap.h"
#include "base/util.h"
#include "sql/queries.h"
#include "time/breakdown.h"
#include "time/sweep.h"

#include <whyslow/format.h>

#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#define LOOP_SITES   4  /* wait call sites followed per thread */
#define STALL_GROUPS 24 /* groups kept per gap, the last one for the rest */

/* A group as a sweep span's (a, b): a = kind << 56 | call << 48 | id (a
 * target, a query or a lock kind), b = the lock's address. */
static uint64_t group_a(enum stall_group_kind kind, unsigned call, uint32_t id)
{
    return (uint64_t)kind << 56 | (uint64_t)(call & 0xff) << 48 | id;
}

struct gap {
    struct acc {
        uint64_t a, b, count, time_ns;
        uint64_t top_ns, caller; /* its longest call that started in the gap, and its caller */
    } g[STALL_GROUPS];
    size_t n;
    uint8_t hint[32];    /* by a hash of (a, b): a group's index + 1, to try first */
    uint64_t covered_ns; /* the time its groups took */
    /* The longest call that started in it: what blocked the loop, as far
     * as a call says (its caller and stack: a Python program's line). */
    uint64_t top_ns, top_caller;
    struct event_stack top_stack;
};

struct site {
    unsigned call;
    uint64_t caller;
    int64_t set;                /* the epoll set waited on (-1: poll, select) */
    int serves;                 /* a wait of it watched what makes a loop (serves_wait()) */
    uint64_t waits, free_waits; /* all, and those outside database calls */
    int open;                   /* a gap is open, since `from` */
    int64_t from;
    struct gap cur, longest;
    uint64_t count, total_ns, longest_ns;
    int64_t longest_at;
};

struct thread_state {
    struct stall_finder *sf;
    uint32_t serial, tid;
    struct sweep sw;
    struct site sites[LOOP_SITES];
    size_t nsites;
};

#define DIRECT 256 /* threads found by their serial without the map */

/* An epoll set, as the process's epoll_ctl calls made it. */
struct epset {
    int64_t epfd;
    int64_t *fds;
    size_t n, cap;
};

struct stall_finder {
    const struct ws_process *p;
    uint64_t stall_ns;
    /* What the process's fds are, from its events: fd -> kind (enum
     * ws_fd_kind) | FD_LISTENS; and its epoll sets: epfd -> index + 1. */
    struct map fd_kinds;
    struct map set_index;
    struct map members; /* (epfd, fd) -> the fd's index + 1 in its set */
    struct epset *sets;
    size_t nsets, setcap;
    struct thread_state **ts;
    size_t n, cap;
    struct thread_state *direct[DIRECT]; /* by serial, the first serials */
    struct map index;                    /* the others: serial -> index in ts + 1 */
};

#define FD_LISTENS 0x100u /* a socket that listens for connections */
#define SET_SERVES 64     /* an epoll set of this many fds is a loop's */

/* A wait for events on a set of fds (epoll, poll, select): a poll or
 * select given none sleeps, and one given a single fd waits for that
 * one (a socket's timeout before a read); neither is a loop's. */
static int loop_wait(const struct ws_event *ev)
{
    if (!(ws_call_flags(ev->call) & WS_CALL_POLLS)) return 0;
    return ev->call == WS_EPOLL_WAIT || ev->call == WS_EPOLL_PWAIT || ev->obj < 0 || ev->obj >= 2;
}

static struct epset *epset_of(struct stall_finder *sf, int64_t epfd, int make)
{
    uint64_t *slot = map_get(&sf->set_index, (uint64_t)epfd, 0);
    if (slot) return &sf->sets[*slot - 1];
    if (!make) return NULL;
    ARRAY_PUSH(sf->sets, sf->nsets, sf->setcap) = (struct epset){.epfd = epfd};
    *map_put(&sf->set_index, (uint64_t)epfd, 0, NULL) = sf->nsets;
    return &sf->sets[sf->nsets - 1];
}

static void epset_remove(struct stall_finder *sf, struct epset *e, int64_t fd)
{
    uint64_t *at = map_get(&sf->members, (uint64_t)e->epfd, (uint64_t)fd);
    if (!at) return;
    size_t i = *at - 1;
    map_del(&sf->members, (uint64_t)e->epfd, (uint64_t)fd);
    e->fds[i] = e->fds[--e->n];
    if (i < e->n) *map_put(&sf->members, (uint64_t)e->epfd, (uint64_t)e->fds[i], NULL) = i + 1;
}

static void epset_add(struct stall_finder *sf, struct epset *e, int64_t fd)
{
    int created;
    uint64_t *at = map_put(&sf->members, (uint64_t)e->epfd, (uint64_t)fd, &created);
    if (!created) return;
    ARRAY_PUSH(e->fds, e->n, e->cap) = fd;
    *at = e->n;
}

static unsigned fd_kind(struct stall_finder *sf, int64_t fd)
{
    uint64_t *k = map_get(&sf->fd_kinds, (uint64_t)fd, 0);
    return k ? (unsigned)*k : 0;
}

static void fd_mark(struct stall_finder *sf, int64_t fd, unsigned kind)
{
    if (fd < 0) return;
    uint64_t *k = map_put(&sf->fd_kinds, (uint64_t)fd, 0, NULL);
    *k = (*k & FD_LISTENS) | kind;
}

/* What an event says of the process's fds and epoll sets. */
static void follow_fds(struct stall_finder *sf, const struct ws_event *ev)
{
    if (call_obj(ev->call) == OBJ_FD && ev->target_kind) fd_mark(sf, ev->obj, ev->target_kind);
    switch (ev->call) {
    case WS_EV_FD_INFO:
        if (ev->err == WS_FD_SOCKET && ev->result == 1)
            *map_put(&sf->fd_kinds, (uint64_t)ev->obj, 0, NULL) |= FD_LISTENS;
        break;
    case WS_ACCEPT:
    case WS_ACCEPT4:
        *map_put(&sf->fd_kinds, (uint64_t)ev->obj, 0, NULL) |= FD_LISTENS | WS_FD_SOCKET;
        if (ev->result >= 0) fd_mark(sf, ev->result, WS_FD_SOCKET);
        break;
    case WS_CONNECT:
        fd_mark(sf, ev->obj, WS_FD_SOCKET);
        break;
    case WS_EPOLL_CTL:
        if (ev->result != 0) break;
        struct epset *e = epset_of(sf, (int64_t)ev->aux1, 1);
        if (ev->aux2 == EPOLL_CTL_DEL)
            epset_remove(sf, e, ev->obj);
        else
            epset_add(sf, e, ev->obj);
        break;
    case WS_CLOSE:
        if (ev->result != 0) break;
        map_del(&sf->fd_kinds, (uint64_t)ev->obj, 0);
        for (size_t i = 0; i < sf->nsets; i++)
            epset_remove(sf, &sf->sets[i], ev->obj);
        struct epset *gone = epset_of(sf, ev->obj, 0);
        while (gone && gone->n)
            epset_remove(sf, gone, gone->fds[gone->n - 1]);
        break;
    default:
        break;
    }
}

/* Whether a loop wait watched what makes a thread an event loop: a
 * listening socket, or two connections or more (docs/rules.md).  A poll
 * or select is known by its count only; an epoll set made before the log
 * began (inherited, or a recorder that did not say) counts as one. */
static int serves_wait(struct stall_finder *sf, const struct ws_event *ev)
{
    if (ev->call != WS_EPOLL_WAIT && ev->call != WS_EPOLL_PWAIT) return 1;
    const struct epset *e = epset_of(sf, ev->obj, 0);
    /* A set watching this many fds serves many: and a wait need not
     * cost a walk over thousands of them. */
    if (!e || e->n >= SET_SERVES) return 1;
    size_t sockets = 0;
    for (size_t i = 0; i < e->n; i++) {
        unsigned k = fd_kind(sf, e->fds[i]);
        if (k & FD_LISTENS) return 1;
        sockets += (k & 0xff) == WS_FD_SOCKET;
    }
    return sockets >= 2;
}

/* The group of a gap for (a, b), made if new; once STALL_GROUPS - 1 are
 * made, the last slot takes every new one (STALL_MORE). */
static struct acc *group(struct gap *g, uint64_t a, uint64_t b)
{
    /* Each stretch of time asks for its group: the hint spares the search
     * most of the time. */
    uint8_t *hint = &g->hint[((a ^ b) * 0x9e3779b97f4a7c15ull) >> 59];
    if (*hint && *hint <= g->n && g->g[*hint - 1].a == a && g->g[*hint - 1].b == b)
        return &g->g[*hint - 1];
    for (size_t i = 0; i < g->n; i++) {
        if (g->g[i].a == a && g->g[i].b == b) {
            *hint = (uint8_t)(i + 1);
            return &g->g[i];
        }
    }
    if (g->n == STALL_GROUPS - 1) g->g[g->n++] = (struct acc){.a = group_a(STALL_MORE, 0, 0)};
    if (g->n == STALL_GROUPS) return &g->g[STALL_GROUPS - 1];
    g->g[g->n] = (struct acc){.a = a, .b = b};
    *hint = (uint8_t)(g->n + 1);
    return &g->g[g->n++];
}

/* A stretch of the thread's time won by a call: to the gaps it is in. */
static void stretch(void *ctx, int64_t from, int64_t to, const struct sweep_span *winner)
{
    struct thread_state *t = ctx;
    for (size_t i = 0; i < t->nsites; i++) {
        struct site *s = &t->sites[i];
        if (!s->open || to <= s->from) continue;
        uint64_t ns = (uint64_t)((__int128)to - (from > s->from ? from : s->from));
        group(&s->cur, winner->a, winner->b)->time_ns += ns;
        s->cur.covered_ns += ns;
    }
}

struct stall_finder *stall_open(const struct ws_process *p, uint64_t stall_ns)
{
    struct stall_finder *sf = xcalloc(1, sizeof(*sf));
    sf->p = p;
    sf->stall_ns = stall_ns;
    return sf;
}

/* The state of ev's thread; NULL until it waits for events. */
static struct thread_state *thread_of(struct stall_finder *sf, const struct ws_event *ev)
{
    if (sf->n == 0 && !loop_wait(ev)) return NULL; /* no loop so far: the usual case */
    if (ev->thread < DIRECT && sf->direct[ev->thread]) return sf->direct[ev->thread];
    uint64_t *slot = ev->thread < DIRECT ? NULL : map_get(&sf->index, ev->thread, 0);
    if (slot) return sf->ts[*slot - 1];
    if (!loop_wait(ev)) return NULL;
    struct thread_state *t = xcalloc(1, sizeof(*t));
    t->sf = sf;
    t->serial = ev->thread;
    t->tid = ev->tid;
    sweep_init(&t->sw, ev->at, stretch, t);
    ARRAY_PUSH(sf->ts, sf->n, sf->cap) = t;
    if (ev->thread < DIRECT)
        sf->direct[ev->thread] = t;
    else
        *map_put(&sf->index, ev->thread, 0, NULL) = sf->n;
    return t;
}

/* A loop's waits: one call from one place, and for epoll on one set (a
 * synchronous call may run a loop of its own from the same code: Node's
 * execSync waits for its child in libuv's uv_run on another epoll set,
 * which does not end the stall it makes). */
static struct site *site_of(struct thread_state *t, const struct ws_event *ev)
{
    int64_t set = ev->call == WS_EPOLL_WAIT || ev->call == WS_EPOLL_PWAIT ? ev->obj : -1;
    for (size_t i = 0; i < t->nsites; i++)
        if (t->sites[i].call == ev->call && t->sites[i].caller == ev->native_caller &&
            t->sites[i].set == set)
            return &t->sites[i];
    if (t->nsites == LOOP_SITES) return NULL;
    struct site *s = &t->sites[t->nsites++];
    memset(s, 0, sizeof(*s));
    s->call = ev->call;
    s->caller = ev->native_caller; /* not a Python site: only slow waits have one */
    s->set = set;
    return s;
}

/* The site's next wait starts at `at`: its gap ends. */
static void close_gap(const struct stall_finder *sf, struct site *s, int64_t at)
{
    uint64_t gap = at > s->from ? (uint64_t)((__int128)at - s->from) : 0;
    if (gap >= sf->stall_ns && gap > 0) {
        s->count++;
        s->total_ns += gap;
        if (gap > s->longest_ns) {
            s->longest_ns = gap;
            s->longest_at = s->from;
            s->longest = s->cur;
        }
    }
    s->cur.n = 0;
    s->cur.covered_ns = 0;
    s->cur.top_ns = s->cur.top_caller = 0;
    s->cur.top_stack.n = s->cur.top_stack.npy = 0;
    memset(s->cur.hint, 0, sizeof(s->cur.hint));
}

/* The group an event goes to, as a span's (a, b); 0 when it goes to none. */
static int group_of(const struct ws_event *ev, uint32_t qid, enum time_part part, uint64_t *a,
                    uint64_t *b)
{
    *b = 0;
    if (part == PART_NONE) return 0;
    enum lock_kind lk = lock_kind_of(ev->call);
    if (qid != NO_QUERY)
        *a = group_a(STALL_QUERY, ev->call, qid);
    else if (lk != LOCK_NONE) {
        *a = group_a(STALL_LOCK, ev->call, (uint32_t)lk);
        *b = (uint64_t)ev->obj;
    } else if (part == PART_SLEEP)
        *a = group_a(STALL_SLEEP, ev->call, 0);
    else
        *a = group_a(STALL_CALL, ev->call, ev->target);
    return 1;
}

void stall_event(struct stall_finder *sf, const struct ws_event *ev, uint32_t qid)
{
    follow_fds(sf, ev);
    struct thread_state *t = thread_of(sf, ev);
    if (!t) return;
    sweep_to(&t->sw, ev->at);

    struct site *own = NULL;
    if (loop_wait(ev) && (own = site_of(t, ev))) {
        if (!own->serves) own->serves = serves_wait(sf, ev);
        /* A wait inside a database call is the library's (libpq polls for
         * its server's answer), not a loop's. */
        int in_db = sweep_running(&t->sw, time_part_priority(PART_DB));
        if (own->open) close_gap(sf, own, ev->at);
        own->waits++;
        own->free_waits += !in_db;
        own->open = 1;
        own->from = event_end(ev);
    }

    int gil;
    uint64_t a, b;
    enum time_part part = time_part_of(sf->p, ev, &gil);
    if (!group_of(ev, qid, part, &a, &b)) return;
    for (size_t i = 0; i < t->nsites; i++) {
        struct site *s = &t->sites[i];
        if (s == own || !s->open || ev->at < s->from) continue;
        struct acc *g = group(&s->cur, a, b);
        g->count++;
        if (ev->dur > g->top_ns) {
            g->top_ns = ev->dur;
            g->caller = ev->caller;
        }
        if (ev->dur > s->cur.top_ns) {
            s->cur.top_ns = ev->dur;
            s->cur.top_caller = ev->caller;
            event_stack_keep(&s->cur.top_stack, ev);
        }
    }
    if (ev->dur) sweep_add(&t->sw, ev->at, event_end(ev), time_part_priority(part), a, b);
}

static int cmp_group(const void *a, const void *b)
{
    const struct stall_group *x = a, *y = b;
    if (x->time_ns != y->time_ns) return x->time_ns > y->time_ns ? -1 : 1;
    if (x->count != y->count) return x->count > y->count ? -1 : 1;
    if (x->kind != y->kind) return x->kind < y->kind ? -1 : 1;
    if (x->call != y->call) return x->call < y->call ? -1 : 1;
    if (x->target != y->target) return x->target < y->target ? -1 : 1;
    if (x->qid != y->qid) return x->qid < y->qid ? -1 : 1;
    return x->addr < y->addr ? -1 : x->addr > y->addr;
}

/* The loop of a thread: the site with enough waits outside database calls
 * that stalled the most; NULL if none stalled. */
static const struct site *loop_of(const struct thread_state *t)
{
    const struct site *best = NULL;
    for (size_t i = 0; i < t->nsites; i++) {
        const struct site *s = &t->sites[i];
        if (s->free_waits < LOOP_MIN_WAITS || s->count == 0 || !s->serves) continue;
        if (!best || s->total_ns > best->total_ns ||
            (s->total_ns == best->total_ns && s->longest_ns > best->longest_ns))
            best = s;
    }
    return best;
}

static void as_stall(const struct thread_state *t, const struct site *s, struct loop_stall *out)
{
    *out = (struct loop_stall){.serial = t->serial,
                               .tid = t->tid,
                               .call = s->call,
                               .caller = s->caller,
                               .waits = s->waits,
                               .count = s->count,
                               .stall_ns = s->longest_ns,
                               .total_ns = s->total_ns,
                               .at_ns = s->longest_at};
    const struct gap *g = &s->longest;
    out->cpu_ns = s->longest_ns > g->covered_ns ? s->longest_ns - g->covered_ns : 0;
    out->blocker = g->top_caller;
    out->stack = g->top_stack;
    out->during = xcalloc(g->n ? g->n : 1, sizeof(*out->during));
    out->nduring = g->n;
    for (size_t i = 0; i < g->n; i++) {
        const struct acc *c = &g->g[i];
        struct stall_group *d = &out->during[i];
        d->kind = (enum stall_group_kind)(c->a >> 56);
        d->call = (unsigned)(c->a >> 48 & 0xff);
        uint32_t id = (uint32_t)c->a;
        if (d->kind == STALL_CALL) d->target = id;
        if (d->kind == STALL_QUERY) d->qid = id;
        if (d->kind == STALL_LOCK) {
            d->lock = (enum lock_kind)id;
            d->addr = c->b;
        }
        d->count = c->count;
        d->time_ns = c->time_ns;
        d->caller = c->caller;
    }
    xsort(out->during, out->nduring, sizeof(*out->during), cmp_group);
}

static int cmp_stall(const void *a, const void *b)
{
    const struct loop_stall *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    if (x->tid != y->tid) return x->tid < y->tid ? -1 : 1;
    return x->serial < y->serial ? -1 : x->serial > y->serial;
}

void stall_close(struct stall_finder *sf, struct loop_stall **stalls, size_t *n)
{
    struct loop_stall *out = NULL;
    size_t nout = 0, cap = 0;
    for (size_t i = 0; i < sf->n; i++) {
        struct thread_state *t = sf->ts[i];
        const struct site *s = loop_of(t);
        if (s) {
            xgrow(&out, &cap, nout + 1, sizeof(*out));
            as_stall(t, s, &out[nout++]);
        }
        sweep_free(&t->sw);
        xfree(t);
    }
    xsort(out, nout, sizeof(*out), cmp_stall);
    *stalls = out;
    *n = nout;
    xfree(sf->ts);
    map_free(&sf->index);
    map_free(&sf->fd_kinds);
    map_free(&sf->set_index);
    map_free(&sf->members);
    for (size_t i = 0; i < sf->nsets; i++)
        xfree(sf->sets[i].fds);
    xfree(sf->sets);
    xfree(sf);
}

void loop_stalls_free(struct loop_stall *stalls, size_t n)
{
    for (size_t i = 0; i < n; i++)
        xfree(stalls[i].during);
    xfree(stalls);
}
