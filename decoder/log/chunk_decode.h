/* SPDX-License-Identifier: MIT */
/*
 * chunk_decode.h - the records inside one decompressed chunk: event
 * records (EVENTS chunks) and metadata records (META chunks), as laid
 * out in format.h.  Each returns 0, or -1 with a reason after keeping
 * every record decoded before the bad one.
 */
#ifndef WHYSLOW_CHUNK_DECODE_H
#define WHYSLOW_CHUNK_DECODE_H

#include "log/process.h"

#include <whyslow/format.h>

#include <stddef.h>
#include <stdint.h>

/* What decode_events and decode_meta return: 0, -1 at damage (a record
 * that does not decode), or DECODE_BOUND when the log holds more records
 * than log_read.h's bound lets the decoder read (why then says so whole). */
#define DECODE_BOUND (-2)

/* Checks the records of an EVENTS chunk and adds the chunk to p->chunks:
 * ref says where its frame is (thread, tid, seq, base_ts, frame, csize,
 * raw_size, index); the count of good records and their start times are
 * filled in here.  The events themselves are not kept: a timeline decodes
 * them again (decode_record). */
int decode_events(struct ws_process *p, struct ws_chunk_ref *ref, const uint8_t *raw, size_t len,
                  char *why, size_t whylen);

enum record_status {
    RECORD_OK = 0,
    RECORD_BAD_CALL = -1,    /* an unknown call id */
    RECORD_CUT = -2,         /* the record runs past the chunk's end */
    RECORD_BAD_STRING = -3,  /* a payload names a string not (yet) defined */
    RECORD_BAD_STACK = -4,   /* a stack that is no whole number of frames */
    RECORD_BAD_PAYLOAD = -5, /* a payload longer than WS_PAYLOAD_MAX */
};

/* Decodes the event record at *pp (before end) into ev, with its raw
 * start time in ev->at (and its raw aux2, 0 without WS_CALL_HAS_AUX), and
 * advances *pp.  Interned payloads are looked up
 * in p's strings.  *ts and *caller carry the
 * running start time and caller from record to record (they start at the
 * chunk's base_ts and 0).  ev->thread and ev->tid are left alone. */
enum record_status decode_record(const struct ws_process *p, const uint8_t **pp, const uint8_t *end,
                                 uint64_t *ts, uint64_t *caller, struct ws_event *ev);

int decode_meta(struct ws_process *p, const uint8_t *raw, size_t len, char *why, size_t whylen);

#endif
