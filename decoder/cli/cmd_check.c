/* SPDX-License-Identifier: MIT */
/*
 * cmd_check.c - `whyslow check`: a CI gate on a recorded run (check.h).
 * Exits 0 when every rule holds, 1 when one is broken, 2 on a usage or
 * input error (one line on stderr).
 */
#include "analysis/analyze.h"
#include "base/util.h"
#include "check/check.h"
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

static int is_option(const char *a, const char *name)
{
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

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
        else if (is_option(a, "--budget") || is_option(a, "--junit") || is_option(a, "--format")) {
            const char *name = is_option(a, "--budget")  ? "--budget"
                               : is_option(a, "--junit") ? "--junit"
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
    struct analyze_opts o = {.slow_ns = 10 * 1000000ull,
                             .nplus1_min = NPLUS1_MIN_DEFAULT,
                             .repeat_min = REPEAT_MIN_DEFAULT,
                             .stall_ns = STALL_MS_DEFAULT * 1000000ull};
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
    if (junit && check_junit(junit, &r) != 0) rc = 2;
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
