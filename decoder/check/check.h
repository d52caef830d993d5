/* SPDX-License-Identifier: MIT */
/*
 * check.h - `whyslow check`: the findings that fail a run and the budgets
 * it broke (budget.h), each with its evidence; the rules are in
 * docs/check.md.  check_out.c writes them for a person, for JUnit, for
 * GitHub Actions and as JSON.
 */
#ifndef WHYSLOW_CHECK_H
#define WHYSLOW_CHECK_H

#include "check/budget.h"
#include "findings/findings.h"

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct violation {
    const struct finding *finding;  /* a finding that fails the run, or NULL */
    const struct budget_rule *rule; /* a budget broken, or NULL */
    const char *scope;              /* "test", "endpoint", "run", ... */
    char *where;                    /* what in the scope: a test's node id, an endpoint... */
    char *what;                     /* "queries", "executions of `select ...`", a finding's kind */
    uint64_t count;                 /* what it took */
    double limit;                   /* its limit (findings: -1) */
    char *message;                  /* one line: the rule, where, the count, the limit */
    char *statement;                /* the statement it is about, or NULL */
    char *site;                     /* "file:line" (or a function) where it happened, or NULL */
    char *file;                     /* for annotations: a file (the site's, or the test's) */
    unsigned line;                  /* 0: none */
    char *test;                     /* the test it belongs to (JUnit), or NULL */
    double excess;                  /* how far over: the order of budgets' violations */
};

struct check_result {
    struct violation *v; /* findings first (by severity, then cost), then budgets */
    size_t n, cap;
    size_t rules;   /* rules looked at: finding kinds that fail, plus budgets */
    size_t allowed; /* findings that would fail but are allowed */
    size_t outside; /* findings that would fail but are in no test's setup or call */
    const struct analysis *a;
    const struct budget *b;
    const char *verb; /* "check" or "diff": how the outputs name themselves */
};

void check_run(struct check_result *r, const struct analysis *a, const struct findings *fs,
               const struct budget *b);
void check_free(struct check_result *r);

/* The outputs (check_out.c). */
void check_text(FILE *f, const struct check_result *r);
void check_github(FILE *f, const struct check_result *r);
void check_json(FILE *f, const struct check_result *r);
/* JUnit XML: a test case per test named in tests (their failures in
 * them), one per other scope.  0, or -1 after saying why on stderr. */
int check_junit(const char *path, const struct check_result *r, const char *const *tests,
                size_t ntests);

/* The tests marked in a (their names, to free; not the strings). */
const char **check_tests(const struct analysis *a, size_t *n);

#endif
