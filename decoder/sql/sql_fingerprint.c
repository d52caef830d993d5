/* SPDX-License-Identifier: MIT */
/*
 * sql_fingerprint.c - fingerprints of SQL statements.
 *
 * Why libpg_query for PostgreSQL: it is PostgreSQL's own parser (the
 * server's grammar, built as a library and maintained with each release),
 * so its fingerprint knows the dialect better than any tokenizer of ours:
 * casts (x::int and CAST(x AS int)), = ANY($1) against IN (...), aliases,
 * every kind of string and comment.  It costs some microseconds a text,
 * so the analysis (queries.c) asks it once per normalized shape, not per
 * execution.  Texts it does not parse fall back to our tokenizer.
 */
#include "sql/sql_fingerprint.h"

#include "base/util.h"

#include <pg_query.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

uint64_t sql_hash(const void *p, size_t len)
{
    const unsigned char *s = p;
    uint64_t h = 0xcbf29ce484222325ull;
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 0x100000001b3ull;
    }
    return h;
}

int sql_pg_fingerprint(const char *sql, size_t len, uint64_t *fp)
{
    char *text = xstrndup(sql, len); /* libpg_query reads a C string */
    int ok = 0;
    if (text[0]) {
        PgQueryFingerprintResult r = pg_query_fingerprint(text);
        if (!r.error) {
            *fp = r.fingerprint;
            ok = 1;
        }
        pg_query_free_fingerprint_result(r);
    }
    xfree(text);
    return ok;
}

uint64_t sql_fingerprint(struct sql_norm *n, const char *sql, size_t len, enum sql_dialect dialect)
{
    uint64_t fp;
    sql_normalize(n, sql, len, dialect);
    if (dialect == SQL_POSTGRES && sql_pg_fingerprint(sql, len, &fp)) return fp;
    return sql_hash(n->text, n->len);
}

char *sql_fingerprint_hex(uint64_t fp, char *buf)
{
    snprintf(buf, 17, "%016" PRIx64, fp);
    return buf;
}
