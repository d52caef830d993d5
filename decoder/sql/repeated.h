/* SPDX-License-Identifier: MIT */
/*
 * repeated.h - statements run again and again where fewer would do, on
 * each connection: the same SELECT with the same bound values (identical),
 * and writes committed one by one outside a transaction
 * (unbatched_writes).  The rules, and when a connection is in a
 * transaction, are in docs/rules.md (repeated_query); `min` here is
 * --repeat-min.  Both are added up per query (fingerprint) in one repeat
 * record.
 */
#ifndef WHYSLOW_REPEATED_H
#define WHYSLOW_REPEATED_H

#include "base/hashmap.h"
#include "log/process.h"
#include "sql/queries.h"

#include <stddef.h>
#include <stdint.h>

struct repeat {
    uint32_t qid;
    int unbatched;   /* unbatched_writes, else identical */
    uint64_t count;  /* executions in the groups that ran at least min times */
    uint64_t groups; /* identical: distinct (text, values) repeated;
                        unbatched: connections */
    uint64_t total_ns;
    uint32_t tid;    /* of the first group */
    uint64_t conn;   /* of the first group */
    uint64_t caller; /* where the first group's first execution ran from */
    char *example;   /* a text of the first group */
};

struct repeat_group; /* one text and values on one connection, or one write
                        fingerprint on one connection */

struct repeated {
    unsigned min;
    const struct query_table *qt;
    struct map seen;   /* (params, conn) -> group index + 1, or for a statement
                          seen once, its duration with the top bit set */
    struct map writes; /* (query, conn) -> group index + 1 */
    struct map txn;    /* conn -> transaction state */
    struct repeat_group *groups;
    size_t ngroups, groupcap;
    struct repeat *found; /* set by repeated_finish */
    size_t nfound;
};

void repeated_init(struct repeated *r, const struct query_table *qt, unsigned min);

/* A statement, in start order (st: from queries_add). */
void repeated_statement(struct repeated *r, const struct ws_event *ev, const struct stmt *st);

/* The connection was closed: no transaction is open on it any more. */
void repeated_close(struct repeated *r, uint64_t conn);

/* Fills r->found (most costly first) and frees the rest; the caller frees
 * r->found and its examples. */
void repeated_finish(struct repeated *r);

#endif
