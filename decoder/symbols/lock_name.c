/* SPDX-License-Identifier: MIT */
/*
 * lock_name.c - names of locks (see lock_name.h).
 */
#include "symbols/lock_name.h"

#include "symbols/symbolize.h"

#include <inttypes.h>
#include <stdio.h>

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
