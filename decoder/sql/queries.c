/* SPDX-License-Identifier: MIT */
/*
 * queries.c - grouping statement executions by fingerprint.
 *
 * A program runs few distinct texts many times (bound parameters), or
 * many texts of few shapes (literals in the text).  So each execution
 * costs a hash of its text, looked up in a small cache of the texts seen
 * last; or, for a text the timeline knows by its number (an interned
 * string, an SQLite statement's text), a look-up of that number, the
 * text hashed once (a log may name one 4 KiB text in millions of
 * executions).  A text not in the cache is normalized and its shape
 * looked up; only a shape not seen before is fingerprinted (by
 * libpg_query for PostgreSQL, see sql_fingerprint.c) and may start a new
 * query.
 */
#include "sql/queries.h"

#include "base/util.h"
#include "log/calls.h"
#include "sql/sql_fingerprint.h"

#include <whyslow/format.h>

#include <stdlib.h>
#include <string.h>

int event_is_statement(const struct ws_event *ev)
{
    return ev->call == WS_SQLITE_QUERY || ev->call == WS_PG_QUERY || ev->call == WS_SQLITE_EXEC;
}

enum sql_dialect event_db(const struct ws_event *ev)
{
    return call_family(ev->call) == FAMILY_PQ ? SQL_POSTGRES : SQL_SQLITE;
}

const char *db_name(enum sql_dialect db)
{
    return db == SQL_POSTGRES ? "postgres" : "sqlite";
}

int statement_failed(const struct ws_event *ev)
{
    if (ev->call == WS_PG_QUERY) /* PGRES_BAD_RESPONSE, _FATAL_ERROR, _PIPELINE_ABORTED */
        return ev->result == 5 || ev->result == 7 || ev->result == 11;
    int rc = (int)(ev->result & 0xff); /* an extended code's primary code */
    if (ev->call == WS_SQLITE_EXEC) return rc != 0;
    return rc != 0 && rc != 100 && rc != 101; /* SQLITE_OK, _ROW, _DONE */
}

/* The query of a text not in the cache: by its shape, else a new one. */
static uint32_t lookup(struct query_table *qt, enum sql_dialect db, const char *text, size_t len)
{
    int created;
    sql_normalize(&qt->norm, text, len, db);
    uint64_t *shape = map_put(&qt->by_shape, db, sql_hash(qt->norm.text, qt->norm.len), &created);
    if (!created) return (uint32_t)(*shape - 1);

    uint64_t fp = sql_hash(qt->norm.text, qt->norm.len);
    if (db == SQL_POSTGRES) sql_pg_fingerprint(text, len, &fp);
    uint64_t *id = map_put(&qt->by_fp, db, fp, &created);
    if (created) {
        struct query q = {
            .fp = fp,
            .db = db,
            .kind = qt->norm.kind,
            .last_txn = qt->norm.last_txn,
            .normalized = xstrndup(qt->norm.text, qt->norm.len),
            .example = xstrndup(text, len),
        };
        ARRAY_PUSH(qt->q, qt->n, qt->cap) = q;
        *id = qt->n;
    }
    *shape = *id;
    return (uint32_t)(*id - 1);
}

/* The query of a text whose hash is h, through the cache of the texts
 * seen last. */
static uint32_t lookup_cached(struct query_table *qt, enum sql_dialect db, const char *text,
                              size_t len, uint64_t h)
{
    if (!qt->cache) qt->cache = xcalloc(QUERY_CACHE, sizeof(*qt->cache));
    struct text_slot *slot = &qt->cache[(h ^ db) & (QUERY_CACHE - 1)];
    if (!(slot->qid1 && slot->hash == h && slot->len == len && slot->db == db)) {
        uint32_t qid = lookup(qt, db, text, len);
        *slot = (struct text_slot){.hash = h, .len = (uint32_t)len, .db = db, .qid1 = qid + 1};
    }
    return slot->qid1 - 1;
}

void queries_add(struct query_table *qt, const struct ws_event *ev, struct stmt *st)
{
    enum sql_dialect db = event_db(ev);
    const char *text = ev->payload ? (const char *)ev->payload : "";
    size_t len = ev->payload_len;
    uint64_t h;

    if (ev->text) {
        /* A text known by its number: hashed and looked up once. */
        int created;
        uint64_t *ix = map_put(&qt->by_text, ev->text, db, &created);
        if (created) {
            h = sql_hash(text, len);
            struct text_memo m = {.hash = h, .qid = lookup_cached(qt, db, text, len, h)};
            ARRAY_PUSH(qt->memo, qt->nmemo, qt->memocap) = m;
            *ix = qt->nmemo;
        }
        h = qt->memo[*ix - 1].hash;
        st->qid = qt->memo[*ix - 1].qid;
    } else {
        h = sql_hash(text, len);
        st->qid = lookup_cached(qt, db, text, len, h);
    }
    st->text_hash = h;
    st->params = h ^ (ev->aux1 * 0x9e3779b97f4a7c15ull); /* no bound values: the text alone */

    struct query *q = &qt->q[st->qid];
    q->count++;
    q->total_ns += ev->dur;
    /* SQLite records no time inside the library (aux2 0): its span is it. */
    q->db_ns += ev->call == WS_SQLITE_EXEC || ev->aux2 == 0 ? ev->dur : ev->aux2;
    if (ev->dur > q->max_ns) q->max_ns = ev->dur;
    if (ev->call != WS_SQLITE_EXEC) q->rows += ev->err;
    q->errors += statement_failed(ev);
    hist_add(&q->hist, ev->dur);
}

void queries_done(struct query_table *qt)
{
    map_free(&qt->by_fp);
    map_free(&qt->by_shape);
    map_free(&qt->by_text);
    xfree(qt->memo);
    qt->memo = NULL;
    qt->nmemo = qt->memocap = 0;
    xfree(qt->cache);
    qt->cache = NULL;
    sql_norm_free(&qt->norm);
}

void queries_free(struct query *q, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        xfree(q[i].normalized);
        xfree(q[i].example);
        hist_free(&q[i].hist);
    }
    xfree(q);
}
