/* SPDX-License-Identifier: MIT */
/*
 * json.c - the JSON writer.  Values are written as they come; the writer
 * only tracks nesting to place commas and line breaks.
 *
 * Strings are the bytes they hold, as valid JSON: invalid UTF-8 becomes
 * U+FFFD; controls, and the code points text.h replaces for a terminal
 * (C1 controls, bidi overrides, line separators), are written as \u
 * escapes: a program reading the JSON gets them as they were, a terminal
 * showing the file shows the escape.  (`jq -r` writes them out again: it
 * is for programs.)
 */
#include "report/json.h"

#include "base/text.h"

#include <inttypes.h>
#include <string.h>

void json_init(struct json *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
    j->lines = 2;
}

void json_init_flat(struct json *j, FILE *f)
{
    json_init(j, f);
    j->lines = 0;
}

static void indent(struct json *j, int depth)
{
    fputc('\n', j->f);
    for (int i = 0; i < depth; i++)
        fputs("  ", j->f);
}

/* Separates a new member from the previous one at the current level. */
static void before_value(struct json *j)
{
    if (j->after_key) {
        j->after_key = 0;
        return;
    }
    if (j->depth == 0) return;
    if (j->count[j->depth]++) fputc(',', j->f);
    if (j->depth <= j->lines) indent(j, j->depth);
}

static void begin(struct json *j, char c)
{
    before_value(j);
    fputc(c, j->f);
    if (j->depth + 1 < JSON_MAX_DEPTH) j->depth++;
    j->count[j->depth] = 0;
}

static void end(struct json *j, char c)
{
    if (j->depth <= j->lines && j->count[j->depth]) indent(j, j->depth - 1);
    fputc(c, j->f);
    if (j->depth > 0) j->depth--;
    if (j->depth == 0) fputc('\n', j->f);
}

void json_begin_object(struct json *j)
{
    begin(j, '{');
}

void json_end_object(struct json *j)
{
    end(j, '}');
}

void json_begin_array(struct json *j)
{
    begin(j, '[');
}

void json_end_array(struct json *j)
{
    end(j, ']');
}

void json_key(struct json *j, const char *key)
{
    before_value(j);
    json_write_string(j->f, key, strlen(key));
    fputc(':', j->f);
    j->after_key = 1;
}

void json_write_string(FILE *f, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        if (c < 0x80) {
            switch (c) {
            case '"':
                fputs("\\\"", f);
                break;
            case '\\':
                fputs("\\\\", f);
                break;
            case '\n':
                fputs("\\n", f);
                break;
            case '\r':
                fputs("\\r", f);
                break;
            case '\t':
                fputs("\\t", f);
                break;
            case '\b':
                fputs("\\b", f);
                break;
            case '\f':
                fputs("\\f", f);
                break;
            default:
                if (c < 0x20 || c == 0x7f)
                    fprintf(f, "\\u%04x", c);
                else
                    fputc(c, f);
            }
            i++;
            continue;
        }
        uint32_t cp;
        size_t n = utf8_sequence(s + i, len - i, &cp);
        if (n && text_unsafe(cp)) {
            /* Kept, but as an escape: the string is the same to a program,
             * and `cat report.json` shows no C1 control or bidi override. */
            fprintf(f, "\\u%04x", (unsigned)cp);
            i += n;
        } else if (n) {
            fwrite(s + i, 1, n, f);
            i += n;
        } else {
            fputs("\\ufffd", f);
            i++;
        }
    }
    fputc('"', f);
}

void json_str(struct json *j, const char *s)
{
    if (!s) {
        json_null(j);
        return;
    }
    json_strn(j, s, strlen(s));
}

void json_strn(struct json *j, const char *s, size_t len)
{
    before_value(j);
    json_write_string(j->f, s, len);
}

void json_int(struct json *j, int64_t v)
{
    before_value(j);
    fprintf(j->f, "%" PRId64, v);
}

void json_uint(struct json *j, uint64_t v)
{
    before_value(j);
    fprintf(j->f, "%" PRIu64, v);
}

void json_ratio(struct json *j, uint64_t part, uint64_t whole)
{
    unsigned __int128 r = whole ? ((unsigned __int128)part * 10000 + whole / 2) / whole : 0;
    before_value(j);
    fprintf(j->f, "%" PRIu64 ".%04" PRIu64, (uint64_t)(r / 10000), (uint64_t)(r % 10000));
}

void json_bool(struct json *j, int v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->f);
}

void json_null(struct json *j)
{
    before_value(j);
    fputs("null", j->f);
}

void json_hex(struct json *j, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "0x%" PRIx64, v);
    json_str(j, buf);
}
