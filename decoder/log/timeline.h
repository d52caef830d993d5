/* SPDX-License-Identifier: MIT */
/*
 * timeline.h - a decoded process in time order.
 *
 * timeline_finish() completes what log_read.c found: the clock (raw
 * timestamps to nanoseconds since the process start), each thread's
 * chunks in stream order, the end time and the thread count.
 *
 * A timeline then reads the process's events, of all threads merged, in
 * time order, each with its target from the fd model.  Events are decoded
 * from the log's bytes as they are read, so reading a timeline costs
 * memory for one chunk per thread, not for every event (a thread whose
 * start times go back also holds the events of a short window, see
 * timeline.c).  Reading one to
 * its end also settles the process: its duration (the end of its last
 * event), its threads' names and their uncontended lock counts.
 */
#ifndef WHYSLOW_TIMELINE_H
#define WHYSLOW_TIMELINE_H

#include "log/process.h"

void timeline_finish(struct ws_process *p);

struct timeline;

struct timeline *timeline_open(struct ws_process *p);

/* The next event in time order (ties: the lower thread serial first, then
 * the thread's own order); returns 0 after the last one.  ev->payload stays
 * valid until the next call. */
int timeline_next(struct timeline *tl, struct ws_event *ev);

void timeline_close(struct timeline *tl);

#endif
