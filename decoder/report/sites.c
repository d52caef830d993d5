/* SPDX-License-Identifier: MIT */
/*
 * sites.c - call sites and lock names as the report shows them (see
 * sites.h), from the answers of symbolize.c.
 */
#include "report/sites.h"

#include "findings/findings.h"

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

/* A Python file as the text report shows it: its last two components
 * ("shop/views.py", "models/query.py"), which tell a package's files apart. */
static const char *py_file(const char *path)
{
    const char *last = strrchr(path, '/');
    if (!last || last == path) return path;
    const char *before = last - 1;
    while (before > path && *before != '/')
        before--;
    return *before == '/' ? before + 1 : path;
}

int site_is_interpreter(const struct sym_code *c)
{
    const char *m = c->module, *fn = c->function;
    if (m && (strncmp(m, "python", 6) == 0 || strncmp(m, "libpython", 9) == 0)) return 1;
    /* Node's own C++ (node::, v8::) and V8's builtins */
    return fn && (strncmp(fn, "_ZN2v8", 6) == 0 || strncmp(fn, "_ZN4node", 8) == 0 ||
                  strncmp(fn, "Builtins_", 9) == 0);
}

int site_is_jit(const struct sym_code *c)
{
    return c->module && strcmp(c->module, "[jit]") == 0;
}

const char *site_text(const struct sym_code *c, char *buf, size_t len)
{
    if (c->python && c->via)
        snprintf(buf, len, "%s (%s:%u) via %s (%s:%u)", c->function, py_file(c->file), c->line,
                 c->via->function, py_file(c->via->file), c->via->line);
    else if (c->python)
        snprintf(buf, len, "%s (%s:%u)", c->function, py_file(c->file), c->line);
    else if (!c->addr)
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

/* A Python frame: {"function", "file", "line"}. */
static void py_frame_json(struct json *j, const char *function, const char *file, unsigned line)
{
    json_begin_object(j);
    json_kv_str(j, "function", function);
    json_kv_str(j, "file", file);
    json_kv_uint(j, "line", line);
    json_end_object(j);
}

void site_json(struct json *j, const struct sym_code *c)
{
    if (c->python) {
        /* The user's frame, the innermost one (a library's) as via. */
        json_begin_object(j);
        json_kv_str(j, "language", "python");
        json_kv_str(j, "function", c->function);
        json_kv_str(j, "file", c->file);
        json_kv_uint(j, "line", c->line);
        json_key(j, "via");
        if (c->via)
            py_frame_json(j, c->via->function, c->via->file, c->via->line);
        else
            json_null(j);
        json_end_object(j);
        return;
    }
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

void symbolize_report(struct analysis *a, const struct findings *fs)
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
        for (size_t k = 0; k < pr->nrequests; k++)
            if (pr->requests[k].longest_call) sym_code(pr->p, pr->requests[k].longest_caller);
        for (size_t k = 0; k < pr->nmarks; k++)
            if (pr->marks[k].longest_call) sym_code(pr->p, pr->marks[k].longest_caller);
        for (size_t k = 0; k < fs->n; k++) {
            const struct finding *f = &fs->v[k];
            if (f->pr != pr) continue;
            sym_code(f->pr->p, f->caller);
            for (uint32_t n = 0; f->stack && n < f->stack->n; n++)
                sym_code(f->pr->p, f->stack->frames[n]);
        }
        sym_release(pr->p);
    }
}
