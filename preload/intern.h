/* SPDX-License-Identifier: MIT */
/*
 * intern.h - the flusher's table of strings written to the log (intern.c).
 */
#ifndef WHYSLOW_INTERN_H
#define WHYSLOW_INTERN_H

#include <stddef.h>

int ws_intern_init(void);
/* The string's number, writing it to the log first if it is new; -1 when
 * the table is full (write the string as a literal). */
long ws_intern(const void *s, size_t n);

#endif
