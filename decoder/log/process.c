/* SPDX-License-Identifier: MIT */
/*
 * process.c - the decoded process: creation, threads, notes, and freeing
 * everything it owns.
 */
#include "log/process.h"

#include "log/pysites.h"

#include "base/util.h"

#include <whyslow/format.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ws_process *process_new(const char *log)
{
    struct ws_process *p = xcalloc(1, sizeof(*p));
    p->log = xstrdup(log);
    p->exe = xstrdup("");
    p->ticks_per_ns = 1.0;
    p->ts_num = p->ts_den = 1;
    return p;
}

void process_free(struct ws_process *p)
{
    if (!p) return;
    xfree(p->log);
    xfree(p->exe);
    xfree(p->title);
    xfree(p->host);
    xfree(p->jit_map);
    py_free(p);
    for (size_t i = 0; i < p->argc; i++)
        xfree(p->argv[i]);
    xfree(p->argv);
    xfree(p->data);
    xfree(p->chunks);
    for (size_t i = 0; i < p->nthreads; i++)
        xfree(p->threads[i].sched);
    xfree(p->threads);
    map_free(&p->thread_index);
    xfree(p->meta);
    xfree(p->truncated_reason);
    for (size_t i = 0; i < p->nnotes; i++)
        xfree(p->notes[i]);
    xfree(p->notes);
    strpool_free(&p->strings);
    for (size_t i = 0; i < p->nistrs; i++)
        xfree(p->istrs[i].bytes);
    xfree(p->istrs);
    maps_free(&p->maps);
    if (p->sym) p->sym_free(p->sym);
    xfree(p);
}

struct log_thread *process_thread(struct ws_process *p, uint32_t serial)
{
    int created;
    uint64_t *slot = map_put(&p->thread_index, serial, 0, &created);
    if (!created) return &p->threads[*slot - 1];
    struct log_thread t = {.serial = serial};
    ARRAY_PUSH(p->threads, p->nthreads, p->threadcap) = t;
    *slot = p->nthreads;
    return &p->threads[p->nthreads - 1];
}

const struct log_thread *process_find_thread(const struct ws_process *p, uint32_t serial)
{
    const uint64_t *slot = map_get(&p->thread_index, serial, 0);
    return slot ? &p->threads[*slot - 1] : NULL;
}

void process_note(struct ws_process *p, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < p->nnotes; i++)
        if (strcmp(p->notes[i], buf) == 0) return;
    ARRAY_PUSH(p->notes, p->nnotes, p->notecap) = xstrdup(buf);
}

void process_truncate(struct ws_process *p, uint64_t at, const char *fmt, ...)
{
    char why[400], buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(buf, sizeof(buf), "at byte %" PRIu64 ": %s", at, why);
    xfree(p->truncated_reason);
    p->truncated_reason = xstrdup(buf);
    p->truncated = 1;
}

const char *process_end_kind_name(uint64_t kind)
{
    switch (kind) {
    case WS_END_EXIT:
        return "exit";
    case WS_END__EXIT:
        return "_exit";
    case WS_END_EXEC:
        return "exec";
    default:
        return "unknown";
    }
}

uint64_t thread_runq_between(const struct log_thread *t, int64_t from, int64_t to)
{
    uint64_t sum = 0;
    for (size_t i = 1; i < t->nsched && from < to; i++) {
        const struct sched_sample *a = &t->sched[i - 1], *b = &t->sched[i];
        if (b->at <= from || a->at >= to || b->wait_ns <= a->wait_ns) continue;
        sum += b->wait_ns - a->wait_ns;
    }
    return sum;
}
