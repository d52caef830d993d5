/* SPDX-License-Identifier: MIT */
/*
 * sql_redact.h - SQL text with its literals replaced by ? (sql_redact.c).
 */
#ifndef WHYSLOW_SQL_REDACT_H
#define WHYSLOW_SQL_REDACT_H

#include <stddef.h>

/* Writes the redacted form of sql[0..n) to out (room for n bytes; the
 * result is never longer) and returns its length. */
size_t ws_sql_redact_text(const char *sql, size_t n, char *out);

#endif
