/* SPDX-License-Identifier: MIT */
/*
 * report_programs.c - the summary of many processes (report_programs.h):
 * "why is my build slow?" at a glance, before the per-process sections.
 */
#include "report/report_programs.h"

#include "analysis/programs.h"
#include "base/text.h"
#include "base/units.h"
#include "base/util.h"

#include <inttypes.h>
#include <string.h>

static unsigned share(uint64_t part, uint64_t whole)
{
    return whole ? (unsigned)((part * 100 + whole / 2) / whole) : 0;
}

void report_text_programs(FILE *f, const struct analysis *a)
{
    if (a->nprocs < 2) return;
    struct program_sum *v;
    size_t n;
    programs_sum(a->procs, a->nprocs, &v, &n);
    char b[2][UNITS_BUF], name[64], both[64 + ROLE_MAX + 4];
    fprintf(f, "PROGRAMS (%zu processes of %zu programs, most time first)\n", a->nprocs, n);
    fprintf(f, "  %-32s %6s %10s %10s ", "program (role)", "runs", "total", "longest");
    for (int k = 0; k < TIME_PARTS; k++)
        fprintf(f, " %c%%", time_part_letter((enum time_part)k));
    fputc('\n', f);
    for (size_t i = 0; i < n && i < PROGRAMS_SHOWN; i++) {
        snprintf(both, sizeof(both), v[i].role[0] ? "%s (%s)" : "%s", v[i].name, v[i].role);
        text_clean((const uint8_t *)both, strlen(both), name, sizeof(name));
        fprintf(f, "  %-32s %6zu %10s %10s ", name, v[i].runs, fmt_dur(v[i].total_ns, b[0]),
                fmt_dur(v[i].longest_ns, b[1]));
        for (int k = 0; k < TIME_PARTS; k++)
            fprintf(f, " %3u", share(v[i].part_ns[k], v[i].thread_ns));
        fputc('\n', f);
    }
    if (n > PROGRAMS_SHOWN) fprintf(f, "  ... and %zu more (see --json)\n", n - PROGRAMS_SHOWN);
    xfree(v);

    size_t *chain, nchain;
    programs_chain(a->procs, a->nprocs, &chain, &nchain);
    if (nchain > 1) {
        fprintf(f, "  the longest chain:");
        for (size_t i = 0; i < nchain; i++) {
            const struct proc_report *pr = &a->procs[chain[i]];
            char role[ROLE_MAX];
            snprintf(both, sizeof(both), process_role(pr->p, role)[0] ? "%s %s" : "%s",
                     program_name(pr), role);
            text_clean((const uint8_t *)both, strlen(both), name, sizeof(name));
            fprintf(f, "%s %s (pid %" PRIu64 ", %s)", i ? " >" : "", name, pr->p->pid,
                    fmt_dur(pr->p->duration_ns > 0 ? (uint64_t)pr->p->duration_ns : 0, b[0]));
        }
        fputc('\n', f);
    }
    xfree(chain);
    fputc('\n', f);
}

void report_json_programs(struct json *j, const struct analysis *a)
{
    struct program_sum *v;
    size_t n;
    programs_sum(a->procs, a->nprocs, &v, &n);
    json_key(j, "programs");
    json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        json_begin_object(j);
        json_kv_str(j, "program", v[i].name);
        json_key(j, "role");
        if (v[i].role[0])
            json_str(j, v[i].role);
        else
            json_null(j);
        json_kv_uint(j, "runs", v[i].runs);
        json_kv_uint(j, "total_ns", v[i].total_ns);
        json_kv_uint(j, "longest_ns", v[i].longest_ns);
        json_kv_uint(j, "thread_ns", v[i].thread_ns);
        json_key(j, "breakdown");
        json_begin_object(j);
        for (int k = 0; k < TIME_PARTS; k++) {
            char key[32];
            snprintf(key, sizeof(key), "%s_ns", time_part_name((enum time_part)k));
            json_kv_uint(j, key, v[i].part_ns[k]);
        }
        json_end_object(j);
        json_end_object(j);
    }
    json_end_array(j);
    xfree(v);

    size_t *chain, nchain;
    programs_chain(a->procs, a->nprocs, &chain, &nchain);
    json_key(j, "chain");
    json_begin_array(j);
    for (size_t i = 0; i < nchain; i++)
        json_uint(j, a->procs[chain[i]].p->pid);
    json_end_array(j);
    xfree(chain);
}
