/* SPDX-License-Identifier: MIT */
/*
 * report_time.h - the report's parts about time (report_time.c): the
 * table of where each thread's time went (breakdown.h), and the JSON of
 * the thread breakdowns and of event_loop_stall findings (stall.h).
 * report_text.c and report_json.c call these where the parts go.
 */
#ifndef WHYSLOW_REPORT_TIME_H
#define WHYSLOW_REPORT_TIME_H

#include "analysis/analyze.h"
#include "findings/findings.h"
#include "report/json.h"

#include <stdio.h>

#define THREADS_SHOWN 12 /* thread lines in the text table */
#define TIME_BAR      30 /* letters in a bar */

/* The table of a process's threads, busiest first. */
void report_text_threads(FILE *f, const struct proc_report *pr);

/* The members "breakdown" and "gil_ns" of a processes[] entry. */
void report_json_process_time(struct json *j, const struct proc_report *pr);

/* A member "breakdown": part_ns (TIME_PARTS of them) as {"disk_ns", ...}. */
void report_json_breakdown(struct json *j, const uint64_t *part_ns);

/* The top-level "threads" array. */
void report_json_threads(struct json *j, const struct analysis *a);

/* The fields of an event_loop_stall finding. */
void report_json_stall(struct json *j, const struct finding *f);

#endif
