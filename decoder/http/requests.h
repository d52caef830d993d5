/* SPDX-License-Identifier: MIT */
/*
 * requests.h - HTTP requests a process served and called, from the
 * recorder's WS_EV_HTTP records (format.h), and what happened inside
 * each: the rules are in docs/rules.md (requests).
 *
 * A served request starts when the read that brought its first line
 * returned and ends when the write that finished its response returned;
 * a call the program made starts with the write of its request and ends
 * with the read that finished its response.  Both pair requests and
 * responses in order on their connection (keep-alive, pipelining).  The
 * thread that read a served request works for it until its response is
 * written; on a thread serving several at once (an event loop), an event
 * is the request's whose connection the thread last read or wrote.
 */
#ifndef WHYSLOW_REQUESTS_H
#define WHYSLOW_REQUESTS_H

#include "base/hashmap.h"
#include "log/process.h"
#include "time/breakdown.h"

#include <stddef.h>
#include <stdint.h>

struct http_request {
    uint64_t id;          /* its number in the report: 1.. over the processes */
    int outgoing;         /* a call the program made (else one it served) */
    int turn;             /* a turn on a connection served in another protocol:
                             method TURN, path "*", target its first bytes */
    uint32_t thread, tid; /* the thread that read (served) or wrote (called) it */
    int64_t fd;
    uint32_t peer;                 /* the connection's other end (strpool id) */
    uint32_t method, target, path; /* strpool ids: path is the target without its query */
    uint32_t host, traceparent;    /* strpool ids, 0: not sent */
    uint32_t status;               /* 0: no response seen */
    int complete;                  /* its response ended */
    int64_t start, end;            /* ns since the process start */
    uint64_t bytes_in, bytes_out;  /* on its connection, in its span */
    uint64_t queries;              /* database executions inside it */
    uint64_t part_ns[TIME_PARTS];  /* its span by part (other: what no call covers) */
    uint64_t calls;                /* calls it made to other services */
    uint64_t calls_ns;             /* their spans */
    /* The longest call inside it (what it waited on longest): its call
     * id (0: none), target (strpool id), span in it, and where it was made. */
    unsigned longest_call;
    uint32_t longest_target;
    uint64_t longest_ns, longest_caller;
    int64_t parent;  /* outgoing: the served request's index, -1: none */
    uint64_t caller; /* outgoing: where its write was made (pysites.h) */
    /* Served: what other threads did for it (helpers.h): their time by
     * part, their statements (also among queries above), how many. */
    uint64_t helper_ns[TIME_PARTS];
    uint64_t helper_queries;
    uint32_t helpers;
    uint32_t template; /* strpool id: path as its endpoint names it (endpoints.h) */
    uint32_t endpoint; /* its endpoint's index in the analysis */
};

struct http_state;

struct http_state *http_open(struct ws_process *p);

/* Every event of the process's timeline, in its order; qid: the query of
 * a database execution (queries.h), NO_QUERY otherwise.  Returns the index
 * + 1 of the served request ev counted for, 0: none. */
size_t http_event(struct http_state *h, const struct ws_event *ev, uint32_t qid);

/* Whether the process has served a request yet. */
int http_serving(const struct http_state *h);

/* Whether ev, given before http_event() sees it, is a read of a
 * connection the process serves that waits for the client's next request
 * (one served before, none in progress). */
int http_waits_for_client(struct http_state *h, const struct ws_event *ev);

/* Ends what is open at the process's end and hands the requests over
 * (the caller's to free), in the order they started.  *counts (the
 * caller's to free) maps (request index, query id) to executions. */
void http_close(struct http_state *h, struct http_request **reqs, size_t *n, struct map *counts);

#endif
