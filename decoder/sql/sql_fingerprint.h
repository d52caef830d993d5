/* SPDX-License-Identifier: MIT */
/*
 * sql_fingerprint.h - the 64-bit fingerprint of an SQL statement: the
 * same for every text of the same shape, whatever its literals,
 * placeholders, comments, whitespace and IN-list lengths.
 *
 * For SQLite it is a hash of the normalized text (sql_normalize.h).  For
 * PostgreSQL it is libpg_query's fingerprint, made by PostgreSQL's own
 * parser, when that parser accepts the text; otherwise (a text cut short,
 * or redacted with ? by WHYSLOW_SQL=redact) the hash of the normalized
 * text again.  The normalized text shown with it always comes from our
 * tokenizer, so texts read the same in both databases.
 */
#ifndef WHYSLOW_SQL_FINGERPRINT_H
#define WHYSLOW_SQL_FINGERPRINT_H

#include "sql/sql_normalize.h"

#include <stddef.h>
#include <stdint.h>

/* A 64-bit hash of bytes (FNV-1a); also used for texts and parameters. */
uint64_t sql_hash(const void *p, size_t len);

/* PostgreSQL's fingerprint of sql[0..len) by libpg_query; 0 when its
 * parser does not accept the text (*fp is then left alone). */
int sql_pg_fingerprint(const char *sql, size_t len, uint64_t *fp);

/* Normalizes sql[0..len) into n and returns its fingerprint: the hash of
 * n->text, or for PostgreSQL libpg_query's when it parses the text. */
uint64_t sql_fingerprint(struct sql_norm *n, const char *sql, size_t len, enum sql_dialect dialect);

/* The fingerprint as 16 lowercase hex digits (buf: 17 bytes). */
char *sql_fingerprint_hex(uint64_t fp, char *buf);

#endif
