/*
 * repeated.h - statements run again and again where fewer would do, on
 * each connection:
 *
 *   identical         the same SELECT text with the same bound values,
 *                     run at least `min` times: a cache, or running it
 *                     once, would do;
 *   unbatched_writes  INSERT, UPDATE or DELETE statements of one
 *                     fingerprint, at least `min` of them run outside any
 *                     transaction, each committed on its own: a
 *                     transaction or a batch would do.
 *
 * A connection is in a transaction from a BEGIN (START TRANSACTION) to a
 * COMMIT, END, ROLLBACK or ABORT; a SAVEPOINT outside one starts one (as
 * in SQLite) that its RELEASE ends.  Drivers that open transactions for
 * the program, such as Python's sqlite3 and psycopg2, send these
 * statements themselves, so they are seen.
 *
 * Both are added up per query (fingerprint) in one repeat record.
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
    uint32_t tid;  /* of the first group */
    uint64_t conn; /* of the first group */
    char *example; /* a text of the first group */
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
