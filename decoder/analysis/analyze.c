/* SPDX-License-Identifier: MIT */
/*
 * analyze.c - statistics over the events of each process.
 *
 * Locks: a record with WS_LOCK_CONTENDED, and every cond, sem and futex
 * record, is a wait of `dur`.  Successful lock calls count as
 * acquisitions; when the recorder saw them all (WS_PROC_LOCKS_ALL), a
 * lock's hold time runs from the end of its acquisition to the next
 * release of the same address by the same thread (nesting counted, so a
 * recursive mutex is held until its outermost unlock).
 *
 * SQL: statements go to their query (queries.h), and to the N+1 and
 * repeated-query detectors (nplusone.h, repeated.h); closing a connection
 * ends what they followed on it.  These calls are not syscalls: they are
 * not in the syscall table.
 *
 * Time: each thread's time breakdown (breakdown.h) and its event loop's
 * stalls (stall.h) are followed event by event too.
 * Every event also goes to the wake links (wakes.h), from which the
 * concurrency findings come (concurrency.h) and each lock's role.
 *
 * Everything is gathered in one pass over each process's timeline.
 */
#include "analysis/analyze.h"

#include "analysis/attribute.h"
#include "analysis/helpers.h"
#include "analysis/narrow.h"
#include "base/hashmap.h"
#include "base/util.h"
#include "log/timeline.h"
#include "symbols/symbolize.h"

#include <whyslow/format.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_call(const void *a, const void *b)
{
    const struct call_stat *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    return x->call < y->call ? -1 : x->call > y->call;
}

static int cmp_lock(const void *a, const void *b)
{
    const struct lock_stat *x = a, *y = b;
    if (x->wait_total_ns != y->wait_total_ns) return x->wait_total_ns > y->wait_total_ns ? -1 : 1;
    if (x->acquisitions != y->acquisitions) return x->acquisitions > y->acquisitions ? -1 : 1;
    if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
    return (int)x->kind - (int)y->kind;
}

/* Whether event a is slower than b (ties: the earlier one first). */
static int slower(const struct ws_event *a, const struct ws_event *b)
{
    if (a->dur != b->dur) return a->dur > b->dur;
    return a->at < b->at;
}

/* Inserts a copy of ev into the sorted top list if it belongs there. */
static void top_insert(struct ws_event *top, size_t *n, const struct ws_event *ev)
{
    if (*n == SLOWEST_MAX && !slower(ev, &top[*n - 1])) return;
    size_t i = *n < SLOWEST_MAX ? (*n)++ : SLOWEST_MAX - 1;
    while (i > 0 && slower(ev, &top[i - 1])) {
        top[i] = top[i - 1];
        i--;
    }
    top[i] = *ev;
    top[i].payload = NULL; /* it does not outlive the timeline */
    top[i].payload_len = 0;
}

/* The host of a socket peer on an ephemeral port (32768 and up: a
 * client's, as a server sees it) as "host:*", or 0 for any other target. */
static uint32_t ephemeral_host(struct ws_process *p, uint32_t target)
{
    const char *name = strpool_get(&p->strings, target);
    const char *colon = name ? strrchr(name, ':') : NULL;
    if (!colon || strncmp(name, "unix:", 5) == 0) return 0;
    char *end;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (*end || end == colon + 1 || port < 32768 || port > 65535) return 0;
    char host[256];
    int n = snprintf(host, sizeof(host), "%.*s:*", (int)(colon - name), name);
    if (n < 0 || (size_t)n >= sizeof(host)) return 0;
    return strpool_intern(&p->strings, host, (size_t)n);
}

/* Slow calls of one name on two or more ephemeral ports of one host (a
 * server's clients) become one group on "host:*": one finding, not one
 * per connection.  One such port alone keeps its name (a server that
 * listens on one). */
static void merge_client_ports(struct proc_report *pr)
{
    struct map by_host = {0}; /* (call, host) -> first group index + 1 */
    size_t n = 0;
    for (size_t i = 0; i < pr->nslow; i++) {
        struct slow_group g = pr->slow[i];
        uint32_t host = ephemeral_host(pr->p, g.target);
        uint64_t *first = host ? map_get(&by_host, g.call, host) : NULL;
        if (!first) {
            if (host) *map_put(&by_host, g.call, host, NULL) = n + 1;
            pr->slow[n++] = g;
            continue;
        }
        struct slow_group *into = &pr->slow[*first - 1];
        into->target = host;
        if (g.max_ns > into->max_ns) {
            into->max_ns = g.max_ns;
            into->tid = g.tid;
            into->caller = g.caller;
            into->stack = g.stack;
        }
        into->count += g.count;
        into->total_ns += g.total_ns;
    }
    pr->nslow = n;
    /* The tallies of calls on merged ports go to their group's. */
    struct map *tallies[] = {&pr->tallies, &pr->mark_tallies};
    for (int t = 0; t < 2; t++) {
        struct map moved = {0};
        for (size_t k = 0; k < tallies[t]->cap; k++) {
            struct map_slot *s = &tallies[t]->slots[k];
            if (!s->used) continue;
            unsigned call;
            uint32_t target;
            uint32_t host = tally_call_of(s->a, &call, &target) ? ephemeral_host(pr->p, target) : 0;
            uint64_t *first = host ? map_get(&by_host, call, host) : NULL;
            uint64_t key =
                first && pr->slow[*first - 1].target == host ? tally_call_key(call, host) : s->a;
            *map_put(&moved, key, s->b, NULL) += s->value;
        }
        map_free(tallies[t]);
        *tallies[t] = moved;
    }
    map_free(&by_host);
}

/* A syscall event: its call's statistics, the slowest list, and its
 * slow_syscall group when it took at least the threshold. */
static void call_event(struct proc_report *pr, struct call_stat **by_call, struct map *groups,
                       size_t *groupcap, uint64_t slow_ns, const struct ws_event *ev,
                       int waits_for_client, uint64_t request, uint64_t mark)
{
    struct call_stat *cs = by_call[ev->call];
    if (!cs) cs = by_call[ev->call] = xcalloc(1, sizeof(*cs));
    cs->call = ev->call;
    cs->count++;
    cs->errors += event_failed(ev);
    cs->bytes += event_bytes(ev);
    cs->total_ns += ev->dur;
    if (ev->dur > cs->max_ns) cs->max_ns = ev->dur;
    hist_add(&cs->hist, ev->dur);
    /* A served connection's read between requests waits for the client
     * (requests.h): no slow call. */
    if (!call_can_be_slow(ev->call) || waits_for_client) return;
    top_insert(pr->slowest, &pr->nslowest, ev);
    if (ev->dur < slow_ns) return;
    /* A read of a pipe waits for whoever writes it (pipes.h): no slow call. */
    if (ev->target_kind == WS_FD_PIPE && (ws_call_flags(ev->call) & WS_CALL_READS)) return;
    /* Nor is a call slow for the time its thread may have waited for a
     * CPU: all the waits of the sample intervals it overlaps count
     * against it (a 100 ms interval cannot say which of its calls was
     * kept waiting, so none of them is blamed for it). */
    uint64_t *ti = map_get(&pr->p->thread_index, ev->thread, 0);
    if (ti) {
        uint64_t rq = thread_runq_between(&pr->p->threads[*ti - 1], ev->at, event_end(ev));
        if (ev->dur - (rq < ev->dur ? rq : ev->dur) < slow_ns) return;
    }

    int created;
    uint64_t *slot = map_put(groups, ev->call, ev->target, &created);
    if (created) {
        struct slow_group g = {.call = ev->call, .target = ev->target};
        ARRAY_PUSH(pr->slow, pr->nslow, *groupcap) = g;
        *slot = pr->nslow;
    }
    struct slow_group *g = &pr->slow[*slot - 1];
    if (g->count == 0 || ev->dur > g->max_ns) {
        g->max_ns = ev->dur;
        g->tid = ev->tid;
        g->caller = ev->caller;
        event_stack_keep(&g->stack, ev);
    }
    g->count++;
    g->total_ns += ev->dur;
    if (request) tally_add(&pr->tallies, tally_call_key(ev->call, ev->target), request);
    if (mark) tally_add(&pr->mark_tallies, tally_call_key(ev->call, ev->target), mark);
}

/* The calls, most total time first. */
static void finish_calls(struct proc_report *pr, struct call_stat **by_call)
{
    size_t cap = 0;
    for (int c = 0; c < 256; c++) {
        if (!by_call[c]) continue;
        ARRAY_PUSH(pr->calls, pr->ncalls, cap) = *by_call[c];
        xfree(by_call[c]);
    }
    xsort(pr->calls, pr->ncalls, sizeof(*pr->calls), cmp_call);
}

struct lock_state {
    struct map index;   /* (addr, kind) -> lock index + 1 */
    struct map waiters; /* (lock index, thread) -> 1 */
    struct map callers; /* (lock index, caller) -> waits from there */
    struct map depth;   /* (thread, addr) -> nesting of held locks */
    struct map since;   /* (thread, addr) -> when the outermost hold began */
    uint64_t *best;     /* per lock: waits of its most frequent caller */
    size_t lockcap, bestcap;
};

static struct lock_stat *lock_for(struct proc_report *pr, struct lock_state *ls,
                                  const struct ws_event *ev, size_t *idx)
{
    enum lock_kind kind = lock_kind_of(ev->call);
    int created;
    uint64_t *slot = map_put(&ls->index, (uint64_t)ev->obj, (uint64_t)kind, &created);
    if (created) {
        struct lock_stat l = {.addr = (uint64_t)ev->obj, .kind = kind};
        ARRAY_PUSH(pr->locks, pr->nlocks, ls->lockcap) = l;
        xgrow(&ls->best, &ls->bestcap, pr->nlocks, sizeof(*ls->best));
        ls->best[pr->nlocks - 1] = 0;
        *slot = pr->nlocks;
    }
    *idx = *slot - 1;
    return &pr->locks[*idx];
}

static void lock_wait(struct lock_state *ls, struct lock_stat *l, size_t idx,
                      const struct ws_event *ev)
{
    int created;
    l->contended++;
    l->wait_total_ns += ev->dur;
    if (ev->dur > l->wait_max_ns || l->contended == 1) {
        l->wait_max_ns = ev->dur;
        l->longest_tid = ev->tid;
        event_stack_keep(&l->stack, ev);
    }
    map_put(&ls->waiters, idx, ev->thread, &created);
    if (created) l->threads++;
    uint64_t *n = map_put(&ls->callers, idx, ev->caller, NULL);
    if (++*n > ls->best[idx]) {
        ls->best[idx] = *n;
        l->caller = ev->caller;
    }
}

static void lock_hold(struct lock_state *ls, struct lock_stat *l, const struct ws_event *ev)
{
    uint64_t *depth;
    if (lock_call_acquires(ev->call) && ev->result == 0) {
        depth = map_put(&ls->depth, ev->thread, (uint64_t)ev->obj, NULL);
        if ((*depth)++ == 0)
            *map_put(&ls->since, ev->thread, (uint64_t)ev->obj, NULL) = (uint64_t)event_end(ev);
    } else if (lock_call_releases(ev->call)) {
        depth = map_get(&ls->depth, ev->thread, (uint64_t)ev->obj);
        if (!depth || *depth == 0 || --*depth > 0) return;
        int64_t since = (int64_t)*map_get(&ls->since, ev->thread, (uint64_t)ev->obj);
        uint64_t hold = ev->at > since ? (uint64_t)((__int128)ev->at - since) : 0;
        l->hold_total_ns += hold;
        if (hold > l->hold_max_ns) l->hold_max_ns = hold;
    }
}

static void lock_event(struct proc_report *pr, struct lock_state *ls, const struct ws_event *ev,
                       uint64_t request, uint64_t mark)
{
    size_t idx;
    struct lock_stat *l = lock_for(pr, ls, ev, &idx);
    if (lock_event_waited(ev)) {
        lock_wait(ls, l, idx, ev);
        if (request) tally_add(&pr->tallies, tally_lock_key(l->kind, l->addr), request);
        if (mark) tally_add(&pr->mark_tallies, tally_lock_key(l->kind, l->addr), mark);
    }
    if (lock_call_acquires(ev->call) && ev->result == 0) l->acquisitions++;
    if (pr->all_locks) lock_hold(ls, l, ev);
}

/* Keeps the locks worth showing: waited on, or seen acquired in all mode;
 * most wait first; each with its role from the wake links. */
static void finish_locks(struct proc_report *pr, struct lock_state *ls)
{
    map_free(&ls->index);
    map_free(&ls->waiters);
    map_free(&ls->callers);
    map_free(&ls->depth);
    map_free(&ls->since);
    xfree(ls->best);

    size_t n = 0;
    for (size_t i = 0; i < pr->nlocks; i++)
        if (pr->locks[i].contended || (pr->all_locks && pr->locks[i].acquisitions))
            pr->locks[n++] = pr->locks[i];
    pr->nlocks = n;
    for (size_t i = 0; i < n; i++)
        pr->locks[i].role = conc_lock_role(pr->conc, pr->locks[i].addr, pr->locks[i].kind);
    xsort(pr->locks, pr->nlocks, sizeof(*pr->locks), cmp_lock);
}

struct db_state {
    struct query_table qt;
    struct nplus1 nplus1;
    struct repeated repeated;
    struct slow_queries slow;
};

/* Returns the statement's query id, or NO_QUERY when ev is no statement. */
static uint32_t db_event(struct db_state *db, const struct ws_event *ev)
{
    struct stmt st;
    if (event_is_statement(ev)) {
        queries_add(&db->qt, ev, &st);
        nplus1_statement(&db->nplus1, ev, &st);
        repeated_statement(&db->repeated, ev, &st);
        slow_queries_statement(&db->slow, ev, st.qid);
        return st.qid;
    } else if ((ev->call == WS_SQLITE_CLOSE && ev->result == 0) || ev->call == WS_PG_FINISH) {
        nplus1_close(&db->nplus1, (uint64_t)ev->obj);
        repeated_close(&db->repeated, (uint64_t)ev->obj);
    }
    return NO_QUERY;
}

struct query_key {
    uint64_t total_ns, fp;
    uint32_t id;
};

static int cmp_query_key(const void *a, const void *b)
{
    const struct query_key *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    if (x->fp != y->fp) return x->fp < y->fp ? -1 : 1;
    return x->id < y->id ? -1 : x->id > y->id;
}

/* The queries, their order (most total time first) and what the
 * detectors found go to the process's report. */
static void finish_db(struct proc_report *pr, struct db_state *db)
{
    nplus1_finish(&db->nplus1);
    pr->nplus1 = db->nplus1.loops;
    pr->nnplus1 = db->nplus1.nloops;
    repeated_finish(&db->repeated);
    pr->repeats = db->repeated.found;
    pr->nrepeats = db->repeated.nfound;
    slow_queries_finish(&db->slow, &pr->slow_queries, &pr->nslow_queries);
    queries_done(&db->qt);
    pr->queries = db->qt.q;
    pr->nqueries = db->qt.n;

    struct query_key *keys = xmalloc((pr->nqueries ? pr->nqueries : 1) * sizeof(*keys));
    for (size_t i = 0; i < pr->nqueries; i++)
        keys[i] = (struct query_key){pr->queries[i].total_ns, pr->queries[i].fp, (uint32_t)i};
    xsort(keys, pr->nqueries, sizeof(*keys), cmp_query_key);
    pr->query_order = xmalloc((pr->nqueries ? pr->nqueries : 1) * sizeof(*pr->query_order));
    for (size_t i = 0; i < pr->nqueries; i++)
        pr->query_order[i] = keys[i].id;
    xfree(keys);
}

static int is_park(const void *conc, uint64_t addr, int kind)
{
    return conc_lock_role(conc, addr, kind) == WAIT_PARK;
}

/* Reads the process's timeline once for all its statistics; narrowed to
 * the spans of w when there is one (narrow.h). */
static void analyze_process(struct proc_report *pr, const struct analyze_opts *o,
                            const struct windows *w, uint64_t id_base, uint64_t mark_base)
{
    struct call_stat *by_call[256] = {0};
    struct lock_state ls = {0};
    struct map groups = {0}; /* (call, target) -> slow group index + 1 */
    size_t groupcap = 0;
    struct db_state db = {0};
    struct map stmts = {0}; /* (thread, start) -> query id + 1: statements outside requests */
    struct ws_event ev;

    nplus1_init(&db.nplus1, &db.qt, o->nplus1_min);
    repeated_init(&db.repeated, &db.qt, o->repeat_min);
    slow_queries_init(&db.slow, o->slow_ns);
    struct wakes *wk = wakes_open(pr->p);
    struct breakdown *bd = breakdown_open(pr->p);
    struct stall_finder *sf = stall_open(pr->p, o->stall_ns);
    struct http_state *hs = http_open(pr->p);
    struct mark_state *ms = marks_open(pr->p, o->slow_ns);
    struct timeline *tl = timeline_open(pr->p);
    while (timeline_next(tl, &ev)) {
        uint32_t qid = NO_QUERY;
        if (w && !narrow_inside(w, &ev)) { /* outside: the requests still see it */
            http_event(hs, &ev, qid);
            if (ev.call == WS_EV_MARK_BEGIN || ev.call == WS_EV_MARK_END) /* and where marks are */
                marks_event(ms, &ev, qid);
            continue;
        }
        wakes_event(wk, &ev);
        int syscall = call_is_syscall(ev.call), lock = lock_kind_of(ev.call) != LOCK_NONE;
        /* The requests see the event first: the one it counts for is
         * tallied with the findings it may be part of (attribute.h). */
        int waits_for_client = syscall && http_waits_for_client(hs, &ev);
        if (!syscall && !lock && call_is_db(ev.call)) qid = db_event(&db, &ev);
        size_t in = http_event(hs, &ev, qid), mk = marks_event(ms, &ev, qid);
        uint64_t request = in ? id_base + in - 1 : 0, mark = mk ? mark_base + mk - 1 : 0;
        /* Outside requests, a statement may be a helper's (helpers.h). */
        if (!in && qid != NO_QUERY && http_serving(hs))
            *map_put(&stmts, ev.thread, (uint64_t)ev.at, NULL) = qid + 1;
        if (syscall) {
            call_event(pr, by_call, &groups, &groupcap, o->slow_ns, &ev, waits_for_client, request,
                       mark);
            pipes_event(&pr->pipes, pr->p, &ev);
        } else if (lock)
            lock_event(pr, &ls, &ev, request, mark);
        breakdown_event(bd, &ev);
        stall_event(sf, &ev, qid);
    }
    timeline_close(tl);
    http_close(hs, &pr->requests, &pr->nrequests, &pr->request_counts);
    marks_close(ms, &pr->marks, &pr->nmarks, &pr->mark_counts);
    for (size_t i = 0; i < pr->nmarks; i++)
        pr->marks[i].id = mark_base + i;
    pr->nrequests_found = pr->nrequests;
    for (size_t i = 0; i < pr->nrequests; i++)
        pr->requests[i].id = id_base + i;
    for (size_t i = 0; i < pr->nrequests; i++) {
        struct http_request *r = &pr->requests[i];
        r->template =
            r->path ? http_template(&pr->p->strings, strpool_get(&pr->p->strings, r->path)) : 0;
    }
    breakdown_close(bd, &pr->thread_times, &pr->nthread_times, &pr->time_total, &pr->objwaits,
                    &pr->nobjwaits);
    stall_close(sf, &pr->stalls, &pr->nstalls);
    /* How long each thread waited for a CPU, from the kernel's counts. */
    for (size_t i = 0; i < pr->nthread_times; i++) {
        struct thread_time *tt = &pr->thread_times[i];
        const uint64_t *k = map_get(&pr->p->thread_index, tt->serial, 0);
        tt->runq_ns = k ? thread_runq_ns(&pr->p->threads[*k - 1]) : 0;
        if (tt->runq_ns > tt->wall_ns) tt->runq_ns = tt->wall_ns;
        pr->time_total.runq_ns += tt->runq_ns;
    }
    map_free(&groups);
    pr->conc = conc_analyze(wk, o->slow_ns, pr->thread_times, pr->nthread_times);
    helpers_find(pr, &pr->conc->links, &stmts);
    conc_trim(pr->conc);
    map_free(&stmts);
    /* With every wake-up linked, the semaphore waits that were parks
     * (idle: for work, an event, a thread's end) are wait, not lock. */
    breakdown_parks(pr->thread_times, pr->nthread_times, &pr->time_total, pr->objwaits,
                    pr->nobjwaits, is_park, pr->conc);
    finish_calls(pr, by_call);
    merge_client_ports(pr);
    finish_locks(pr, &ls);
    finish_db(pr, &db);
    if (w) {
        narrow_requests(pr, o, id_base);
        narrow_thread_times(pr);
    }
    sym_release(pr->p); /* the GIL tests opened its files */
}

static int cmp_slow_ref(const void *a, const void *b)
{
    const struct slow_ref *x = a, *y = b;
    if (slower(x->ev, y->ev)) return -1;
    if (slower(y->ev, x->ev)) return 1;
    return x->pr->p->pid < y->pr->p->pid ? -1 : x->pr->p->pid > y->pr->p->pid;
}

static void analyze_all(struct analysis *a, struct ws_process **procs, size_t n,
                        const struct analyze_opts *opts, struct windows **w)
{
    memset(a, 0, sizeof(*a));
    a->slow_ns = opts->slow_ns;
    a->nplus1_min = opts->nplus1_min;
    a->repeat_min = opts->repeat_min;
    a->stall_ns = opts->stall_ns;
    a->procs = xcalloc(n, sizeof(*a->procs));
    a->nprocs = n;

    struct slow_ref *all = NULL;
    size_t nall = 0, allcap = 0;
    uint64_t id_base = 1, mark_base = 1;
    for (size_t i = 0; i < n; i++) {
        struct proc_report *pr = &a->procs[i];
        pr->p = procs[i];
        pr->all_locks = (procs[i]->flags & WS_PROC_LOCKS_ALL) != 0;
        mem_blame(procs[i]->log);
        analyze_process(pr, opts, w ? w[i] : NULL, id_base, mark_base);
        id_base += pr->nrequests_found;
        mark_base += pr->nmarks;
        for (size_t k = 0; k < pr->nslowest; k++)
            ARRAY_PUSH(all, nall, allcap) = (struct slow_ref){pr, &pr->slowest[k]};
    }
    mem_blame(n == 1 ? procs[0]->log : "these logs");
    pipes_link(a->procs, n);
    ipc_link(a);
    endpoints_build(a);
    mark_groups_build(a);
    http_nplus1_find(a);
    xsort(all, nall, sizeof(*all), cmp_slow_ref);
    a->nslowest = nall < SLOWEST_MAX ? nall : SLOWEST_MAX;
    if (nall) memcpy(a->slowest, all, a->nslowest * sizeof(*all));
    xfree(all);
}

void analyze_opts_default(struct analyze_opts *o)
{
    *o = (struct analyze_opts){.slow_ns = 10 * 1000000ull,
                               .nplus1_min = NPLUS1_MIN_DEFAULT,
                               .repeat_min = REPEAT_MIN_DEFAULT,
                               .stall_ns = STALL_MS_DEFAULT * 1000000ull};
}

int analyze(struct analysis *a, struct ws_process **procs, size_t n,
            const struct analyze_opts *opts)
{
    if (!opts->endpoint && !opts->request) {
        analyze_all(a, procs, n, opts, NULL);
        return 0;
    }
    /* Narrowed: a first analysis finds the requests asked for. */
    struct analysis first;
    size_t selected;
    analyze_all(&first, procs, n, opts, NULL);
    struct windows **w = narrow_windows(&first, opts, &selected);
    analysis_free(&first);
    if (selected) analyze_all(a, procs, n, opts, w);
    narrow_free(w, n);
    if (!selected) {
        memset(a, 0, sizeof(*a));
        return -1;
    }
    a->narrowed = selected;
    a->narrowed_to = opts->endpoint;
    return 0;
}

void analysis_free(struct analysis *a)
{
    for (size_t i = 0; i < a->nprocs; i++) {
        struct proc_report *pr = &a->procs[i];
        for (size_t k = 0; k < pr->ncalls; k++)
            hist_free(&pr->calls[k].hist);
        xfree(pr->calls);
        xfree(pr->locks);
        xfree(pr->slow);
        xfree(pr->slow_queries);
        xfree(pr->pipes.v);
        xfree(pr->objwaits);
        xfree(pr->pipe_waits);
        queries_free(pr->queries, pr->nqueries);
        xfree(pr->query_order);
        xfree(pr->nplus1);
        for (size_t k = 0; k < pr->nrepeats; k++)
            xfree(pr->repeats[k].example);
        xfree(pr->repeats);
        xfree(pr->thread_times);
        loop_stalls_free(pr->stalls, pr->nstalls);
        conc_report_free(pr->conc);
        xfree(pr->requests);
        map_free(&pr->request_counts);
        map_free(&pr->tallies);
        xfree(pr->helper_spans);
        xfree(pr->marks);
        map_free(&pr->mark_counts);
        map_free(&pr->mark_tallies);
    }
    endpoints_free(a->endpoints, a->nendpoints);
    mark_groups_free(a->mark_groups, a->nmark_groups);
    endpoints_free(a->called, a->ncalled);
    xfree(a->http_nplus1);
    xfree(a->procs);
    xfree(a->ipc);
    memset(a, 0, sizeof(*a));
}
