/* SPDX-License-Identifier: MIT */
/*
 * decode_main.c - the decoder: the verbs of the whyslow command that read
 * logs (cmd_report.c, cmd_check.c, cmd_export.c).  The whyslow command
 * (main.c) execs it with its own arguments, so argv[1] is the verb.
 */
#include "cli/cli.h"

#include <string.h>

int main(int argc, char **argv)
{
    if (argc < 2) return usage_error(NULL, "no command given");
    const char *verb = argv[1];
    if (strcmp(verb, "report") == 0) return cmd_report(argc - 1, argv + 1);
    if (strcmp(verb, "dump") == 0) return cmd_dump(argc - 1, argv + 1);
    if (strcmp(verb, "check") == 0) return cmd_check(argc - 1, argv + 1);
    if (strcmp(verb, "diff") == 0) return cmd_diff(argc - 1, argv + 1);
    if (strcmp(verb, "export") == 0) return cmd_export(argc - 1, argv + 1);
    return usage_error(NULL, "unknown command '%s'", verb);
}
