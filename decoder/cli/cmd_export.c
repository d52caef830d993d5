/* SPDX-License-Identifier: MIT */
/*
 * cmd_export.c - `whyslow export`: a recorded run as a Perfetto trace,
 * Chrome trace-event JSON, or OpenTelemetry spans written to a file or
 * posted to a collector (docs/export.md).  It loads and analyses the logs
 * as report does, then hands the walk (export/walk.c) the writer asked
 * for.
 */
#include "cli/cli.h"

#include "analysis/analyze.h"
#include "base/text.h"
#include "base/units.h"
#include "base/util.h"
#include "export/export.h"
#include "export/otlp_send.h"
#include "findings/findings.h"
#include "log/logset.h"
#include "report/sites.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char export_usage[] =
    "usage: whyslow export [--format perfetto|chrome|otlp] [-o FILE] [--send [URL]]\n"
    "                      [--pid PID] [--from TIME] [--to TIME]\n"
    "                      [--endpoint PATTERN | --test PATTERN] [--slow-ms N]\n"
    "                      [--max-events N] [PATH...]\n"
    "\n"
    "Writes the recorded run as a timeline (docs/export.md): a track per thread\n"
    "in one per process, a slice per call, query, lock wait, request and test,\n"
    "arrows from each wake to the wait it ended.\n"
    "\n"
    "  PATH               a log file, or a directory of *.wslog files\n"
    "                     (default ./whyslow.data)\n"
    "  --format FORMAT    perfetto (default): Perfetto's protobuf trace, for\n"
    "                     ui.perfetto.dev; chrome: Chrome's trace-event JSON;\n"
    "                     otlp: OpenTelemetry spans, one OTLP/JSON object a line\n"
    "  -o FILE            the file to write ('-': standard output); default\n"
    "                     whyslow.perfetto-trace, whyslow.trace.json or\n"
    "                     whyslow.otlp.jsonl\n"
    "  --send [URL]       post the spans (OTLP) to a collector instead: URL, else\n"
    "                     $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else\n"
    "                     $OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces, else\n"
    "                     http://localhost:4318/v1/traces\n"
    "  --pid PID          only the process PID\n"
    "  --from, --to TIME  only what overlaps this window, TIME after the run's\n"
    "                     start: 2.5s, 300ms, 40us (a bare number is seconds)\n"
    "  --endpoint PATTERN only the requests of these endpoints and what was done\n"
    "                     for them (as report --endpoint)\n"
    "  --test PATTERN     only these tests (node ids, fnmatch patterns) and what\n"
    "                     ran in them\n"
    "  --slow-ms N        events this long are slow: with their stack, and spans\n"
    "                     in OTLP (default 10)\n"
    "  --max-events N     past N events, leave the shortest out (default 20000000)\n"
    "  -h, --help         this help\n";

enum format { FMT_PERFETTO, FMT_CHROME, FMT_OTLP };

struct export_args {
    enum format format;
    const char *out;
    int send;
    const char *url;
    struct export_opts o;
    uint64_t slow_ns; /* --slow-ms */
    char **paths;
    size_t npaths;
};

/* A time after the run's start: a number with a unit (ns, us, ms, s, m),
 * seconds without one.  Returns 0, or -1 if v is none. */
static int parse_time(const char *v, int64_t *ns)
{
    static const struct {
        const char *unit;
        double ns;
    } units[] = {{"ns", 1}, {"us", 1e3}, {"ms", 1e6}, {"s", 1e9}, {"m", 60e9}, {"", 1e9}};
    char *end;
    errno = 0;
    double x = strtod(v, &end);
    if (!*v || end == v || errno || !isfinite(x) || x < 0) return -1;
    for (size_t i = 0; i < sizeof(units) / sizeof(*units); i++)
        if (strcmp(end, units[i].unit) == 0) {
            double t = x * units[i].ns;
            if (t > 9e18) return -1;
            *ns = (int64_t)(t + 0.5);
            return 0;
        }
    return -1;
}

/* Parses the options; returns -1 to go on, or the exit status. */
static int parse(int argc, char **argv, struct export_args *x)
{
    int bad = 0, dashdash = 0, has_format = 0;
    memset(x, 0, sizeof(*x));
    x->o.max_events = EXPORT_MAX_EVENTS_DEFAULT;
    struct analyze_opts defaults;
    analyze_opts_default(&defaults);
    x->slow_ns = defaults.slow_ns;
    x->paths = xcalloc((size_t)argc, sizeof(*x->paths));

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (dashdash || a[0] != '-' || a[1] == '\0') {
            x->paths[x->npaths++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            dashdash = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(export_usage, stdout);
            return 0;
        } else if (option_is(a, "--format")) {
            if (!(v = option_value("export", argc, argv, &i, "--format", &bad))) return bad;
            if (strcmp(v, "perfetto") == 0)
                x->format = FMT_PERFETTO;
            else if (strcmp(v, "chrome") == 0)
                x->format = FMT_CHROME;
            else if (strcmp(v, "otlp") == 0)
                x->format = FMT_OTLP;
            else
                return usage_error("export", "--format: '%s' is not perfetto, chrome or otlp", v);
            has_format = 1;
        } else if (strcmp(a, "-o") == 0) {
            if (!(v = option_value("export", argc, argv, &i, "-o", &bad))) return bad;
            if (!*v) return usage_error("export", "-o: an empty file name");
            x->out = v;
        } else if (option_is(a, "--send")) {
            /* Its URL is optional: the next argument when it is one. */
            x->send = 1;
            if (a[6] == '=')
                x->url = a + 7;
            else if (i + 1 < argc && (strncasecmp(argv[i + 1], "http://", 7) == 0 ||
                                      strncasecmp(argv[i + 1], "https://", 8) == 0))
                x->url = argv[++i];
        } else if (option_is(a, "--pid")) {
            if (!(v = option_value("export", argc, argv, &i, "--pid", &bad))) return bad;
            if ((bad = option_pid("export", v, &x->o.pid))) return bad;
            x->o.has_pid = 1;
        } else if (option_is(a, "--from") || option_is(a, "--to")) {
            int from = a[3] == 'r';
            const char *name = from ? "--from" : "--to";
            if (!(v = option_value("export", argc, argv, &i, name, &bad))) return bad;
            if (parse_time(v, from ? &x->o.from_ns : &x->o.to_ns))
                return usage_error("export", "%s: '%s' is not a time such as 2.5s or 300ms", name,
                                   v);
            *(from ? &x->o.has_from : &x->o.has_to) = 1;
        } else if (option_is(a, "--endpoint") || option_is(a, "--test")) {
            int ep = a[2] == 'e';
            const char *name = ep ? "--endpoint" : "--test";
            if (!(v = option_value("export", argc, argv, &i, name, &bad))) return bad;
            if (!*v) return usage_error("export", "%s: an empty pattern", name);
            *(ep ? &x->o.endpoint : &x->o.test) = v;
        } else if (option_is(a, "--slow-ms")) {
            if (!(v = option_value("export", argc, argv, &i, "--slow-ms", &bad))) return bad;
            if ((bad = option_ms("export", "--slow-ms", v, &x->slow_ns))) return bad;
        } else if (option_is(a, "--max-events")) {
            if (!(v = option_value("export", argc, argv, &i, "--max-events", &bad))) return bad;
            char *end;
            errno = 0;
            unsigned long long n = strtoull(v, &end, 10);
            if (!*v || *end || errno || v[0] == '-' || n == 0)
                return usage_error("export", "--max-events: '%s' is not a positive count", v);
            x->o.max_events = n;
        } else {
            return usage_error("export", "unknown option '%s'", a);
        }
    }
    if (x->send && has_format && x->format != FMT_OTLP)
        return usage_error("export", "--send posts OTLP spans: not with --format %s",
                           x->format == FMT_PERFETTO ? "perfetto" : "chrome");
    if (x->send) x->format = FMT_OTLP;
    if (x->send && x->out) return usage_error("export", "--send and -o: one or the other");
    if (x->o.endpoint && x->o.test)
        return usage_error("export", "--endpoint and --test: one or the other");
    if (x->o.has_from && x->o.has_to && x->o.to_ns < x->o.from_ns)
        return usage_error("export", "--to comes before --from");
    return -1;
}

static const char *default_out[] = {"whyslow.perfetto-trace", "whyslow.trace.json",
                                    "whyslow.otlp.jsonl"};

/* Writes (or sends) the export; returns the exit status. */
static int run(struct export_args *x, struct analysis *a, const struct findings *fs)
{
    const char *path = x->out ? x->out : default_out[x->format];
    int to_stdout = !x->send && strcmp(path, "-") == 0;
    if (!export_selects(a, &x->o)) {
        if (x->o.endpoint)
            fprintf(stderr,
                    "whyslow: no served request of an endpoint matching '%s' in these logs\n",
                    x->o.endpoint);
        else
            fprintf(stderr, "whyslow: no test matching '%s' in these logs\n", x->o.test);
        return 1;
    }
    FILE *f = NULL;
    char *url = NULL;
    if (x->send) {
        url = otlp_send_url(x->url);
    } else if (to_stdout) {
        f = stdout;
    } else if (!(f = fopen(path, "wb"))) {
        fprintf(stderr, "whyslow: %s: %s\n", path, strerror(errno));
        return 1;
    }

    struct export_stats st;
    struct ex_sink sink;
    if (x->format == FMT_PERFETTO)
        perfetto_sink(&sink, f, &st);
    else if (x->format == FMT_CHROME)
        chrome_sink(&sink, f, &st);
    else
        otlp_sink(&sink, f, url, a, fs, &st);
    int rc = export_walk(a, fs, &x->o, &sink, &st);
    if (f && !to_stdout && fclose(f) != 0 && rc == 0) rc = -1;
    if (to_stdout && (fflush(stdout) != 0 || ferror(stdout)) && rc == 0) rc = -1;

    if (rc != 0) {
        if (!x->send) fprintf(stderr, "whyslow: writing %s: %s\n", path, strerror(errno));
        xfree(url);
        return 1;
    }
    if (st.dropped) {
        char below[UNITS_BUF];
        fprintf(stderr,
                "whyslow: %" PRIu64 " events shorter than %s left out to keep %" PRIu64
                " at most (--max-events)\n",
                st.dropped, fmt_dur(st.dropped_below, below), x->o.max_events);
    }
    if (!x->send && !to_stdout && x->format == FMT_OTLP) /* a post that worked says nothing */
        fprintf(stderr, "whyslow: %" PRIu64 " spans written to %s\n", st.spans, path);
    else if (!x->send && !to_stdout)
        fprintf(stderr,
                "whyslow: %" PRIu64 " slices written to %s (open it in https://ui.perfetto.dev)\n",
                st.slices, path);
    xfree(url);
    return 0;
}

int cmd_export(int argc, char **argv)
{
    struct export_args x;
    struct logset ls = {0};
    struct analysis a;
    struct findings fs;
    struct analyze_opts ao;

    int rc = parse(argc, argv, &x);
    if (rc < 0) rc = logset_load(&ls, x.paths, x.npaths) ? 1 : 0;
    if (rc == 0 && x.o.has_pid && logset_keep_pid(&ls, x.o.pid) == 0) {
        fprintf(stderr, "whyslow: no process with pid %" PRIu64 " in these logs\n", x.o.pid);
        rc = 1;
    }
    if (rc == 0 && ls.n) {
        analyze_opts_default(&ao);
        ao.slow_ns = x.slow_ns;
        analyze(&a, ls.procs, ls.n, &ao);
        find_findings(&fs, &a);
        symbolize_report(&a, &fs);
        /* A damaged log is exported up to its damage: say so. */
        for (size_t i = 0; i < ls.n; i++)
            if (ls.procs[i]->truncated) {
                char log[512], why[512];
                fprintf(stderr, "whyslow: %s: truncated %s; exported up to there\n",
                        text_safe(ls.procs[i]->log, log, sizeof(log)),
                        text_safe(ls.procs[i]->truncated_reason, why, sizeof(why)));
            }
        rc = run(&x, &a, &fs);
        findings_free(&fs);
        analysis_free(&a);
    }
    logset_free(&ls);
    xfree(x.paths);
    return rc;
}
