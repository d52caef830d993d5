/* SPDX-License-Identifier: MIT */
/*
 * dbstate.c - the database wrappers' shared pieces (see dbstate.h).
 */
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "dbstate.h"

/* ---- finding the real library ---- */

#define FIND_MAX 256

struct find {
    const char *lib; /* NULL: every object */
    char (*names)[512];
    int n;
};

static int collect(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct find *f = arg;
    if (f->n < FIND_MAX && info->dlpi_name && info->dlpi_name[0] &&
        (!f->lib || strstr(info->dlpi_name, f->lib)) && !strstr(info->dlpi_name, "libwhyslow")) {
        strncpy(f->names[f->n], info->dlpi_name, sizeof f->names[0] - 1);
        f->n++;
    }
    return 0;
}

/* dlclose is wrapped below (the real one is also ours to call). */
WS_REAL(dlclose);

/* The definition of name in the first loaded object (named like lib, or
 * any) that has one; never ours. */
static void *search(const char *name, const char *lib)
{
    /* Collect the names first: dlopen must not run inside the iteration,
     * which holds the loader's lock. */
    struct find f = {.lib = lib, .names = malloc(FIND_MAX * sizeof *f.names)};
    if (!f.names) return NULL;
    dl_iterate_phdr(collect, &f);
    void *p = NULL;
    for (int i = 0; i < f.n && !p; i++) {
        void *h = dlopen(f.names[i], RTLD_NOLOAD | RTLD_LAZY);
        if (!h) continue;
        p = dlsym(h, name);
        REAL(dlclose)(h); /* NOLOAD took a reference; the object stays loaded */
    }
    free(f.names);
    return p;
}

void *ws_lib_symbol(const char *name, const char *lib)
{
    void *p = dlsym(RTLD_NEXT, name);
    if (!p) p = search(name, lib);
    /* A copy built into another object (an extension module that bundles
     * SQLite and exports its API), under any name. */
    if (!p) p = search(name, NULL);
    return p;
}

/* The object whose loaded segments hold addr: its name and range. */
struct owner {
    uintptr_t addr, lo, hi;
    char name[512];
    int found;
};

static int find_owner(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct owner *o = arg;
    uintptr_t lo = UINTPTR_MAX, hi = 0;
    int has = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t a = info->dlpi_addr + ph->p_vaddr, b = a + ph->p_memsz;
        if (a < lo) lo = a;
        if (b > hi) hi = b;
        if (o->addr >= a && o->addr < b) has = 1;
    }
    if (!has) return 0;
    o->lo = lo;
    o->hi = hi;
    strncpy(o->name, info->dlpi_name ? info->dlpi_name : "", sizeof o->name - 1);
    o->found = 1;
    return 1;
}

#define DBFN_POOL 1024
static WS_BIG struct ws_dbfn dbfn_pool[DBFN_POOL];
static _Atomic unsigned dbfn_used;

WS_HOT _Atomic unsigned ws_dl_gen;

/*
 * dlclose: an object unloaded may take a library copy with it, and
 * another may be loaded at its addresses: the functions found so far are
 * found again (a cached one of an unloaded copy would be a jump into
 * nothing).  Our own calls use real_dlclose.
 */
WS_EXPORT int dlclose(void *handle)
{
    int r = REAL(dlclose)(handle);
    atomic_fetch_add(&ws_dl_gen, 1);
    return r;
}

static void *find_fn(struct ws_dbfn_cache *c, const char *name, const char *lib, uintptr_t caller);

void *ws_db_fn_slow(struct ws_dbfn_cache *c, const char *name, const char *lib, uintptr_t caller)
{
    int saved = errno; /* the loader's calls may set it */
    void *fn = find_fn(c, name, lib, caller);
    errno = saved;
    return fn;
}

static void *find_fn(struct ws_dbfn_cache *c, const char *name, const char *lib, uintptr_t caller)
{
    unsigned gen = atomic_load(&ws_dl_gen);
    struct owner o = {.addr = caller};
    dl_iterate_phdr(find_owner, &o);
    void *fn = NULL;
    /* A shared object: its own copy, or its dependencies'.  The main
     * program, or our own code: the global order (RTLD_NEXT) and beyond. */
    if (o.found && o.name[0] && !strstr(o.name, "libwhyslow")) {
        void *h = dlopen(o.name, RTLD_NOLOAD | RTLD_LAZY);
        if (h) {
            fn = dlsym(h, name);
            REAL(dlclose)(h);
        }
    }
    if (!fn) fn = ws_lib_symbol(name, lib);
    if (fn && strcmp(lib, "libsqlite3") == 0) ws_bypass_locks_of(fn); /* bypass.c */
    if (!o.found || !fn) return fn;
    unsigned i = atomic_fetch_add(&dbfn_used, 1);
    if (i >= DBFN_POOL) return fn; /* not kept: found again next time */
    struct ws_dbfn *e = &dbfn_pool[i];
    e->lo = o.lo;
    e->hi = o.hi;
    e->fn = fn;
    e->gen = gen;
    atomic_store_explicit(&c->e[atomic_fetch_add(&c->next, 1) % WS_DBFN_WAYS], e,
                          memory_order_release);
    return fn;
}

/* ---- per-thread state ---- */

WS_HOT _Atomic unsigned ws_db_threads;

/* The state starts this far into its page, not at the page's start: the
 * lines at page starts all share one set of the CPU's L1 cache with the
 * program's own page-aligned data (allocators' headers), and the state's
 * first line is touched by every call.  In the Python point-select loop
 * the overhead went 4.7 -> 4.2 %. */
#define DB_SKEW     (64 * 37)
#define DB_MAP_SIZE (sizeof(struct ws_dbstate) + DB_SKEW)

struct ws_dbstate *ws_db_make(struct ws_thread *t)
{
    void *m = mmap(NULL, DB_MAP_SIZE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED) return NULL;
    m = (char *)m + DB_SKEW;
    atomic_fetch_add_explicit(&ws_db_threads, 1, memory_order_relaxed);
    t->db = m;
    return t->db;
}

void ws_db_free(struct ws_thread *t)
{
    if (t->db) munmap((char *)t->db - DB_SKEW, DB_MAP_SIZE);
    t->db = NULL;
}

/* Eight bytes at a time, each word mixed in with a multiply: a bound
 * integer is one round, where a byte-wise hash took eight dependent ones. */
uint32_t ws_db_hash(const void *p, size_t n, uint32_t seed)
{
    const uint8_t *b = p;
    uint64_t h = 0x9e3779b97f4a7c15u ^ seed ^ ((uint64_t)n << 32);
    for (; n >= 8; n -= 8, b += 8) {
        uint64_t w;
        memcpy(&w, b, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    if (n) {
        uint64_t w = 0;
        memcpy(&w, b, n);
        h = (h ^ w) * 0xff51afd7ed558ccdu;
        h ^= h >> 29;
    }
    uint32_t r = (uint32_t)(h ^ (h >> 32));
    return r ? r : 1;
}

int ws_db_emit(struct ws_thread *t, unsigned call, const void *conn, int64_t result, uint64_t rows,
               uint64_t start, uint64_t end, uint64_t caller, uint64_t aux1, uint64_t aux2,
               const char *text, size_t len)
{
    if (!text) len = 0;
    if (len > WS_MAX_PAYLOAD) len = WS_MAX_PAYLOAD;
    if (!(ws_call_flags(call) & WS_CALL_HAS_AUX)) {
        uint8_t *p = ws_emit_reserve(t, call, (uint32_t)rows, (int64_t)(uintptr_t)conn, result,
                                     start, end, caller, (uint32_t)len);
        if (!p) return 0;
        if (len) memcpy(p, text, len);
        ws_emit_commit();
        return 1;
    }
    /* aux1 and aux2 in front of the text, which is copied once: straight
     * into the thread's buffer. */
    if (len > WS_MAX_PAYLOAD - 16) len = WS_MAX_PAYLOAD - 16;
    uint8_t *p = ws_emit_reserve(t, call, (uint32_t)rows, (int64_t)(uintptr_t)conn, result, start,
                                 end, caller, (uint32_t)(16 + len));
    if (!p) return 0;
    memcpy(p, &aux1, 8);
    memcpy(p + 8, &aux2, 8);
    if (len) memcpy(p + 16, text, len);
    ws_emit_commit();
    return 1;
}

/* ---- libpq's prepared statements, by connection and name ---- */

#define NAMED      512 /* a power of two */
#define NAMED_TEXT 1024

struct named {
    _Atomic int state; /* 0 free, 1 being written, 2 ready */
    const void *conn;
    uint32_t name_hash;
    char text[NAMED_TEXT];
};

/* struct named[NAMED], 530 KiB: mapped by the first statement prepared
 * (table.c). */
static void *_Atomic named_table;

void ws_pg_remember(const void *conn, const char *name, const char *text)
{
    if (!name || !text) return;
    struct named *named = ws_table_map(&named_table, NAMED * sizeof *named);
    if (!named) { /* no memory: its executions will show no text */
        ws_lose();
        return;
    }
    uint32_t h = ws_db_hash(name, strlen(name), (uint32_t)(uintptr_t)conn);
    for (unsigned i = 0; i < NAMED; i++) {
        struct named *e = &named[(h + i) & (NAMED - 1)];
        int expect = 0;
        if (atomic_load(&e->state) == 2 && e->conn == conn && e->name_hash == h) {
            /* Prepared again under that name (after DEALLOCATE): replace. */
            atomic_store(&e->state, 1);
        } else if (!atomic_compare_exchange_strong(&e->state, &expect, 1)) {
            continue;
        }
        e->conn = conn;
        e->name_hash = h;
        strncpy(e->text, text, NAMED_TEXT - 1);
        e->text[NAMED_TEXT - 1] = 0;
        atomic_store_explicit(&e->state, 2, memory_order_release);
        return;
    }
}

const char *ws_pg_recall(const void *conn, const char *name)
{
    struct named *named = atomic_load_explicit(&named_table, memory_order_acquire);
    if (!name || !named) return NULL;
    uint32_t h = ws_db_hash(name, strlen(name), (uint32_t)(uintptr_t)conn);
    for (unsigned i = 0; i < NAMED; i++) {
        struct named *e = &named[(h + i) & (NAMED - 1)];
        int st = atomic_load_explicit(&e->state, memory_order_acquire);
        if (st == 0) return NULL;
        if (st == 2 && e->conn == conn && e->name_hash == h) return e->text;
    }
    return NULL;
}
