/* SPDX-License-Identifier: MIT */
/*
 * report.h - the two renderings of an analysis: text for a person
 * (report_text.c) and JSON for programs (report_json.c, schema
 * "whyslow.report/2", documented in docs/report-json.md).
 */
#ifndef WHYSLOW_REPORT_H
#define WHYSLOW_REPORT_H

#include "analysis/analyze.h"
#include "findings/findings.h"

#include <stdio.h>

#define REPORT_SCHEMA "whyslow.report/2"

/* Both print an analysis and its findings, after symbolize_report()
 * (sites.h) looked up the names they show. */
void report_text(FILE *f, struct analysis *a, const struct findings *fs);
void report_json(FILE *f, struct analysis *a, const struct findings *fs);

/* What the report calls a process: the title it gave itself (as ps shows
 * it), else its arguments.  Returns buf. */
const char *process_command(const struct ws_process *p, char *buf, size_t len);

#endif
