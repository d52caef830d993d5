/* SPDX-License-Identifier: MIT */
/*
 * bindings.c - e2e program: how libwhyslow.so's own calls into other
 * objects are bound in the process that loads it (preload/bind.c).
 *
 * Reads the library's relocations in memory and prints one line:
 *   eager E now N lazy L after A
 * E: the names the loader looked up for it at the start (GLOB_DAT: the
 * hot path's calls and data); N: 1 when it asked to have all of them
 * bound at the start (BIND_NOW); L: of its PLT calls, those not bound to
 * what the loader would bind them to (dlvsym in the global scope) before
 * this program made any call the library records; A: the same after a
 * write() to /dev/null, its first event.
 * Exits 2 when the library is not loaded.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct lib {
    ElfW(Addr) base;
    const ElfW(Dyn) * dyn;
};

static int find_lib(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    struct lib *l = arg;
    if (!info->dlpi_name || !strstr(info->dlpi_name, "libwhyslow.so")) return 0;
    l->base = info->dlpi_addr;
    for (int i = 0; i < info->dlpi_phnum; i++)
        if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
            l->dyn = (const ElfW(Dyn) *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
    return 1;
}

static struct lib lib;
static const ElfW(Rela) * jmprel, *rela;
static size_t jmprelsz, relasz;
static const ElfW(Sym) * symtab;
static const char *strtab;
static const ElfW(Half) * versym;
static const ElfW(Verneed) * verneed;
static ElfW(Xword) flags, flags_1;

/* A dynamic entry's address: relocated by the loader on x86-64. */
static const void *at(const ElfW(Dyn) * d)
{
    return (const void *)(d->d_un.d_ptr < lib.base ? d->d_un.d_ptr + lib.base : d->d_un.d_ptr);
}

static const char *version_of(size_t i)
{
    unsigned ndx = versym ? versym[i] & 0x7fff : 0;
    if (ndx < 2) return NULL;
    for (const ElfW(Verneed) *n = verneed; n;
         n = n->vn_next ? (const void *)((const char *)n + n->vn_next) : NULL) {
        const ElfW(Vernaux) *a = (const void *)((const char *)n + n->vn_aux);
        for (unsigned k = 0; k < n->vn_cnt; k++, a = (const void *)((const char *)a + a->vna_next))
            if (a->vna_other == ndx) return strtab + a->vna_name;
    }
    return NULL;
}

/* PLT calls not bound to what the loader would bind them to. */
static int unbound(void)
{
    int n = 0;
    for (size_t k = 0; k < jmprelsz / sizeof *jmprel; k++) {
        size_t i = ELF64_R_SYM(jmprel[k].r_info);
        const char *name = strtab + symtab[i].st_name, *version = version_of(i);
        void *want = version ? dlvsym(RTLD_DEFAULT, name, version) : dlsym(RTLD_DEFAULT, name);
        if (*(void *const *)(lib.base + jmprel[k].r_offset) != want) n++;
    }
    return n;
}

int main(void)
{
    dl_iterate_phdr(find_lib, &lib);
    if (!lib.dyn) {
        fprintf(stderr, "bindings: libwhyslow.so is not loaded\n");
        return 2;
    }
    for (const ElfW(Dyn) *d = lib.dyn; d->d_tag != DT_NULL; d++) {
        switch (d->d_tag) {
        case DT_JMPREL:
            jmprel = at(d);
            break;
        case DT_PLTRELSZ:
            jmprelsz = d->d_un.d_val;
            break;
        case DT_RELA:
            rela = at(d);
            break;
        case DT_RELASZ:
            relasz = d->d_un.d_val;
            break;
        case DT_SYMTAB:
            symtab = at(d);
            break;
        case DT_STRTAB:
            strtab = at(d);
            break;
        case DT_VERSYM:
            versym = at(d);
            break;
        case DT_VERNEED:
            verneed = at(d);
            break;
        case DT_FLAGS:
            flags = d->d_un.d_val;
            break;
        case DT_FLAGS_1:
            flags_1 = d->d_un.d_val;
            break;
        }
    }
    int eager = 0;
    for (size_t k = 0; k < relasz / sizeof *rela; k++)
        if (ELF64_R_TYPE(rela[k].r_info) == R_X86_64_GLOB_DAT) eager++;
    int before = unbound();
    int fd = open("/dev/null", O_WRONLY);
    if (fd < 0 || write(fd, "x", 1) != 1) return 1;
    close(fd);
    int after = unbound();
    printf("eager %d now %d lazy %d after %d\n", eager,
           (flags & DF_BIND_NOW) || (flags_1 & DF_1_NOW) ? 1 : 0, before, after);
    return 0;
}
