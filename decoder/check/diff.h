/* SPDX-License-Identifier: MIT */
/*
 * diff.h - `whyslow diff BASE HEAD`: what changed between two runs, from
 * their summaries (summary.h): statements run more or less often, over
 * the run and per test (each mark's phase); findings new and gone; calls
 * per kind and time, said to vary.  --fail-on makes it a gate whose
 * failures are check's (check.h).  The rules: docs/check.md.
 */
#ifndef WHYSLOW_DIFF_H
#define WHYSLOW_DIFF_H

#include "check/check.h"

#include <stdio.h>

/* What --fail-on names. */
#define FAIL_ON_QUERIES                                                                            \
    1u /* more queries, in the run or in a mark's phase (not a test's teardown) */
#define FAIL_ON_FINDINGS  2u /* a finding is new */
#define FAIL_ON_CALLS     4u /* calls of a kind are more */
#define FAIL_ON_ENDPOINTS 8u /* an endpoint's queries per request are more */

struct summary; /* a parsed summary (json-c) */

/* Reads a summary file, or makes one from the logs at path (a directory
 * or a log); NULL after writing one line to err. */
struct summary *summary_load(const char *path, char *err, size_t errlen);
void summary_free(struct summary *s);

/* Writes what changed to f (text) and, for the rules of fail_on, the
 * failures into r (check_result's v, n, rules). */
void diff_run(FILE *f, const struct summary *base, const struct summary *head, unsigned fail_on,
              struct check_result *r, int text);

/* The tests the summary names (pointers into it). */
const char **summary_tests(const struct summary *s, size_t *n);

#endif
