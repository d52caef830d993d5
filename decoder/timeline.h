/*
 * timeline.h - finishing a decoded process: timestamps become nanoseconds
 * since the process start (through the CLOCK records), the events of all
 * threads are merged in time order, thread names and counts are settled,
 * and every event gets its target from the fd model.
 */
#ifndef WHYSLOW_TIMELINE_H
#define WHYSLOW_TIMELINE_H

#include "process.h"

void timeline_finish(struct ws_process *p);

#endif
