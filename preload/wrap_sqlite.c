/* SPDX-License-Identifier: MIT */
/*
 * wrap_sqlite.c - SQLite: connections, statements, and each execution of a
 * statement as one WS_SQLITE_QUERY record.
 *
 * An execution runs from the first sqlite3_step() after prepare or reset to
 * SQLITE_DONE, an error, sqlite3_reset() or sqlite3_finalize(); it keeps
 * the rows returned (SQLITE_ROW steps) and the last result code.  The statement's text comes from
 * sqlite3_sql() when the execution ends, once per thread and statement (see finish()). Bound
 * values are not recorded: only a hash of them, so the decoder can tell the same query run again
 * with the same parameters from a loop over different ones.
 *
 * The types are opaque here: the library needs no SQLite header, and its
 * wrappers are only ever called when the program itself calls SQLite.
 */
#include <string.h>

#include "dbstate.h"

typedef struct sqlite3 sqlite3;
typedef struct sqlite3_stmt sqlite3_stmt;
typedef struct sqlite3_value sqlite3_value;
typedef long long sqlite3_int64;
typedef unsigned long long sqlite3_uint64;

#define SQLITE_ERROR  1
#define SQLITE_MISUSE 21
#define SQLITE_ROW    100
#define SQLITE_DONE   101

#define LIB "libsqlite3"

DB_FN(int, real_sq_open, (const char *, sqlite3 **));
DB_FN(int, real_sq_open_v2, (const char *, sqlite3 **, int, const char *));
DB_FN(int, real_sq_close, (sqlite3 *));
DB_FN(int, real_sq_close_v2, (sqlite3 *));
DB_FN(int, real_prepare, (sqlite3 *, const char *, int, sqlite3_stmt **, const char **));
DB_FN(int, real_prepare_v2, (sqlite3 *, const char *, int, sqlite3_stmt **, const char **));
DB_FN(int, real_prepare_v3,
      (sqlite3 *, const char *, int, unsigned, sqlite3_stmt **, const char **));
DB_FN(int, real_prepare16, (sqlite3 *, const void *, int, sqlite3_stmt **, const void **));
DB_FN(int, real_prepare16_v2, (sqlite3 *, const void *, int, sqlite3_stmt **, const void **));
DB_FN(int, real_prepare16_v3,
      (sqlite3 *, const void *, int, unsigned, sqlite3_stmt **, const void **));
DB_FN(int, real_step, (sqlite3_stmt *));
DB_FN(int, real_reset, (sqlite3_stmt *));
DB_FN(int, real_finalize, (sqlite3_stmt *));
DB_FN(int, real_exec,
      (sqlite3 *, const char *, int (*)(void *, int, char **, char **), void *, char **));
DB_FN(const char *, real_sql, (sqlite3_stmt *));
DB_FN(sqlite3 *, real_db_handle, (sqlite3_stmt *));
DB_FN(int, real_stmt_busy, (sqlite3_stmt *));
DB_FN(int, real_bind_blob, (sqlite3_stmt *, int, const void *, int, void (*)(void *)));
DB_FN(int, real_bind_blob64, (sqlite3_stmt *, int, const void *, sqlite3_uint64, void (*)(void *)));
DB_FN(int, real_bind_double, (sqlite3_stmt *, int, double));
DB_FN(int, real_bind_int, (sqlite3_stmt *, int, int));
DB_FN(int, real_bind_int64, (sqlite3_stmt *, int, sqlite3_int64));
DB_FN(int, real_bind_null, (sqlite3_stmt *, int));
DB_FN(int, real_bind_text, (sqlite3_stmt *, int, const char *, int, void (*)(void *)));
DB_FN(int, real_bind_text16, (sqlite3_stmt *, int, const void *, int, void (*)(void *)));
DB_FN(int, real_bind_text64,
      (sqlite3_stmt *, int, const char *, sqlite3_uint64, void (*)(void *), unsigned char));
DB_FN(int, real_bind_value, (sqlite3_stmt *, int, const sqlite3_value *));
DB_FN(int, real_bind_zeroblob, (sqlite3_stmt *, int, int));
DB_FN(int, real_clear_bindings, (sqlite3_stmt *));

/* The indexes of the functions a thread keeps at hand (ws_sq_fast). */
enum {
    F_STEP,
    F_RESET,
    F_BUSY,
    F_BIND_BLOB,
    F_BIND_BLOB64,
    F_BIND_DOUBLE,
    F_BIND_INT,
    F_BIND_INT64,
    F_BIND_NULL,
    F_BIND_TEXT,
    F_BIND_TEXT16,
    F_BIND_TEXT64,
    F_BIND_VALUE,
    F_BIND_ZEROBLOB,
    F_N
};
_Static_assert(F_N <= WS_SQ_FAST, "ws_sq_fast has room for each");

static void *fast_fn_slow(struct ws_dbstate *d, unsigned ix, struct ws_dbfn_cache *c,
                          const char *name, uintptr_t caller)
{
    void *fn = ws_db_fn(c, name, LIB, caller);
    const struct ws_dbfn *e = fn ? ws_db_fn_entry(c, caller) : NULL;
    if (!e || e->fn != fn) return fn;
    struct ws_sq_fast *f = &d->fast;
    if (f->lo != e->lo || f->hi != e->hi || f->gen != e->gen) { /* another caller: start over */
        memset(f->fn, 0, sizeof f->fn);
        f->lo = e->lo;
        f->hi = e->hi;
        f->gen = e->gen;
    }
    f->fn[ix] = fn;
    return fn;
}

/* The real function for a call from caller: the thread's own copy of the
 * answer for the object its last calls came from, in the line of its state
 * it touches anyway; else the caches DB_REAL uses.  d may be NULL. */
static inline void *fast_fn(struct ws_dbstate *d, unsigned ix, struct ws_dbfn_cache *c,
                            const char *name, uintptr_t caller)
{
    if (unlikely(d == NULL)) return ws_db_fn(c, name, LIB, caller); /* not recording */
    const struct ws_sq_fast *f = &d->fast;
    if (likely(caller - f->lo < f->hi - f->lo && f->fn[ix] &&
               f->gen == atomic_load_explicit(&ws_dl_gen, memory_order_relaxed)))
        return f->fn[ix];
    return fast_fn_slow(d, ix, c, name, caller);
}

/* The thread may record a database call: not nested in another one. */
static inline __attribute__((always_inline)) struct ws_thread *db_enter(void)
{
    struct ws_thread *t = ws_enter();
    return t && t->db_depth == 0 ? t : NULL;
}

static struct ws_sq_exec *find_slot(struct ws_dbstate *d, sqlite3_stmt *stmt, int make)
{
    unsigned h = (unsigned)(((uintptr_t)stmt >> 4) * 2654435761u) % WS_SQ_SLOTS;
    struct ws_sq_exec *free_slot = NULL;
    for (unsigned i = 0; i < 8; i++) {
        struct ws_sq_exec *x = &d->sq[(h + i) % WS_SQ_SLOTS];
        if (x->stmt == stmt) return x;
        if (!free_slot && (x->stmt == NULL || !x->active)) free_slot = x;
    }
    if (!make || !free_slot) return NULL;
    memset(free_slot, 0, sizeof *free_slot);
    free_slot->stmt = stmt;
    return free_slot;
}

static struct ws_sq_exec *slot_of_slow(struct ws_thread *t, sqlite3_stmt *stmt, int make)
{
    struct ws_dbstate *d = ws_db(t);
    if (!d) return NULL;
    if (d->last && d->last->stmt == stmt) return d->last;
    struct ws_sq_exec *x = find_slot(d, stmt, make);
    if (x) d->last = x;
    return x;
}

/* The execution slot of stmt on this thread; made when `make`.  The last
 * one found is tried first, inline: bind, step and reset come in a row. */
static inline struct ws_sq_exec *slot_of(struct ws_thread *t, sqlite3_stmt *stmt, int make)
{
    struct ws_dbstate *d = t->db;
    if (likely(d && d->last && d->last->stmt == stmt)) return d->last;
    return slot_of_slow(t, stmt, make);
}

/* Statements finalized so far, by any thread: a new statement may then
 * have an old one's address, and even its text's address. */
static WS_HOT _Atomic unsigned finalized;

/* Set once a reset or finalize went by that no thread's state saw (a
 * thread not traced). */
static WS_HOT _Atomic int unseen_ends;

static void unseen_end(void)
{
    if (!atomic_load_explicit(&unseen_ends, memory_order_relaxed))
        atomic_store_explicit(&unseen_ends, 1, memory_order_relaxed);
}

/* Whether a statement in progress here may have been reset or finalized
 * where this thread's state did not see it: only if another thread uses
 * SQLite (ws_db_threads counts the threads with state, and a thread's
 * first reset or finalize makes its state), or if one went unseen.  This
 * thread's own resets and finalizes are all seen, also those inside
 * another SQLite call (a callback's). */
static inline int ends_unseen(void)
{
    return atomic_load_explicit(&ws_db_threads, memory_order_relaxed) > 1 ||
           atomic_load_explicit(&unseen_ends, memory_order_relaxed);
}

/* The execution ended at `end` with rc: write its record.  The
 * statement's text goes to the log once per thread and statement (a
 * WS_SQLITE_STMT record); each execution refers to it by the statement's
 * address, so a loop costs no copy of its text.  A statement keeps its
 * text for life (a re-prepare after a schema change keeps the text, if not
 * its address), so the text is looked at again only after some statement
 * was finalized: a new statement may then sit at a finalized one's
 * address (perhaps one another thread ran), and is told when its text
 * differs. */
static void finish(struct ws_thread *t, struct ws_sq_exec *x, int rc, uint64_t end)
{
    DB_LOCAL(real_db_handle);
    DB_LOCAL(real_sql);
    if (!x->active) return;
    x->active = 0;
    t->db->sq_active--;
    unsigned gen = atomic_load_explicit(&finalized, memory_order_relaxed);
    if (gen != x->gen || !x->told) {
        const char *sql =
            DB_REAL_AT(real_sql, "sqlite3_sql", LIB, x->caller) ? real_sql(x->stmt) : NULL;
        size_t len = sql ? strnlen(sql, WS_MAX_PAYLOAD) : 0;
        uint32_t hash = ws_db_hash(sql, len, 0);
        if (hash != x->hash || !x->told) {
            x->db = DB_REAL_AT(real_db_handle, "sqlite3_db_handle", LIB, x->caller)
                        ? real_db_handle(x->stmt)
                        : NULL;
            /* Told only once written: a dropped record is written again. */
            x->told = ws_db_emit(t, WS_SQLITE_STMT, x->stmt, 0, 0, x->start, x->start, x->caller, 0,
                                 0, sql, len);
        }
        x->hash = hash;
        x->gen = gen;
    }
    /* Its Python site, unless the decoder has it (checked here: a call
     * less a query). */
    const uint64_t *site = t->db->py_site;
    if (x->py[0] != site[0] || x->py[1] != site[1]) ws_py_emit_db_site(t, x->py, x->start);
    /* The record, written in place: aux1 and aux2 (format.h) are all its
     * payload. */
    uint8_t *p = ws_emit_reserve(t, WS_SQLITE_QUERY, (uint32_t)x->rows, (int64_t)(uintptr_t)x->db,
                                 rc, x->start, end, x->caller, 16);
    if (!p) return;
    uint64_t aux[2] = {x->nparams ? ws_db_mix(x->params, x->nparams) : 0,
                       (uint64_t)(uintptr_t)x->stmt};
    memcpy(p, aux, 16);
    ws_emit_commit();
}

/*
 * Two timestamps per execution, not two per step: rdtsc costs 10 to 20 ns
 * here, and a point query through Python steps twice.  The first step of
 * an execution is stamped before the call, and the execution's end after
 * the step that ends it (or at reset or finalize); steps that return a row
 * in between are only counted.
 */
WS_EXPORT int sqlite3_step(sqlite3_stmt *stmt)
{
    DB_LOCAL(real_step);
    DB_LOCAL(real_stmt_busy);
    struct ws_thread *t = db_enter();
    real_step = fast_fn(t ? t->db : NULL, F_STEP, &real_step_cache, "sqlite3_step", WS_CALLER);
    if (!real_step) return SQLITE_MISUSE;
    if (!t) return real_step(stmt);
    t->db_depth++;
    struct ws_sq_exec *x = slot_of(t, stmt, 1);
    /* An execution still open while SQLite says the statement is not
     * running was reset or finalized where we did not see it (another
     * thread, or inside another SQLite call): its end is unknown, so it is
     * counted as lost rather than given a made-up duration.  Asked only
     * when that can be. */
    if (x && x->active && ends_unseen() &&
        (real_stmt_busy = fast_fn(t->db, F_BUSY, &real_stmt_busy_cache, "sqlite3_stmt_busy",
                                  WS_CALLER)) != NULL &&
        !real_stmt_busy(stmt)) {
        x->active = 0;
        t->db->sq_active--;
        ws_lose();
    }
    if (x && !x->active) {
        x->active = 1;
        t->db->sq_active++;
        x->start = ws_now();
        x->rows = 0;
        x->caller = WS_CALLER;
        ws_py_site(t, x->start, x->py); /* the line that runs it */
    }
    int rc = real_step(stmt);
    if (x) {
        x->last_rc = rc;
        if (rc == SQLITE_ROW)
            x->rows++;
        else
            finish(t, x, rc, ws_now());
    } else {
        ws_lose(); /* more executions in progress than slots */
    }
    t->db_depth--;
    return rc;
}

WS_EXPORT int sqlite3_reset(sqlite3_stmt *stmt)
{
    DB_LOCAL(real_reset);
    /* Also inside another SQLite call: an execution it ends is ours. */
    struct ws_thread *t = ws_enter();
    struct ws_dbstate *d = t ? ws_db(t) : NULL;
    real_reset = fast_fn(d, F_RESET, &real_reset_cache, "sqlite3_reset", WS_CALLER);
    if (!real_reset) return SQLITE_MISUSE;
    if (!d) unseen_end();
    /* Most resets come after the execution ended (SQLITE_DONE): then there
     * is nothing to look up. */
    if (d && d->sq_active) {
        struct ws_sq_exec *x = slot_of(t, stmt, 0);
        if (x) finish(t, x, x->last_rc, ws_now());
    }
    return real_reset(stmt);
}

WS_EXPORT int sqlite3_finalize(sqlite3_stmt *stmt)
{
    DB_LOCAL(real_finalize);
    if (!DB_REAL(real_finalize, "sqlite3_finalize", LIB)) return SQLITE_MISUSE;
    atomic_fetch_add_explicit(&finalized, 1, memory_order_relaxed);
    struct ws_thread *t = ws_enter(); /* also inside another SQLite call, as reset */
    if (t && ws_db(t)) {
        struct ws_sq_exec *x = slot_of(t, stmt, 0);
        if (x) {
            finish(t, x, x->last_rc, ws_now());
            x->stmt = NULL; /* the pointer may come back for another statement */
        }
    } else {
        unseen_end();
    }
    return real_finalize(stmt);
}

/* ---- bound values: a hash per index ---- */

/* Inline in each bind wrapper: binds come once per parameter per query. */
static inline __attribute__((always_inline)) void bound(struct ws_thread *t, sqlite3_stmt *stmt,
                                                        int idx, int type, const void *p, size_t n)
{
    if (idx < 1) return;
    struct ws_sq_exec *x = slot_of(t, stmt, 1);
    if (!x) return;
    unsigned i = (unsigned)(idx - 1) % WS_SQ_PARAMS;
    uint32_t seed = (uint32_t)(type * 31 + idx);
    x->params[i] = n == 8 ? ws_db_hash8(p, seed) : ws_db_hash(p, n, seed);
    if (i + 1 > x->nparams) x->nparams = i + 1;
}

#define BIND_CACHE(var)  BIND_CACHE_(var)
#define BIND_CACHE_(var) var##_cache
#define BIND(name, ix, args, call_args, type, ptr, len)                                            \
    WS_EXPORT int name args                                                                        \
    {                                                                                              \
        DB_LOCAL(real_##name);                                                                     \
        struct ws_thread *t = db_enter();                                                          \
        struct ws_dbstate *ws_d = t ? ws_db(t) : NULL;                                             \
        real_##name = fast_fn(ws_d, ix, &BIND_CACHE(real_##name), #name, WS_CALLER);               \
        if (!real_##name) return SQLITE_MISUSE;                                                    \
        if (!ws_d) return real_##name call_args;                                                   \
        bound(t, stmt, idx, type, ptr, len);                                                       \
        /* Inside, SQLite may bind through its exported names (bind_int                            \
         * calls bind_int64): not a bind of the program's, and a caller                            \
         * in another object than the program's, which made the thread's                           \
         * cache of real functions (fast_fn) start over at each call. */                           \
        t->db_depth++;                                                                             \
        int rc = real_##name call_args;                                                            \
        t->db_depth--;                                                                             \
        return rc;                                                                                 \
    }

#define real_sqlite3_bind_blob     real_bind_blob
#define real_sqlite3_bind_blob64   real_bind_blob64
#define real_sqlite3_bind_double   real_bind_double
#define real_sqlite3_bind_int      real_bind_int
#define real_sqlite3_bind_int64    real_bind_int64
#define real_sqlite3_bind_null     real_bind_null
#define real_sqlite3_bind_text     real_bind_text
#define real_sqlite3_bind_text16   real_bind_text16
#define real_sqlite3_bind_text64   real_bind_text64
#define real_sqlite3_bind_value    real_bind_value
#define real_sqlite3_bind_zeroblob real_bind_zeroblob

/* A text of length < 0 runs to its NUL (SQLite's convention). */
static size_t text_len(const void *s, long long n, int wide)
{
    if (!s) return 0;
    if (n >= 0) return (size_t)n;
    if (!wide) return strlen(s);
    const uint16_t *w = s;
    size_t k = 0;
    while (w[k])
        k++;
    return k * 2;
}

BIND(sqlite3_bind_blob, F_BIND_BLOB,
     (sqlite3_stmt * stmt, int idx, const void *v, int n, void (*d)(void *)), (stmt, idx, v, n, d),
     1, v, v &&n > 0 ? (size_t)n : 0)
BIND(sqlite3_bind_blob64, F_BIND_BLOB64,
     (sqlite3_stmt * stmt, int idx, const void *v, sqlite3_uint64 n, void (*d)(void *)),
     (stmt, idx, v, n, d), 1, v, v ? (size_t)n : 0)
BIND(sqlite3_bind_double, F_BIND_DOUBLE, (sqlite3_stmt * stmt, int idx, double v), (stmt, idx, v),
     2, &v, sizeof v)
BIND(sqlite3_bind_int, F_BIND_INT, (sqlite3_stmt * stmt, int idx, int v), (stmt, idx, v), 3, &v,
     sizeof v)
BIND(sqlite3_bind_int64, F_BIND_INT64, (sqlite3_stmt * stmt, int idx, sqlite3_int64 v),
     (stmt, idx, v), 3, &v, sizeof v)
BIND(sqlite3_bind_null, F_BIND_NULL, (sqlite3_stmt * stmt, int idx), (stmt, idx), 4, "", 0)
BIND(sqlite3_bind_text, F_BIND_TEXT,
     (sqlite3_stmt * stmt, int idx, const char *v, int n, void (*d)(void *)), (stmt, idx, v, n, d),
     5, v, text_len(v, n, 0))
BIND(sqlite3_bind_text16, F_BIND_TEXT16,
     (sqlite3_stmt * stmt, int idx, const void *v, int n, void (*d)(void *)), (stmt, idx, v, n, d),
     6, v, text_len(v, n, 1))
BIND(sqlite3_bind_text64, F_BIND_TEXT64,
     (sqlite3_stmt * stmt, int idx, const char *v, sqlite3_uint64 n, void (*d)(void *),
      unsigned char enc),
     (stmt, idx, v, n, d, enc), 5, v, v ? (size_t)n : 0)
BIND(sqlite3_bind_value, F_BIND_VALUE, (sqlite3_stmt * stmt, int idx, const sqlite3_value *v),
     (stmt, idx, v), 7, &v, sizeof v)
BIND(sqlite3_bind_zeroblob, F_BIND_ZEROBLOB, (sqlite3_stmt * stmt, int idx, int n), (stmt, idx, n),
     8, &n, sizeof n)

WS_EXPORT int sqlite3_clear_bindings(sqlite3_stmt *stmt)
{
    DB_LOCAL(real_clear_bindings);
    if (!DB_REAL(real_clear_bindings, "sqlite3_clear_bindings", LIB)) return SQLITE_MISUSE;
    struct ws_thread *t = db_enter();
    if (t) {
        struct ws_sq_exec *x = slot_of(t, stmt, 0);
        if (x) {
            memset(x->params, 0, sizeof x->params);
            x->nparams = 0;
        }
    }
    return real_clear_bindings(stmt);
}

/* ---- connections, prepare, exec: one record each ---- */

static int opened(struct ws_thread *t, int rc, sqlite3 **db, const char *name, uint64_t s,
                  uint64_t caller)
{
    uint64_t e = ws_now();
    ws_db_emit(t, WS_SQLITE_OPEN, db ? *db : NULL, rc, 0, s, e, caller, 0, 0, name,
               name ? strlen(name) : 0);
    t->db_depth--;
    return rc;
}

WS_EXPORT int sqlite3_open(const char *name, sqlite3 **db)
{
    DB_LOCAL(real_sq_open);
    if (!DB_REAL(real_sq_open, "sqlite3_open", LIB)) {
        if (db) *db = NULL;
        return SQLITE_ERROR;
    }
    struct ws_thread *t = db_enter();
    if (!t) return real_sq_open(name, db);
    t->db_depth++;
    uint64_t s = ws_now();
    return opened(t, real_sq_open(name, db), db, name, s, WS_CALLER);
}

WS_EXPORT int sqlite3_open_v2(const char *name, sqlite3 **db, int flags, const char *vfs)
{
    DB_LOCAL(real_sq_open_v2);
    if (!DB_REAL(real_sq_open_v2, "sqlite3_open_v2", LIB)) {
        if (db) *db = NULL;
        return SQLITE_ERROR;
    }
    struct ws_thread *t = db_enter();
    if (!t) return real_sq_open_v2(name, db, flags, vfs);
    t->db_depth++;
    uint64_t s = ws_now();
    return opened(t, real_sq_open_v2(name, db, flags, vfs), db, name, s, WS_CALLER);
}

#define CLOSE(name)                                                                                \
    WS_EXPORT int name(sqlite3 *db)                                                                \
    {                                                                                              \
        DB_LOCAL(real_##name);                                                                     \
        if (!DB_REAL(real_##name, #name, LIB)) return SQLITE_MISUSE;                               \
        struct ws_thread *t = db_enter();                                                          \
        if (!t) return real_##name(db);                                                            \
        t->db_depth++;                                                                             \
        uint64_t s = ws_now();                                                                     \
        int rc = real_##name(db);                                                                  \
        ws_db_emit(t, WS_SQLITE_CLOSE, db, rc, 0, s, ws_now(), WS_CALLER, 0, 0, NULL, 0);          \
        t->db_depth--;                                                                             \
        return rc;                                                                                 \
    }

#define real_sqlite3_close    real_sq_close
#define real_sqlite3_close_v2 real_sq_close_v2
CLOSE(sqlite3_close)
CLOSE(sqlite3_close_v2)

/* A prepare's record carries the statement's text (sqlite3_sql), the same
 * for the 16-bit forms. */
static int prepared(struct ws_thread *t, int rc, sqlite3 *db, sqlite3_stmt **stmt, const char *text,
                    int n, uint64_t s, uint64_t caller)
{
    DB_LOCAL(real_sql);
    uint64_t e = ws_now();
    const char *sql = NULL;
    size_t len = 0;
    if (rc == 0 && stmt && *stmt && DB_REAL_AT(real_sql, "sqlite3_sql", LIB, caller)) {
        sql = real_sql(*stmt);
        len = sql ? strlen(sql) : 0;
        struct ws_sq_exec *x = slot_of(t, *stmt, 0);
        if (x && !x->active) x->stmt = NULL; /* a stale slot of a finalized pointer */
    } else if (text) {                       /* it failed: the text as given */
        sql = text;
        len = n < 0 ? strnlen(text, WS_MAX_PAYLOAD) : strnlen(text, (size_t)n);
    }
    ws_db_emit(t, WS_SQLITE_PREPARE, db, rc, 0, s, e, caller, 0, 0, sql, len);
    t->db_depth--;
    return rc;
}

#define PREPARE(name, text, params, args)                                                          \
    WS_EXPORT int name params                                                                      \
    {                                                                                              \
        DB_LOCAL(real_##name);                                                                     \
        if (!DB_REAL(real_##name, #name, LIB)) return SQLITE_MISUSE;                               \
        struct ws_thread *t = db_enter();                                                          \
        if (!t) return real_##name args;                                                           \
        t->db_depth++;                                                                             \
        uint64_t s = ws_now();                                                                     \
        return prepared(t, real_##name args, db, stmt, text, n, s, WS_CALLER);                     \
    }

#define real_sqlite3_prepare      real_prepare
#define real_sqlite3_prepare_v2   real_prepare_v2
#define real_sqlite3_prepare_v3   real_prepare_v3
#define real_sqlite3_prepare16    real_prepare16
#define real_sqlite3_prepare16_v2 real_prepare16_v2
#define real_sqlite3_prepare16_v3 real_prepare16_v3

PREPARE(sqlite3_prepare, sql,
        (sqlite3 * db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail),
        (db, sql, n, stmt, tail))
PREPARE(sqlite3_prepare_v2, sql,
        (sqlite3 * db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail),
        (db, sql, n, stmt, tail))
PREPARE(sqlite3_prepare_v3, sql,
        (sqlite3 * db, const char *sql, int n, unsigned f, sqlite3_stmt **stmt, const char **tail),
        (db, sql, n, f, stmt, tail))
PREPARE(sqlite3_prepare16, NULL,
        (sqlite3 * db, const void *sql, int n, sqlite3_stmt **stmt, const void **tail),
        (db, sql, n, stmt, tail))
PREPARE(sqlite3_prepare16_v2, NULL,
        (sqlite3 * db, const void *sql, int n, sqlite3_stmt **stmt, const void **tail),
        (db, sql, n, stmt, tail))
PREPARE(sqlite3_prepare16_v3, NULL,
        (sqlite3 * db, const void *sql, int n, unsigned f, sqlite3_stmt **stmt, const void **tail),
        (db, sql, n, f, stmt, tail))

/* sqlite3_exec runs a whole script through prepare and step, which pass
 * through (nested): one record for the script. */
WS_EXPORT int sqlite3_exec(sqlite3 *db, const char *sql, int (*cb)(void *, int, char **, char **),
                           void *arg, char **err)
{
    DB_LOCAL(real_exec);
    if (!DB_REAL(real_exec, "sqlite3_exec", LIB)) return SQLITE_MISUSE;
    struct ws_thread *t = db_enter();
    if (!t) return real_exec(db, sql, cb, arg, err);
    t->db_depth++;
    uint64_t s = ws_now();
    int rc = real_exec(db, sql, cb, arg, err);
    ws_db_emit(t, WS_SQLITE_EXEC, db, rc, 0, s, ws_now(), WS_CALLER, 0, 0, sql,
               sql ? strlen(sql) : 0);
    t->db_depth--;
    return rc;
}
