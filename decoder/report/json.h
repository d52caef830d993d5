/* SPDX-License-Identifier: MIT */
/*
 * json.h - a small streaming JSON writer for `whyslow report --json`.
 * Strings are escaped properly (quotes, backslashes, control characters)
 * and invalid UTF-8 becomes U+FFFD, since paths and argv can hold any
 * bytes.  The two outer levels are written one member per line (none
 * with json_init_flat: a whole value on one line).
 */
#ifndef WHYSLOW_JSON_H
#define WHYSLOW_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 32

struct json {
    FILE *f;
    int depth;
    int count[JSON_MAX_DEPTH]; /* members written so far at each level */
    int after_key;
    int lines; /* levels written one member per line */
};

void json_init(struct json *j, FILE *f);
void json_init_flat(struct json *j, FILE *f);
void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);
void json_key(struct json *j, const char *key);
void json_str(struct json *j, const char *s); /* NULL writes null */
void json_strn(struct json *j, const char *s, size_t len);
void json_int(struct json *j, int64_t v);
void json_uint(struct json *j, uint64_t v);
void json_hex(struct json *j, uint64_t v); /* an address: the string "0x1a2b" */
void json_bool(struct json *j, int v);
void json_null(struct json *j);
/* part / whole as a number with 4 decimals ("0.6312"); 0 when whole is 0. */
void json_ratio(struct json *j, uint64_t part, uint64_t whole);

/* An object's member: its key, then its value. */
static inline void json_kv_str(struct json *j, const char *k, const char *v)
{
    json_key(j, k);
    json_str(j, v);
}
static inline void json_kv_int(struct json *j, const char *k, int64_t v)
{
    json_key(j, k);
    json_int(j, v);
}
static inline void json_kv_uint(struct json *j, const char *k, uint64_t v)
{
    json_key(j, k);
    json_uint(j, v);
}
static inline void json_kv_hex(struct json *j, const char *k, uint64_t v)
{
    json_key(j, k);
    json_hex(j, v);
}
static inline void json_kv_bool(struct json *j, const char *k, int v)
{
    json_key(j, k);
    json_bool(j, v);
}
static inline void json_kv_ratio(struct json *j, const char *k, uint64_t part, uint64_t whole)
{
    json_key(j, k);
    json_ratio(j, part, whole);
}

/* Writes s[0..len) as a quoted, escaped JSON string. */
void json_write_string(FILE *f, const char *s, size_t len);

#endif
