/* SPDX-License-Identifier: MIT */
/*
 * test_json.c - the JSON writer: string escaping (quotes, backslashes,
 * control characters, C1 and bidi controls, invalid UTF-8) and the commas
 * between members.
 */
#include "check.h"
#include "report/json.h"

#include <stdlib.h>

/* s[0..len) written as a JSON string. */
static const char *esc(const char *s, size_t len)
{
    static char *out;
    size_t n;
    free(out);
    FILE *f = open_memstream(&out, &n);
    json_write_string(f, s, len);
    fclose(f);
    return out;
}

#define ESC(lit) esc(lit, sizeof(lit) - 1)

int main(void)
{
    CHECK_STR(ESC("plain"), "\"plain\"");
    CHECK_STR(ESC("a\"b\\c"), "\"a\\\"b\\\\c\"");
    CHECK_STR(ESC("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
    CHECK_STR(ESC("\x01\x1f"), "\"\\u0001\\u001f\"");
    CHECK_STR(ESC("nul\0byte"), "\"nul\\u0000byte\"");
    CHECK_STR(ESC("caf\xc3\xa9 \xe2\x89\xa5 \xf0\x9f\x98\x80"),
              "\"caf\xc3\xa9 \xe2\x89\xa5 \xf0\x9f\x98\x80\"");
    CHECK_STR(ESC("bad\xff"), "\"bad\\ufffd\"");
    CHECK_STR(ESC("\xc3"), "\"\\ufffd\"");                                  /* cut sequence */
    CHECK_STR(ESC("\xc0\xaf"), "\"\\ufffd\\ufffd\"");                       /* overlong */
    CHECK_STR(ESC("\xed\xa0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");            /* surrogate */
    CHECK_STR(ESC("\xf4\x90\x80\x80"), "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
    /* Kept, escaped: DEL, C1 controls, bidi overrides, line separators. */
    CHECK_STR(ESC("\x7f\xc2\x9b\xe2\x80\xae\xe2\x81\xa6\xe2\x80\xa8"),
              "\"\\u007f\\u009b\\u202e\\u2066\\u2028\"");

    char *out;
    size_t n;
    FILE *f = open_memstream(&out, &n);
    struct json j;
    json_init(&j, f);
    json_begin_object(&j);
    json_key(&j, "a");
    json_int(&j, -5);
    json_key(&j, "b");
    json_begin_array(&j);
    json_uint(&j, UINT64_MAX);
    json_null(&j);
    json_bool(&j, 1);
    json_begin_array(&j);
    json_int(&j, 1);
    json_int(&j, 2);
    json_end_array(&j);
    json_end_array(&j);
    json_key(&j, "c");
    json_str(&j, NULL);
    json_end_object(&j);
    fclose(f);
    CHECK_STR(out, "{\n  \"a\":-5,\n  \"b\":[\n    18446744073709551615,\n    null,\n    true,\n"
                   "    [1,2]\n  ],\n  \"c\":null\n}\n");
    free(out);
    esc("", 0);
    CHECK_DONE();
}
