/* SPDX-License-Identifier: MIT */
/*
 * cli.h - the verbs of the whyslow command.  main.c runs `record` itself
 * and hands the verbs that read logs to the decoder, a program of its own
 * (decode_main.c).  Each takes its own argv (argv[0] is the verb) and
 * returns the exit status: 0 ok, 1 bad input, 2 bad usage, or the traced
 * command's status for `record`.
 */
#ifndef WHYSLOW_CLI_H
#define WHYSLOW_CLI_H

#include <stddef.h>
#include <stdint.h>

int cmd_record(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_dump(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_export(int argc, char **argv);

/* Options (options.c).  Whether argument a is option name ("--name" or
 * "--name=V"). */
int option_is(const char *a, const char *name);

/* The value of option name at argv[*i], "--name=V" or "--name V" (then
 * *i moves past it); NULL after a usage error, *bad its exit status. */
const char *option_value(const char *verb, int argc, char **argv, int *i, const char *name,
                         int *bad);

/* --pid's value, --slow-ms's and the like (in ns): 0, or the exit status
 * of the usage error printed. */
int option_pid(const char *verb, const char *v, uint64_t *pid);
int option_ms(const char *verb, const char *name, const char *v, uint64_t *ns);

/* The directory of the running program (beside.c); 0, or -1. */
int self_dir(char *buf, size_t len);

/* Part `name` of whyslow, beside the running program (a build tree) or
 * else in installed_dir, if access(2) allows `mode` there: its path in
 * buf, or NULL. */
char *find_part(const char *name, const char *installed_dir, int mode, char *buf, size_t len);

/* Prints "whyslow VERB: MESSAGE (see whyslow VERB --help)" and returns 2. */
int usage_error(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Where the recorder library and the decoder are installed (CMakeLists.txt
 * says; they are looked for beside the whyslow command first). */
#ifndef WHYSLOW_LIBDIR
#define WHYSLOW_LIBDIR "/usr/local/lib/whyslow"
#endif

/* The decoder's name, beside the whyslow command or in WHYSLOW_LIBDIR. */
#define DECODER_NAME "whyslow-decode"

#endif
