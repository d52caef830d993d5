/* SPDX-License-Identifier: MIT */
/*
 * sites.h - how the report shows what symbolize.h finds: a call site as
 * text ("take_job (pool.c:42)") or as a JSON object.
 *
 * symbolize_report() looks up, once, every address the report will show:
 * the sites of findings, of locks and of the slowest calls, and the
 * locks' names.  It runs before the report is printed, so the notes
 * symbolizing adds (a library that changed since the recording...) are
 * there when the processes are.
 */
#ifndef WHYSLOW_SITES_H
#define WHYSLOW_SITES_H

#include "analysis/analyze.h"
#include "findings/findings.h"
#include "report/json.h"
#include "symbols/symbolize.h"

#include <stddef.h>
#include <stdint.h>

/* A call site in a few words:
 *   "take_job (pool.c:42)"          function, source file and line
 *   "take_job+0x1b (libpool.so)"    function without line information
 *   "pool+0x11b9"                   module and offset (stripped file)
 *   "0x7f3a2c001040 (libpool.so)"   the file could not be read
 *   "0x7f3a2c001040"                anonymous memory (JIT code...)
 *   "-"                             no address was recorded
 * Returns buf. */
const char *site_text(const struct sym_code *c, char *buf, size_t len);

/* The site as a JSON object {function, file, line, module,
 * module_offset, addr}, its unknown fields left out; null without an
 * address. */
void site_json(struct json *j, const struct sym_code *c);

/* The most frames of a stack the report shows. */
#define STACK_SHOWN 8

/* Whether a native frame is the runtime's own: CPython's (its executable
 * or libpython), Node's (its C++, V8's builtins).  Folded in the text
 * report where the Python or JavaScript frames are shown. */
int site_is_interpreter(const struct sym_code *c);

/* Whether a frame is JIT code named by the process's perf map. */
int site_is_jit(const struct sym_code *c);

/* Looks up what the report will show (see above). */
void symbolize_report(struct analysis *a, const struct findings *fs);

#endif
