/* SPDX-License-Identifier: MIT */
/*
 * pool_exhaustion.c - whyslow example: a connection pool that runs dry.
 *
 * A pool of POOL SQLite connections to one database file (a stack of free
 * connections behind a mutex, and a condition variable to wait on when it
 * is empty) serves THREADS worker threads.  Each worker, ROUNDS times,
 * checks a connection out, runs a query, then formats its result, slowly
 * (a 20 ms sleep standing for slow work that is not database work), while
 * still holding the connection, and only then gives it back.  With fewer
 * connections than threads, most threads spend most of their time waiting
 * for one; whyslow's report has a pool_exhaustion finding: the pool of 2
 * connections to the file, the waits, and what to do.
 *
 * usage: pool_exhaustion [POOL [THREADS]]   (default 2 and 6; a pool as
 * big as the threads never runs dry).  The file is removed at the end.
 */
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define POOL_MAX  64
#define ROUNDS    4
#define WORK_USEC 20000 /* the slow formatting, connection held */

struct pool {
    pthread_mutex_t mu;
    pthread_cond_t avail; /* signalled when a connection comes back */
    sqlite3 *free[POOL_MAX];
    int nfree;
};

static struct pool pool = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0};

static void die(sqlite3 *db, const char *what)
{
    fprintf(stderr, "pool_exhaustion: %s: %s\n", what, db ? sqlite3_errmsg(db) : "failed");
    exit(1);
}

static sqlite3 *checkout(void)
{
    pthread_mutex_lock(&pool.mu);
    while (pool.nfree == 0)
        pthread_cond_wait(&pool.avail, &pool.mu);
    sqlite3 *db = pool.free[--pool.nfree];
    pthread_mutex_unlock(&pool.mu);
    return db;
}

static void checkin(sqlite3 *db)
{
    pthread_mutex_lock(&pool.mu);
    pool.free[pool.nfree++] = db;
    pthread_cond_signal(&pool.avail);
    pthread_mutex_unlock(&pool.mu);
}

static long count_orders(sqlite3 *db, long customer)
{
    sqlite3_stmt *st;
    long n = 0;
    if (sqlite3_prepare_v2(db, "select count(*) from orders where customer = ?", -1, &st, NULL))
        die(db, "prepare");
    sqlite3_bind_int64(st, 1, customer);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void *worker(void *arg)
{
    long id = (long)arg, total = 0;
    for (int i = 0; i < ROUNDS; i++) {
        sqlite3 *db = checkout();
        total += count_orders(db, id);
        usleep(WORK_USEC); /* "format the report": the connection stays checked out */
        checkin(db);
    }
    return (void *)total;
}

int main(int argc, char **argv)
{
    int size = argc > 1 ? atoi(argv[1]) : 2, nthreads = argc > 2 ? atoi(argv[2]) : 6;
    if (size < 1 || size > POOL_MAX || nthreads < 1 || nthreads > 256) {
        fprintf(stderr, "usage: pool_exhaustion [POOL (1-%d) [THREADS (1-256)]]\n", POOL_MAX);
        return 2;
    }
    char path[] = "/tmp/pool_exhaustion-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0) die(NULL, "mkstemp");
    close(fd);

    for (int i = 0; i < size; i++) {
        sqlite3 *db;
        if (sqlite3_open(path, &db) != SQLITE_OK) die(db, "open");
        sqlite3_busy_timeout(db, 5000);
        pool.free[pool.nfree++] = db;
    }
    if (sqlite3_exec(pool.free[0],
                     "create table orders (id integer primary key, customer int);"
                     "insert into orders (customer) select value % 8 from "
                     "(with recursive n(value) as (select 1 union all select value + 1 from n "
                     "where value < 200) select value from n);",
                     NULL, NULL, NULL) != SQLITE_OK)
        die(pool.free[0], "create");

    pthread_t t[256];
    for (long i = 0; i < nthreads; i++)
        pthread_create(&t[i], NULL, worker, (void *)i);
    long orders = 0;
    for (int i = 0; i < nthreads; i++) {
        void *r;
        pthread_join(t[i], &r);
        orders += (long)r;
    }
    printf("%d threads counted %ld orders with a pool of %d connections\n", nthreads, orders, size);
    for (int i = 0; i < pool.nfree; i++)
        sqlite3_close(pool.free[i]);
    unlink(path);
    return 0;
}
