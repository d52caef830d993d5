/* SPDX-License-Identifier: MIT */
/*
 * wrap_pq.c - libpq (PostgreSQL's client library): connections, and each
 * query as one WS_PG_QUERY record.
 *
 * A synchronous query (PQexec, PQexecParams, PQexecPrepared) is recorded
 * when the call returns.  An asynchronous one (PQsendQuery and friends)
 * starts at the send and ends when PQgetResult returns NULL, its rows
 * summed over its results; queries sent ahead in pipeline mode wait their
 * turn in a small queue per connection.  Prepared statements are recorded
 * with the text they were prepared with.  Parameter values are not
 * recorded: a hash of them only.
 *
 * The types are opaque: no libpq header is needed, and these wrappers are
 * only called when the program itself calls libpq.
 */
#include <stdio.h>
#include <string.h>

#include "dbstate.h"

typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;
typedef unsigned int Oid;

#define PGRES_TUPLES_OK     2
#define PGRES_FATAL_ERROR   7
#define PGRES_SINGLE_TUPLE  9
#define PGRES_PIPELINE_SYNC 10

#define LIB "libpq"

DB_FN(PGconn *, real_connectdb, (const char *));
DB_FN(PGconn *, real_connectdb_params, (const char *const *, const char *const *, int));
DB_FN(PGconn *, real_connect_start, (const char *));
DB_FN(void, real_finish, (PGconn *));
DB_FN(void, real_reset, (PGconn *));
DB_FN(PGresult *, real_exec, (PGconn *, const char *));
DB_FN(PGresult *, real_exec_params,
      (PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *,
       int));
DB_FN(PGresult *, real_prepare, (PGconn *, const char *, const char *, int, const Oid *));
DB_FN(PGresult *, real_exec_prepared,
      (PGconn *, const char *, int, const char *const *, const int *, const int *, int));
DB_FN(int, real_send_query, (PGconn *, const char *));
DB_FN(int, real_send_query_params,
      (PGconn *, const char *, int, const Oid *, const char *const *, const int *, const int *,
       int));
DB_FN(int, real_send_prepare, (PGconn *, const char *, const char *, int, const Oid *));
DB_FN(int, real_send_query_prepared,
      (PGconn *, const char *, int, const char *const *, const int *, const int *, int));
DB_FN(PGresult *, real_get_result, (PGconn *));
DB_FN(int, real_result_status, (const PGresult *));
DB_FN(int, real_ntuples, (const PGresult *));
DB_FN(int, real_status, (const PGconn *));
DB_FN(char *, real_db, (const PGconn *));
DB_FN(char *, real_user, (const PGconn *));
DB_FN(char *, real_host, (const PGconn *));
DB_FN(char *, real_port, (const PGconn *));

static struct ws_thread *db_enter(void)
{
    struct ws_thread *t = ws_enter();
    return t && t->db_depth == 0 ? t : NULL;
}

/* The status and rows of a result (an absent result is a failure). */
static int result_status(const PGresult *r, uint64_t caller)
{
    DB_LOCAL(real_result_status);
    if (!r) return PGRES_FATAL_ERROR;
    return DB_REAL_AT(real_result_status, "PQresultStatus", LIB, caller) ? real_result_status(r)
                                                                         : PGRES_FATAL_ERROR;
}

static uint64_t result_rows(const PGresult *r, int status, uint64_t caller)
{
    DB_LOCAL(real_ntuples);
    if (!r || (status != PGRES_TUPLES_OK && status != PGRES_SINGLE_TUPLE)) return 0;
    int n = DB_REAL_AT(real_ntuples, "PQntuples", LIB, caller) ? real_ntuples(r) : 0;
    return n > 0 ? (uint64_t)n : 0;
}

/* A hash of parameter values: text up to its NUL, binary by its length. */
static uint32_t params_hash(int n, const char *const *values, const int *lengths,
                            const int *formats)
{
    if (n <= 0 || !values) return 0;
    uint32_t h = 0;
    for (int i = 0; i < n; i++) {
        const char *v = values[i];
        size_t len = !v ? 0 : (formats && formats[i] && lengths) ? (size_t)lengths[i] : strlen(v);
        h = ws_db_hash(v ? v : "\xff", v ? len : 1, h + (uint32_t)i);
    }
    return h;
}

/* ---- connections ---- */

static void connected(struct ws_thread *t, PGconn *c, uint64_t s, uint64_t caller)
{
    DB_LOCAL(real_db);
    DB_LOCAL(real_host);
    DB_LOCAL(real_port);
    DB_LOCAL(real_status);
    DB_LOCAL(real_user);
    uint64_t e = ws_now();
    char info[512] = "";
    if (c && DB_REAL_AT(real_db, "PQdb", LIB, caller) &&
        DB_REAL_AT(real_user, "PQuser", LIB, caller) &&
        DB_REAL_AT(real_host, "PQhost", LIB, caller) &&
        DB_REAL_AT(real_port, "PQport", LIB, caller)) {
        const char *host = real_host(c), *port = real_port(c), *db = real_db(c),
                   *user = real_user(c);
        snprintf(info, sizeof info, "host=%s port=%s dbname=%s user=%s", host ? host : "",
                 port ? port : "", db ? db : "", user ? user : "");
    }
    int status = c && DB_REAL_AT(real_status, "PQstatus", LIB, caller) ? real_status(c) : 1;
    ws_db_emit(t, WS_PG_CONNECT, c, status, 0, s, e, caller, 0, 0, info, strlen(info));
    t->db_depth--;
}

WS_EXPORT PGconn *PQconnectdb(const char *conninfo)
{
    DB_LOCAL(real_connectdb);
    if (!DB_REAL(real_connectdb, "PQconnectdb", LIB)) return NULL;
    struct ws_thread *t = db_enter();
    if (!t) return real_connectdb(conninfo);
    t->db_depth++;
    uint64_t s = ws_now();
    PGconn *c = real_connectdb(conninfo);
    connected(t, c, s, WS_CALLER);
    return c;
}

WS_EXPORT PGconn *PQconnectdbParams(const char *const *keys, const char *const *values, int expand)
{
    DB_LOCAL(real_connectdb_params);
    if (!DB_REAL(real_connectdb_params, "PQconnectdbParams", LIB)) return NULL;
    struct ws_thread *t = db_enter();
    if (!t) return real_connectdb_params(keys, values, expand);
    t->db_depth++;
    uint64_t s = ws_now();
    PGconn *c = real_connectdb_params(keys, values, expand);
    connected(t, c, s, WS_CALLER);
    return c;
}

WS_EXPORT PGconn *PQconnectStart(const char *conninfo)
{
    DB_LOCAL(real_connect_start);
    if (!DB_REAL(real_connect_start, "PQconnectStart", LIB)) return NULL;
    struct ws_thread *t = db_enter();
    if (!t) return real_connect_start(conninfo);
    t->db_depth++;
    uint64_t s = ws_now();
    PGconn *c = real_connect_start(conninfo);
    connected(t, c, s, WS_CALLER);
    return c;
}

/* The connection's queue of queries in flight on this thread. */
static struct ws_pg_conn *conn_of(struct ws_thread *t, const PGconn *c, int make)
{
    struct ws_dbstate *d = ws_db(t);
    if (!d) return NULL;
    struct ws_pg_conn *free_slot = NULL;
    for (int i = 0; i < WS_PG_CONNS; i++) {
        if (d->pg[i].conn == c) return &d->pg[i];
        if (!free_slot && (d->pg[i].conn == NULL || d->pg[i].n == 0)) free_slot = &d->pg[i];
    }
    if (!make || !free_slot) return NULL;
    free_slot->conn = (void *)c;
    free_slot->head = free_slot->n = 0;
    return free_slot;
}

WS_EXPORT void PQfinish(PGconn *c)
{
    DB_LOCAL(real_finish);
    if (!DB_REAL(real_finish, "PQfinish", LIB)) return;
    struct ws_thread *t = db_enter();
    if (!t) {
        real_finish(c);
        return;
    }
    t->db_depth++;
    struct ws_pg_conn *pc = conn_of(t, c, 0);
    if (pc) pc->conn = NULL, pc->n = 0;
    uint64_t s = ws_now();
    real_finish(c);
    ws_db_emit(t, WS_PG_FINISH, c, 0, 0, s, ws_now(), WS_CALLER, 0, 0, NULL, 0);
    t->db_depth--;
}

WS_EXPORT void PQreset(PGconn *c)
{
    DB_LOCAL(real_reset);
    DB_LOCAL(real_status);
    if (!DB_REAL(real_reset, "PQreset", LIB)) return;
    struct ws_thread *t = db_enter();
    if (!t) {
        real_reset(c);
        return;
    }
    t->db_depth++;
    struct ws_pg_conn *pc = conn_of(t, c, 0);
    if (pc) pc->n = 0;
    uint64_t s = ws_now();
    real_reset(c);
    int status = DB_REAL(real_status, "PQstatus", LIB) ? real_status(c) : 0;
    ws_db_emit(t, WS_PG_RESET, c, status, 0, s, ws_now(), WS_CALLER, 0, 0, NULL, 0);
    t->db_depth--;
}

/* ---- synchronous queries ---- */

static PGresult *ran(struct ws_thread *t, PGconn *c, PGresult *r, const char *text, uint32_t params,
                     uint64_t s, uint64_t caller)
{
    uint64_t e = ws_now();
    int status = result_status(r, caller);
    uint64_t py[2];
    ws_py_site(t, s, py);
    ws_py_emit_db_site(t, py, s);
    ws_db_emit(t, WS_PG_QUERY, c, status, result_rows(r, status, caller), s, e, caller, params,
               e - s, text, text ? strlen(text) : 0);
    t->db_depth--;
    return r;
}

WS_EXPORT PGresult *PQexec(PGconn *c, const char *query)
{
    DB_LOCAL(real_exec);
    if (!DB_REAL(real_exec, "PQexec", LIB)) return NULL;
    struct ws_thread *t = db_enter();
    if (!t) return real_exec(c, query);
    t->db_depth++;
    uint64_t s = ws_now();
    return ran(t, c, real_exec(c, query), query, 0, s, WS_CALLER);
}

WS_EXPORT PGresult *PQexecParams(PGconn *c, const char *query, int n, const Oid *types,
                                 const char *const *values, const int *lengths, const int *formats,
                                 int result_format)
{
    DB_LOCAL(real_exec_params);
    if (!DB_REAL(real_exec_params, "PQexecParams", LIB)) return NULL;
    struct ws_thread *t = db_enter();
    if (!t) return real_exec_params(c, query, n, types, values, lengths, formats, result_format);
    t->db_depth++;
    uint64_t s = ws_now();
    PGresult *r = real_exec_params(c, query, n, types, values, lengths, formats, result_format);
    return ran(t, c, r, query, params_hash(n, values, lengths, formats), s, WS_CALLER);
}

WS_EXPORT PGresult *PQexecPrepared(PGconn *c, const char *name, int n, const char *const *values,
                                   const int *lengths, const int *formats, int result_format)
{
    DB_LOCAL(real_exec_prepared);
    if (!DB_REAL(real_exec_prepared, "PQexecPrepared", LIB)) return NULL;
    struct ws_thread *t = db_enter();
    if (!t) return real_exec_prepared(c, name, n, values, lengths, formats, result_format);
    t->db_depth++;
    uint64_t s = ws_now();
    PGresult *r = real_exec_prepared(c, name, n, values, lengths, formats, result_format);
    const char *text = ws_pg_recall(c, name);
    char fallback[300];
    if (!text) {
        snprintf(fallback, sizeof fallback, "EXECUTE %s", name ? name : "");
        text = fallback;
    }
    return ran(t, c, r, text, params_hash(n, values, lengths, formats), s, WS_CALLER);
}

WS_EXPORT PGresult *PQprepare(PGconn *c, const char *name, const char *query, int n,
                              const Oid *types)
{
    DB_LOCAL(real_prepare);
    if (!DB_REAL(real_prepare, "PQprepare", LIB)) return NULL;
    struct ws_thread *t = db_enter();
    if (!t) return real_prepare(c, name, query, n, types);
    t->db_depth++;
    uint64_t s = ws_now();
    PGresult *r = real_prepare(c, name, query, n, types);
    ws_pg_remember(c, name, query);
    int status = result_status(r, WS_CALLER);
    ws_db_emit(t, WS_PG_PREPARE, c, status, 0, s, ws_now(), WS_CALLER, 0, 0, query,
               query ? strlen(query) : 0);
    t->db_depth--;
    return r;
}

/* ---- asynchronous queries: send, then results until NULL ---- */

static void sent(struct ws_thread *t, PGconn *c, int ok, const char *text, uint32_t params,
                 int is_prepare, uint64_t s, uint64_t caller)
{
    uint64_t e = ws_now();
    struct ws_pg_conn *pc = ok ? conn_of(t, c, 1) : NULL;
    if (pc && pc->n < WS_PG_PENDING) {
        struct ws_pg_query *q = &pc->q[(pc->head + pc->n) % WS_PG_PENDING];
        pc->n++;
        q->start = s;
        q->inside = e - s;
        q->rows = 0;
        q->caller = caller;
        q->status = 0;
        q->is_prepare = is_prepare;
        q->params = params;
        q->len = text ? (uint32_t)strnlen(text, WS_PG_TEXT) : 0;
        if (q->len) memcpy(q->text, text, q->len);
        ws_py_site(t, s, q->py);
    } else if (ok) {
        ws_lose(); /* more queries in flight than the queue holds */
    }
    t->db_depth--;
}

WS_EXPORT int PQsendQuery(PGconn *c, const char *query)
{
    DB_LOCAL(real_send_query);
    if (!DB_REAL(real_send_query, "PQsendQuery", LIB)) return 0;
    struct ws_thread *t = db_enter();
    if (!t) return real_send_query(c, query);
    t->db_depth++;
    uint64_t s = ws_now();
    int ok = real_send_query(c, query);
    sent(t, c, ok, query, 0, 0, s, WS_CALLER);
    return ok;
}

WS_EXPORT int PQsendQueryParams(PGconn *c, const char *query, int n, const Oid *types,
                                const char *const *values, const int *lengths, const int *formats,
                                int result_format)
{
    DB_LOCAL(real_send_query_params);
    if (!DB_REAL(real_send_query_params, "PQsendQueryParams", LIB)) return 0;
    struct ws_thread *t = db_enter();
    if (!t)
        return real_send_query_params(c, query, n, types, values, lengths, formats, result_format);
    t->db_depth++;
    uint64_t s = ws_now();
    int ok = real_send_query_params(c, query, n, types, values, lengths, formats, result_format);
    sent(t, c, ok, query, params_hash(n, values, lengths, formats), 0, s, WS_CALLER);
    return ok;
}

WS_EXPORT int PQsendPrepare(PGconn *c, const char *name, const char *query, int n, const Oid *types)
{
    DB_LOCAL(real_send_prepare);
    if (!DB_REAL(real_send_prepare, "PQsendPrepare", LIB)) return 0;
    struct ws_thread *t = db_enter();
    if (!t) return real_send_prepare(c, name, query, n, types);
    t->db_depth++;
    uint64_t s = ws_now();
    int ok = real_send_prepare(c, name, query, n, types);
    if (ok) ws_pg_remember(c, name, query);
    sent(t, c, ok, query, 0, 1, s, WS_CALLER);
    return ok;
}

WS_EXPORT int PQsendQueryPrepared(PGconn *c, const char *name, int n, const char *const *values,
                                  const int *lengths, const int *formats, int result_format)
{
    DB_LOCAL(real_send_query_prepared);
    if (!DB_REAL(real_send_query_prepared, "PQsendQueryPrepared", LIB)) return 0;
    struct ws_thread *t = db_enter();
    if (!t) return real_send_query_prepared(c, name, n, values, lengths, formats, result_format);
    t->db_depth++;
    uint64_t s = ws_now();
    int ok = real_send_query_prepared(c, name, n, values, lengths, formats, result_format);
    const char *text = ws_pg_recall(c, name);
    char fallback[300];
    if (!text) {
        snprintf(fallback, sizeof fallback, "EXECUTE %s", name ? name : "");
        text = fallback;
    }
    sent(t, c, ok, text, params_hash(n, values, lengths, formats), 0, s, WS_CALLER);
    return ok;
}

WS_EXPORT PGresult *PQgetResult(PGconn *c)
{
    DB_LOCAL(real_get_result);
    if (!DB_REAL(real_get_result, "PQgetResult", LIB)) return NULL;
    struct ws_thread *t = db_enter();
    if (!t) return real_get_result(c);
    t->db_depth++;
    uint64_t s = ws_now();
    PGresult *r = real_get_result(c);
    uint64_t e = ws_now();
    struct ws_pg_conn *pc = conn_of(t, c, 0);
    if (pc && pc->n) {
        struct ws_pg_query *q = &pc->q[pc->head];
        q->inside += e - s;
        int status = r ? result_status(r, WS_CALLER) : 0;
        if (r && status != PGRES_PIPELINE_SYNC) {
            q->status = status;
            q->rows += result_rows(r, status, WS_CALLER);
        } else if (!r) {
            /* The query's results are all in: it ends here. */
            if (!q->is_prepare) {
                ws_py_emit_db_site(t, q->py, q->start);
                ws_db_emit(t, WS_PG_QUERY, c, q->status, q->rows, q->start, e, q->caller, q->params,
                           q->inside, q->text, q->len);
            } else {
                ws_db_emit(t, WS_PG_PREPARE, c, q->status, 0, q->start, e, q->caller, 0, 0, q->text,
                           q->len);
            }
            pc->head = (pc->head + 1) % WS_PG_PENDING;
            pc->n--;
        }
    }
    t->db_depth--;
    return r;
}
