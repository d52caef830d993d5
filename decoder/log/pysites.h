/* SPDX-License-Identifier: MIT */
/*
 * pysites.h - the Python code behind a CPython program's events, as its
 * log names it (format.h, "Python frames"): the code objects of its
 * WS_EV_PYCODE records, gathered when the log is read; the line of an
 * instruction in one, from the code object's line table; and sites.
 *
 * A site is where an event came from in the program's Python code: the
 * innermost frame, and the innermost of the user's own code when that is
 * another one (not the interpreter's library, not an installed package:
 * py_file_is_users()).  Each distinct site gets a number, and the
 * timeline gives an event that has one a caller that is no address but
 * that number tagged (PY_TAG): everything that groups events by caller
 * then groups them by Python line, and the symbolizer names it
 * (symbolize.h).  A stack frame is a site of one frame.
 */
#ifndef WHYSLOW_PYSITES_H
#define WHYSLOW_PYSITES_H

#include "log/process.h"

#include <stddef.h>
#include <stdint.h>

/* A caller that is a Python site: PY_TAG | its number. */
#define PY_TAG 0xf000000000000000ull
static inline int py_is_site(uint64_t caller)
{
    return (caller >> 60) == 0xf;
}

struct py_frame {
    const char *function; /* the qualified name: "Shop.list_albums" (before 3.11
                             the name only: "list_albums") */
    const char *file;
    unsigned line; /* 0: unknown */
};

struct py_site {
    struct py_frame at;   /* the innermost frame */
    struct py_frame user; /* the user's innermost, when has_user */
    int has_user;         /* the user's code is another frame than at */
    int at_is_users;      /* at itself is the user's code */
};

/* A WS_EV_PYCODE record, while the log is read. */
void py_code_add(struct ws_process *p, const struct ws_event *ev);

/* The tagged caller of a site: its innermost frame's key and its user
 * frame's (0: the same, or none); 0 when the code is not named. */
uint64_t py_site_of(struct ws_process *p, uint64_t at_key, uint64_t user_key);

/* A site of a stack: its frames' keys, innermost first; the site is the
 * innermost, with the first frame of the user's code. */
uint64_t py_site_of_stack(struct ws_process *p, const uint64_t *keys, size_t n);

/* The site a tagged caller names, or NULL. */
const struct py_site *py_site_get(const struct ws_process *p, uint64_t tag);

/* Whether a file is the user's own code: not the interpreter's library
 * (".../lib/pythonX.Y/..."), not an installed package (site-packages,
 * dist-packages), not frozen or generated ("<frozen ...>", "<string>"). */
int py_file_is_users(const char *file);

/* The line of the instruction at byte offset in the line table of a
 * code object of CPython 3.minor (3.8, 3.9: co_lnotab; 3.10 and 3.11 on:
 * co_linetable, in two formats), whose code starts at first_line; 0 when
 * the table does not say (cut short, or no line). */
unsigned py_line(const uint8_t *table, size_t len, int first_line, uint32_t offset, unsigned minor);

void py_free(struct ws_process *p);

#endif
