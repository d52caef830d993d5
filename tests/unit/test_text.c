/* SPDX-License-Identifier: MIT */
/*
 * test_text.c - text_clean (base/text.h): what reaches a terminal.  Valid
 * UTF-8 is kept; controls of every kind become '?', bytes that are not
 * UTF-8 U+FFFD; a string cut short ends with "..." after a whole
 * character.
 */
#include "base/text.h"
#include "check.h"

#include <string.h>

/* lit cleaned into a buffer of outlen bytes. */
static const char *clean(const char *lit, size_t len, size_t outlen)
{
    static char out[256];
    text_clean((const uint8_t *)lit, len, out, outlen);
    return out;
}

#define CLEAN(lit)       clean(lit, sizeof(lit) - 1, 256)
#define CLEAN_IN(lit, n) clean(lit, sizeof(lit) - 1, n)

int main(void)
{
    CHECK_STR(CLEAN("plain /tmp/x.log"), "plain /tmp/x.log");
    CHECK_STR(CLEAN("caf\xc3\xa9 \xe2\x89\xa5 \xf0\x9f\x98\x80"),
              "caf\xc3\xa9 \xe2\x89\xa5 \xf0\x9f\x98\x80");
    /* C0 controls, ESC sequences, DEL. */
    CHECK_STR(CLEAN("a\tb\nc\x1b[2J\x07\x7f"), "a?b?c?[2J??");
    CHECK_STR(CLEAN("stop\0here"), "stop");
    /* C1: U+009B (CSI) as UTF-8; 0x9b alone is no UTF-8. */
    CHECK_STR(CLEAN("\xc2\x9b"
                    "31m"),
              "?31m");
    CHECK_STR(CLEAN("\x9b"
                    "31m"),
              "\xef\xbf\xbd"
              "31m");
    CHECK_STR(CLEAN("\xc2\x80\xc2\x9f\xc2\xa0"), "??\xc2\xa0"); /* U+00A0 is printable */
    /* Bidi marks and overrides, line separators. */
    CHECK_STR(CLEAN("a\xe2\x80\xae"
                    "b\xe2\x81\xa6"
                    "c\xe2\x81\xa9"
                    "d\xe2\x80\x8e\xe2\x80\x8f\xd8\x9c"),
              "a?b?c?d???");
    CHECK_STR(CLEAN("\xe2\x80\xaa\xe2\x80\xab\xe2\x80\xac\xe2\x80\xad\xe2\x80\xa8\xe2\x80\xa9"),
              "??????");
    CHECK_STR(CLEAN("\xe2\x80\x8d"), "\xe2\x80\x8d"); /* a joiner reorders nothing */
    /* Not UTF-8: a cut sequence, overlong forms, surrogates, past U+10FFFF. */
    CHECK_STR(CLEAN("x\xc3"), "x\xef\xbf\xbd");
    CHECK_STR(CLEAN("\xc0\xaf"), "\xef\xbf\xbd\xef\xbf\xbd");
    CHECK_STR(CLEAN("\xed\xa0\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    CHECK_STR(CLEAN("\xf4\x90\x80\x80"), "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    /* Cut short: "...", never inside a character. */
    CHECK_STR(CLEAN_IN("abcdefgh", 8), "abcd...");
    CHECK_STR(CLEAN_IN("abcdefg", 8), "abcdefg");
    CHECK_STR(CLEAN_IN("ab\xc3\xa9\xc3\xa9\xc3\xa9", 8), "ab\xc3\xa9...");
    CHECK_STR(CLEAN_IN("abc\xe2\x89\xa5xyz", 8), "abc...");
    CHECK_STR(CLEAN_IN("\xff\xff\xff", 7), "\xef\xbf\xbd...");
    char buf[8];
    CHECK_STR(text_safe("a\x1b"
                        "b",
                        buf, sizeof(buf)),
              "a?b");
    CHECK_DONE();
}
