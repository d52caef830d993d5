/* SPDX-License-Identifier: MIT */
/*
 * bypass.c - the internal mutexes of SQLite and CPython go straight to libc.
 *
 * SQLite takes a pthread mutex around its allocator, its page cache and
 * each API call, and CPython takes the GIL's mutex and signals its
 * condition variable every time it releases the GIL around a blocking
 * call: a Python point select through the sqlite3 module makes about 40
 * such calls.  Interposing a call costs about a nanosecond even when the
 * wrapper does nothing but jump on, which alone was a third of the
 * recorder's cost on that loop.  These locks are no user's locks: the time
 * a thread waits on them is already inside the database call or the GIL
 * wait the recorder reports.
 *
 * So, unless WHYSLOW_LOCKS=all asks for every lock (or the program is one
 * the recorder keeps its hands off, AT_SECURE), the GOT slots through
 * which those objects call pthread_mutex_lock, pthread_mutex_unlock,
 * pthread_cond_signal and pthread_cond_broadcast are pointed at libc's
 * functions: the object then calls libc as it would without us.  Their
 * waits (pthread_cond_wait and friends, where CPython waits for the GIL)
 * stay wrapped.  A slot is changed only when it holds our wrapper, or the
 * object's own lazy-binding stub; a slot in the RELRO region is made
 * writable for the one 8-byte store and read-only again.  The store is
 * atomic: a thread calling through the slot at that moment reaches either
 * function, both correct.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "dbstate.h"
#include "internal.h"

#define MAX_BYPASSED 16

static uintptr_t bypassed[MAX_BYPASSED]; /* objects done, by load address + 1 */
static _Atomic unsigned nbypassed;

struct target {
    const char *name;
    void *ours, *libc;
};

struct job {
    uintptr_t addr; /* an address inside the object */
    struct target t[4];
};

/* A dynamic entry's address: glibc stores them relocated, other loaders may
 * not (then they are offsets from the load address). */
static uintptr_t dyn_ptr(const ElfW(Dyn) * d, uintptr_t base)
{
    uintptr_t p = (uintptr_t)d->d_un.d_ptr;
    return p < base ? p + base : p;
}

/* Points one GOT slot at libc's function, if it holds ours or the object's
 * own lazy stub. */
static void patch_slot(void **slot, const struct target *t, uintptr_t lo, uintptr_t hi,
                       uintptr_t relro_lo, uintptr_t relro_hi)
{
    uintptr_t cur = (uintptr_t)__atomic_load_n(slot, __ATOMIC_RELAXED);
    if (cur != (uintptr_t)t->ours && !(cur >= lo && cur < hi)) return;
    uintptr_t page = (uintptr_t)slot & ~((uintptr_t)getpagesize() - 1);
    int relro = (uintptr_t)slot >= relro_lo && (uintptr_t)slot < relro_hi;
    if (relro && mprotect((void *)page, (size_t)getpagesize(), PROT_READ | PROT_WRITE) != 0) return;
    __atomic_store_n(slot, t->libc, __ATOMIC_RELAXED);
    if (relro) mprotect((void *)page, (size_t)getpagesize(), PROT_READ);
}

static int bypass_object(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size;
    struct job *job = data;
    uintptr_t base = info->dlpi_addr, lo = UINTPTR_MAX, hi = 0;
    uintptr_t relro_lo = 0, relro_hi = 0;
    const ElfW(Dyn) *dyn = NULL;
    int inside = 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        uintptr_t s = base + ph->p_vaddr, e = s + ph->p_memsz;
        if (ph->p_type == PT_LOAD) {
            if (job->addr >= s && job->addr < e) inside = 1;
            if (s < lo) lo = s;
            if (e > hi) hi = e;
        } else if (ph->p_type == PT_DYNAMIC) {
            dyn = (const ElfW(Dyn) *)s;
        } else if (ph->p_type == PT_GNU_RELRO) {
            /* The loader makes read-only the whole pages of it. */
            relro_lo = s & ~((uintptr_t)getpagesize() - 1);
            relro_hi = e & ~((uintptr_t)getpagesize() - 1);
        }
    }
    if (!inside) return 0;
    if (!dyn) return 1;

    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Rela) * rel[2] = {NULL, NULL};
    size_t relsz[2] = {0, 0};
    for (const ElfW(Dyn) *d = dyn; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_SYMTAB:
            symtab = (const ElfW(Sym) *)dyn_ptr(d, base);
            break;
        case DT_STRTAB:
            strtab = (const char *)dyn_ptr(d, base);
            break;
        case DT_JMPREL:
            rel[0] = (const ElfW(Rela) *)dyn_ptr(d, base);
            break;
        case DT_PLTRELSZ:
            relsz[0] = d->d_un.d_val;
            break;
        case DT_RELA:
            rel[1] = (const ElfW(Rela) *)dyn_ptr(d, base);
            break;
        case DT_RELASZ:
            relsz[1] = d->d_un.d_val;
            break;
        case DT_PLTREL:
            if (d->d_un.d_val != DT_RELA) return 1; /* not x86-64's kind */
            break;
        }
    }
    if (!symtab || !strtab) return 1;
    for (int k = 0; k < 2; k++) {
        if (!rel[k]) continue;
        for (size_t i = 0; i < relsz[k] / sizeof(ElfW(Rela)); i++) {
            const ElfW(Rela) *r = &rel[k][i];
            unsigned type = (unsigned)ELF64_R_TYPE(r->r_info);
            if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT) continue;
            const char *name = strtab + symtab[ELF64_R_SYM(r->r_info)].st_name;
            for (int j = 0; j < 4; j++)
                if (strcmp(name, job->t[j].name) == 0)
                    patch_slot((void **)(base + r->r_offset), &job->t[j], lo, hi, relro_lo,
                               relro_hi);
        }
    }
    return 1;
}

#if defined(__x86_64__) && defined(__GLIBC__)
static void bypass(const void *addr);
#endif

void ws_bypass_locks_of(const void *addr)
{
#if defined(__x86_64__) && defined(__GLIBC__)
    if (ws_locks_all || ws_hands_off || !addr) return;
    int saved = errno; /* dladdr and mprotect may set it */
    bypass(addr);
    errno = saved;
#else
    (void)addr;
#endif
}

#if defined(__x86_64__) && defined(__GLIBC__)
static void bypass(const void *addr)
{
    /* A dlclose since: an object may now be at a done one's address. */
    static _Atomic unsigned gen;
    unsigned now = atomic_load(&ws_dl_gen);
    if (atomic_exchange(&gen, now) != now) atomic_store(&nbypassed, 0);
    Dl_info info;
    if (!dladdr(addr, &info) || !info.dli_fbase) return;
    uintptr_t key = (uintptr_t)info.dli_fbase + 1;
    unsigned n = atomic_load(&nbypassed);
    for (unsigned i = 0; i < n && i < MAX_BYPASSED; i++)
        if (bypassed[i] == key) return;
    if (n >= MAX_BYPASSED) return;
    struct job job = {
        .addr = (uintptr_t)addr,
        .t = {{"pthread_mutex_lock", (void *)ws_own_mutex_lock, (void *)REAL(pthread_mutex_lock)},
              {"pthread_mutex_unlock", (void *)ws_own_mutex_unlock,
               (void *)REAL(pthread_mutex_unlock)},
              {"pthread_cond_signal", (void *)ws_own_cond_signal,
               (void *)REAL(pthread_cond_signal)},
              {"pthread_cond_broadcast", (void *)ws_own_cond_broadcast,
               (void *)REAL(pthread_cond_broadcast)}},
    };
    for (int j = 0; j < 4; j++)
        if (!job.t[j].libc) return;
    dl_iterate_phdr(bypass_object, &job);
    /* Two threads may both do an object: the second finds nothing to do. */
    unsigned i = atomic_fetch_add(&nbypassed, 1);
    if (i < MAX_BYPASSED) bypassed[i] = key;
}
#endif
