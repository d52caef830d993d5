/* SPDX-License-Identifier: MIT */
/*
 * meta.h - the metadata records of a log (meta.c).
 */
#ifndef WHYSLOW_META_H
#define WHYSLOW_META_H

#include <stddef.h>
#include <stdint.h>

int ws_meta_init(void);
const uint8_t *ws_meta_take(size_t *len);
void ws_meta_process_self(void);       /* the exe and arguments /proc/self gives */
void ws_meta_process_given(int pidfd); /* those the program put in the region */
void ws_meta_clock(uint64_t ts, uint64_t mono_ns, uint64_t real_ns);
void ws_meta_clock_now(void);
int ws_meta_maps(int force);
int ws_meta_given(void);
int ws_meta_region(int memfd);
void ws_meta_lost(int force);
void ws_meta_counters(int final);
void ws_meta_string(const void *s, size_t n);
int ws_meta_pending(void);
void ws_meta_end(int kind, int64_t status, uint64_t ts);
void ws_meta_stopped(uint64_t ts, unsigned sig);
void ws_meta_gone(uint64_t ts);
void ws_meta_title(void);
void ws_meta_jitmap(void); /* at the end: the names of JIT code */
void ws_meta_unfinished(uint64_t seen);
void ws_meta_sched(int final);

#endif
