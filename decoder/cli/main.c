/* SPDX-License-Identifier: MIT */
/*
 * main.c - the whyslow command: runs `record` (cmd_record.c) and hands
 * the verbs that read logs to the decoder (decode_main.c), and prints the
 * top-level help.
 *
 * Why two programs: the decoder links libdw, libpg_query, libcurl, libyaml
 * and json-c, some 40 shared objects with their own dependencies, which
 * take 14 ms to load on a 2-CPU VM; `record` needs none of them, and every
 * flusher it forks would copy their mappings and tear them down again.  So
 * this program links libc alone, and execs the decoder, found beside it or
 * in WHYSLOW_LIBDIR, for report, dump, check, diff and export, with the
 * same arguments.
 */
#include "cli/cli.h"
#include "report/report.h"

#include <whyslow/format.h>

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

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

static const char *const decoder_verbs[] = {"report", "dump", "check", "diff", "export"};

/* Runs the decoder with our arguments; returns only when it cannot. */
static int run_decoder(char **argv)
{
    char path[PATH_MAX];
    if (!find_part(DECODER_NAME, WHYSLOW_LIBDIR, X_OK, path, sizeof(path))) {
        fprintf(stderr, "whyslow: cannot find %s (looked beside this program and in %s)\n",
                DECODER_NAME, WHYSLOW_LIBDIR);
        return 2;
    }
    execv(path, argv);
    fprintf(stderr, "whyslow: cannot run %s: %s\n", path, strerror(errno));
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
    for (size_t i = 0; i < sizeof(decoder_verbs) / sizeof(decoder_verbs[0]); i++)
        if (strcmp(verb, decoder_verbs[i]) == 0) return run_decoder(argv);
    if (verb[0] == '-') return usage_error(NULL, "unknown option '%s'", verb);
    return usage_error(NULL, "unknown command '%s'", verb);
}
