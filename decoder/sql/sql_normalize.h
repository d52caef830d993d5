/* SPDX-License-Identifier: MIT */
/*
 * sql_normalize.h - the shape of an SQL text, from our own tokenizer: the
 * text with every literal and placeholder replaced by ?, comments and
 * extra whitespace dropped, unquoted words lowercased, and IN lists,
 * ARRAY[...] lists and multi-row VALUES collapsed to one element, so that
 * the statements a program runs again with other values come out the
 * same:
 *
 *   SELECT "a"."id" FROM "a" WHERE id IN (1, 2, 3) -- x
 *   select "a"."id" from "a" where id in (?)
 *
 * It also says what kind of statement the text is (SELECT, INSERT, BEGIN,
 * ...), which the analysis needs for N+1 loops and transactions.  It
 * reads SQLite's and PostgreSQL's dialects; sql_fingerprint.h hashes the
 * result.  Any bytes are accepted: a text that is not SQL still gives a
 * (meaningless but harmless) shape.
 */
#ifndef WHYSLOW_SQL_NORMALIZE_H
#define WHYSLOW_SQL_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

enum sql_dialect {
    SQL_SQLITE = 0,
    SQL_POSTGRES = 1,
};

enum sql_kind {
    SQL_OTHER = 0,
    SQL_SELECT, /* also WITH ... SELECT, VALUES */
    SQL_INSERT, /* also REPLACE */
    SQL_UPDATE,
    SQL_DELETE,
    SQL_BEGIN,     /* BEGIN, START TRANSACTION */
    SQL_COMMIT,    /* COMMIT, END, PREPARE TRANSACTION */
    SQL_ROLLBACK,  /* ROLLBACK, ABORT (not ROLLBACK TO a savepoint) */
    SQL_SAVEPOINT, /* SAVEPOINT */
    SQL_RELEASE,   /* RELEASE [SAVEPOINT] */
};

/* A token of the text (internal to the normalizer, kept here so that its
 * array can be reused from one text to the next). */
struct sql_token {
    uint32_t off, len; /* in the text */
    uint8_t type;
    uint8_t skip; /* dropped by a collapse */
};

struct sql_norm {
    char *text; /* the normalized text, NUL-terminated */
    size_t len, cap;
    enum sql_kind kind;     /* of its first statement */
    enum sql_kind last_txn; /* its last BEGIN, COMMIT, ROLLBACK, SAVEPOINT or
                               RELEASE, or SQL_OTHER */

    struct sql_token *toks; /* scratch */
    size_t ntoks, tokcap;
    uint32_t *match; /* scratch: the closing bracket of each opening one */
    size_t matchcap;
};

/* Normalizes sql[0..len) into n (n starts zeroed and is reused). */
void sql_normalize(struct sql_norm *n, const char *sql, size_t len, enum sql_dialect dialect);

void sql_norm_free(struct sql_norm *n);

/* "select", "insert", ... for a kind. */
const char *sql_kind_name(enum sql_kind kind);

#endif
