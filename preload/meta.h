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

/* A record (type, its body's length, its body) at out, and the bodies of
 * some, at p: each returns the end of what it wrote. */
struct utsname;
uint8_t *ws_meta_record(uint8_t *out, unsigned type, const uint8_t *body, const uint8_t *end);
uint8_t *ws_body_process(uint8_t *p, const char *exe, size_t elen, const char *args, size_t alen);
uint8_t *ws_body_host(uint8_t *p, const struct utsname *u);
uint8_t *ws_body_clock(uint8_t *p, uint64_t ts, uint64_t mono_ns, uint64_t real_ns);
uint8_t *ws_body_end(uint8_t *p, int kind, int64_t status, uint64_t ts);

#endif
