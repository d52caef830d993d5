/* SPDX-License-Identifier: MIT */
/*
 * sql_redact.c - WHYSLOW_SQL=redact: literals out of SQL text, for logs
 * that leave the machine.
 *
 * Runs in the flusher, once per distinct text (texts are interned after
 * it), never in the program.  Strings ('..' with '' escapes, E'..', X'..',
 * PostgreSQL's $tag$..$tag$) and numbers become ?; comments are dropped;
 * identifiers, quoted ones included, keywords and placeholders stay.
 */
#include <ctype.h>
#include <string.h>

#include "sql_redact.h"

static int ident_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '$' || (unsigned char)c >= 0x80;
}

/* The end of a quoted run starting at s[i] (the quote), doubled quotes
 * being escapes; backslash escapes too when `backslash`. */
static size_t skip_quoted(const char *s, size_t n, size_t i, char q, int backslash)
{
    for (i++; i < n; i++) {
        if (backslash && s[i] == '\\') {
            i++;
        } else if (s[i] == q) {
            if (i + 1 < n && s[i + 1] == q)
                i++;
            else
                return i + 1;
        }
    }
    return n;
}

size_t ws_sql_redact_text(const char *s, size_t n, char *out)
{
    size_t o = 0, i = 0;
    while (i < n) {
        char c = s[i];
        int prev_ident = i > 0 && ident_char(s[i - 1]);
        if (c == '-' && i + 1 < n && s[i + 1] == '-') { /* -- comment */
            while (i < n && s[i] != '\n')
                i++;
            continue;
        }
        if (c == '/' && i + 1 < n && s[i + 1] == '*') { /* block comment */
            const char *end = memmem(s + i + 2, n - i - 2, "*/", 2);
            i = end ? (size_t)(end - s) + 2 : n;
            out[o++] = ' ';
            continue;
        }
        if (c == '"' || c == '`') { /* a quoted identifier: kept */
            size_t end = skip_quoted(s, n, i, c, 0);
            memcpy(out + o, s + i, end - i);
            o += end - i;
            i = end;
            continue;
        }
        if (c == '\'' || (!prev_ident && (c == 'E' || c == 'e' || c == 'X' || c == 'x') &&
                          i + 1 < n && s[i + 1] == '\'')) {
            int backslash = c == 'E' || c == 'e';
            i = skip_quoted(s, n, c == '\'' ? i : i + 1, '\'', backslash);
            out[o++] = '?';
            continue;
        }
        if (c == '$' && !prev_ident) { /* $tag$ ... $tag$, or $1 */
            size_t j = i + 1;
            while (j < n && (isalnum((unsigned char)s[j]) || s[j] == '_') &&
                   !isdigit((unsigned char)s[i + 1]))
                j++;
            if (j < n && s[j] == '$') {
                size_t tag = j + 1 - i;
                const char *end = NULL;
                for (size_t k = j + 1; k + tag <= n && !end; k++)
                    if (memcmp(s + k, s + i, tag) == 0) end = s + k;
                i = end ? (size_t)(end - s) + tag : n;
                out[o++] = '?';
                continue;
            }
        }
        if (isdigit((unsigned char)c) && !prev_ident &&
            !(i > 0 && (s[i - 1] == '?' || s[i - 1] == '$' || s[i - 1] == ':'))) {
            /* a number: digits, a fraction, an exponent, or hex */
            while (i < n &&
                   (isalnum((unsigned char)s[i]) || s[i] == '.' ||
                    ((s[i] == '+' || s[i] == '-') && (s[i - 1] == 'e' || s[i - 1] == 'E'))))
                i++;
            out[o++] = '?';
            continue;
        }
        out[o++] = c;
        i++;
    }
    return o;
}
