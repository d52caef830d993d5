/* SPDX-License-Identifier: MIT */
/*
 * nplus1_sqlite.c - whyslow example: the N+1 query pattern, on SQLite.
 *
 * It builds a small library database in a temporary file (40 authors, 40
 * books), then prints the catalogue the slow way: one query for the books,
 * then, for each book, one more query for its author's name (a prepared
 * statement reset and bound again each time).  A JOIN would fetch it all in
 * one query; whyslow's report has an n_plus_one finding for the 40 author
 * lookups, naming the books query that drove them.  The file is removed at
 * the end.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BOOKS 40

static sqlite3 *db;

static void die(const char *what)
{
    fprintf(stderr, "nplus1_sqlite: %s: %s\n", what, db ? sqlite3_errmsg(db) : "no database");
    exit(1);
}

static void exec(const char *sql)
{
    if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) die(sql);
}

static sqlite3_stmt *prepare(const char *sql)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) die(sql);
    return st;
}

/* The library: author i wrote book i (one INSERT per table). */
static void create_library(void)
{
    char sql[512];
    exec("create table author (id integer primary key, name text not null)");
    exec("create table book (id integer primary key, title text not null,"
         " author_id integer not null references author(id))");
    snprintf(sql, sizeof sql,
             "with recursive n(i) as (select 1 union all select i + 1 from n where i < %d)"
             " insert into author select i, 'Author ' || i from n",
             BOOKS);
    exec(sql);
    snprintf(sql, sizeof sql,
             "with recursive n(i) as (select 1 union all select i + 1 from n where i < %d)"
             " insert into book select i, 'Book ' || i, i from n",
             BOOKS);
    exec(sql);
}

int main(void)
{
    char path[] = "/tmp/whyslow-nplus1-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) die("mkstemp");
    close(fd);
    if (sqlite3_open(path, &db) != SQLITE_OK) die(path);
    create_library();

    /* The N+1: one query for the books, one per book for its author. */
    sqlite3_stmt *books = prepare("select id, title, author_id from book order by id");
    sqlite3_stmt *author = prepare("select name from author where id = ?");
    int n = 0;
    while (sqlite3_step(books) == SQLITE_ROW) {
        sqlite3_bind_int(author, 1, sqlite3_column_int(books, 2));
        if (sqlite3_step(author) != SQLITE_ROW) die("author lookup");
        if (n < 3) /* the first few, to show what is read */
            printf("%-8s by %s\n", (const char *)sqlite3_column_text(books, 1),
                   (const char *)sqlite3_column_text(author, 0));
        sqlite3_reset(author);
        n++;
    }
    sqlite3_finalize(books);
    sqlite3_finalize(author);
    sqlite3_close(db);
    unlink(path);
    printf("...\n%d books listed with %d queries (a JOIN would take 1)\n", n, n + 1);
    return 0;
}
