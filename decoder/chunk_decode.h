/*
 * chunk_decode.h - the records inside one decompressed chunk: event
 * records (EVENTS chunks) and metadata records (META chunks), as laid
 * out in format.h.  Each returns 0, or -1 with a reason after keeping
 * every record decoded before the bad one.
 */
#ifndef WHYSLOW_CHUNK_DECODE_H
#define WHYSLOW_CHUNK_DECODE_H

#include "process.h"

#include <whyslow/format.h>

#include <stddef.h>
#include <stdint.h>

int decode_events(struct ws_process *p, const struct ws_chunk_header *h, const uint8_t *raw,
                  size_t len, char *why, size_t whylen);

int decode_meta(struct ws_process *p, const uint8_t *raw, size_t len, char *why, size_t whylen);

#endif
