/* SPDX-License-Identifier: MIT */
/*
 * test_sql_fingerprint.c - SQL fingerprints on a table of real statements
 * (SQL as Django, SQLAlchemy, pgbench and psycopg2 send it, hand-written
 * SQL with comments, IN lists, casts and every kind of literal and
 * placeholder): the texts of one group must get the same fingerprint, and
 * no two groups of one database the same.  Then the normalized text and
 * the statement kind of some texts, and texts that are not SQL at all.
 */
#include "check.h"
#include "sql/sql_fingerprint.h"

#include <stdlib.h>

#define MAX_TEXTS 8

struct group {
    enum sql_dialect db;
    const char *texts[MAX_TEXTS]; /* the same statement, NULL-terminated */
};

static const struct group groups[] = {
    /* Django, SQLite: the lookup of a lazy foreign key (bound, literal). */
    {SQL_SQLITE,
     {"SELECT \"library_author\".\"id\", \"library_author\".\"name\" FROM \"library_author\" "
      "WHERE \"library_author\".\"id\" = ? LIMIT 21",
      "SELECT \"library_author\".\"id\", \"library_author\".\"name\" FROM \"library_author\" "
      "WHERE \"library_author\".\"id\" = 17 LIMIT 21",
      "select \"library_author\".\"id\",\"library_author\".\"name\"\n  from \"library_author\"\n"
      "  where \"library_author\".\"id\"=?1 limit 5"}},
    /* Django, SQLite: prefetch_related, any number of ids. */
    {SQL_SQLITE,
     {"SELECT \"library_book\".\"id\", \"library_book\".\"author_id\" FROM \"library_book\" "
      "WHERE \"library_book\".\"author_id\" IN (?, ?, ?, ?)",
      "SELECT \"library_book\".\"id\", \"library_book\".\"author_id\" FROM \"library_book\" "
      "WHERE \"library_book\".\"author_id\" IN (?)",
      "SELECT \"library_book\".\"id\", \"library_book\".\"author_id\" FROM \"library_book\" "
      "WHERE \"library_book\".\"author_id\" IN (1, 2, -3)"}},
    /* Django, SQLite: one row and bulk_create's many rows. */
    {SQL_SQLITE,
     {"INSERT INTO \"library_book\" (\"title\", \"author_id\") VALUES (?, ?) RETURNING "
      "\"library_book\".\"id\"",
      "INSERT INTO \"library_book\" (\"title\", \"author_id\") VALUES (?, ?), (?, ?), (?, ?) "
      "RETURNING \"library_book\".\"id\"",
      "INSERT INTO \"library_book\" (\"title\", \"author_id\") VALUES ('It''s', 1), ('Dune', 2) "
      "RETURNING \"library_book\".\"id\""}},
    /* SQLAlchemy, SQLite: a lazy load, whitespace as it sends it or not. */
    {SQL_SQLITE,
     {"SELECT author.id AS author_id, author.name AS author_name \nFROM author \nWHERE author.id = "
      "?",
      "SELECT author.id AS author_id, author.name AS author_name FROM author WHERE author.id = 3",
      "/* lazy */ SELECT author.id AS author_id, author.name AS author_name\n"
      "FROM author -- the parent\nWHERE author.id = :pk_1"}},
    /* SQLAlchemy, SQLite: selectinload's IN list. */
    {SQL_SQLITE,
     {"SELECT book.author_id AS book_author_id, book.id AS book_id \nFROM book \n"
      "WHERE book.author_id IN (?, ?, ?, ?, ?)",
      "SELECT book.author_id AS book_author_id, book.id AS book_id \nFROM book \n"
      "WHERE book.author_id IN (?)"}},
    /* SQLite's placeholders and literals. */
    {SQL_SQLITE,
     {"SELECT * FROM t WHERE a = ?1 AND b = :b AND c = @c AND d = $d",
      "SELECT * FROM t WHERE a = 1 AND b = 'x' AND c = X'00ff' AND d = 1.5e3",
      "select * from t where a = -0x1F and b = 'a''b' and c = x'' and d = .5"}},
    {SQL_SQLITE,
     {"SELECT * FROM t WHERE a = ? AND b = ? AND c > ?",
      "select * from t where a=-1 and b=%s and c>@c",
      "select * from t where a = -1 and b = %(b)s and c > +.5"}},
    {SQL_SQLITE, {"SELECT * FROM t WHERE flag = TRUE", "select * from t where flag = true"}},
    {SQL_SQLITE, {"SELECT * FROM t WHERE flag = FALSE"}},
    {SQL_SQLITE, {"SELECT * FROM t WHERE x IS NULL", "select * from t where x is null -- no"}},
    {SQL_SQLITE, {"SELECT * FROM t WHERE x = ?"}},
    {SQL_SQLITE, {"SELECT name FROM author WHERE id = ?", "select name from author where id = 7"}},
    {SQL_SQLITE, {"SELECT email FROM author WHERE id = ?"}},
    {SQL_SQLITE, {"SELECT name FROM author WHERE id > ?"}},
    {SQL_SQLITE, {"SELECT name FROM author WHERE id IN (SELECT author_id FROM book)"}},
    {SQL_SQLITE, {"SELECT count(*) FROM book", "SELECT COUNT(*) FROM book;"}},
    {SQL_SQLITE, {"SELECT count(*) FROM author"}},
    {SQL_SQLITE, {"SELECT a FROM t LIMIT 10", "select a from t limit 20"}},
    {SQL_SQLITE, {"SELECT a FROM t"}},
    {SQL_SQLITE, {"INSERT INTO t (a, b) VALUES (?, ?)"}},
    {SQL_SQLITE, {"INSERT INTO t (a, c) VALUES (?, ?)"}},
    {SQL_SQLITE,
     {"SELECT [order].[id] FROM [order] WHERE [order].[id] = 1",
      "SELECT [order].[id] FROM [order] WHERE [order].[id] = ?"}},
    {SQL_SQLITE, {"BEGIN", "begin ;", "BEGIN -- implicit"}},
    {SQL_SQLITE, {"COMMIT"}},

    /* psycopg2 (literals filled in on the client), Django on PostgreSQL. */
    {SQL_POSTGRES,
     {"SELECT \"library_author\".\"id\", \"library_author\".\"name\" FROM \"library_author\" "
      "WHERE \"library_author\".\"id\" = 7 LIMIT 21",
      "SELECT \"library_author\".\"id\", \"library_author\".\"name\" FROM \"library_author\" "
      "WHERE \"library_author\".\"id\" = 12 LIMIT 21",
      "SELECT \"library_author\".\"id\", \"library_author\".\"name\" FROM \"library_author\" "
      "WHERE \"library_author\".\"id\" = $1 LIMIT $2"}},
    /* PostgreSQL's parser: a cast written either way; and it takes an IN
     * list, = ANY($1) and = a constant for the same condition. */
    {SQL_POSTGRES,
     {"SELECT name FROM author WHERE id = 5::int",
      "SELECT name FROM author WHERE id = CAST(5 AS int)",
      "SELECT name FROM author WHERE id = '5'::int",
      "SELECT name FROM author WHERE id IN (1, 2, 3)", "SELECT name FROM author WHERE id IN (4)",
      "SELECT name FROM author WHERE id = ANY($1)"}},
    {SQL_POSTGRES,
     {"SELECT name FROM author WHERE id = ANY(ARRAY[1, 2, 3])",
      "SELECT name FROM author WHERE id = ANY(ARRAY[4])"}},
    {SQL_POSTGRES, {"SELECT email FROM author WHERE id = 1"}},
    /* psycopg2's string literals, escaped either way. */
    {SQL_POSTGRES,
     {"SELECT id FROM author WHERE name = 'O''Brien'",
      "SELECT id FROM author WHERE name = E'O\\'Brien'",
      "SELECT id FROM author WHERE name = $$O'Brien$$",
      "SELECT id FROM author WHERE name = $q$it's; a $$ trap$q$",
      "/* web */ SELECT id FROM author WHERE name = 'x' -- trailing"}},
    {SQL_POSTGRES,
     {"SELECT * FROM t WHERE created > '2024-01-01'::timestamptz",
      "SELECT * FROM t WHERE created > '2023-05-05 10:00'::timestamptz"}},
    /* pgbench's TPC-B-like script, in simple and prepared modes. */
    {SQL_POSTGRES,
     {"UPDATE pgbench_accounts SET abalance = abalance + 1234 WHERE aid = 56789;",
      "UPDATE pgbench_accounts SET abalance = abalance + -4321 WHERE aid = 12;",
      "UPDATE pgbench_accounts SET abalance = abalance + $1 WHERE aid = $2;"}},
    {SQL_POSTGRES,
     {"SELECT abalance FROM pgbench_accounts WHERE aid = 56789;",
      "SELECT abalance FROM pgbench_accounts WHERE aid = $1;"}},
    {SQL_POSTGRES,
     {"UPDATE pgbench_tellers SET tbalance = tbalance + 1234 WHERE tid = 3;",
      "UPDATE pgbench_tellers SET tbalance = tbalance + $1 WHERE tid = $2;"}},
    {SQL_POSTGRES,
     {"INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES (3, 1, 56789, 1234, "
      "CURRENT_TIMESTAMP);",
      "INSERT INTO pgbench_history (tid, bid, aid, delta, mtime) VALUES ($1, $2, $3, $4, "
      "CURRENT_TIMESTAMP);"}},
    {SQL_POSTGRES, {"BEGIN;", "begin"}},
    {SQL_POSTGRES, {"END;", "end"}},
    {SQL_POSTGRES, {"SELECT $1::int * 2", "select 5::int*3"}},
    {SQL_POSTGRES, {"SELECT 1 AS a; SELECT 2 AS b", "select 3 as a; select 4 as b"}},
    /* Not PostgreSQL's SQL (redacted by the recorder, or cut short): our
     * tokenizer's fingerprint. */
    {SQL_POSTGRES,
     {"SELECT name FROM author WHERE id = ?", "select name from author where id = ?",
      "SELECT name FROM author WHERE id = 'cut short"}},
    {SQL_POSTGRES,
     {"SELECT name FROM author WHERE id = 5 AND", "SELECT name FROM author WHERE id = 6 and"}},
};

struct norm_case {
    enum sql_dialect db;
    const char *text, *normalized;
    enum sql_kind kind, last_txn;
};

static const struct norm_case norms[] = {
    {SQL_SQLITE,
     "SELECT \"library_author\".\"id\", \"library_author\".\"name\" FROM \"library_author\" WHERE "
     "\"library_author\".\"id\" = %s LIMIT 21",
     "select \"library_author\".\"id\", \"library_author\".\"name\" from \"library_author\" where "
     "\"library_author\".\"id\" = ? limit ?",
     SQL_SELECT, SQL_OTHER},
    {SQL_SQLITE, "SELECT name FROM author WHERE id IN (1,2,3)",
     "select name from author where id in (?)", SQL_SELECT, SQL_OTHER},
    {SQL_SQLITE, "select * from t where (a, b) in ((1, 2), (3, 4))",
     "select * from t where (a, b) in ((?, ?))", SQL_SELECT, SQL_OTHER},
    {SQL_SQLITE, "select * from t where a in (1, null)", "select * from t where a in (?, null)",
     SQL_SELECT, SQL_OTHER},
    {SQL_SQLITE,
     "INSERT INTO \"t\" (\"a\", \"b\") VALUES (1, 'x'), (2, 'y') RETURNING \"t\".\"id\"",
     "insert into \"t\" (\"a\", \"b\") values (?, ?) returning \"t\".\"id\"", SQL_INSERT,
     SQL_OTHER},
    {SQL_SQLITE, "insert into t(a,b) values(?,now()),(?,now())",
     "insert into t(a, b) values (?, now())", SQL_INSERT, SQL_OTHER},
    {SQL_SQLITE, "INSERT OR REPLACE INTO kv VALUES (?, ?)",
     "insert or replace into kv values (?, ?)", SQL_INSERT, SQL_OTHER},
    {SQL_SQLITE, "SELECT COUNT(*), SUM(qty) FROM sale WHERE x = -1 AND y = a-1",
     "select count(*), sum(qty) from sale where x = ? and y = a - ?", SQL_SELECT, SQL_OTHER},
    {SQL_SQLITE, "update t set a = a + %(delta)s where id = %s",
     "update t set a = a + ? where id = ?", SQL_UPDATE, SQL_OTHER},
    {SQL_SQLITE, "DELETE FROM t WHERE id = ?", "delete from t where id = ?", SQL_DELETE, SQL_OTHER},
    {SQL_SQLITE, "WITH x AS (SELECT 1), y(a) AS (SELECT 2) INSERT INTO t SELECT * FROM x",
     "with x as (select ?), y(a) as (select ?) insert into t select * from x", SQL_INSERT,
     SQL_OTHER},
    {SQL_SQLITE, "WITH RECURSIVE c(n) AS (VALUES(1) UNION ALL SELECT n+1 FROM c) SELECT n FROM c",
     "with recursive c(n) as (values (?) union all select n + ? from c) select n from c",
     SQL_SELECT, SQL_OTHER},
    {SQL_SQLITE, "BEGIN IMMEDIATE TRANSACTION", "begin immediate transaction", SQL_BEGIN,
     SQL_BEGIN},
    {SQL_SQLITE, "END TRANSACTION", "end transaction", SQL_COMMIT, SQL_COMMIT},
    {SQL_SQLITE, "ROLLBACK TO SAVEPOINT s1", "rollback to savepoint s1", SQL_OTHER, SQL_OTHER},
    {SQL_SQLITE, "ROLLBACK TRANSACTION TO s1", "rollback transaction to s1", SQL_OTHER, SQL_OTHER},
    {SQL_SQLITE, "ROLLBACK", "rollback", SQL_ROLLBACK, SQL_ROLLBACK},
    {SQL_SQLITE, "SAVEPOINT \"s1_x\"", "savepoint \"s1_x\"", SQL_SAVEPOINT, SQL_SAVEPOINT},
    {SQL_SQLITE, "RELEASE SAVEPOINT s1", "release savepoint s1", SQL_RELEASE, SQL_RELEASE},
    {SQL_SQLITE, "BEGIN; INSERT INTO t VALUES (1); INSERT INTO t VALUES (2); COMMIT;",
     "begin; insert into t values (?); insert into t values (?); commit", SQL_BEGIN, SQL_COMMIT},
    {SQL_SQLITE, ";; select 1 ;;", "select ?", SQL_SELECT, SQL_OTHER},
    {SQL_SQLITE, "PRAGMA journal_mode = WAL", "pragma journal_mode = wal", SQL_OTHER, SQL_OTHER},
    {SQL_SQLITE, "select * from [my table] where `x` = @v and \"y\" = $v",
     "select * from [my table] where `x` = ? and \"y\" = ?", SQL_SELECT, SQL_OTHER},
    {SQL_POSTGRES, "SELECT name FROM author WHERE id = ANY(ARRAY[1,2,3])",
     "select name from author where id = any(array[?])", SQL_SELECT, SQL_OTHER},
    {SQL_POSTGRES, "SELECT a[1], a[2:3] FROM t WHERE b = :x::int",
     "select a[?], a[? : ?] from t where b = ?::int", SQL_SELECT, SQL_OTHER},
    {SQL_POSTGRES, "SELECT $1::int * 2", "select ?::int * ?", SQL_SELECT, SQL_OTHER},
    {SQL_POSTGRES, "select $fn$ a; b $fn$, $$x$$, E'\\'', B'0101', U&'d\\0061t\\+000061'",
     "select ?, ?, ?, ?, ?", SQL_SELECT, SQL_OTHER},
    {SQL_POSTGRES, "/* a /* nested */ comment */ SELECT 1", "select ?", SQL_SELECT, SQL_OTHER},
    {SQL_POSTGRES, "SELECT data ?| array['a'] FROM t", "select data ?| array[?] from t", SQL_SELECT,
     SQL_OTHER},
    {SQL_POSTGRES, "START TRANSACTION ISOLATION LEVEL SERIALIZABLE",
     "start transaction isolation level serializable", SQL_BEGIN, SQL_BEGIN},
    {SQL_POSTGRES, "COMMIT PREPARED 'x'", "commit prepared ?", SQL_OTHER, SQL_OTHER},
    {SQL_POSTGRES, "PREPARE TRANSACTION 'x'", "prepare transaction ?", SQL_COMMIT, SQL_COMMIT},
    {SQL_POSTGRES, "ABORT", "abort", SQL_ROLLBACK, SQL_ROLLBACK},
    {SQL_POSTGRES, "SELECT 'a\\' FROM t", "select ? from t", SQL_SELECT, SQL_OTHER},
    {SQL_POSTGRES, "", "", SQL_OTHER, SQL_OTHER},
};

/* Texts that are not SQL, or SQL cut anywhere: a shape, and no crash. */
static void garbage(struct sql_norm *n)
{
    static const char *const cuts[] = {
        "'",    "\"",   "`",  "[", "$",    "$$", "$a", "$a$",   "%",   "%(",
        "%(x)", ":",    "::", "?", "-",    "--", "/*", "/* /*", "E'",  "X'",
        "U&",   "U&\"", "(",  ")", "))((", "]",  "0x", "1e",    "1e+", ".",
    };
    for (size_t i = 0; i < sizeof(cuts) / sizeof(cuts[0]); i++)
        for (int d = 0; d < 2; d++)
            sql_fingerprint(n, cuts[i], strlen(cuts[i]), (enum sql_dialect)d);

    uint64_t rng = 88172645463325252ull;
    char buf[256];
    static const char alphabet[] = "'\"`[]()$%:?-/*,;.E X&U0123456789abc\\\n\t\x01\xff";
    for (int round = 0; round < 20000; round++) {
        size_t len = 0;
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        len = rng % sizeof(buf);
        for (size_t k = 0; k < len; k++) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            buf[k] = round % 2 ? (char)rng : alphabet[rng % (sizeof(alphabet) - 1)];
        }
        sql_normalize(n, buf, len, (enum sql_dialect)(round % 2));
        CHECK(strlen(n->text) == n->len);
    }
}

int main(void)
{
    struct sql_norm n = {0};
    size_t ngroups = sizeof(groups) / sizeof(groups[0]);
    uint64_t *fps = calloc(ngroups, sizeof(*fps));

    for (size_t g = 0; g < ngroups; g++) {
        const struct group *gr = &groups[g];
        for (int i = 0; i < MAX_TEXTS && gr->texts[i]; i++) {
            const char *t = gr->texts[i];
            uint64_t fp = sql_fingerprint(&n, t, strlen(t), gr->db);
            if (i == 0) {
                fps[g] = fp;
            } else if (fp != fps[g]) {
                fprintf(stderr, "group %zu: a different fingerprint for\n  %s\nthan for\n  %s\n", g,
                        t, gr->texts[0]);
                check_failures++;
            }
        }
        for (size_t o = 0; o < g; o++) {
            if (groups[o].db != gr->db || fps[o] != fps[g]) continue;
            fprintf(stderr, "groups %zu and %zu: the same fingerprint for\n  %s\nand\n  %s\n", o, g,
                    groups[o].texts[0], gr->texts[0]);
            check_failures++;
        }
    }
    free(fps);

    for (size_t i = 0; i < sizeof(norms) / sizeof(norms[0]); i++) {
        const struct norm_case *c = &norms[i];
        sql_normalize(&n, c->text, strlen(c->text), c->db);
        CHECK_STR(n.text, c->normalized);
        if (n.kind != c->kind || n.last_txn != c->last_txn) {
            fprintf(stderr, "%s: kind %s, last_txn %s; expected %s, %s\n", c->text,
                    sql_kind_name(n.kind), sql_kind_name(n.last_txn), sql_kind_name(c->kind),
                    sql_kind_name(c->last_txn));
            check_failures++;
        }
    }

    /* libpg_query is what fingerprints PostgreSQL's statements. */
    uint64_t fp = 0;
    CHECK(sql_pg_fingerprint("SELECT 1", 8, &fp) && fp != 0);
    CHECK(!sql_pg_fingerprint("SELECT ?", 8, &fp));
    char hex[17];
    CHECK_STR(sql_fingerprint_hex(0xab, hex), "00000000000000ab");

    garbage(&n);
    sql_norm_free(&n);
    CHECK_DONE();
}
