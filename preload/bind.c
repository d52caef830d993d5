/* SPDX-License-Identifier: MIT */
/*
 * bind.c - binds the recorder's own calls into libc before it records.
 *
 * The library is linked for lazy binding (-z lazy): the loader binds each
 * call of the files that run only once the process records (the region's
 * buffers, the log, the flusher, stacks, a database's first use) at its
 * first call, not at the start of every process.  Bound at the start, the
 * library's 103 names cost each process that loads it some 20 us (paired
 * spawns of a disabled /bin/true).  The calls of the files a process may
 * run before it records (the wrappers, its start and end, fork and exec)
 * are still bound at the start (-fno-plt: they go through the GOT).
 *
 * A call bound at its first use runs the loader's resolver on the caller's
 * stack: it saves the vector registers there (some 1 to 3 KiB), which a
 * signal handler on a small alternate stack may not have.  So when the
 * recorder goes live (init.c's resolve(), before any record), it binds
 * every call that is still lazy here, as the loader would, reading the
 * symbol tables that real.c located: some 50 calls, paid only by
 * processes that record.  A call it cannot bind as surely (the objects'
 * list could not be read) is left to the loader.
 */
#include <elf.h>
#include <link.h>
#include <stdatomic.h>

#include "internal.h"

/* The name of the version our symbol of index i asks for, or NULL. */
static const char *version_wanted(const ElfW(Half) * versym, const ElfW(Verneed) * need,
                                  const char *strtab, size_t i)
{
    unsigned ndx = versym ? versym[i] & 0x7fff : 0;
    if (ndx < 2) return NULL;
    for (const ElfW(Verneed) *n = need; n;
         n = n->vn_next ? (const ElfW(Verneed) *)((const char *)n + n->vn_next) : NULL) {
        const ElfW(Vernaux) *a = (const ElfW(Vernaux) *)((const char *)n + n->vn_aux);
        for (unsigned k = 0; k < n->vn_cnt; k++) {
            if (a->vna_other == ndx) return strtab + a->vna_name;
            a = (const ElfW(Vernaux) *)((const char *)a + a->vna_next);
        }
    }
    return NULL;
}

/* Our read-only-after-relocation range (PT_GNU_RELRO), from our own
 * program headers: a build linked with -z now has its PLT's slots there,
 * bound by the loader at the start, and a store would fault. */
extern const ElfW(Ehdr) __ehdr_start;
static void relro_range(ElfW(Addr) base, ElfW(Addr) * lo, ElfW(Addr) * hi)
{
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)((const char *)&__ehdr_start + __ehdr_start.e_phoff);
    *lo = *hi = 0;
    for (unsigned i = 0; i < __ehdr_start.e_phnum; i++) {
        if (ph[i].p_type != PT_GNU_RELRO) continue;
        *lo = base + ph[i].p_vaddr;
        *hi = *lo + ph[i].p_memsz;
    }
}

void ws_bind_calls(void)
{
    struct dl_find_object found;
    if (_dl_find_object((void *)ws_bind_calls, &found) != 0 || !found.dlfo_link_map) return;
    const struct link_map *self = found.dlfo_link_map;
    ElfW(Addr) base = self->l_addr, relro_lo, relro_hi;
    relro_range(base, &relro_lo, &relro_hi);
    const ElfW(Rela) *rel = NULL;
    size_t relsz = 0;
    const ElfW(Sym) *symtab = NULL;
    const char *strtab = NULL;
    const ElfW(Half) *versym = NULL;
    const ElfW(Verneed) *need = NULL;
    for (const ElfW(Dyn) *d = self->l_ld; d->d_tag != DT_NULL; d++) {
        const void *at = ws_dyn_ptr(base, d->d_un.d_ptr);
        if (d->d_tag == DT_JMPREL) rel = at;
        if (d->d_tag == DT_PLTRELSZ) relsz = d->d_un.d_val;
        if (d->d_tag == DT_SYMTAB) symtab = at;
        if (d->d_tag == DT_STRTAB) strtab = at;
        if (d->d_tag == DT_VERSYM) versym = at;
        if (d->d_tag == DT_VERNEED) need = at;
    }
    if (!rel || !symtab || !strtab) return;
    for (size_t k = 0; k < relsz / sizeof *rel; k++) {
        ElfW(Addr) slot = base + rel[k].r_offset;
        if (ELF64_R_TYPE(rel[k].r_info) != R_X86_64_JUMP_SLOT ||
            (slot >= relro_lo && slot < relro_hi))
            continue;
        size_t i = ELF64_R_SYM(rel[k].r_info);
        void *at =
            ws_lookup_call(strtab + symtab[i].st_name, version_wanted(versym, need, strtab, i));
        /* (another thread may be calling it: both store the same address;
         * one bound already is not written again) */
        _Atomic(void *) *p = (_Atomic(void *) *)slot;
        if (at && atomic_load_explicit(p, memory_order_relaxed) != at)
            atomic_store_explicit(p, at, memory_order_relaxed);
    }
}
