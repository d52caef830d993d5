/* SPDX-License-Identifier: MIT */
/*
 * dbstate.h - what the database wrappers (wrap_sqlite.c, wrap_pq.c) share:
 * finding the real library's functions, per-thread state of executions in
 * progress, and the record they end with.
 *
 * A database call is not a syscall: one execution of a statement spans
 * several calls (SQLite: prepare, bind, step per row, reset; libpq: send,
 * then a result at a time), so the wrappers keep per-thread state between
 * calls and write one WS_SQLITE_QUERY / WS_PG_QUERY record when the
 * execution ends.  These calls are not async-signal-safe themselves, so
 * this state needs none of the hot path's care for signals, but it stays
 * lock-free and allocates only once per thread (mmap).
 *
 * Both libraries call their own public functions through their PLT (PQexec
 * calls PQsendQuery and PQgetResult; sqlite3_exec calls prepare and step),
 * which land in our wrappers again: ws_thread.db_depth makes such nested
 * calls pass straight through.
 */
#ifndef WHYSLOW_DBSTATE_H
#define WHYSLOW_DBSTATE_H

#include "internal.h"

/* A function of a library that may be loaded RTLD_LOCAL by an extension
 * module (Python's _sqlite3, psycopg2), where dlsym(RTLD_NEXT) cannot see
 * it: the loaded objects whose name contains `lib` are searched.  Nothing
 * is ever loaded: NULL when the library is not there. */
void *ws_lib_symbol(const char *name, const char *lib);

/*
 * A program may load two copies of a library (a module may bundle its own
 * SQLite): each call must reach the copy its caller would have reached.
 * The real function is found for the object the call comes from (the
 * copy among that object's own dependencies), and kept per function for
 * the last few calling objects, by their address range.
 */
struct ws_dbfn {
    uintptr_t lo, hi; /* the calling object */
    void *fn;
    unsigned gen; /* ws_dl_gen when found: a dlclose since makes it stale */
};

extern _Atomic unsigned ws_dl_gen; /* dlclose calls so far */
#define WS_DBFN_WAYS 4
struct ws_dbfn_cache {
    const struct ws_dbfn *_Atomic e[WS_DBFN_WAYS];
    _Atomic unsigned next;
};

void *ws_db_fn_slow(struct ws_dbfn_cache *c, const char *name, const char *lib, uintptr_t caller);

/* The cache's entry for caller, if it has one still valid. */
static inline const struct ws_dbfn *ws_db_fn_entry(struct ws_dbfn_cache *c, uintptr_t caller)
{
    unsigned gen = atomic_load_explicit(&ws_dl_gen, memory_order_relaxed);
    for (int i = 0; i < WS_DBFN_WAYS; i++) {
        const struct ws_dbfn *e = atomic_load_explicit(&c->e[i], memory_order_acquire);
        if (e && caller - e->lo < e->hi - e->lo && e->gen == gen) return e;
    }
    return NULL;
}

static inline void *ws_db_fn(struct ws_dbfn_cache *c, const char *name, const char *lib,
                             uintptr_t caller)
{
    const struct ws_dbfn *e = ws_db_fn_entry(c, caller);
    return e ? e->fn : ws_db_fn_slow(c, name, lib, caller);
}

/* The real function for this call, into var (a local of the wrapper,
 * declared with DB_LOCAL: two threads may be calling two copies), found
 * for the wrapper's caller, or for `caller` in the wrapper's helpers. */
#define DB_REAL_AT(var, name, lib, caller)                                                         \
    ((var) = (var##_t)ws_db_fn(&var##_cache, name, lib, caller))
#define DB_REAL(var, name, lib) DB_REAL_AT(var, name, lib, WS_CALLER)

/* Declares a real function's type and its cache (at file scope). */
#define DB_FN(type, var, params)                                                                   \
    typedef type(*var##_t) params;                                                                 \
    static struct ws_dbfn_cache var##_cache

/* Declares the local that holds a real function in a wrapper (two steps,
 * so that a macro naming the variable is expanded first). */
#define DB_LOCAL(var)  DB_LOCAL_(var)
#define DB_LOCAL_(var) var##_t var = NULL

/* One SQLite statement's execution in progress, and its bound values.
 * What an execution of up to 2 parameters touches is in its first cache
 * line: the program's own data stays in the CPU's cache. */
#define WS_SQ_SLOTS  128
#define WS_SQ_PARAMS 16
struct ws_sq_exec {
    void *stmt; /* NULL: a free slot */
    void *db;
    uint64_t start, rows, caller;
    int active, last_rc;
    unsigned gen;                  /* statements finalized by then (wrap_sqlite.c) */
    uint16_t told;                 /* the text was written (a WS_SQLITE_STMT record) */
    uint16_t nparams;              /* highest index bound, up to WS_SQ_PARAMS */
    uint32_t params[WS_SQ_PARAMS]; /* a hash per bound index (0: unbound) */
    uint32_t hash;                 /* of its text when last seen */
    uint64_t py[2];                /* its Python site (pyframes.c), taken at its start */
} __attribute__((aligned(64)));

/* The real SQLite functions a thread keeps at hand (wrap_sqlite.c): those
 * found for the object its last calls came from. */
#define WS_SQ_FAST 16
struct ws_sq_fast {
    uintptr_t lo, hi; /* the calling object */
    unsigned gen;     /* ws_dl_gen when found */
    void *fn[WS_SQ_FAST];
};

/* libpq: the queries sent on one connection whose results are not all
 * read yet (more than one in pipeline mode). */
#define WS_PG_CONNS   8
#define WS_PG_PENDING 4
#define WS_PG_TEXT    (WS_MAX_PAYLOAD - 64)
struct ws_pg_query {
    uint64_t start, inside, rows, caller;
    uint64_t py[2]; /* its Python site (pyframes.c), taken when sent */
    int status, is_prepare;
    uint32_t params;
    uint32_t len;
    char text[WS_PG_TEXT];
};
struct ws_pg_conn {
    void *conn; /* NULL: a free slot */
    unsigned head, n;
    struct ws_pg_query q[WS_PG_PENDING];
};

/* A code object's number in the log (pyframes.c), kept while no code
 * object was freed since. */
#define WS_PY_CODES 16
struct ws_py_code {
    uintptr_t code;
    uint64_t freed; /* code objects freed by then */
    uint32_t epoch, id, user;
};

/* The innermost frame of the last database call's site, when it was the
 * user's own code: its frame, code object and instruction word, and the
 * key they gave (pyframes.c). */
struct ws_py_last {
    uintptr_t frame, code, instr;
    uint64_t freed;
    uint32_t epoch;
    uint64_t key;
};

struct ws_dbstate {
    /* The Python site of its database executions last written (a
     * WS_EV_PYSITE with err 1, pyframes.c): a loop's executions from one
     * line write it once. */
    uint64_t py_site[2];
    uint32_t py_seq; /* odd while py_codes or py_last is written */
    struct ws_py_last py_last;
    struct ws_py_code py_codes[WS_PY_CODES];
    struct ws_sq_exec *last; /* the slot found last */
    unsigned sq_active;      /* SQLite executions in progress */
    struct ws_sq_fast fast;
    struct ws_sq_exec sq[WS_SQ_SLOTS];
    struct ws_pg_conn pg[WS_PG_CONNS];
};

/* Threads that ever made database state: while only one did, no other
 * thread can have touched a statement in its state. */
extern _Atomic unsigned ws_db_threads;

/* The calling thread's database state, made on first use; NULL if none
 * can be made. */
struct ws_dbstate *ws_db_make(struct ws_thread *t);
static inline struct ws_dbstate *ws_db(struct ws_thread *t)
{
    return likely(t->db != NULL) ? t->db : ws_db_make(t);
}
void ws_db_free(struct ws_thread *t);

/* A hash of bytes, never 0 (0 means "nothing bound"). */
uint32_t ws_db_hash(const void *p, size_t n, uint32_t seed);

/* The same, inline, for 8 bytes (a bound integer or double). */
static inline uint32_t ws_db_hash8(const void *p, uint32_t seed)
{
    uint64_t w;
    __builtin_memcpy(&w, p, 8);
    uint64_t h = ((0x9e3779b97f4a7c15u ^ seed ^ (8ull << 32)) ^ w) * 0xff51afd7ed558ccdu;
    h ^= h >> 29;
    uint32_t r = (uint32_t)(h ^ (h >> 32));
    return r ? r : 1;
}

/* Mixes 32-bit hashes into one, never 0. */
static inline uint32_t ws_db_mix(const uint32_t *h, unsigned n)
{
    uint64_t x = 0x9e3779b97f4a7c15u;
    for (unsigned i = 0; i < n; i++)
        x = (x ^ h[i]) * 0xff51afd7ed558ccdu;
    uint32_t r = (uint32_t)(x ^ (x >> 32));
    return r ? r : 1;
}

/* Writes a database record: aux1 and aux2 travel in front of the text in
 * the raw record (format.h puts them before the payload in the log).
 * Returns 0 when the record was dropped (no buffer), else 1. */
int ws_db_emit(struct ws_thread *t, unsigned call, const void *conn, int64_t result, uint64_t rows,
               uint64_t start, uint64_t end, uint64_t caller, uint64_t aux1, uint64_t aux2,
               const char *text, size_t len);

/* Remembers the text of a statement prepared under a name on a libpq
 * connection, and finds it again (NULL when unknown). */
void ws_pg_remember(const void *conn, const char *name, const char *text);
const char *ws_pg_recall(const void *conn, const char *name);

#endif
