/* SPDX-License-Identifier: MIT */
/*
 * text.c - making bytes from logs and the file system safe to print (see
 * text.h).  ASCII is looked at byte by byte; bytes >= 0x80 are decoded as
 * UTF-8 and kept whole when valid and not a control.
 */
#include "base/text.h"

#include <string.h>

size_t utf8_sequence(const uint8_t *s, size_t n, uint32_t *cp)
{
    uint8_t c = s[0];
    size_t len;
    uint32_t v;
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
        v = c & 0x1f;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        v = c & 0x0f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        v = c & 0x07;
    } else {
        return 0;
    }
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        v = v << 6 | (s[i] & 0x3f);
    }
    if ((len == 3 && v < 0x800) || (len == 4 && v < 0x10000)) return 0; /* overlong */
    if (v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
    *cp = v;
    return len;
}

int text_unsafe(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x061c || cp == 0x200e ||
           cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

size_t text_clean(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    static const char replacement[] = "\xef\xbf\xbd"; /* U+FFFD */
    size_t o = 0;
    for (size_t i = 0; i < len && p[i];) {
        const char *put = (const char *)p + i;
        size_t step = 1, n = 1;
        uint32_t cp = p[i];
        if (p[i] >= 0x80) {
            step = n = utf8_sequence(p + i, len - i, &cp);
            if (!step) {
                put = replacement;
                n = 3;
                step = 1;
            }
        }
        if (text_unsafe(cp) && put != replacement) {
            put = "?";
            n = 1;
        }
        if (o + n >= outlen) {
            /* No room: end with "..." (outlen >= 4), after a whole character. */
            if (o > outlen - 4) o = outlen - 4;
            while (o > 0 && ((uint8_t)out[o] & 0xc0) == 0x80)
                o--;
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        memcpy(out + o, put, n);
        o += n;
        i += step;
    }
    out[o] = '\0';
    return o;
}

const char *text_safe(const char *s, char *buf, size_t len)
{
    text_clean((const uint8_t *)s, strlen(s), buf, len);
    return buf;
}

int text_number(const char **pp, const char *end, int base, uint64_t *out)
{
    const char *p = *pp;
    uint64_t v = 0;
    int digits = 0;
    for (; p < end; p++, digits++) {
        int d;
        if (*p >= '0' && *p <= '9')
            d = *p - '0';
        else if (base == 16 && *p >= 'a' && *p <= 'f')
            d = *p - 'a' + 10;
        else if (base == 16 && *p >= 'A' && *p <= 'F')
            d = *p - 'A' + 10;
        else
            break;
        if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) return -1;
        v = v * (uint64_t)base + (uint64_t)d;
    }
    if (!digits) return -1;
    *pp = p;
    *out = v;
    return 0;
}
