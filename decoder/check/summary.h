/* SPDX-License-Identifier: MIT */
/*
 * summary.h - `whyslow report --summary`: the counts of a run in a small,
 * stable JSON (schema whyslow.summary/1, docs/check.md) that a project
 * keeps as its baseline instead of logs, and `whyslow diff` reads
 * (diff.h).  Everything is sorted by name, so that two runs that did the
 * same work give the same text but for their times.
 */
#ifndef WHYSLOW_SUMMARY_H
#define WHYSLOW_SUMMARY_H

#include "findings/findings.h"

#include <stdio.h>

#define SUMMARY_SCHEMA "whyslow.summary/1"

void summary_write(FILE *f, const struct analysis *a, const struct findings *fs);

/* The summary of the logs at path (a directory or a log), analysed with
 * report's defaults, as JSON text (to free with free()); NULL after writing one line
 * to err. */
char *summary_of_logs(const char *path, char *err, size_t errlen);

/* A finding's identity across runs (no pid, no address): its statement's
 * fingerprint, its call and target, its lock, its endpoint, or its
 * program; in buf. */
const char *finding_key(const struct finding *f, char *buf, size_t len);

#endif
