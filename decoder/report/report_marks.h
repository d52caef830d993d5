/* SPDX-License-Identifier: MIT */
/*
 * report_marks.h - the report's marks (report_marks.c): the tests, and
 * the marks of other kinds, with what happened in each phase, in text
 * and in JSON.
 */
#ifndef WHYSLOW_REPORT_MARKS_H
#define WHYSLOW_REPORT_MARKS_H

#include "findings/findings.h"
#include "report/json.h"

#include <stdio.h>

#define MARKS_SHOWN 20 /* lines of a kind's table in the text report */

/* The sections, one per kind, when there are marks. */
void report_text_marks(FILE *f, const struct analysis *a, const struct findings *fs);

/* The top-level "tests" (marks of kind test) and "marks" (the others)
 * arrays. */
void report_json_marks(struct json *j, const struct analysis *a, const struct findings *fs);

#endif
