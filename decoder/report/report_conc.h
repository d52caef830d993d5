/* SPDX-License-Identifier: MIT */
/*
 * report_conc.h - the JSON fields of the concurrency findings, for
 * report_json.c (see report_conc.c).
 */
#ifndef WHYSLOW_REPORT_CONC_H
#define WHYSLOW_REPORT_CONC_H

#include "findings/findings.h"
#include "report/json.h"

/* Writes the fields of a pool_exhaustion, thread_pool_exhaustion or
 * gil_contention finding and returns 1; returns 0 for other kinds. */
int conc_finding_json(struct json *j, const struct finding *f);

#endif
