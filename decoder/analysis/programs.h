/* SPDX-License-Identifier: MIT */
/*
 * programs.h - a recording of many processes at a glance (a build, a test
 * suite, a script): its processes grouped by program, with their runs,
 * their time and where it went, and the longest chain of processes, parent
 * to child, each the longest-running child of the one before.
 */
#ifndef WHYSLOW_PROGRAMS_H
#define WHYSLOW_PROGRAMS_H

#include "log/process.h"
#include "time/breakdown.h"

#include <stddef.h>
#include <stdint.h>

struct proc_report;

/* The longest role kept (longer ones are cut). */
#define ROLE_MAX 40

struct program_sum {
    const char *name;              /* the executable's last part */
    char role[ROLE_MAX];           /* what its processes did (process_role()), or "" */
    size_t runs;                   /* its processes (logs) */
    uint64_t total_ns, longest_ns; /* their durations, summed and the longest */
    uint64_t part_ns[TIME_PARTS];  /* their threads' time, by part */
    uint64_t thread_ns;            /* their threads' wall time */
};

/* The programs of n processes, most total time first, into *out. */
void programs_sum(const struct proc_report *procs, size_t n, struct program_sum **out,
                  size_t *nout);

/* The longest chain of processes: from the first root, each step to the
 * process (a child, or the image its exec started) that ran longest; the
 * indexes in procs into *chain. */
void programs_chain(const struct proc_report *procs, size_t n, size_t **chain, size_t *nchain);

/* The name programs_sum() groups a process under: its executable's last
 * part (its argv[0]'s when the log has no executable). */
const char *program_name(const struct proc_report *pr);
const char *process_program(const struct ws_process *p);

/* The role of a process within its program, into buf (ROLE_MAX bytes),
 * "" when it has none: the title it gave itself, less what names one
 * client or file ("postgres: checkpointer" -> "checkpointer"); an
 * interpreter's or a shell's script, or module (python3 manage.py ->
 * "manage.py");
 * git's command (git upload-pack -> "upload-pack").  docs/report-json.md
 * (programs[]) says it for users.  Returns buf. */
char *process_role(const struct ws_process *p, char *buf);

#endif
