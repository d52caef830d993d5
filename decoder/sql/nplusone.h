/* SPDX-License-Identifier: MIT */
/*
 * nplusone.h - N+1 query loops: a query that returned rows (the parent),
 * and for its rows, one execution each of another SELECT (the child) with
 * other parameters.  The rule is in docs/rules.md (n_plus_one); `min` here
 * is --nplus1-min.  Statements come in the order they started, each with
 * its query (queries.h), and loops of the same parent and child are added
 * up in one nplus1_loop.
 */
#ifndef WHYSLOW_NPLUSONE_H
#define WHYSLOW_NPLUSONE_H

#include "base/hashmap.h"
#include "log/process.h"
#include "sql/queries.h"

#include <stddef.h>
#include <stdint.h>

/* The N+1 loops of one parent query and one child query. */
struct nplus1_loop {
    uint32_t parent, child; /* query ids */
    uint64_t loops;         /* loops found */
    uint64_t count;         /* executions of the child in them */
    uint64_t parent_rows;   /* rows the parent returned for them */
    uint64_t total_ns;      /* the children's spans */
    uint32_t tid;           /* of the first loop */
    uint64_t conn;          /* of the first loop */
    uint64_t caller;        /* of the first loop's first child */
    uint64_t parent_caller; /* where the first loop's parent ran from */
};

struct nplus1_stream; /* one thread on one connection */

struct nplus1 {
    unsigned min;
    const struct query_table *qt;
    struct map index; /* (thread serial, connection) -> stream index + 1 */
    struct nplus1_stream *streams;
    size_t nstreams, streamcap;
    struct map found; /* (parent << 32 | child, Python site or 0) -> loop index + 1 */
    struct nplus1_loop *loops;
    size_t nloops, loopcap;
};

void nplus1_init(struct nplus1 *d, const struct query_table *qt, unsigned min);

/* A statement, in start order (st: from queries_add). */
void nplus1_statement(struct nplus1 *d, const struct ws_event *ev, const struct stmt *st);

/* The connection was closed: its loops end. */
void nplus1_close(struct nplus1 *d, uint64_t conn);

/* Ends every loop and frees all but d->loops (the caller's to free). */
void nplus1_finish(struct nplus1 *d);

#endif
