/* SPDX-License-Identifier: MIT */
/*
 * serve.h - `whyslow record` serving the flushers of the processes it
 * traces (serve.c; the protocol is include/whyslow/serve.h).
 */
#ifndef WHYSLOW_CLI_SERVE_H
#define WHYSLOW_CLI_SERVE_H

#include <stddef.h>
#include <sys/types.h>

struct server;

/* The recorder library, loaded to serve; NULL with why in msg. */
void *server_load(const char *lib, char *msg, size_t len);

/* Listens on a new abstract socket, whose name ("@...", for WHYSLOW_SOCK)
 * goes to name; logs go to dirfd (dir in messages).  NULL with why in msg. */
struct server *server_start(void *lib, int dirfd, const char *dir, char *name, size_t len,
                            char *msg, size_t msglen);

/* What to poll for processes that ask: the listening socket, or the
 * connection of one whose hello waits for fds; -1 while the queue is full
 * or no fds are left for one more (serve.c). */
int server_fd(const struct server *s);

/* In a burst of processes, how often to call server_accept() (ms) rather
 * than polling server_fd() (serve.c says why); else -1. */
int server_tick_ms(const struct server *s);

/* Serves every process that asked: hands it a flusher, puts it in the
 * queue for one, or refuses; none while server_fd() says -1. */
void server_accept(struct server *s);

/* The pipe on which flushers say they are free again, and what to call
 * when it is readable.  To poll while a process waits for a flusher
 * (server_wait_ms() is not -1) and while record waits for the last ones:
 * otherwise it is read at the next process's turn (server_accept()). */
int server_done_fd(const struct server *s);
void server_take_done(struct server *s);

/* How long to wait (ms; -1: for ever) before calling server_take_done()
 * and server_fd() again even though nothing came: a process waits for a
 * flusher, or record is short of fds. */
int server_wait_ms(const struct server *s);

/* A child of ours ended with status: 1 if it was a flusher. */
int server_reaped(struct server *s, pid_t pid, int status);

/* Processes being served, or waiting for a flusher. */
size_t server_flushers(const struct server *s);

/* Processes served whose flusher could not create their log. */
unsigned server_unwritten(const struct server *s);

/* Processes that ended before their first event and that record could not
 * take (their closing hello came while it could not queue, fork or hand
 * it over, or it could not be read): they have no log. */
unsigned server_untaken(const struct server *s);

/* Processes served whose flusher was killed by a signal while serving
 * them: their log is lost, or cut. */
unsigned server_killed(const struct server *s);

/* Processes that ended without waiting for record's answer, sure to be
 * served (whyslow/serve.h), that record could not serve all the same (out
 * of processes or memory, a region it could not map, or a process that
 * judged wrongly): they have no log. */
unsigned server_lost(const struct server *s);

/* Whether processes still asked when record was done, which it could not
 * take for want of fds (how many, only taking them would tell): they have
 * no log. */
int server_left_asking(const struct server *s);

void server_free(struct server *s);

#endif
