/* SPDX-License-Identifier: MIT */
/*
 * narrow.h - the analysis narrowed to some served requests: those of the
 * endpoints --endpoint names (a pattern, fnmatch(3): "GET /albums/{id}",
 * or a path alone, "/albums*"), or the one --request names (narrow.c);
 * and the spans of some tests (`whyslow export --test`).
 */
#ifndef WHYSLOW_NARROW_H
#define WHYSLOW_NARROW_H

#include "analysis/analyze.h"

struct windows;

/* Per process of a first analysis, the spans of the requests asked for;
 * *selected says how many. */
struct windows **narrow_windows(const struct analysis *a1, const struct analyze_opts *o,
                                size_t *selected);

/* Whether --endpoint (o) selects the served request r, or the served
 * request an outgoing call r was made for. */
int narrow_selects(const struct analyze_opts *o, const struct proc_report *pr,
                   const struct http_request *r);

/* Per process, the spans of the tests whose node ids match pattern
 * (fnmatch(3)): its marks of kind "test" or "test:PHASE" (docs/marks.md),
 * for `whyslow export --test`. */
struct windows **narrow_windows_tests(const struct analysis *a1, const char *pattern,
                                      size_t *selected);

/* Whether a process has no span asked for. */
int narrow_empty(const struct windows *w);

/* Whether ev overlaps a span of its thread. */
int narrow_inside(const struct windows *w, const struct ws_event *ev);

/* Keeps the requests asked for (and the calls they made) of a process
 * whose first request is number id_base; its queries counted. */
void narrow_requests(struct proc_report *pr, const struct analyze_opts *o, uint64_t id_base);

/* Each thread's time: that of its requests kept. */
void narrow_thread_times(struct proc_report *pr);

void narrow_free(struct windows **all, size_t n);

#endif
