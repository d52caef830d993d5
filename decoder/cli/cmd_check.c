/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c - the CI verbs: `whyslow check`, a gate on a recorded run
 * (check.h), and `whyslow diff`, what changed between two runs (diff.h).
 * Both exit 0 when every rule holds, 1 when one is broken, 2 on a usage
 * or input error (one line on stderr).
 */
#include "analysis/analyze.h"
#include "base/util.h"
#include "check/check.h"
#include "check/diff.h"
#include "cli/cli.h"
#include "log/logset.h"
#include "report/sites.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const char check_usage[] =
    "usage: whyslow check [--budget FILE] [--junit FILE] [--format text|github|json]\n"
    "                     [--json] [PATH...]\n"
    "\n"
    "Fails (exit 1) a recorded run that has a finding one never wants in CI (an\n"
    "N+1 loop, a repeated query, a write outside a transaction; a pool that ran\n"
    "dry or a stalled event loop of medium severity or more), or that breaks a\n"
    "budget of FILE: the most queries, executions, calls and time of the run,\n"
    "a process, a test, an endpoint or a statement (docs/check.md).  Exit 0:\n"
    "every rule holds; 2: a usage or input error.\n"
    "\n"
    "  PATH               a log file, or a directory of *.wslog files\n"
    "                     (default ./whyslow.data)\n"
    "  --budget FILE      the rules (YAML, docs/check.md); without it, the defaults\n"
    "  --junit FILE       also write JUnit XML: a test case per test marked\n"
    "  --format FORMAT    text (default); github: GitHub Actions annotations\n"
    "                     (at most 10, paths relative to $GITHUB_WORKSPACE),\n"
    "                     then the text; json (schema whyslow.check/1)\n"
    "  --json             the same as --format json\n"
    "  -h, --help         this help\n";

static const char *value(int argc, char **argv, int *i, const char *name)
{
    size_t n = strlen(name);
    if (argv[*i][n] == '=') return argv[*i] + n + 1;
    if (*i + 1 >= argc) return NULL;
    return argv[++*i];
}

int cmd_check(int argc, char **argv)
{
    const char *budget_file = NULL, *junit = NULL, *format = "text";
    char **paths = xcalloc((size_t)argc, sizeof(*paths));
    size_t npaths = 0;
    int dashdash = 0, rc = -1;
    for (int i = 1; i < argc && rc < 0; i++) {
        const char *a = argv[i], *v = NULL;
        if (dashdash || a[0] != '-' || a[1] == '\0')
            paths[npaths++] = argv[i];
        else if (strcmp(a, "--") == 0)
            dashdash = 1;
        else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(check_usage, stdout);
            rc = 0;
        } else if (strcmp(a, "--json") == 0)
            format = "json";
        else if (option_is(a, "--budget") || option_is(a, "--junit") || option_is(a, "--format")) {
            const char *name = option_is(a, "--budget")  ? "--budget"
                               : option_is(a, "--junit") ? "--junit"
                                                         : "--format";
            if (!(v = value(argc, argv, &i, name)) || !*v)
                rc = usage_error("check", "%s needs a value", name);
            else if (name[2] == 'b')
                budget_file = v;
            else if (name[2] == 'j')
                junit = v;
            else if (strcmp(v, "text") && strcmp(v, "github") && strcmp(v, "json"))
                rc = usage_error("check", "--format: '%s' is none of text, github, json", v);
            else
                format = v;
        } else
            rc = usage_error("check", "unknown option '%s'", a);
    }
    if (rc >= 0) {
        xfree(paths);
        return rc;
    }

    struct budget b;
    budget_defaults(&b);
    char err[1024];
    if (budget_file && budget_load(&b, budget_file, err, sizeof(err)) != 0) {
        fprintf(stderr, "whyslow check: %s\n", err);
        budget_free(&b);
        xfree(paths);
        return 2;
    }
    struct logset ls = {0};
    int failed = logset_load(&ls, paths, npaths);
    if (failed || !ls.n) {
        if (!failed) fprintf(stderr, "whyslow check: no process in these logs: nothing to check\n");
        logset_free(&ls);
        budget_free(&b);
        xfree(paths);
        return 2;
    }
    struct analyze_opts o;
    analyze_opts_default(&o);
    struct analysis a;
    struct findings fs;
    struct check_result r;
    analyze(&a, ls.procs, ls.n, &o);
    find_findings(&fs, &a);
    symbolize_report(&a, &fs);
    check_run(&r, &a, &fs, &b);
    if (strcmp(format, "json") == 0)
        check_json(stdout, &r);
    else if (strcmp(format, "github") == 0)
        check_github(stdout, &r);
    else
        check_text(stdout, &r);
    rc = r.n ? 1 : 0;
    size_t ntests;
    const char **tests = check_tests(&a, &ntests);
    if (junit && check_junit(junit, &r, tests, ntests) != 0) rc = 2;
    xfree(tests);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "whyslow check: writing the output: %s\n", strerror(errno));
        rc = 2;
    }
    check_free(&r);
    findings_free(&fs);
    analysis_free(&a);
    logset_free(&ls);
    budget_free(&b);
    xfree(paths);
    return rc;
}

static const char diff_usage[] =
    "usage: whyslow diff [--fail-on RULES] [--junit FILE] [--format text|github|json]\n"
    "                    [--json] BASE HEAD\n"
    "\n"
    "What changed from BASE to HEAD, each a summary (whyslow report --summary) or\n"
    "the logs of a run: statements run more or less often, over the run and per\n"
    "test; findings new and gone; queries per request of endpoints; calls per\n"
    "kind and time, which vary from run to run.  With --fail-on, exit 1 when one\n"
    "of its rules is broken; 2 on a usage or input error.\n"
    "\n"
    "  --fail-on RULES    a comma-separated list: queries (more queries in the run,\n"
    "                     or in a mark's phase but a test's teardown), findings\n"
    "                     (a new finding), endpoints (more queries per request),\n"
    "                     calls (more calls of a kind: they vary with timing)\n"
    "  --junit FILE, --format FORMAT, --json   as for whyslow check\n"
    "  -h, --help         this help\n";

/* --fail-on's rules; -1 after a usage error. */
static long fail_on_rules(const char *v)
{
    unsigned rules = 0;
    char *copy = xstrdup(v), *save = NULL;
    for (char *w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save)) {
        unsigned r = !strcmp(w, "queries")     ? FAIL_ON_QUERIES
                     : !strcmp(w, "findings")  ? FAIL_ON_FINDINGS
                     : !strcmp(w, "calls")     ? FAIL_ON_CALLS
                     : !strcmp(w, "endpoints") ? FAIL_ON_ENDPOINTS
                                               : 0;
        if (!r) {
            usage_error("diff", "--fail-on: '%s' is none of queries, findings, endpoints, calls",
                        w);
            xfree(copy);
            return -1;
        }
        rules |= r;
    }
    xfree(copy);
    return rules;
}

int cmd_diff(int argc, char **argv)
{
    const char *junit = NULL, *format = "text", *paths[2];
    size_t npaths = 0;
    long fail_on = 0;
    int dashdash = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (dashdash || a[0] != '-' || a[1] == '\0') {
            if (npaths == 2) return usage_error("diff", "more than two runs: BASE HEAD");
            paths[npaths++] = a;
        } else if (strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(diff_usage, stdout);
            return 0;
        } else if (strcmp(a, "--json") == 0) {
            format = "json";
        } else if (option_is(a, "--fail-on") || option_is(a, "--junit") ||
                   option_is(a, "--format")) {
            const char *name = option_is(a, "--fail-on") ? "--fail-on"
                               : option_is(a, "--junit") ? "--junit"
                                                         : "--format";
            if (!(v = value(argc, argv, &i, name)) || !*v)
                return usage_error("diff", "%s needs a value", name);
            if (name[2] == 'f' && name[3] == 'a') {
                if ((fail_on = fail_on_rules(v)) < 0) return 2;
            } else if (name[2] == 'j') {
                junit = v;
            } else if (strcmp(v, "text") && strcmp(v, "github") && strcmp(v, "json")) {
                return usage_error("diff", "--format: '%s' is none of text, github, json", v);
            } else {
                format = v;
            }
        } else {
            return usage_error("diff", "unknown option '%s'", a);
        }
    }
    if (npaths != 2) return usage_error("diff", "two runs to compare: BASE HEAD");
    char err[1024];
    struct summary *s[2] = {NULL, NULL};
    for (int k = 0; k < 2; k++)
        if (!(s[k] = summary_load(paths[k], err, sizeof(err)))) {
            fprintf(stderr, "whyslow diff: %s\n", err);
            summary_free(s[0]);
            return 2;
        }
    struct check_result r = {.verb = "diff"};
    int text = strcmp(format, "json") != 0;
    if (strcmp(format, "github") == 0) {
        diff_run(NULL, s[0], s[1], (unsigned)fail_on, &r, 0);
        check_github(stdout, &r);
        fputc('\n', stdout);
        diff_run(stdout, s[0], s[1], 0, &(struct check_result){.verb = "diff"}, 1);
    } else {
        diff_run(stdout, s[0], s[1], (unsigned)fail_on, &r, text);
        if (!text)
            check_json(stdout, &r);
        else if (fail_on) {
            fputc('\n', stdout);
            check_text(stdout, &r);
        }
    }
    int rc = r.n ? 1 : 0;
    size_t ntests;
    const char **tests = summary_tests(s[1], &ntests);
    if (junit && check_junit(junit, &r, tests, ntests) != 0) rc = 2;
    xfree(tests);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "whyslow diff: writing the output: %s\n", strerror(errno));
        rc = 2;
    }
    check_free(&r);
    summary_free(s[0]);
    summary_free(s[1]);
    return rc;
}
