/* SPDX-License-Identifier: MIT */
/*
 * usage.c - the one-line message of a bad command line, shared by the
 * whyslow command (main.c) and the decoder it runs for the reading verbs
 * (decode_main.c).
 */
#include "cli/cli.h"

#include <stdarg.h>
#include <stdio.h>

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
