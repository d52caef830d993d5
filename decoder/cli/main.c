/* SPDX-License-Identifier: MIT */
/*
 * main.c - the whyslow command: dispatches to the verbs (cmd_record.c,
 * cmd_report.c) and prints the top-level help.
 */
#include "cli/cli.h"
#include "report/report.h"

#include <whyslow/format.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: whyslow COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "Find out why a program is slow: trace its I/O, network, lock and database\n"
    "calls, then read what took the time.\n"
    "\n"
    "commands:\n"
    "  record [-o DIR] [--] CMD [ARGS...]\n"
    "          run CMD (and its children) traced; logs go to DIR (./whyslow.data)\n"
    "  report [--json | --summary] [--pid PID] [--slow-ms N] [--stall-ms N] [PATH...]\n"
    "          findings, where each thread's time went, per-call statistics,\n"
    "          queries, slowest calls, contended locks\n"
    "  dump [--pid PID] [PATH...]\n"
    "          every recorded event, one line each, in time order\n"
    "  check [--budget FILE] [--junit FILE] [--format text|github|json] [PATH...]\n"
    "          a CI gate: exit 1 on an N+1, a repeated query or a broken budget\n"
    "  diff [--fail-on RULES] BASE HEAD\n"
    "          what changed between two runs (logs, or report --summary files)\n"
    "  export [--format perfetto|chrome|otlp] [-o FILE] [--send [URL]] [PATH...]\n"
    "          the run as a timeline for Perfetto, or spans for OpenTelemetry\n"
    "\n"
    "PATH is a log file or a directory of *.wslog files (default ./whyslow.data).\n"
    "Run 'whyslow COMMAND --help' for a command's options, 'whyslow --version'\n"
    "for the versions of the program, the log format and the report schema.\n";

int usage_error(const char *verb, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "whyslow%s%s: ", verb ? " " : "", verb ? verb : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, " (see whyslow%s%s --help)\n", verb ? " " : "", verb ? verb : "");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *verb = argv[1];
    if (strcmp(verb, "--help") == 0 || strcmp(verb, "-h") == 0 || strcmp(verb, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(verb, "--version") == 0) {
        printf("whyslow %s (log format %d, report schema %s)\n", WHYSLOW_VERSION, WS_FORMAT_VERSION,
               REPORT_SCHEMA);
        return 0;
    }
    if (strcmp(verb, "record") == 0) return cmd_record(argc - 1, argv + 1);
    if (strcmp(verb, "report") == 0) return cmd_report(argc - 1, argv + 1);
    if (strcmp(verb, "dump") == 0) return cmd_dump(argc - 1, argv + 1);
    if (strcmp(verb, "check") == 0) return cmd_check(argc - 1, argv + 1);
    if (strcmp(verb, "diff") == 0) return cmd_diff(argc - 1, argv + 1);
    if (strcmp(verb, "export") == 0) return cmd_export(argc - 1, argv + 1);
    if (verb[0] == '-') return usage_error(NULL, "unknown option '%s'", verb);
    return usage_error(NULL, "unknown command '%s'", verb);
}
