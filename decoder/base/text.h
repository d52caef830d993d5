/* SPDX-License-Identifier: MIT */
/*
 * text.h - turning bytes from a log or the file system (paths, names,
 * peers, SQL, notes) into text that is safe to print on a terminal, on
 * one line: what a terminal would obey, or that would make it show
 * something else than the bytes say, is replaced, and very long strings
 * are cut with "...".
 *
 * Kept: valid UTF-8 (file names in any script).  Replaced by '?': the C0
 * controls (escape sequences start with ESC, 0x1b), DEL, the C1 controls
 * U+0080..U+009F (U+009B is CSI, which some terminals obey), and the
 * Unicode controls that reorder or break what follows: the bidirectional
 * marks and overrides (U+061C, U+200E, U+200F, U+202A..U+202E,
 * U+2066..U+2069) and the line and paragraph separators (U+2028,
 * U+2029).  Replaced by U+FFFD: bytes that are not valid UTF-8 (as the
 * JSON writer does).
 */
#ifndef WHYSLOW_TEXT_H
#define WHYSLOW_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Writes the cleaned bytes p[0..len) to out (size outlen >= 4), stopping
 * at a NUL; returns the length written.  A string cut short ends with
 * "...", never inside a character. */
size_t text_clean(const uint8_t *p, size_t len, char *out, size_t outlen);

/* The cleaned s, in buf (size len >= 4), for printing: a shorthand for
 * text_clean on a C string.  Returns buf. */
const char *text_safe(const char *s, char *buf, size_t len);

/* The length of the valid UTF-8 sequence of two bytes or more at s (at
 * most n bytes), with its code point in *cp; 0 when there is none there
 * (overlong forms, surrogates and code points past U+10FFFF are not
 * valid). */
size_t utf8_sequence(const uint8_t *s, size_t n, uint32_t *cp);

/* Whether the code point is one text_clean replaces (see above). */
int text_unsafe(uint32_t cp);

/* Reads a number in base 10 or 16 at *pp, up to end, and moves *pp past
 * it; returns 0, or -1 when there are no digits or it overflows 64 bits. */
int text_number(const char **pp, const char *end, int base, uint64_t *out);

#endif
