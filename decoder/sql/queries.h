/* SPDX-License-Identifier: MIT */
/*
 * queries.h - the SQL statements one process ran, grouped by database
 * and fingerprint (sql_fingerprint.h): per group its count, times, rows
 * and errors, its normalized text and one real text.  The report's
 * queries[] table, and the query ids the N+1 and repeated-query
 * detectors (nplusone.h, repeated.h) work with.
 *
 * The executions are the WS_SQLITE_QUERY and WS_PG_QUERY records, and
 * sqlite3_exec calls (WS_SQLITE_EXEC), whose whole run is in the library
 * and whose rows are not counted.
 */
#ifndef WHYSLOW_QUERIES_H
#define WHYSLOW_QUERIES_H

#include "base/hashmap.h"
#include "base/histogram.h"
#include "log/process.h"
#include "sql/sql_normalize.h"

#include <stddef.h>
#include <stdint.h>

struct query {
    uint64_t fp;
    enum sql_dialect db;
    enum sql_kind kind;     /* of its (first) statement */
    enum sql_kind last_txn; /* its last transaction statement, if any */
    char *normalized;
    char *example; /* the first text seen */
    uint64_t count, total_ns, db_ns, max_ns, rows, errors;
    struct histogram hist; /* of the spans */
};

/* One execution, as queries_add() saw it. */
struct stmt {
    uint32_t qid;       /* its query: an index in the table */
    uint64_t text_hash; /* of its text */
    uint64_t params;    /* its text and bound values together: equal for two
                           runs of one statement with the same parameters */
};

#define QUERY_CACHE 4096 /* texts remembered, direct-mapped */

struct query_table {
    struct query *q;
    size_t n, cap;
    struct map by_fp;    /* (db, fingerprint) -> index + 1 */
    struct map by_shape; /* (db, hash of the normalized text) -> index + 1 */
    struct text_slot {
        uint64_t hash;
        uint32_t len, qid1; /* qid + 1; 0: empty */
        enum sql_dialect db;
    } * cache;
    /* Texts known by their number (ws_event.text): (text, db) -> index + 1
     * in memo, each hashed and looked up once. */
    struct map by_text;
    struct text_memo {
        uint64_t hash;
        uint32_t qid;
    } * memo;
    size_t nmemo, memocap;
    struct sql_norm norm;
};

/* Whether the event is an execution of SQL (see above). */
int event_is_statement(const struct ws_event *ev);

/* "sqlite" or "postgres": the database of a call. */
enum sql_dialect event_db(const struct ws_event *ev);
const char *db_name(enum sql_dialect db);

/* Whether a statement event failed (an SQLite error code; a libpq
 * PGRES_BAD_RESPONSE, PGRES_FATAL_ERROR or PGRES_PIPELINE_ABORTED). */
int statement_failed(const struct ws_event *ev);

/* Adds a statement event to its query (created if new); says which in st. */
void queries_add(struct query_table *qt, const struct ws_event *ev, struct stmt *st);

/* Frees what only adding needed; the queries stay. */
void queries_done(struct query_table *qt);

/* Frees the queries too. */
void queries_free(struct query *q, size_t n);

#endif
