/* SPDX-License-Identifier: MIT */
/*
 * report_programs.h - the report's summary of many processes
 * (report_programs.c, from analysis/programs.h): the table of programs
 * and the longest chain, in text and in JSON.
 */
#ifndef WHYSLOW_REPORT_PROGRAMS_H
#define WHYSLOW_REPORT_PROGRAMS_H

#include "analysis/analyze.h"
#include "report/json.h"

#include <stdio.h>

#define PROGRAMS_SHOWN 15 /* program lines in the text table */

/* The summary, when there are at least two processes. */
void report_text_programs(FILE *f, const struct analysis *a);

/* The top-level "programs" and "chain" arrays. */
void report_json_programs(struct json *j, const struct analysis *a);

#endif
