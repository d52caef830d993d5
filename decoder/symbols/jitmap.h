/* SPDX-License-Identifier: MIT */
/*
 * jitmap.h - names for JIT code: a process's perf map (WS_META_JITMAP,
 * the lines /tmp/perf-PID.map held at its end) as a table of address
 * ranges, and what a V8 name says ("JS:~handler /app/server.js:12:20":
 * the function handler, defined at line 12 of /app/server.js).  The
 * symbolizer asks it about addresses in no file.
 */
#ifndef WHYSLOW_JITMAP_H
#define WHYSLOW_JITMAP_H

#include <stddef.h>
#include <stdint.h>

struct jit_entry {
    uint64_t start, size;
    const char *name; /* into the text parsed, not NUL-terminated */
    size_t len;
};

struct jitmap {
    struct jit_entry *v; /* by start */
    size_t n;
};

/* The lines "START SIZE NAME" of text[0..len) (hex numbers), into m;
 * lines that do not parse are skipped.  m points into text. */
void jitmap_parse(const char *text, size_t len, struct jitmap *m);

/* The entry holding pc (the latest made, where ranges overlap), or NULL. */
const struct jit_entry *jitmap_find(const struct jitmap *m, uint64_t pc);

/* What a name says: its function (fn, "(anonymous)" when it has none), and
 * from its location, if it has one, the file and the line (0: none). */
void jit_name_parts(const char *name, size_t len, char *fn, size_t fnlen, char *file,
                    size_t filelen, unsigned *line);

void jitmap_free(struct jitmap *m);

#endif
