/* SPDX-License-Identifier: MIT */
/*
 * pq_async.c - libpq's asynchronous API, for the end-to-end tests: known
 * numbers of each statement sent with PQsendQuery, PQsendQueryParams,
 * PQsendPrepare/PQsendQueryPrepared, a non-blocking event loop (poll on
 * PQsocket, PQconsumeInput, PQisBusy) and pipeline mode, results read with
 * PQgetResult.  Connects with the libpq environment (PGHOST, PGUSER,
 * PGDATABASE).  Prints every result, so the test can compare traced and
 * untraced runs; exits non-zero on any unexpected result.
 *
 * The statements and how many times each runs (rows in all):
 *   PQexec: create temp table item (...)                          1 (0)
 *   PQexec: insert into item select ... generate_series(1, 20)    1 (0)
 *   select id, name from item order by id                        1 (20)
 *   select 1 as a; select 2 as b  (two results, one send)         1 (2)
 *   select name from item where id = $1                           5 (5)
 *   select id, name from item where id = $1   (prepared "byid")   3 (3)
 *   select count(*) from item where id > $1  (non-blocking loop)  2 (2)
 *   select $1::int * 2  (pipeline mode)                           4 (4)
 */
#include <libpq-fe.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static PGconn *conn;

static void die(const char *what)
{
    fprintf(stderr, "pq_async: %s: %s", what, PQerrorMessage(conn));
    PQfinish(conn);
    exit(1);
}

/* Prints a result's rows on one line. */
static void print_result(const char *label, PGresult *res)
{
    printf("%s: %s", label, PQresStatus(PQresultStatus(res)));
    for (int r = 0; r < PQntuples(res); r++) {
        printf(" [");
        for (int c = 0; c < PQnfields(res); c++)
            printf("%s%s", c ? "," : "", PQgetvalue(res, r, c));
        printf("]");
    }
    printf("\n");
}

/* Reads every result of the query sent last, up to PQgetResult's NULL;
 * returns how many there were. */
static int drain(const char *label)
{
    int n = 0;
    PGresult *res;
    while ((res = PQgetResult(conn)) != NULL) {
        ExecStatusType st = PQresultStatus(res);
        if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) die(label);
        print_result(label, res);
        PQclear(res);
        n++;
    }
    return n;
}

static void exec(const char *sql)
{
    PGresult *res = PQexec(conn, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK) die(sql);
    PQclear(res);
}

/* The event loop of a non-blocking client: send, flush, then wait on the
 * socket until the whole result is in. */
static void nonblocking_count(int above)
{
    char value[16];
    snprintf(value, sizeof value, "%d", above);
    const char *params[1] = {value};
    if (!PQsendQueryParams(conn, "select count(*) from item where id > $1", 1, NULL, params, NULL,
                           NULL, 0))
        die("PQsendQueryParams (non-blocking)");
    int flushing;
    while ((flushing = PQflush(conn)) == 1) {
        struct pollfd p = {.fd = PQsocket(conn), .events = POLLOUT | POLLIN};
        if (poll(&p, 1, 5000) < 0) die("poll");
        if ((p.revents & POLLIN) && !PQconsumeInput(conn)) die("PQconsumeInput");
    }
    if (flushing < 0) die("PQflush");
    while (PQisBusy(conn)) {
        struct pollfd p = {.fd = PQsocket(conn), .events = POLLIN};
        if (poll(&p, 1, 5000) <= 0) die("poll");
        if (!PQconsumeInput(conn)) die("PQconsumeInput");
    }
    if (drain("nonblocking") != 1) die("non-blocking: one result expected");
}

static void pipeline(void)
{
    if (!PQenterPipelineMode(conn)) die("PQenterPipelineMode");
    for (int i = 1; i <= 4; i++) {
        char value[16];
        snprintf(value, sizeof value, "%d", i * 10);
        const char *params[1] = {value};
        if (!PQsendQueryParams(conn, "select $1::int * 2", 1, NULL, params, NULL, NULL, 0))
            die("PQsendQueryParams (pipeline)");
    }
    if (!PQpipelineSync(conn)) die("PQpipelineSync");
    /* Each query: its result, then NULL; then the sync's own result. */
    for (int i = 0; i < 4; i++) {
        PGresult *res = PQgetResult(conn);
        if (res == NULL || PQresultStatus(res) != PGRES_TUPLES_OK) die("pipeline result");
        print_result("pipeline", res);
        PQclear(res);
        if ((res = PQgetResult(conn)) != NULL) die("pipeline: NULL expected after a result");
    }
    PGresult *res = PQgetResult(conn);
    if (res == NULL || PQresultStatus(res) != PGRES_PIPELINE_SYNC) die("pipeline sync");
    PQclear(res);
    if (!PQexitPipelineMode(conn)) die("PQexitPipelineMode");
}

int main(void)
{
    conn = PQconnectdb("");
    if (PQstatus(conn) != CONNECTION_OK) die("PQconnectdb");

    exec("create temp table item (id int primary key, name text not null)");
    exec("insert into item select g, 'item ' || g from generate_series(1, 20) g");

    if (!PQsendQuery(conn, "select id, name from item order by id")) die("PQsendQuery");
    if (drain("all") != 1) die("one result expected");

    if (!PQsendQuery(conn, "select 1 as a; select 2 as b")) die("PQsendQuery (two)");
    if (drain("two") != 2) die("two results expected");

    for (int i = 1; i <= 5; i++) {
        char value[16];
        snprintf(value, sizeof value, "%d", i);
        const char *params[1] = {value};
        if (!PQsendQueryParams(conn, "select name from item where id = $1", 1, NULL, params, NULL,
                               NULL, 0))
            die("PQsendQueryParams");
        drain("params");
    }

    if (!PQsendPrepare(conn, "byid", "select id, name from item where id = $1", 1, NULL))
        die("PQsendPrepare");
    drain("prepare");
    for (int i = 6; i <= 8; i++) {
        char value[16];
        snprintf(value, sizeof value, "%d", i);
        const char *params[1] = {value};
        if (!PQsendQueryPrepared(conn, "byid", 1, params, NULL, NULL, 0))
            die("PQsendQueryPrepared");
        drain("prepared");
    }

    if (PQsetnonblocking(conn, 1) != 0) die("PQsetnonblocking");
    nonblocking_count(10);
    nonblocking_count(15);
    if (PQsetnonblocking(conn, 0) != 0) die("PQsetnonblocking");

    pipeline();

    PQfinish(conn);
    printf("done\n");
    return 0;
}
