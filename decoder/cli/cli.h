/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the verbs of the whyslow command (main.c dispatches to them).
 * Each takes its own argv (argv[0] is the verb) and returns the exit
 * status: 0 ok, 1 bad input, 2 bad usage, or the traced command's status
 * for `record`.
 */
#ifndef WHYSLOW_CLI_H
#define WHYSLOW_CLI_H

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* Prints "whyslow VERB: MESSAGE (see whyslow VERB --help)" and returns 2. */
int usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
