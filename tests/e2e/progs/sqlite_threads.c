/* SPDX-License-Identifier: MIT */
/*
 * sqlite_threads.c - e2e program: statements prepared, reset and finalized
 * by one thread (B) while another (A) runs them.
 *
 * 1. B prepares S1 "select 'one' as first"; A runs it; B finalizes S1 and
 *    prepares S2 "select 'two' as second" (often at S1's address, with its
 *    text at S1's text's address); A runs S2: its text must be S2's.
 * 2. A steps S3 once (a row: the execution is left open); B resets S3; 300
 *    ms later A runs S3 again to its end (5 rows): a fast execution, not
 *    one of 300 ms.  The first, whose end nobody saw, is counted as lost.
 * 3. Then B steps S4 once (left open), runs S5 "select reset_s4()", whose
 *    function resets S4 (inside SQLite's step of S5), and runs S4 again to
 *    its end: two executions of S4, 1 row and 3.
 * Prints what A saw, and what B saw in 3.
 * With the argument "single", only 3, in a process of one thread.
 */
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>

static sqlite3 *db;
static sqlite3_stmt *stmt;
static sem_t to_a, to_b;

static void *thread_a(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2; i++) { /* S1, then S2 */
        sem_wait(&to_a);
        if (sqlite3_step(stmt) == SQLITE_ROW) printf("A: %s\n", sqlite3_column_text(stmt, 0));
        sqlite3_reset(stmt);
        sem_post(&to_b);
    }
    sem_wait(&to_a); /* S3: one row, left open */
    printf("A: first step %d\n", sqlite3_step(stmt));
    sem_post(&to_b);
    sem_wait(&to_a); /* after B's reset: S3 again, to its end */
    int rows = 0, rc;
    while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
        rows++;
    printf("A: %d rows, rc %d\n", rows, rc);
    sqlite3_reset(stmt);
    sem_post(&to_b);
    return NULL;
}

static sqlite3_stmt *s4;

static void reset_s4(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    (void)argv;
    sqlite3_result_int(ctx, sqlite3_reset(s4));
}

/* 3: S4 reset inside S5's step, by the function S5 calls. */
static void reset_inside(void)
{
    sqlite3_stmt *s5;
    sqlite3_create_function(db, "reset_s4", 0, SQLITE_UTF8, NULL, reset_s4, NULL, NULL);
    sqlite3_prepare_v2(db,
                       "with recursive d(y) as (select 1 union all select y + 1 from d "
                       "where y < 3) select y from d",
                       -1, &s4, NULL);
    sqlite3_prepare_v2(db, "select reset_s4()", -1, &s5, NULL);
    printf("B: first step %d\n", sqlite3_step(s4));
    printf("B: reset inside %d\n", sqlite3_step(s5));
    sqlite3_finalize(s5);
    int rows = 0, rc;
    while ((rc = sqlite3_step(s4)) == SQLITE_ROW)
        rows++;
    printf("B: %d rows, rc %d\n", rows, rc);
    sqlite3_finalize(s4);
}

static void prepare(const char *sql)
{
    if (sqlite3_prepare_v2(db, sql, -1, &stmt, NULL) != SQLITE_OK) {
        fprintf(stderr, "prepare: %s\n", sqlite3_errmsg(db));
        _exit(1);
    }
}

int main(int argc, char **argv)
{
    pthread_t a;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK) return 1;
    if (argc > 1 && argv[1][0] == 's') { /* single */
        reset_inside();
        sqlite3_close(db);
        return 0;
    }
    sem_init(&to_a, 0, 0);
    sem_init(&to_b, 0, 0);
    pthread_create(&a, NULL, thread_a, NULL);
    prepare("select 'one' as first");
    sem_post(&to_a);
    sem_wait(&to_b);
    sqlite3_finalize(stmt);
    prepare("select 'two' as second");
    sem_post(&to_a);
    sem_wait(&to_b);
    sqlite3_finalize(stmt);
    prepare("with recursive c(x) as (select 1 union all select x + 1 from c where x < 5) "
            "select x from c");
    sem_post(&to_a);
    sem_wait(&to_b);
    sqlite3_reset(stmt);
    usleep(300000);
    sem_post(&to_a);
    sem_wait(&to_b);
    pthread_join(a, NULL);
    sqlite3_finalize(stmt);
    reset_inside();
    sqlite3_close(db);
    return 0;
}
