/* SPDX-License-Identifier: MIT */
/*
 * symbolize.c - addresses to names with the recorded memory maps and the
 * ELF files they name (see symbolize.h).
 *
 * The pieces, from the bottom:
 *
 *   files    one per (path, inode) a mapping names: checked against the
 *            recording (same inode on the same device, not modified
 *            after the process ended), then its PT_LOAD segments read
 *            with libelf.  A file that fails is never opened again.
 *   modules  one per load of a file (file, load bias): a libdwfl session
 *            of its own (dwfl_report_elf at that bias), so that two loads
 *            of one library at different times never overlap in one
 *            session.  The bias of a mapping is voted on by all the
 *            mappings of its file (elf_load_bias).
 *   answers  code and data lookups, cached by address.
 *
 * An address in a mapping that held different files in different maps
 * (memmap.h: ambiguous) is not named: the log cannot say which one it was.
 */
#include "symbols/symbolize.h"

#include "symbols/jitmap.h"

#include "base/fileopen.h"
#include "base/hashmap.h"
#include "base/strpool.h"
#include "base/text.h"
#include "base/util.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <elfutils/libdwfl.h>
#include <fcntl.h>
#include <gelf.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Segments start at most this far (the largest page size) before the
 * first byte their mapping holds. */
#define MAX_PAGE 65536u

struct sym_file {
    char *path;
    uint64_t inode;
    dev_t dev; /* the file found at path when it was first looked at */
    ino_t ino;
    int usable; /* 0: not yet looked at, 1: an ELF file, -1: cannot be used */
    struct elf_segment *segs;
    size_t nsegs;
};

struct sym_module {
    size_t file;
    uint64_t bias;
    uint64_t lo, hi; /* the addresses its segments take */
    Dwfl *dwfl;
    Dwfl_Module *mod; /* NULL when libdwfl would not take it */
};

/* Files opened at most for one process: real programs map some hundreds;
 * a log can name a million. */
#define SYM_FILES_MAX 4096

struct symbolizer {
    struct ws_process *p;
    /* The mappings of p->maps with a path, grouped by file (path, inode):
     * the mappings of file g are by_file[file0[g] .. file0[g + 1]), and
     * file_ix[i] is mapping i's (-1: none); files[g], its file. */
    size_t *by_file, *file0;
    long *file_ix;
    struct sym_file *files;
    size_t nfiles, opened;
    struct sym_module *mods;
    size_t nmods, modcap;
    struct map mod_index; /* (file, bias) -> module + 1 */
    long *mod_of;         /* per mapping of p->maps: -2 not looked for, -1 none, else
                             its module */
    struct strpool names;
    struct map code_index, data_index; /* (addr, 0) -> answer + 1 */
    struct sym_code **codes;
    size_t ncodes, codecap;
    struct sym_data **datas;
    size_t ndatas, datacap;
    struct jitmap jit; /* the process's JIT code, parsed when first needed */
    int jit_parsed;
};

/* ---- the load bias ---- */

/* Whether the mapping m may hold segment s at bias b, and which bias. */
static int segment_bias(const struct ws_mapping *m, const struct elf_segment *s, uint64_t *b)
{
    /* How far into the segment's bytes the mapping starts: at most a page
     * before (the page rounding of the segment's start), never past it. */
    int64_t into = (int64_t)(m->offset - s->offset);
    if (into <= -(int64_t)MAX_PAGE || (into >= 0 && (uint64_t)into >= s->filesz)) return 0;
    *b = m->start - m->offset + s->offset - s->vaddr;
    return (*b & 4095) == 0; /* loads are page aligned */
}

static int same_file(const struct ws_mapping *a, const struct ws_mapping *b)
{
    return a->path && b->path && a->inode == b->inode && strcmp(a->path, b->path) == 0;
}

int elf_load_bias(const struct elf_segment *seg, size_t nseg, const struct ws_mapping *maps,
                  size_t n, size_t i, uint64_t *bias)
{
    size_t best_votes = 0;
    for (size_t k = 0; k < nseg; k++) {
        uint64_t b, other;
        if (!segment_bias(&maps[i], &seg[k], &b)) continue;
        size_t votes = 0;
        for (size_t j = 0; j < n; j++) {
            if (j != i && !same_file(&maps[i], &maps[j])) continue;
            for (size_t s = 0; s < nseg; s++)
                if (segment_bias(&maps[j], &seg[s], &other) && other == b) {
                    votes++;
                    break;
                }
        }
        if (votes > best_votes) {
            best_votes = votes;
            *bias = b;
        }
    }
    return best_votes ? 0 : -1;
}

/* ---- files ---- */

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

/* A name or path from a file, cleaned for printing, kept once. */
static const char *keep(struct symbolizer *s, const char *name)
{
    char buf[512];
    size_t n = text_clean((const uint8_t *)name, strlen(name), buf, sizeof(buf));
    return strpool_get(&s->names, strpool_intern(&s->names, buf, n));
}

/* A symbol's name without its version ("memcpy@@GLIBC_2.14"), kept. */
static const char *keep_symbol(struct symbolizer *s, const char *name)
{
    const char *at = strchr(name, '@');
    if (!at || at == name) return keep(s, name);
    char buf[512];
    size_t n = (size_t)(at - name) < sizeof(buf) - 1 ? (size_t)(at - name) : sizeof(buf) - 1;
    memcpy(buf, name, n);
    buf[n] = 0;
    return keep(s, buf);
}

/* Whether the file at path is still the one the process mapped; if not,
 * a note says why its addresses stay unnamed. */
static int file_unchanged(struct symbolizer *s, const struct ws_mapping *m, int fd)
{
    struct ws_process *p = s->p;
    struct stat st;
    if (fstat(fd, &st) != 0) return 0;
    if (major(st.st_dev) == m->dev_major && minor(st.st_dev) == m->dev_minor &&
        (uint64_t)st.st_ino != m->inode) {
        process_note(p, "%s was replaced since the recording (another file): its code is not named",
                     m->path);
        return 0;
    }
    /* A file modified in place (cp over it) keeps its inode. */
    uint64_t mtime = (uint64_t)st.st_mtim.tv_sec * 1000000000u + (uint64_t)st.st_mtim.tv_nsec;
    uint64_t ended = p->start_unix_ns + (uint64_t)(p->duration_ns > 0 ? p->duration_ns : 0);
    if (p->start_unix_ns && mtime > ended) {
        process_note(p, "%s was modified after the recording: its code is not named", m->path);
        return 0;
    }
    return 1;
}

/* Reads the file's PT_LOAD segments; returns 0, or -1 when it is no ELF
 * file that could have been loaded. */
static int read_segments(struct sym_file *f, int fd)
{
    Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);
    GElf_Ehdr eh;
    size_t nph;
    int rc = -1;
    if (!elf || elf_kind(elf) != ELF_K_ELF || !gelf_getehdr(elf, &eh) ||
        (eh.e_type != ET_EXEC && eh.e_type != ET_DYN) || elf_getphdrnum(elf, &nph) != 0)
        goto out;
    size_t cap = 0;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(elf, (int)i, &ph) || ph.p_type != PT_LOAD) continue;
        struct elf_segment seg = {ph.p_vaddr, ph.p_offset, ph.p_filesz, ph.p_memsz};
        ARRAY_PUSH(f->segs, f->nsegs, cap) = seg;
    }
    rc = f->nsegs ? 0 : -1;
out:
    if (elf) elf_end(elf);
    return rc;
}

/* The file of mapping i (which has a path), looked at the first time. */
static struct sym_file *file_of(struct symbolizer *s, size_t i)
{
    const struct ws_mapping *m = &s->p->maps.v[i];
    struct sym_file *f = &s->files[s->file_ix[i]];
    if (f->path) return f;
    f->path = xstrdup(m->path);
    f->inode = m->inode;
    f->usable = -1;
    if (s->opened++ == SYM_FILES_MAX) {
        process_note(s->p,
                     "the memory maps name more than %d files: the code of the others is "
                     "not named",
                     SYM_FILES_MAX);
        return f;
    }
    if (s->opened > SYM_FILES_MAX) return f;
    /* A path the log names: only a regular file is opened, never a FIFO
     * or a device (base/fileopen.h). */
    struct stat st;
    char why[128];
    int fd = open_regular(m->path, OPEN_FOLLOW, &st, why, sizeof(why));
    if (fd < 0) {
        process_note(s->p, "cannot read %s (%s): its code is not named", m->path, why);
        return f;
    }
    f->dev = st.st_dev;
    f->ino = st.st_ino;
    if (file_unchanged(s, m, fd) && read_segments(f, fd) == 0) f->usable = 1;
    close(fd);
    return f;
}

/* Mapping order by file: path, then inode, then address. */
static int cmp_by_file(const void *a, const void *b, void *ctx)
{
    const struct ws_mapping *v = ctx, *x = &v[*(const size_t *)a], *y = &v[*(const size_t *)b];
    int c = strcmp(x->path, y->path);
    if (c) return c;
    if (x->inode != y->inode) return x->inode < y->inode ? -1 : 1;
    return x->start < y->start ? -1 : x->start > y->start;
}

/* Groups the mappings with a path by file, once: a file is then found,
 * and its load bias voted on, by its own mappings alone. */
static void group_files(struct symbolizer *s)
{
    const struct ws_maps *maps = &s->p->maps;
    size_t n = 0;
    s->by_file = xmalloc((maps->n ? maps->n : 1) * sizeof(*s->by_file));
    s->file_ix = xmalloc((maps->n ? maps->n : 1) * sizeof(*s->file_ix));
    for (size_t i = 0; i < maps->n; i++) {
        s->file_ix[i] = -1;
        if (mapping_is_file(&maps->v[i])) s->by_file[n++] = i;
    }
    qsort_r(s->by_file, n, sizeof(*s->by_file), cmp_by_file, maps->v);
    s->file0 = xmalloc((n + 1) * sizeof(*s->file0));
    for (size_t k = 0; k < n; k++) {
        const struct ws_mapping *m = &maps->v[s->by_file[k]];
        if (k == 0 || !same_file(m, &maps->v[s->by_file[k - 1]])) s->file0[s->nfiles++] = k;
        s->file_ix[s->by_file[k]] = (long)s->nfiles - 1;
    }
    s->file0[s->nfiles] = n;
    s->files = xcalloc(s->nfiles ? s->nfiles : 1, sizeof(*s->files));
}

/* ---- modules ---- */

/* Whether every file libdwfl's search by name for the separate debug
 * information of file_name may open is absent or a regular file.  It
 * looks for debuglink (else BASENAME.debug) beside the file, in its .debug
 * folder, and under /usr/lib/debug/DIR for each tail DIR of the file's
 * folder (libdwfl.h), and opens what it finds with a plain, blocking
 * open().  The file is one a log named: it may lie in a folder anyone
 * writes to, where a FIFO of that name would block the report for ever. */
static int debuglink_safe(const char *file_name, const char *debuglink)
{
    char name[PATH_MAX], dir[PATH_MAX], path[3 * PATH_MAX];
    const char *slash = strrchr(file_name, '/');
    if (!slash) return 0;
    snprintf(dir, sizeof(dir), "%.*s", (int)(slash - file_name), file_name);
    if (debuglink)
        snprintf(name, sizeof(name), "%s", debuglink);
    else
        snprintf(name, sizeof(name), "%s.debug", slash + 1);
    if (name[0] == '/' && !path_absent_or_regular(name)) return 0;
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    if (!path_absent_or_regular(path)) return 0;
    snprintf(path, sizeof(path), "%s/.debug/%s", dir, name);
    if (!path_absent_or_regular(path)) return 0;
    for (const char *tail = dir;; tail = strchr(tail + 1, '/')) {
        snprintf(path, sizeof(path), "/usr/lib/debug%s/%s", tail ? tail : "", name);
        if (!path_absent_or_regular(path)) return 0;
        if (!tail) return 1;
    }
}

/* libdwfl's standard search (build ID, then .gnu_debuglink), when the
 * files it could open by name are all regular. */
static int find_debuginfo(Dwfl_Module *mod, void **userdata, const char *modname, Dwarf_Addr base,
                          const char *file_name, const char *debuglink, GElf_Word crc,
                          char **debuginfo_file_name)
{
    int fd = dwfl_build_id_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc,
                                          debuginfo_file_name);
    if (fd >= 0 || !file_name || !debuglink_safe(file_name, debuglink)) return fd;
    return dwfl_standard_find_debuginfo(mod, userdata, modname, base, file_name, debuglink, crc,
                                        debuginfo_file_name);
}

static char *debuginfo_path;
static const Dwfl_Callbacks callbacks = {
    .find_elf = dwfl_build_id_find_elf,
    .find_debuginfo = find_debuginfo, /* .gnu_debuglink, /usr/lib/debug */
    .section_address = dwfl_offline_section_address,
    .debuginfo_path = &debuginfo_path,
};

/* The module (a load of an ELF file) that mapping i of the process
 * belongs to, or NULL. */
static struct sym_module *module_of(struct symbolizer *s, size_t i)
{
    const struct ws_maps *maps = &s->p->maps;
    if (s->mod_of[i] != -2) return s->mod_of[i] >= 0 ? &s->mods[s->mod_of[i]] : NULL;
    s->mod_of[i] = -1;
    const struct ws_mapping *m = &maps->v[i];
    if (!mapping_is_file(m) || m->ambiguous) return NULL;
    struct sym_file *f = file_of(s, i);
    if (f->usable != 1) return NULL;
    /* The bias, voted on by the file's own mappings. */
    size_t file = (size_t)s->file_ix[i], n = s->file0[file + 1] - s->file0[file], at = 0;
    struct ws_mapping *own = xmalloc(n * sizeof(*own));
    for (size_t k = 0; k < n; k++) {
        size_t j = s->by_file[s->file0[file] + k];
        own[k] = maps->v[j];
        if (j == i) at = k;
    }
    uint64_t bias;
    int found = elf_load_bias(f->segs, f->nsegs, own, n, at, &bias) == 0;
    xfree(own);
    if (!found) return NULL;
    int created;
    uint64_t *slot = map_put(&s->mod_index, file, bias, &created);
    if (!created) {
        s->mod_of[i] = (long)*slot - 1;
        return &s->mods[*slot - 1];
    }
    *slot = s->nmods + 1;

    struct sym_module *mod = &ARRAY_PUSH(s->mods, s->nmods, s->modcap);
    memset(mod, 0, sizeof(*mod));
    mod->file = file;
    mod->bias = bias;
    mod->lo = UINT64_MAX;
    for (size_t k = 0; k < f->nsegs; k++) {
        uint64_t lo = bias + (f->segs[k].vaddr & ~(uint64_t)4095);
        uint64_t hi = bias + f->segs[k].vaddr + f->segs[k].memsz;
        if (lo < mod->lo) mod->lo = lo;
        if (hi > mod->hi) mod->hi = hi;
    }
    s->mod_of[i] = (long)(s->nmods - 1);
    return mod;
}

/* The module's libdwfl session, opened when first needed (and again after
 * sym_release); 0 when libdwfl would not take the file. */
static int module_open(struct symbolizer *s, struct sym_module *mod)
{
    if (mod->dwfl) return mod->mod != NULL;
    const struct sym_file *f = &s->files[mod->file];
    mod->dwfl = dwfl_begin(&callbacks);
    if (!mod->dwfl) return 0;
    dwfl_report_begin(mod->dwfl);
    /* Our own descriptor of the file checked in file_of(), not its path
     * opened again by libdwfl (which would open a FIFO put there since). */
    struct stat st;
    char why[128];
    int fd = open_regular(f->path, OPEN_FOLLOW, &st, why, sizeof(why));
    if (fd >= 0 && (st.st_dev != f->dev || st.st_ino != f->ino)) {
        close(fd);
        fd = -1;
    }
    if (fd >= 0) {
        mod->mod = dwfl_report_elf(mod->dwfl, base_name(f->path), f->path, fd, mod->bias, true);
        if (!mod->mod) close(fd); /* libdwfl takes it only on success */
    }
    dwfl_report_end(mod->dwfl, NULL, NULL);
    return mod->mod != NULL;
}

void sym_release(struct ws_process *p)
{
    struct symbolizer *s = p->sym;
    for (size_t i = 0; s && i < s->nmods; i++) {
        if (s->mods[i].dwfl) dwfl_end(s->mods[i].dwfl);
        s->mods[i].dwfl = NULL;
        s->mods[i].mod = NULL;
    }
}

static struct symbolizer *symbolizer_of(struct ws_process *p)
{
    if (p->sym) return p->sym;
    elf_version(EV_CURRENT);
    /* Debug information is what this machine has (.gnu_debuglink,
     * /usr/lib/debug): a report never downloads any from a debuginfod
     * server, which could take long for every library of a program. */
    unsetenv("DEBUGINFOD_URLS");
    struct symbolizer *s = xcalloc(1, sizeof(*s));
    s->p = p;
    s->mod_of = xmalloc((p->maps.n ? p->maps.n : 1) * sizeof(*s->mod_of));
    for (size_t i = 0; i < p->maps.n; i++)
        s->mod_of[i] = -2;
    group_files(s);
    p->sym = s;
    p->sym_free = symbolizer_free;
    return s;
}

void symbolizer_free(struct symbolizer *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->nfiles; i++) {
        xfree(s->files[i].path);
        xfree(s->files[i].segs);
    }
    xfree(s->files);
    xfree(s->by_file);
    xfree(s->file0);
    xfree(s->file_ix);
    map_free(&s->mod_index);
    for (size_t i = 0; i < s->nmods; i++)
        if (s->mods[i].dwfl) dwfl_end(s->mods[i].dwfl);
    xfree(s->mods);
    xfree(s->mod_of);
    strpool_free(&s->names);
    jitmap_free(&s->jit);
    map_free(&s->code_index);
    map_free(&s->data_index);
    for (size_t i = 0; i < s->ncodes; i++)
        xfree(s->codes[i]);
    xfree(s->codes);
    for (size_t i = 0; i < s->ndatas; i++)
        xfree(s->datas[i]);
    xfree(s->datas);
    xfree(s);
}

/* ---- code ---- */

/* The source file number idx of a compilation unit, or NULL. */
static const char *cu_file(Dwarf_Die *cu, Dwarf_Word idx)
{
    Dwarf_Files *files;
    size_t n;
    if (dwarf_getsrcfiles(cu, &files, &n) != 0 || idx >= n) return NULL;
    return dwarf_filesrc(files, idx, NULL, NULL);
}

/* A copy of c, for the function c's was inlined into (a stack's entry of
 * its own), kept with the other answers for freeing. */
static struct sym_code *outer_code(struct symbolizer *s, struct sym_code *c)
{
    struct sym_code *o = xmalloc(sizeof(*o));
    *o = *c;
    o->inlined = 0;
    o->file = NULL;
    o->line = 0;
    o->outer = NULL;
    ARRAY_PUSH(s->codes, s->ncodes, s->codecap) = o;
    c->inlined = 1;
    c->outer = o;
    return o;
}

/*
 * When functions were inlined at pc (a module address): c, which has the
 * symbol's name and pc's line, becomes the innermost inlined function,
 * and c->outer... each function it was inlined into, at the line of the
 * call (DW_AT_call_file and DW_AT_call_line of the inlined copy), the
 * last one keeping the symbol's name.
 */
static void inline_chain(struct symbolizer *s, Dwfl_Module *mod, uint64_t pc, struct sym_code *c)
{
    Dwarf_Addr bias;
    Dwarf_Die *cu = dwfl_module_addrdie(mod, pc, &bias);
    Dwarf_Die *scopes = NULL;
    if (!cu) return;
    int n = dwarf_getscopes(cu, pc - bias, &scopes);
    const char *symbol = c->function;
    struct sym_code *at = c;
    for (int i = 0; i < n && dwarf_tag(&scopes[i]) != DW_TAG_subprogram; i++) {
        if (dwarf_tag(&scopes[i]) != DW_TAG_inlined_subroutine) continue;
        const char *name = dwarf_diename(&scopes[i]);
        at->function = name && *name ? keep(s, name) : NULL;
        /* Where it was inlined: the next entry's line. */
        Dwarf_Attribute attr;
        Dwarf_Word file = 0, line = 0;
        if (dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_file, &attr), &file) != 0 ||
            dwarf_formudata(dwarf_attr(&scopes[i], DW_AT_call_line, &attr), &line) != 0)
            file = line = 0;
        struct sym_code *o = outer_code(s, at);
        o->function = symbol;
        const char *path = line ? cu_file(cu, file) : NULL;
        if (path && *path && line <= UINT32_MAX) {
            o->file = keep(s, path);
            o->line = (unsigned)line;
        }
        at = o;
    }
    /* The outermost is the function the symbol names; its DWARF name is
     * for when the symbol table has none. */
    for (int i = 0; i < n && !at->function; i++)
        if (dwarf_tag(&scopes[i]) == DW_TAG_subprogram) {
            const char *name = dwarf_diename(&scopes[i]);
            if (name && *name) at->function = keep(s, name);
        }
    free(scopes); /* libdw's */
}

/* Code in no file: JIT code, named by the process's perf map if any. */
static void jit_code(struct symbolizer *s, uint64_t pc, struct sym_code *c)
{
    if (!s->jit_parsed) {
        s->jit_parsed = 1;
        if (s->p->jit_map) jitmap_parse(s->p->jit_map, s->p->jit_map_len, &s->jit);
    }
    const struct jit_entry *e = jitmap_find(&s->jit, pc);
    if (!e) return;
    char fn[512], file[1024];
    unsigned line;
    jit_name_parts(e->name, e->len, fn, sizeof(fn), file, sizeof(file), &line);
    c->module = "[jit]";
    c->function = keep(s, fn);
    c->function_offset = pc + 1 - e->start;
    if (file[0]) {
        c->file = keep(s, file);
        c->line = line;
    }
}

static void find_code(struct symbolizer *s, struct sym_code *c)
{
    const struct ws_maps *maps = &s->p->maps;
    uint64_t pc = c->addr - 1; /* the call instruction, before the return address */
    const struct ws_mapping *m = c->addr ? maps_find(maps, pc) : NULL;
    if ((!m || !m->path) && c->addr) {
        jit_code(s, pc, c);
        return;
    }
    if (!m || m->ambiguous) return;
    c->module = keep(s, base_name(m->path));
    struct sym_module *mod = m->path[0] == '/' ? module_of(s, (size_t)(m - maps->v)) : NULL;
    if (!mod) return;
    c->has_module_offset = 1;
    c->module_offset = c->addr - mod->bias;
    if (!module_open(s, mod)) return;

    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(mod->mod, pc, &off, &sym, NULL, NULL, NULL);
    int type = name ? GELF_ST_TYPE(sym.st_info) : -1;
    if (name && *name && (type == STT_FUNC || type == STT_GNU_IFUNC || type == STT_NOTYPE)) {
        c->function = keep_symbol(s, name);
        c->function_offset = off + 1;
    }
    Dwfl_Line *line = dwfl_module_getsrc(mod->mod, pc);
    int lineno = 0;
    const char *file = line ? dwfl_lineinfo(line, NULL, &lineno, NULL, NULL, NULL) : NULL;
    if (file && *file && lineno > 0) {
        c->file = keep(s, file);
        c->line = (unsigned)lineno;
        inline_chain(s, mod->mod, pc, c);
    }
}

const struct sym_code *sym_code(struct ws_process *p, uint64_t addr)
{
    struct symbolizer *s = symbolizer_of(p);
    int created;
    uint64_t *slot = map_put(&s->code_index, addr, 0, &created);
    if (!created) return s->codes[*slot - 1];
    struct sym_code *c = xcalloc(1, sizeof(*c));
    c->addr = addr;
    ARRAY_PUSH(s->codes, s->ncodes, s->codecap) = c;
    *slot = s->ncodes;
    const struct py_site *py = py_site_get(p, addr);
    if (py) {
        /* The user's line first: what a Python developer can act on. */
        const struct py_frame *main = py->has_user ? &py->user : &py->at;
        c->python = 1;
        c->function = main->function;
        c->file = main->file;
        c->line = main->line;
        c->via = py->has_user ? &py->at : NULL;
    } else if (!py_is_site(addr)) {
        find_code(s, c);
    }
    return c;
}

/* ---- data ---- */

/* The data symbol holding addr in a module, if any. */
static void data_symbol(struct symbolizer *s, struct sym_module *mod, struct sym_data *d)
{
    d->region = SYM_MODULE;
    d->module = keep(s, base_name(s->files[mod->file].path));
    d->has_module_offset = 1;
    d->module_offset = d->addr - mod->bias;
    if (!module_open(s, mod)) return;
    GElf_Off off;
    GElf_Sym sym;
    const char *name = dwfl_module_addrinfo(mod->mod, d->addr, &off, &sym, NULL, NULL, NULL);
    if (!name || !*name) return;
    int type = GELF_ST_TYPE(sym.st_info);
    if (type != STT_OBJECT && type != STT_COMMON && type != STT_TLS) return;
    if (sym.st_size ? off >= sym.st_size : off != 0) return; /* not inside it */
    d->symbol = keep_symbol(s, name);
    d->symbol_offset = off;
}

static void find_data(struct symbolizer *s, struct sym_data *d)
{
    const struct ws_maps *maps = &s->p->maps;
    const struct ws_mapping *m = maps_find(maps, d->addr);

    /* The file mapping it is in, or else the one the anonymous memory it
     * is in follows: a module's bss lies there, past its file's end. */
    const struct ws_mapping *f = m;
    if (!m || !m->path) {
        f = maps_below(maps, d->addr);
        while (f && !f->path && f > maps->v)
            f--;
    }
    if (mapping_has_path(f)) {
        struct sym_module *mod = module_of(s, (size_t)(f - maps->v));
        if (mod && d->addr >= mod->lo && d->addr < mod->hi) {
            data_symbol(s, mod, d);
            return;
        }
    }
    /* Outside every recorded map, nothing is said: the heap may have grown
     * there, or an arena been mapped, after the last map was taken. */
    if (!m) return;
    if (!m->path) {
        d->region = SYM_ANON;
    } else if (strcmp(m->path, "[heap]") == 0) {
        d->region = SYM_HEAP;
    } else if (strncmp(m->path, "[stack", 6) == 0) {
        d->region = SYM_STACK;
    } else if (!m->ambiguous) {
        d->region = SYM_FILE;
        d->module = keep(s, base_name(m->path));
    }
}

const struct sym_data *sym_data(struct ws_process *p, uint64_t addr)
{
    struct symbolizer *s = symbolizer_of(p);
    int created;
    uint64_t *slot = map_put(&s->data_index, addr, 0, &created);
    if (!created) return s->datas[*slot - 1];
    struct sym_data *d = xcalloc(1, sizeof(*d));
    d->addr = addr;
    ARRAY_PUSH(s->datas, s->ndatas, s->datacap) = d;
    *slot = s->ndatas;
    find_data(s, d);
    return d;
}

int sym_is_gil(struct ws_process *p, uint64_t addr)
{
    const struct sym_data *d = sym_data(p, addr);
    return d->symbol && strcmp(d->symbol, "_PyRuntime") == 0;
}
