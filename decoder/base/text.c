/*
 * text.c - make log bytes printable on one line.  Bytes >= 0x80 are kept
 * (UTF-8 file names); the JSON writer repairs invalid UTF-8 itself.
 */
#include "base/text.h"

#include <string.h>

size_t text_clean(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    size_t o = 0;
    for (size_t i = 0; i < len && p[i]; i++) {
        if (o + 1 >= outlen) {
            /* No room: end with "..." (outlen >= 4). */
            o = outlen - 4;
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        out[o++] = p[i] < 0x20 || p[i] == 0x7f ? '?' : (char)p[i];
    }
    out[o] = '\0';
    return o;
}
