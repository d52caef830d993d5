/* SPDX-License-Identifier: MIT */
/*
 * bench_sqlite_many.c - a large log for the decoder's benchmark: N point
 * selects (`select v from t where id = ?`, one prepared statement reset and
 * bound again each time) on an in-memory SQLite table of ROWS rows.
 * Usage: bench_sqlite_many [N]  (default 1000000).  Prints "queries=Q
 * seconds=S": the queries it ran in all (setup included) and the time the
 * loop took.  tests/bench/run.sh records it, then times `whyslow report`
 * on the log.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ROWS 10000

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000000;
    sqlite3 *db;
    sqlite3_stmt *st;
    if (n <= 0) {
        fprintf(stderr, "usage: bench_sqlite_many [N]\n");
        return 2;
    }
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, "create table t (id integer primary key, v text not null)", NULL, NULL,
                     NULL) != SQLITE_OK ||
        sqlite3_exec(
            db,
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < 10000)"
            " insert into t select i, 'value ' || i from n",
            NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "select v from t where id = ?", -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "bench_sqlite_many: setup failed: %s\n", sqlite3_errmsg(db));
        return 1;
    }
    double t0 = now_s();
    long found = 0;
    for (long i = 0; i < n; i++) {
        sqlite3_bind_int(st, 1, (int)(i % ROWS) + 1);
        while (sqlite3_step(st) == SQLITE_ROW)
            found++;
        sqlite3_reset(st);
    }
    double secs = now_s() - t0;
    sqlite3_finalize(st);
    sqlite3_close(db);
    if (found != n) {
        fprintf(stderr, "bench_sqlite_many: %ld rows for %ld queries\n", found, n);
        return 1;
    }
    printf("queries=%ld seconds=%.3f\n", n + 2, secs);
    return 0;
}
