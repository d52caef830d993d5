/*
 * report.h - the two renderings of an analysis: text for a person
 * (report_text.c) and JSON for programs (report_json.c, schema
 * "whyslow.report/1", documented in docs/report-json.md).
 */
#ifndef WHYSLOW_REPORT_H
#define WHYSLOW_REPORT_H

#include "analyze.h"

#include <stdio.h>

#define REPORT_SCHEMA "whyslow.report/1"

void report_text(FILE *f, struct analysis *a);
void report_json(FILE *f, struct analysis *a);

#endif
