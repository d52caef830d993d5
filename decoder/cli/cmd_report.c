/* SPDX-License-Identifier: MIT */
/*
 * cmd_report.c - the reading verbs: `whyslow report` (analysis, as text
 * or JSON) and `whyslow dump` (every event).  Both take log files or
 * directories, and --pid to keep one process.
 */
#include "analysis/analyze.h"
#include "base/util.h"
#include "check/summary.h"
#include "cli/cli.h"
#include "log/logset.h"
#include "report/dump.h"
#include "report/report.h"
#include "report/sites.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char report_usage[] =
    "usage: whyslow report [--json | --summary] [--pid PID] [--endpoint PATTERN | --request ID]\n"
    "                      [--slow-ms N] [--nplus1-min N] [--repeat-min N] [--stall-ms N]\n"
    "                      [PATH...]\n"
    "\n"
    "What made the recorded processes slow: findings first (slow calls, lock\n"
    "contention, N+1 query loops, repeated queries, event loop stalls, pools\n"
    "and thread pools that ran dry, GIL contention), then per process where\n"
    "its threads' time went, its syscall statistics, SQL queries, slowest\n"
    "calls and contended locks.\n"
    "\n"
    "  PATH             a log file, or a directory of *.wslog files\n"
    "                   (default ./whyslow.data)\n"
    "  --json           one JSON object instead (schema whyslow.report/2)\n"
    "  --summary        the run's counts, a small stable JSON to keep as a baseline\n"
    "                   for whyslow diff (schema whyslow.summary/1)\n"
    "  --pid PID        only the process PID\n"
    "  --endpoint PATTERN  only the requests served of those endpoints: 'GET /albums/{id}',\n"
    "                   or a pattern ('GET /albums*', '/albums/*')\n"
    "  --request ID     only the served request ID (its id in --json)\n"
    "  --slow-ms N      a call is slow from N milliseconds (default 10)\n"
    "  --nplus1-min N   an N+1 loop has N executions or more (default 5)\n"
    "  --repeat-min N   a repeated query runs N times or more (default 5)\n"
    "  --stall-ms N     an event loop stalls from N milliseconds (default 100)\n"
    "  -h, --help       this help\n";

static const char dump_usage[] =
    "usage: whyslow dump [--pid PID] [PATH...]\n"
    "\n"
    "Every recorded event, one line each, in time order (seconds since its\n"
    "process started).  Lines starting with '#' describe processes and their\n"
    "metadata records.\n"
    "\n"
    "  PATH          a log file, or a directory of *.wslog files\n"
    "                (default ./whyslow.data)\n"
    "  --pid PID     only the process PID\n"
    "  -h, --help    this help\n";

struct read_opts {
    int json, summary;
    int has_pid;
    uint64_t pid;
    struct analyze_opts analyze;
    char **paths;
    size_t npaths;
};

/* An execution count option: an integer from 2 to 1,000,000; -1 if not. */
static long count_value(const char *v)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (!*v || *end || errno || n < 2 || n > 1000000) return -1;
    return n;
}

/* Parses the options of report (with_report) or dump; returns -1 to go
 * on, or the exit status. */
static int parse(const char *verb, int argc, char **argv, int with_report, struct read_opts *o)
{
    int bad = 0, dashdash = 0;
    memset(o, 0, sizeof(*o));
    analyze_opts_default(&o->analyze);
    o->paths = xcalloc((size_t)argc, sizeof(*o->paths));

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (dashdash || a[0] != '-' || a[1] == '\0') {
            o->paths[o->npaths++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(with_report ? report_usage : dump_usage, stdout);
            return 0;
        } else if (with_report && strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if (with_report && strcmp(a, "--summary") == 0) {
            o->summary = 1;
        } else if (option_is(a, "--pid")) {
            if (!(v = option_value(verb, argc, argv, &i, "--pid", &bad))) return bad;
            if ((bad = option_pid(verb, v, &o->pid))) return bad;
            o->has_pid = 1;
        } else if (with_report && option_is(a, "--endpoint")) {
            if (!(v = option_value(verb, argc, argv, &i, "--endpoint", &bad))) return bad;
            if (!*v) return usage_error(verb, "--endpoint: an empty pattern");
            o->analyze.endpoint = v;
        } else if (with_report && option_is(a, "--request")) {
            if (!(v = option_value(verb, argc, argv, &i, "--request", &bad))) return bad;
            char *end;
            errno = 0;
            unsigned long long id = strtoull(v, &end, 10);
            if (!*v || *end || errno || v[0] == '-' || id == 0)
                return usage_error(verb, "--request: '%s' is not a request id", v);
            o->analyze.request = id;
        } else if (with_report && (option_is(a, "--slow-ms") || option_is(a, "--stall-ms"))) {
            const char *name = option_is(a, "--slow-ms") ? "--slow-ms" : "--stall-ms";
            if (!(v = option_value(verb, argc, argv, &i, name, &bad))) return bad;
            if ((bad = option_ms(verb, name, v,
                                 name[3] == 'l' ? &o->analyze.slow_ns : &o->analyze.stall_ns)))
                return bad;
        } else if (with_report && (option_is(a, "--nplus1-min") || option_is(a, "--repeat-min"))) {
            const char *name = option_is(a, "--nplus1-min") ? "--nplus1-min" : "--repeat-min";
            if (!(v = option_value(verb, argc, argv, &i, name, &bad))) return bad;
            long n = count_value(v);
            if (n < 0)
                return usage_error(verb, "%s: '%s' is not a count from 2 to 1000000", name, v);
            if (name[2] == 'n')
                o->analyze.nplus1_min = (unsigned)n;
            else
                o->analyze.repeat_min = (unsigned)n;
        } else {
            return usage_error(verb, "unknown option '%s'", a);
        }
    }
    return -1;
}

/* Loads the logs of o; returns 0, or the exit status after an error. */
static int load(const struct read_opts *o, struct logset *ls)
{
    if (logset_load(ls, o->paths, o->npaths)) return 1;
    if (o->has_pid && logset_keep_pid(ls, o->pid) == 0) {
        fprintf(stderr, "whyslow: no process with pid %" PRIu64 " in these logs\n", o->pid);
        return 1;
    }
    return 0;
}

static int finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "whyslow: writing the output: %s\n", strerror(errno));
        return 1;
    }
    return 0;
}

int cmd_report(int argc, char **argv)
{
    struct read_opts o;
    struct logset ls = {0};
    struct analysis a;
    struct findings fs;

    int rc = parse("report", argc, argv, 1, &o);
    if (rc < 0 && o.analyze.endpoint && o.analyze.request)
        rc = usage_error("report", "--endpoint and --request: one or the other");
    if (rc < 0 && o.json && o.summary)
        rc = usage_error("report", "--json and --summary: one or the other");
    if (rc < 0) rc = load(&o, &ls);
    if (rc == 0 && ls.n && analyze(&a, ls.procs, ls.n, &o.analyze) != 0) {
        if (o.analyze.request)
            fprintf(stderr, "whyslow: no served request number %" PRIu64 " in these logs\n",
                    o.analyze.request);
        else
            fprintf(stderr,
                    "whyslow: no served request of an endpoint matching '%s' in these logs\n",
                    o.analyze.endpoint);
        rc = 1;
    } else if (rc == 0 && ls.n) {
        find_findings(&fs, &a);
        symbolize_report(&a, &fs);
        if (o.summary)
            summary_write(stdout, &a, &fs);
        else if (o.json)
            report_json(stdout, &a, &fs);
        else
            report_text(stdout, &a, &fs);
        findings_free(&fs);
        analysis_free(&a);
        rc = finish_output();
    }
    logset_free(&ls);
    xfree(o.paths);
    return rc;
}

int cmd_dump(int argc, char **argv)
{
    struct read_opts o;
    struct logset ls = {0};

    int rc = parse("dump", argc, argv, 0, &o);
    if (rc < 0) rc = load(&o, &ls);
    if (rc == 0 && ls.n) {
        dump(stdout, ls.procs, ls.n);
        rc = finish_output();
    }
    logset_free(&ls);
    xfree(o.paths);
    return rc;
}
