/*
 * sites.c - call sites and lock names as the report shows them (see
 * sites.h), from the answers of symbolize.c.
 */
#include "sites.h"

#include "findings.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* The source file's last component: the text report keeps lines short,
 * the JSON report gives the whole path. */
static const char *short_file(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash && slash[1] ? slash + 1 : path;
}

const char *site_text(const struct sym_code *c, char *buf, size_t len)
{
    if (!c->addr)
        snprintf(buf, len, "-");
    else if (c->function && c->file)
        snprintf(buf, len, "%s (%s:%u)", c->function, short_file(c->file), c->line);
    else if (c->function && c->module)
        snprintf(buf, len, "%s+0x%" PRIx64 " (%s)", c->function, c->function_offset, c->module);
    else if (c->function)
        snprintf(buf, len, "%s+0x%" PRIx64, c->function, c->function_offset);
    else if (c->module && c->has_module_offset)
        snprintf(buf, len, "%s+0x%" PRIx64, c->module, c->module_offset);
    else if (c->module)
        snprintf(buf, len, "0x%" PRIx64 " (%s)", c->addr, c->module);
    else
        snprintf(buf, len, "0x%" PRIx64, c->addr);
    return buf;
}

void site_json(struct json *j, const struct sym_code *c)
{
    if (!c->addr) {
        json_null(j);
        return;
    }
    json_begin_object(j);
    if (c->function) {
        json_kv_str(j, "function", c->function);
    }
    if (c->file) {
        json_kv_str(j, "file", c->file);
        json_kv_uint(j, "line", c->line);
    }
    if (c->module) {
        json_kv_str(j, "module", c->module);
    }
    if (c->has_module_offset) {
        json_kv_hex(j, "module_offset", c->module_offset);
    }
    json_kv_hex(j, "addr", c->addr);
    if (c->inlined) {
        json_kv_bool(j, "inlined", 1);
    }
    json_end_object(j);
}

const char *lock_name(struct ws_process *p, uint64_t addr, const char *kind, char *buf, size_t len)
{
    const struct sym_data *d = sym_data(p, addr);
    char where[160] = "";

    if (sym_is_gil(p, addr)) {
        snprintf(buf, len, "GIL");
        return buf;
    }
    if (d->symbol && d->symbol_offset) {
        snprintf(buf, len, "%s+0x%" PRIx64, d->symbol, d->symbol_offset);
        return buf;
    }
    if (d->symbol) {
        snprintf(buf, len, "%s", d->symbol);
        return buf;
    }
    switch (d->region) {
    case SYM_MODULE:
        snprintf(where, sizeof(where), " (%s+0x%" PRIx64 ")", d->module, d->module_offset);
        break;
    case SYM_FILE:
        snprintf(where, sizeof(where), " (in the mapped file %s)", d->module);
        break;
    case SYM_HEAP:
        snprintf(where, sizeof(where), " (heap)");
        break;
    case SYM_STACK:
        snprintf(where, sizeof(where), " (stack)");
        break;
    case SYM_ANON:
        snprintf(where, sizeof(where), " (anonymous memory)");
        break;
    default:
        break;
    }
    snprintf(buf, len, "%s%s0x%" PRIx64 "%s", kind ? kind : "", kind ? " " : "", addr, where);
    return buf;
}

void symbolize_analysis(struct analysis *a)
{
    /* A process at a time, its files closed after: see sym_release. */
    for (size_t i = 0; i < a->nprocs; i++) {
        struct proc_report *pr = &a->procs[i];
        for (size_t k = 0; k < pr->nlocks; k++) {
            sym_data(pr->p, pr->locks[k].addr);
            sym_code(pr->p, pr->locks[k].caller);
        }
        for (size_t k = 0; k < pr->nslowest; k++)
            sym_code(pr->p, pr->slowest[k].caller);
        for (size_t k = 0; k < a->nfindings; k++) {
            const struct finding *f = &a->findings[k];
            if (f->pr != pr) continue;
            sym_code(f->pr->p, f->caller);
            for (uint32_t n = 0; f->stack && n < f->stack->n; n++)
                sym_code(f->pr->p, f->stack->frames[n]);
        }
        sym_release(pr->p);
    }
}
