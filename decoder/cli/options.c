/* SPDX-License-Identifier: MIT */
/*
 * options.c - what the verbs' option parsers share: "--name=V" and
 * "--name V", and the values several verbs take (a pid, milliseconds),
 * each refused in the same words whichever verb was given it.
 */
#include "cli/cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int option_is(const char *a, const char *name)
{
    size_t n = strlen(name);
    return strncmp(a, name, n) == 0 && (a[n] == '\0' || a[n] == '=');
}

const char *option_value(const char *verb, int argc, char **argv, int *i, const char *name,
                         int *bad)
{
    size_t n = strlen(name);
    const char *a = argv[*i];
    if (a[n] == '=') return a + n + 1;
    if (*i + 1 >= argc) {
        *bad = usage_error(verb, "%s needs a value", name);
        return NULL;
    }
    return argv[++*i];
}

int option_pid(const char *verb, const char *v, uint64_t *pid)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    if (!*v || *end || errno || v[0] == '-')
        return usage_error(verb, "--pid: '%s' is not a process id", v);
    *pid = n;
    return 0;
}

int option_ms(const char *verb, const char *name, const char *v, uint64_t *ns)
{
    char *end;
    double ms = strtod(v, &end);
    if (!*v || *end || !isfinite(ms) || ms < 0 || ms > 1e12)
        return usage_error(verb, "%s: '%s' is not a number of milliseconds", name, v);
    *ns = (uint64_t)(ms * 1e6 + 0.5);
    return 0;
}
