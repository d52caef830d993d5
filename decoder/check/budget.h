/* SPDX-License-Identifier: MIT */
/*
 * budget.h - a budget file for `whyslow check`: which findings fail a
 * run, which are allowed, and the most queries, executions, calls and time
 * each scope may take.  The format is YAML (read with libyaml) and is
 * documented in docs/check.md, with the defaults used without a file.
 */
#ifndef WHYSLOW_BUDGET_H
#define WHYSLOW_BUDGET_H

#include "findings/findings.h"

#include <stddef.h>
#include <stdint.h>

#define BUDGET_VERSION 1

/* From which severity a finding kind fails the check. */
enum fail_from { FAIL_NEVER, FAIL_LOW, FAIL_MEDIUM, FAIL_HIGH };

#define FINDING_KINDS (FINDING_HTTP_N_PLUS_ONE + 1)

enum budget_scope { SCOPE_RUN, SCOPE_PROCESS, SCOPE_TEST, SCOPE_ENDPOINT, SCOPE_STATEMENT };

struct call_limit {
    unsigned call; /* enum ws_call */
    uint64_t max;
};

/* A limit not given is -1 (times: < 0). */
struct budget_rule {
    enum budget_scope scope;
    char *name; /* a glob on what the scope names, NULL: every one */
    int line;   /* where it is in the file */
    int64_t max_queries, max_executions;
    struct call_limit *calls;
    size_t ncalls;
    double max_time_ms, tolerance; /* tolerance: a share, 0.2 for 20% */
    char **phases;                 /* test scope: the phases counted (default setup, call) */
    size_t nphases;
};

/* A finding that is intended: every field given must match. */
struct budget_allow {
    int kind; /* enum finding_kind, -1: any */
    char *statement, *site, *test, *endpoint;
    int line;
};

struct budget {
    char *file; /* as given, for messages; NULL: the defaults */
    enum fail_from fail_on[FINDING_KINDS];
    /* In a run with tests marked, only the findings in a test's setup or
     * call fail it (not a session fixture's, nor teardown's), unless
     * findings_in: everywhere. */
    int findings_everywhere;
    struct budget_rule *rules;
    size_t nrules, rulecap;
    struct budget_allow *allows;
    size_t nallows, allowcap;
};

/* The defaults: no rule, no allowance, the findings that fail described in
 * docs/check.md. */
void budget_defaults(struct budget *b);

/* Reads path into b (over the defaults); 0, or -1 after writing one line
 * to err ("FILE:LINE:COL: what is wrong"). */
int budget_load(struct budget *b, const char *path, char *err, size_t errlen);

void budget_free(struct budget *b);

const char *budget_scope_name(enum budget_scope s);

#endif
