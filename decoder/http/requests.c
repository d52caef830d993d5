/* SPDX-License-Identifier: MIT */
/*
 * requests.c - HTTP requests from a process's timeline (requests.h).
 *
 * One pass, with the analysis's (analyze.c): each connection keeps the
 * requests whose responses are not complete, oldest first; each thread
 * the served requests it works for.  A head record makes a request or
 * gives the oldest one its status; a response that ended (in the same
 * call, or at an end record) completes it; a close ends what is left on
 * the connection, incomplete.  Every other event of a thread that works
 * for a request counts for it: its span from the request's start on,
 * each instant counted once (an event's span counts only past the end of
 * the spans counted before it, so a query's span holds the reads inside
 * it), its database executions, the bytes of the request's connection.
 */
#include "http/requests.h"

#include "base/util.h"
#include "conc/stall.h" /* NO_QUERY */
#include "log/calls.h"

#include <whyslow/format.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

struct conn {
    int64_t fd;
    int served;             /* it brought a request the process served */
    int64_t last_write_end; /* its turns: when its last write ended */
    int wrote;              /* written since its turn began */
    int tls, messages;      /* its bytes were TLS; messages seen in clear */
    size_t *pending;        /* request indexes, oldest first */
    size_t npending, cap;
};

struct thread_work {
    uint32_t thread;
    size_t *active; /* served requests it works for */
    size_t nactive, cap;
    size_t current; /* index + 1 of the one its events count for, 0: none */
    int64_t io_fd;  /* its last read: fd, bytes */
    uint64_t io_bytes;
    int64_t out_fd; /* its last write: fd, where it was made */
    uint64_t out_caller;
};

struct http_state {
    struct ws_process *p;
    uint64_t tls_unseen; /* TLS connections of which no message was seen */
    struct http_request *reqs;
    size_t n, cap;
    int64_t *cursor; /* per request: how far its spans were counted */
    size_t cursorcap;
    struct map conn_index; /* fd -> conn index + 1 */
    struct conn *conns;
    size_t nconns, conncap;
    struct map thread_index; /* thread serial -> thread_work index + 1 */
    struct thread_work *threads;
    size_t nthreads, threadcap;
    struct map counts; /* (request index, query id) -> executions */
    int64_t last_at;
    int serving; /* a request was served */
};

struct http_state *http_open(struct ws_process *p)
{
    struct http_state *h = xcalloc(1, sizeof(*h));
    h->p = p;
    return h;
}

static struct conn *conn_of(struct http_state *h, int64_t fd, int make)
{
    uint64_t *slot = map_get(&h->conn_index, (uint64_t)fd, 0);
    if (slot) return &h->conns[*slot - 1];
    if (!make) return NULL;
    size_t i;
    for (i = 0; i < h->nconns && h->conns[i].fd != -1; i++) /* a closed one's place */
        ;
    if (i == h->nconns) ARRAY_PUSH(h->conns, h->nconns, h->conncap) = (struct conn){.fd = -1};
    h->conns[i].fd = fd;
    h->conns[i].npending = 0;
    h->conns[i].served = 0;
    h->conns[i].wrote = 0;
    h->conns[i].tls = h->conns[i].messages = 0;
    *map_put(&h->conn_index, (uint64_t)fd, 0, NULL) = i + 1;
    return &h->conns[i];
}

static struct thread_work *work_of(struct http_state *h, uint32_t thread)
{
    int created;
    uint64_t *slot = map_put(&h->thread_index, thread, 0, &created);
    if (created) {
        ARRAY_PUSH(h->threads, h->nthreads, h->threadcap) =
            (struct thread_work){.thread = thread, .io_fd = -1, .out_fd = -1};
        *slot = h->nthreads;
    }
    return &h->threads[*slot - 1];
}

/* The first line's words and the headers kept (format.h): strpool ids. */
static void parse_head(struct http_state *h, struct http_request *r, const struct ws_event *ev)
{
    const char *s = (const char *)ev->payload, *end = s + ev->payload_len;
    const char *nl = memchr(s, '\n', ev->payload_len);
    const char *line_end = nl ? nl : end;
    const char *sp = memchr(s, ' ', (size_t)(line_end - s));
    if (sp) {
        r->method = strpool_intern(&h->p->strings, s, (size_t)(sp - s));
        const char *t = sp + 1;
        const char *sp2 = memchr(t, ' ', (size_t)(line_end - t));
        const char *tend = sp2 ? sp2 : line_end;
        r->target = strpool_intern(&h->p->strings, t, (size_t)(tend - t));
        const char *q = memchr(t, '?', (size_t)(tend - t));
        r->path = strpool_intern(&h->p->strings, t, (size_t)((q ? q : tend) - t));
    }
    for (const char *l = nl ? nl + 1 : end; l < end;) {
        const char *e = memchr(l, '\n', (size_t)(end - l));
        if (!e) e = end;
        if ((size_t)(e - l) > 6 && memcmp(l, "Host: ", 6) == 0)
            r->host = strpool_intern(&h->p->strings, l + 6, (size_t)(e - l - 6));
        else if ((size_t)(e - l) > 13 && memcmp(l, "traceparent: ", 13) == 0)
            r->traceparent = strpool_intern(&h->p->strings, l + 13, (size_t)(e - l - 13));
        l = e + 1;
    }
}

static void drop(size_t *arr, size_t *n, size_t v)
{
    for (size_t i = 0; i < *n; i++)
        if (arr[i] == v) {
            memmove(&arr[i], &arr[i + 1], (*n - i - 1) * sizeof(*arr));
            (*n)--;
            return;
        }
}

/* Request i's response ended at `at` (complete: as it said it would). */
static void finish(struct http_state *h, struct conn *c, size_t i, int64_t at, int complete)
{
    struct http_request *r = &h->reqs[i];
    r->end = at > r->start ? at : r->start;
    r->complete = complete;
    drop(c->pending, &c->npending, i);
    uint64_t span = (uint64_t)(r->end - r->start), covered = 0;
    for (int k = 0; k < TIME_PARTS; k++)
        covered += r->part_ns[k];
    r->part_ns[PART_OTHER] += span > covered ? span - covered : 0;
    if (r->outgoing) {
        if (r->parent >= 0) h->reqs[r->parent].calls_ns += span;
        return;
    }
    struct thread_work *w = work_of(h, r->thread);
    drop(w->active, &w->nactive, i);
    if (w->current == i + 1) w->current = w->nactive ? w->active[w->nactive - 1] + 1 : 0;
}

static size_t add_request(struct http_state *h, const struct ws_event *ev, int outgoing)
{
    ARRAY_PUSH(h->reqs, h->n, h->cap) = (struct http_request){0};
    xgrow(&h->cursor, &h->cursorcap, h->n, sizeof(*h->cursor));
    size_t i = h->n - 1;
    struct http_request *r = &h->reqs[i];
    r->outgoing = outgoing;
    r->thread = ev->thread;
    r->tid = ev->tid;
    r->fd = ev->obj;
    r->peer = ev->target;
    r->parent = -1;
    /* A served request starts when its bytes were there (the read
     * returned: it may have waited long for them); a call when the
     * program began to write it. */
    r->start = outgoing ? ev->at : event_end(ev);
    h->cursor[i] = r->start;
    if (!(ev->err & WS_HTTP_TURN)) parse_head(h, r, ev);
    struct thread_work *w = work_of(h, ev->thread);
    if (outgoing) {
        /* Named by its record (in Python, the recorder took the line
         * that made it), else by the write that sent it. */
        r->caller =
            ev->caller != ev->native_caller || w->out_fd != ev->obj ? ev->caller : w->out_caller;
        if (w->current) {
            r->parent = (int64_t)w->current - 1;
            h->reqs[w->current - 1].calls++;
        }
    } else {
        h->serving = 1;
        ARRAY_PUSH(w->active, w->nactive, w->cap) = i;
        w->current = i + 1;
        if (w->io_fd == ev->obj) { /* the read that brought it */
            r->bytes_in += w->io_bytes;
            w->io_bytes = 0;
        }
    }
    struct conn *c = conn_of(h, ev->obj, 1);
    ARRAY_PUSH(c->pending, c->npending, c->cap) = i;
    c->served |= !outgoing;
    return i;
}

/* The oldest request on c going the way of a response read (outgoing)
 * or written (served), and still without a status (want_status) or
 * without an end. */
static size_t oldest(struct http_state *h, struct conn *c, int outgoing, int want_status)
{
    for (size_t k = 0; k < c->npending; k++) {
        struct http_request *r = &h->reqs[c->pending[k]];
        if (r->outgoing == outgoing && !r->turn && (!want_status || r->status == 0))
            return c->pending[k] + 1;
    }
    return 0;
}

/* A turn's first bytes, printable. */
static uint32_t turn_text(struct http_state *h, const struct ws_event *ev)
{
    char text[4 * 32 + 1];
    size_t o = 0;
    for (uint32_t i = 0; i < ev->payload_len && i < 32; i++) {
        unsigned char ch = ev->payload[i];
        o += (size_t)snprintf(text + o, sizeof(text) - o,
                              ch >= 0x20 && ch < 0x7f ? "%c" : "\\x%02x", ch);
    }
    return strpool_intern(&h->p->strings, text, o);
}

/* A turn began: the one before on its connection ended at its last write
 * (incomplete when there was none). */
static void turn_record(struct http_state *h, const struct ws_event *ev)
{
    struct conn *c = conn_of(h, ev->obj, 0);
    if (c)
        for (size_t k = 0; k < c->npending; k++)
            if (h->reqs[c->pending[k]].turn) {
                finish(h, c, c->pending[k], c->wrote ? c->last_write_end : event_end(ev), c->wrote);
                break;
            }
    size_t i = add_request(h, ev, 0);
    struct http_request *r = &h->reqs[i];
    r->turn = 1;
    r->method = strpool_intern(&h->p->strings, "TURN", 4);
    r->path = strpool_intern(&h->p->strings, "*", 1);
    r->target = turn_text(h, ev);
    c = conn_of(h, ev->obj, 0);
    c->wrote = 0;
}

static void http_record(struct http_state *h, const struct ws_event *ev)
{
    if (ev->err & WS_HTTP_TLS) {
        conn_of(h, ev->obj, 1)->tls = 1;
        return;
    }
    struct conn *mc = conn_of(h, ev->obj, 1);
    mc->messages++;
    if (ev->err & WS_HTTP_TURN) {
        turn_record(h, ev);
        return;
    }
    int out = (ev->err & WS_HTTP_OUT) != 0;
    if (!(ev->err & WS_HTTP_RESPONSE)) { /* a request: read, served; written, a call */
        add_request(h, ev, out);
        return;
    }
    struct conn *c = conn_of(h, ev->obj, 0);
    if (!c) return;
    int outgoing = !out; /* a response read answers a call */
    if (!(ev->err & WS_HTTP_END)) {
        /* informational (101 is final: the connection speaks another
         * protocol from then on) */
        if (ev->result >= 100 && ev->result < 200 && ev->result != 101) return;
        size_t i = oldest(h, c, outgoing, 1);
        if (!i) return;
        h->reqs[i - 1].status = (uint32_t)ev->result;
        if (ev->err & WS_HTTP_DONE) finish(h, c, i - 1, event_end(ev), 1);
        return;
    }
    size_t i = oldest(h, c, outgoing, 0);
    if (i && h->reqs[i - 1].status) finish(h, c, i - 1, event_end(ev), 1);
}

/* What ev adds to the served request r (index i). */
static void count_in(struct http_state *h, size_t i, const struct ws_event *ev, uint32_t qid)
{
    struct http_request *r = &h->reqs[i];
    if (qid != NO_QUERY) {
        r->queries++;
        (*map_put(&h->counts, i, qid, NULL))++;
    }
    if (ev->obj == r->fd && call_is_syscall(ev->call)) {
        unsigned f = ws_call_flags(ev->call);
        if ((f & WS_CALL_READS) && ev->result > 0) r->bytes_in += (uint64_t)ev->result;
        if ((f & WS_CALL_WRITES) && ev->result > 0) r->bytes_out += (uint64_t)ev->result;
    }
    int gil;
    enum time_part part = time_part_of(h->p, ev, &gil);
    if (part == PART_NONE) return;
    int64_t from = ev->at > h->cursor[i] ? ev->at : h->cursor[i], to = event_end(ev);
    /* What it waited on longest: a call's span inside the request (a
     * query's too: the reads inside it are not longer). */
    int64_t in_from = ev->at > r->start ? ev->at : r->start;
    if (to > in_from && (uint64_t)(to - in_from) > r->longest_ns) {
        r->longest_ns = (uint64_t)(to - in_from);
        r->longest_call = ev->call;
        r->longest_target = ev->target;
        r->longest_caller = ev->caller;
    }
    if (to <= from) return;
    r->part_ns[part] += (uint64_t)(to - from);
    h->cursor[i] = to;
}

/* The connection c ended at `at`: what is left on it ends there. */
static void conn_end(struct http_state *h, struct conn *c, int64_t at)
{
    while (c->npending) {
        size_t i = c->pending[0];
        if (h->reqs[i].turn && c->wrote)
            finish(h, c, i, c->last_write_end, 1);
        else
            finish(h, c, i, at, 0);
    }
    h->tls_unseen += c->tls && !c->messages;
    map_del(&h->conn_index, (uint64_t)c->fd, 0);
    c->fd = -1;
}

size_t http_event(struct http_state *h, const struct ws_event *ev, uint32_t qid)
{
    h->last_at = event_end(ev) > h->last_at ? event_end(ev) : h->last_at;
    if (ev->call == WS_EV_HTTP) {
        http_record(h, ev);
        return 0;
    }
    if (ev->call >= 100) return 0; /* records, no calls */
    size_t in = 0;
    uint64_t *ws = map_get(&h->thread_index, ev->thread, 0);
    struct thread_work *w = ws ? &h->threads[*ws - 1] : NULL;
    /* (obj is an fd for these calls only: a poll's is a count) */
    int on_fd = call_obj(ev->call) == OBJ_FD;
    struct conn *c =
        on_fd && (ev->call == WS_CLOSE || (w && w->nactive)) ? conn_of(h, ev->obj, 0) : NULL;
    if (w && w->nactive) {
        /* On a thread serving several: the request of the connection it
         * handles now. */
        if (c && call_is_syscall(ev->call))
            for (size_t k = 0; k < c->npending; k++) {
                struct http_request *r = &h->reqs[c->pending[k]];
                if (!r->outgoing && r->thread == ev->thread) {
                    w->current = c->pending[k] + 1;
                    break;
                }
            }
        if ((in = w->current)) count_in(h, in - 1, ev, qid);
    }
    unsigned flags = call_is_syscall(ev->call) ? ws_call_flags(ev->call) : 0;
    if ((flags & WS_CALL_READS) && ev->result > 0) {
        w = w ? w : work_of(h, ev->thread);
        w->io_fd = ev->obj;
        w->io_bytes = (uint64_t)ev->result;
    } else if ((flags & WS_CALL_WRITES) && ev->result > 0) {
        w = w ? w : work_of(h, ev->thread);
        w->out_fd = ev->obj;
        w->out_caller = ev->caller;
        struct conn *tc = c ? c : on_fd ? conn_of(h, ev->obj, 0) : NULL;
        if (tc) {
            tc->last_write_end = event_end(ev);
            tc->wrote = 1;
        }
    }
    if (ev->call == WS_CLOSE && c) conn_end(h, c, event_end(ev));
    /* A new connection on an fd whose close was not seen (libuv closes
     * with syscall(SYS_close)): the old one ended before. */
    if ((ev->call == WS_CONNECT ||
         ((ev->call == WS_ACCEPT || ev->call == WS_ACCEPT4) && ev->result >= 0))) {
        struct conn *old = conn_of(h, ev->call == WS_CONNECT ? ev->obj : ev->result, 0);
        if (old) conn_end(h, old, ev->at);
    }
    return in;
}

int http_serving(const struct http_state *h)
{
    return h->serving;
}

int http_waits_for_client(struct http_state *h, const struct ws_event *ev)
{
    if (!call_is_syscall(ev->call) || !(ws_call_flags(ev->call) & WS_CALL_READS)) return 0;
    const struct conn *c = conn_of(h, ev->obj, 0);
    if (!c || !c->served) return 0;
    for (size_t k = 0; k < c->npending; k++) {
        const struct http_request *r = &h->reqs[c->pending[k]];
        /* (a turn answered: the next read waits for the next one) */
        if (!r->outgoing && !(r->turn && c->wrote)) return 0;
    }
    return 1;
}

void http_close(struct http_state *h, struct http_request **reqs, size_t *n, struct map *counts)
{
    for (size_t k = 0; k < h->nconns; k++) {
        struct conn *c = &h->conns[k];
        while (c->fd != -1 && c->npending) {
            int turn_done = h->reqs[c->pending[0]].turn && c->wrote;
            finish(h, c, c->pending[0], turn_done ? c->last_write_end : h->last_at, turn_done);
        }
    }
    for (size_t k = 0; k < h->nconns; k++) {
        h->tls_unseen += h->conns[k].fd != -1 && h->conns[k].tls && !h->conns[k].messages;
        xfree(h->conns[k].pending);
    }
    if (h->tls_unseen)
        process_note(h->p,
                     "%" PRIu64 " TLS connection%s carried no message seen in clear: TLS made "
                     "by a library the recorder does not follow (a statically linked OpenSSL, as "
                     "Node's; GnuTLS, NSS, rustls) or by OpenSSL in memory (asyncio's)",
                     h->tls_unseen, h->tls_unseen == 1 ? "" : "s");
    for (size_t k = 0; k < h->nthreads; k++)
        xfree(h->threads[k].active);
    map_free(&h->conn_index);
    map_free(&h->thread_index);
    xfree(h->conns);
    xfree(h->threads);
    xfree(h->cursor);
    *reqs = h->reqs;
    *n = h->n;
    *counts = h->counts;
    xfree(h);
}
