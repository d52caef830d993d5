/* SPDX-License-Identifier: MIT */
/*
 * memmap.h - the memory map of a recorded process, from the text of
 * /proc/PID/maps that the recorder writes at start and again whenever
 * the file mappings change (WS_META_MAPS records, as after a dlopen).
 *
 * The decoder keeps the union of every map in the log: a library that was
 * unloaded before the last map still names the events it made.  Where a
 * later map puts something else at an address, the later mapping wins
 * there; when it is another file (or the same file loaded elsewhere), the
 * address is marked ambiguous, since the log cannot tell which of the two
 * an event's address meant.  symbolize.c turns addresses into names with
 * it.
 */
#ifndef WHYSLOW_MEMMAP_H
#define WHYSLOW_MEMMAP_H

#include <stddef.h>
#include <stdint.h>

struct ws_mapping {
    uint64_t start, end; /* [start, end) */
    uint64_t offset;     /* of start in the file */
    uint64_t inode;
    uint32_t dev_major, dev_minor;
    char perms[5]; /* "r-xp" */
    char *path;    /* the file, or "[heap]", "[stack]", "[vdso]"...;
                      NULL for anonymous memory */
    int deleted;   /* the path ended with " (deleted)" (removed here) */
    int ambiguous; /* another file, or another load of this one, was
                      mapped over part of this range in another map */
};

struct ws_maps {
    struct ws_mapping *v; /* sorted by start, not overlapping */
    size_t n, cap;
    size_t records; /* maps records added */
    size_t work;    /* mappings looked at by maps_add, in all */
};

/* Parses one line of /proc/PID/maps (without its newline) into m, whose
 * path is then allocated; returns 0, or -1 when the line is not one. */
int maps_parse_line(const char *line, size_t len, struct ws_mapping *m);

/* Adds the mappings of one maps text (a WS_META_MAPS record) to the
 * union; lines that do not parse are skipped.  Each record costs the
 * union's size and its own lines (maps->work): when that would take work
 * past max_work, the record is not added and -1 returned (a log can hold
 * thousands of maps records of thousands of lines). */
int maps_add(struct ws_maps *maps, const char *text, size_t len, size_t max_work);

/* The mapping holding addr, or NULL. */
const struct ws_mapping *maps_find(const struct ws_maps *maps, uint64_t addr);

/* The mapping with the highest start at or below addr, or NULL. */
const struct ws_mapping *maps_below(const struct ws_maps *maps, uint64_t addr);

/* Whether the mapping is of a file that may still be found by its path:
 * an absolute path, not deleted, not a memfd or SysV segment. */
int mapping_is_file(const struct ws_mapping *m);

/* A file's mapping, even deleted (not "[heap]" and the like). */
int mapping_has_path(const struct ws_mapping *m);

void maps_free(struct ws_maps *maps);

#endif
