/* SPDX-License-Identifier: MIT */
/*
 * report_http.h - the report's requests (report_http.c): the endpoints a
 * program served and called, and its slowest requests, in text; those and
 * the requests themselves in JSON.
 */
#ifndef WHYSLOW_REPORT_HTTP_H
#define WHYSLOW_REPORT_HTTP_H

#include "analysis/analyze.h"
#include "report/json.h"

#include <stdio.h>

#define ENDPOINTS_SHOWN       20   /* endpoint lines in a text table */
#define REQUESTS_SHOWN        10   /* slowest requests in the text report */
#define REQUESTS_ALL_MAX      1000 /* JSON lists every request up to this many */
#define REQUESTS_PER_ENDPOINT 20   /* past it, the slowest of each endpoint */

/* Requests served and called, over the processes. */
size_t http_total(const struct analysis *a);

/* The sections, when there are requests. */
void report_text_http(FILE *f, const struct analysis *a);

/* An N+1 loop's counts in an endpoint: "requests", "executions",
 * "per_request". */
void report_json_nplus1_counts(struct json *j, const struct endpoint_nplus1 *n);

/* The top-level "endpoints", "called_endpoints" and "requests" arrays,
 * with "requests_total" and "requests_listed". */
void report_json_http(struct json *j, const struct analysis *a);

#endif
