/*
 * text.h - turning bytes from a log (paths, names, peers) into text that
 * is safe to print on one line: control characters become '?', and very
 * long strings are cut with "...".
 */
#ifndef WHYSLOW_TEXT_H
#define WHYSLOW_TEXT_H

#include <stddef.h>
#include <stdint.h>

/* Writes the cleaned bytes p[0..len) to out (size outlen >= 4), stopping
 * at a NUL; returns the length written. */
size_t text_clean(const uint8_t *p, size_t len, char *out, size_t outlen);

#endif
