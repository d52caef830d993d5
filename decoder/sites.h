/*
 * sites.h - how the report shows what symbolize.h finds: a call site as
 * text ("take_job (pool.c:42)") or as a JSON object, and a lock's name
 * ("queue_lock", "mutex 0x55d0c2a0 (heap)", "GIL").
 *
 * symbolize_analysis() looks up, once, every address the report will
 * show: the sites of findings, of locks and of the slowest calls, and the
 * locks' names.  analyze() calls it last, so the notes symbolizing adds
 * (a library that changed since the recording...) are there when the
 * report is printed.
 */
#ifndef WHYSLOW_SITES_H
#define WHYSLOW_SITES_H

#include "analyze.h"
#include "json.h"
#include "symbolize.h"

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

/* The name of the lock at addr: its variable ("queue_lock", or
 * "queue_lock+0x8" inside a bigger one), "GIL" for CPython's GIL, else
 * the address and where it is ("0x55d0c2a0 (heap)"), after the kind of
 * lock when kind is not NULL ("mutex 0x55d0c2a0 (heap)").  Returns buf. */
const char *lock_name(struct ws_process *p, uint64_t addr, const char *kind, char *buf, size_t len);

/* The most frames of a stack the report shows. */
#define STACK_SHOWN 8

/* Looks up what the report will show (see above). */
void symbolize_analysis(struct analysis *a);

#endif
