/* SPDX-License-Identifier: MIT */
/*
 * real.c - finds the real functions behind the wrappers (see real.h).
 *
 * What dlsym(RTLD_NEXT, name) gives: the first definition in the objects
 * the loader searches after this library, libc's unless another preloaded
 * library after us defines it.  dlsym itself costs about 0.4 us a name,
 * and its first call some 20 us more (it sets up dlerror's state, and
 * malloc with it); with some 85 names, every traced process, /bin/true
 * included, would pay some 55 us at its start.  So the constructor walks
 * the loader's list of objects after ours and reads each one's GNU hash
 * table itself, as the loader does: about 0.1 us a name.
 *
 * dlsym stays the answer wherever the walk could be wrong: an object with
 * no GNU hash table, a symbol resolved at run time (an IFUNC), or when we
 * were not loaded at the start (dlopen'ed by `whyslow record`: the objects
 * after ours are then not where the loader looks), which shows as a walk
 * that does not find write().  Safe to run twice from two threads: both
 * store the same pointers.
 *
 * A process that records looks all of them up in its constructor (the
 * tracer's own code calls them directly); one that does not (disabled,
 * setuid) only locates the objects, and each wrapper finds its function
 * at its first call (REAL): the first lookups touch the objects' symbol
 * tables, some 30 us of page faults at the start of a process that calls
 * two of them.
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <stdatomic.h>
#include <string.h>

#include "dbstate.h"
#include "internal.h"

/* The linker makes these the bounds of the section every WS_REAL() entry
 * is in. */
extern struct ws_real __start_ws_real[], __stop_ws_real[];

/* An object's dynamic symbol tables, from its dynamic section. */
struct object {
    ElfW(Addr) base;
    const uint32_t *gnu_hash;
    const ElfW(Sym) * symtab;
    const char *strtab;
    const ElfW(Half) * versym;
    const ElfW(Verdef) * verdef; /* the versions it defines, by index */
};

static int object_of(const struct link_map *l, struct object *o)
{
    memset(o, 0, sizeof *o);
    o->base = l->l_addr;
    for (const ElfW(Dyn) *d = l->l_ld; d && d->d_tag != DT_NULL; d++) {
        if (d->d_tag == DT_GNU_HASH) o->gnu_hash = ws_dyn_ptr(o->base, d->d_un.d_ptr);
        if (d->d_tag == DT_SYMTAB) o->symtab = ws_dyn_ptr(o->base, d->d_un.d_ptr);
        if (d->d_tag == DT_STRTAB) o->strtab = ws_dyn_ptr(o->base, d->d_un.d_ptr);
        if (d->d_tag == DT_VERSYM) o->versym = ws_dyn_ptr(o->base, d->d_un.d_ptr);
        if (d->d_tag == DT_VERDEF) o->verdef = ws_dyn_ptr(o->base, d->d_un.d_ptr);
    }
    return o->gnu_hash && o->symtab && o->strtab ? 0 : -1;
}

static uint32_t gnu_hash(const char *s)
{
    uint32_t h = 5381;
    for (; *s; s++)
        h = h * 33 + (unsigned char)*s;
    return h;
}

#define MAYBE ((void *)-1) /* ask dlsym */

/* Whether o's version of index ndx is called name. */
static int version_is(const struct object *o, unsigned ndx, const char *name)
{
    const ElfW(Verdef) *d = o->verdef;
    for (; d; d = d->vd_next ? (const ElfW(Verdef) *)((const char *)d + d->vd_next) : NULL) {
        if (d->vd_ndx != ndx) continue;
        const ElfW(Verdaux) *a = (const ElfW(Verdaux) *)((const char *)d + d->vd_aux);
        return strcmp(o->strtab + a->vda_name, name) == 0;
    }
    return 0;
}

/* The definition of name in o that the loader would take: for a call
 * naming a version, that version's (hidden or not) or an unversioned one;
 * for dlsym, an unversioned one or the default version (not hidden). */
static const ElfW(Sym) *
    sym_in(const struct object *o, const char *name, uint32_t h, const char *version)
{
    const uint32_t nbuckets = o->gnu_hash[0], symoffset = o->gnu_hash[1];
    const uint32_t bloom_size = o->gnu_hash[2], bloom_shift = o->gnu_hash[3];
    if (nbuckets == 0 || bloom_size == 0) return NULL;
    const ElfW(Addr) *bloom = (const ElfW(Addr) *)(o->gnu_hash + 4);
    const uint32_t *buckets = (const uint32_t *)(bloom + bloom_size);
    const uint32_t *chain = buckets + nbuckets;
    const unsigned bits = sizeof(ElfW(Addr)) * 8;
    ElfW(Addr) word = bloom[(h / bits) % bloom_size];
    ElfW(Addr) mask =
        ((ElfW(Addr))1 << (h % bits)) | ((ElfW(Addr))1 << ((h >> bloom_shift) % bits));
    if ((word & mask) != mask) return NULL;
    uint32_t i = buckets[h % nbuckets];
    if (i < symoffset) return NULL;
    const ElfW(Sym) *versioned = NULL;
    for (;; i++) {
        uint32_t c = chain[i - symoffset];
        const ElfW(Sym) *s = &o->symtab[i];
        if ((c | 1) == (h | 1) && strcmp(name, o->strtab + s->st_name) == 0 &&
            s->st_shndx != SHN_UNDEF &&
            (ELF64_ST_BIND(s->st_info) == STB_GLOBAL || ELF64_ST_BIND(s->st_info) == STB_WEAK)) {
            unsigned type = ELF64_ST_TYPE(s->st_info);
            unsigned ndx = o->versym ? o->versym[i] & 0x7fff : 0;
            if (type != STT_FUNC && type != STT_GNU_IFUNC && type != STT_NOTYPE &&
                type != STT_OBJECT) {
                /* TLS, a section: not what we look for */
            } else if (ndx < 2) {
                return s; /* unversioned */
            } else if (version) {
                if (version_is(o, ndx, version)) return s;
            } else if (!(o->versym[i] & 0x8000)) {
                versioned = s; /* the default version */
            }
        }
        if (c & 1) break;
    }
    return versioned;
}

/* The address of name in o for dlsym: NULL when none, MAYBE for an IFUNC. */
static void *find_in(const struct object *o, const char *name, uint32_t h)
{
    const ElfW(Sym) *s = sym_in(o, name, h, NULL);
    if (!s) return NULL;
    return ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC ? MAYBE : (void *)(o->base + s->st_value);
}

/* The objects of the loader's list, the program first, each one's tables
 * read once: a program has dozens (cmake: some 40), and libc, where most
 * names are found, comes late, so reading them again for each name cost a
 * traced cmake process some 150 us at its start.  self is our index; n is
 * -1 when one cannot be read (ask dlsym); more than FEW + MORE are not
 * looked at.  The first FEW, all a short process has, are kept beside the
 * rest of the start's variables (see objs below); the others apart, in a
 * page that only a program with more objects touches. */
#define FEW  8
#define MORE 120
struct objects {
    int n, self;
    const struct link_map *last; /* the list's last object when read */
    unsigned gen;                /* ws_dl_gen then */
    struct object few[FEW];
    struct object *more; /* [MORE] */
};

static void objects_from(const struct link_map *first, const struct link_map *self,
                         struct objects *os)
{
    /* (counted in locals, stored at the end: stored as they go, the
     * compiler loads the pair's first values from .rodata, a page that a
     * process the library does not trace would fault in for them) */
    int n = 0, me = -1;
    for (const struct link_map *l = first; l; l = l->l_next) {
        os->last = l;
        if (!l->l_name || strcmp(l->l_name, WS_START_STR("linux-vdso.so.1")) == 0) continue;
        if (l == self) me = n;
        if (n == FEW + MORE || object_of(l, n < FEW ? &os->few[n] : &os->more[n - FEW]) != 0) {
            n = -1;
            break;
        }
        n++;
    }
    os->n = n;
    os->self = me;
}

/* name in os from its index `from` on, in list order; MAYBE when they
 * cannot all be read. */
static void *find_from(const struct objects *os, int from, const char *name)
{
    if (os->n < 0) return MAYBE;
    uint32_t h = gnu_hash(name);
    for (int i = from; i < os->n; i++) {
        void *at = find_in(i < FEW ? &os->few[i] : &os->more[i - FEW], name, h);
        if (at) return at;
    }
    return NULL;
}

/* The loader's list read into os, with our place in it, when the walk
 * can stand for dlsym (we were loaded at the start: libc, with write(),
 * is after us); else os->n is -1. */
static void read_list(struct objects *os)
{
    struct dl_find_object found;
    os->n = -1;
    os->gen = atomic_load(&ws_dl_gen);
    /* (not dladdr1: it takes the loader's lock and scans our symbols) */
    if (_dl_find_object((void *)ws_resolve, &found) != 0 || !found.dlfo_link_map) return;
    const struct link_map *self = found.dlfo_link_map;
    const struct link_map *first = self;
    while (first->l_prev)
        first = first->l_prev;
    objects_from(first, self, os);
    void *w = os->self < 0 ? NULL : find_from(os, os->self + 1, WS_START_STR("write"));
    if (!w || w == MAYBE) os->n = -1;
}

/* The list, read once: a lookup then reads only the objects' tables,
 * never calls into the loader (so it may run in a signal handler once the
 * constructor has read it).  It is read in place, by the first caller
 * (the constructor): no 5 KiB copy on the stack, whose pages, with the
 * table's unused end, every process would touch.  Its head and first
 * objects in .data (WS_START_RW): in .bss they were a page of their own,
 * a fault for every process. */
WS_BIG static struct object objs_more[MORE];
static struct objects objs WS_START_RW = {.more = objs_more};
static _Atomic int claimed, located;

static const struct objects *located_list(void)
{
    if (atomic_load_explicit(&located, memory_order_acquire)) return &objs;
    if (atomic_exchange(&claimed, 1)) return NULL; /* another is reading it: ask the loader */
    read_list(&objs);
    atomic_store_explicit(&located, 1, memory_order_release);
    return &objs;
}

void ws_locate(void)
{
    located_list();
}

int ws_walk_ready(void)
{
    const struct objects *os = located_list();
    return os && os->n >= 0 && atomic_load(&ws_dl_gen) == os->gen;
}

/* Whether the list read may be out of date: an object dlclose'd since may
 * be gone (its tables with it), or objects were loaded after it. */
static int list_changed(const struct objects *os)
{
    return os->n >= 0 && (atomic_load(&ws_dl_gen) != os->gen || os->last->l_next != NULL);
}

void ws_resolve_one(struct ws_real *r)
{
    const struct objects *os = located_list();
    /* Objects loaded since come after those read: only one unloaded
     * matters (it could be one another constructor loaded before ours). */
    int stale = os && os->n >= 0 && atomic_load(&ws_dl_gen) != os->gen;
    void *at = os && os->n >= 0 && !stale ? find_from(os, os->self + 1, r->name) : MAYBE;
    r->fn = at == MAYBE ? dlsym(RTLD_NEXT, r->name) : at;
}

/* Every one, those found already too (found again, the same). */
void ws_resolve(void)
{
    for (struct ws_real *r = __start_ws_real; r < __stop_ws_real; r++)
        ws_resolve_one(r);
}

/*
 * What the child of fork() calls to become another program: its
 * redirections, exec, and exit when exec fails.  In a process that finds
 * its functions at their first calls (it does not record, or not yet), a
 * parent that forks before it calls these leaves the finding to each
 * child, and a child has none of the symbol tables its parent read mapped
 * (fork copies only a process's own memory; a file's pages are faulted in
 * again): with a shell's loop of commands preloaded but disabled, each
 * fork and exec took some 50 to 90 us longer on a host whose page tables
 * the hypervisor shadows.  Found at the start, where the loader has just
 * read the same tables, they cost a process nothing measurable.
 */
extern struct ws_real ws_real_execve, ws_real_execv, ws_real_execvp, ws_real_execvpe,
    ws_real_fexecve, ws_real_exit, ws_real__exit, ws_real__Exit, ws_real_close, ws_real_close_range,
    ws_real_dup, ws_real_dup2, ws_real_dup3, ws_real_open, ws_real_open64, ws_real_openat,
    ws_real_openat64, ws_real___open_2, ws_real___open64_2, ws_real___openat_2,
    ws_real___openat64_2;

static void find_first(struct ws_real *r)
{
    if (!r->fn) ws_resolve_one(r);
}

/* (One call each: a table of their addresses would be 21 relocations more
 * at every start.) */
void ws_resolve_child_calls(void)
{
    find_first(&ws_real_execve);
    find_first(&ws_real_execv);
    find_first(&ws_real_execvp);
    find_first(&ws_real_execvpe);
    find_first(&ws_real_fexecve);
    find_first(&ws_real_exit);
    find_first(&ws_real__exit);
    find_first(&ws_real__Exit);
    find_first(&ws_real_close);
    find_first(&ws_real_close_range);
    find_first(&ws_real_dup);
    find_first(&ws_real_dup2);
    find_first(&ws_real_dup3);
    find_first(&ws_real_open);
    find_first(&ws_real_open64);
    find_first(&ws_real_openat);
    find_first(&ws_real_openat64);
    find_first(&ws_real___open_2);
    find_first(&ws_real___open64_2);
    find_first(&ws_real___openat_2);
    find_first(&ws_real___openat64_2);
}

/* name in the loader's list as it is now.  Not inlined: its 5 KiB would
 * be in ws_lookup()'s frame, a page of stack every process touches. */
__attribute__((noinline)) static void *find_now(const char *name)
{
    struct object more[MORE]; /* the constructor's, or a dlopen's stack */
    struct objects now = {.more = more};
    read_list(&now);
    return find_from(&now, 0, name);
}

void *ws_lookup(const char *name)
{
    const struct objects *os = located_list();
    void *at;
    if (!os)
        at = MAYBE;
    else if (!list_changed(os))
        at = find_from(os, 0, name);
    else
        at = find_now(name);
    return at == MAYBE ? dlsym(RTLD_DEFAULT, name) : at;
}

/* What the loader binds a call of ours to name@version (version NULL: an
 * unversioned name) to: the first definition in the list, the program
 * first, as it searches; an IFUNC's resolver run as it runs one on
 * x86-64, with no argument.  NULL where the list read cannot stand for
 * its search (it could not be read, or an object was unloaded since): the
 * caller then leaves the call to the loader. */
void *ws_lookup_call(const char *name, const char *version)
{
    const struct objects *os = located_list();
    if (!os || os->n < 0 || atomic_load(&ws_dl_gen) != os->gen) return NULL;
    uint32_t h = gnu_hash(name);
    for (int i = 0; i < os->n; i++) {
        const struct object *o = i < FEW ? &os->few[i] : &os->more[i - FEW];
        const ElfW(Sym) *s = sym_in(o, name, h, version);
        if (!s) continue;
        void *at = (void *)(o->base + s->st_value);
        return ELF64_ST_TYPE(s->st_info) == STT_GNU_IFUNC ? ((void *(*)(void))at)() : at;
    }
    return NULL;
}
