/* SPDX-License-Identifier: MIT */
/*
 * sql_normalize.c - a small SQL tokenizer and the normalized text made of
 * its tokens (see sql_normalize.h).  Three passes over one text:
 *
 *   1. lex: tokens, with literals and placeholders already one kind of
 *      token (LIT): numbers (a sign included where it cannot be a
 *      subtraction), strings ('..', E'..', X'..', B'..', N'..', U&'..',
 *      $$..$$ and $tag$..$tag$), and the placeholders ?, ?NNN, :name,
 *      @name, $name, $1, %s and %(name)s;
 *   2. collapse: IN (...) and ARRAY[...] lists whose elements are all the
 *      same keep one element, and so do the rows of VALUES (..), (..);
 *   3. render: tokens separated by single spaces (none inside a.b, f(x),
 *      x::int, a[1], before commas and closing brackets), unquoted words in
 *      lowercase, quoted identifiers as written, literals as ?, and
 *      statements separated by "; " (a last ";" is dropped).
 *
 * The dialects differ in a few tokens: [..] is an identifier in SQLite
 * and a subscript in PostgreSQL; @name and :1 are placeholders in SQLite
 * only; $tag$..$tag$ strings and nested block comments are PostgreSQL's.
 */
#include "sql/sql_normalize.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
    T_WORD,   /* an unquoted identifier or keyword */
    T_QIDENT, /* "x", `x` or [x] */
    T_LIT,    /* a literal or a placeholder: rendered ? */
    T_OP,     /* operators: = <> || ->> ... */
    T_COMMA,
    T_LPAREN,
    T_RPAREN,
    T_LBRACK,
    T_RBRACK,
    T_DOT,
    T_SEMI,
    T_CAST, /* :: */
    T_OTHER,
};

#define NO_MATCH UINT32_MAX

static int is_space(unsigned char c)
{
    return c <= 0x20 || c == 0x7f; /* controls too: they are not SQL */
}

static int is_digit(unsigned char c)
{
    return c >= '0' && c <= '9';
}

static int is_xdigit(unsigned char c)
{
    return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int is_ident_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static int is_ident_char(unsigned char c)
{
    return is_ident_start(c) || is_digit(c) || c == '$';
}

static int is_op_char(unsigned char c)
{
    return c && strchr("+-*/<>=~!@#%^&|", c) != NULL;
}

/* The byte at i, or 0 past the end. */
static unsigned char at(const char *s, size_t len, size_t i)
{
    return i < len ? (unsigned char)s[i] : 0;
}

/* Whether token t of the text is the word w (any case). */
static int is_word(const char *s, const struct sql_token *t, const char *w)
{
    return t->type == T_WORD && t->len == strlen(w) && strncasecmp(s + t->off, w, t->len) == 0;
}

static int is_one_of(const char *s, const struct sql_token *t, const char *const *words)
{
    for (; *words; words++)
        if (is_word(s, t, *words)) return 1;
    return 0;
}

/* Words after which a sign starts a number: "where x = -1", "in (-1)". */
static const char *const before_value[] = {
    "select",    "where",   "and",   "or",     "not",      "when",   "then", "else", "in",
    "values",    "between", "limit", "offset", "by",       "having", "on",   "set",  "return",
    "returning", "like",    "is",    "case",   "distinct", "any",    "some", "all",  NULL,
};

/* Words followed by " (" rather than "(": "in (", "values (", but "f(". */
static const char *const space_paren[] = {
    "in",     "values", "as",       "from",   "join",    "on",        "using",  "where",
    "and",    "or",     "not",      "exists", "select",  "then",      "else",   "when",
    "case",   "set",    "by",       "union",  "all",     "intersect", "except", "over",
    "filter", "within", "distinct", "having", "between", "like",      "is",     "returning",
    "limit",  "offset", "lateral",  NULL,
};

static void push(struct sql_norm *n, uint8_t type, size_t off, size_t end)
{
    struct sql_token t = {.off = (uint32_t)off, .len = (uint32_t)(end - off), .type = type};
    ARRAY_PUSH(n->toks, n->ntoks, n->tokcap) = t;
}

/* Past a '...' string whose quote is at i (backslash: E'' escapes). */
static size_t skip_string(const char *s, size_t len, size_t i, int backslash)
{
    for (i++; i < len; i++) {
        if (backslash && s[i] == '\\') {
            i++;
        } else if (s[i] == '\'') {
            if (at(s, len, i + 1) != '\'') return i + 1;
            i++;
        }
    }
    return len;
}

/* Past an identifier quoted with q ... close (a doubled close escapes). */
static size_t skip_quoted(const char *s, size_t len, size_t i, char close)
{
    for (i++; i < len; i++) {
        if (s[i] != close) continue;
        if (close == ']' || at(s, len, i + 1) != (unsigned char)close) return i + 1;
        i++;
    }
    return len;
}

/* Past a comment starting at i (-- or a block comment); nested: PostgreSQL's
 * block comments nest. */
static size_t skip_comment(const char *s, size_t len, size_t i, int nested)
{
    if (s[i] == '-') {
        while (i < len && s[i] != '\n')
            i++;
        return i;
    }
    int depth = 0;
    while (i < len) {
        if (s[i] == '/' && at(s, len, i + 1) == '*') {
            depth = nested || depth == 0 ? depth + 1 : depth;
            i += 2;
        } else if (s[i] == '*' && at(s, len, i + 1) == '/') {
            i += 2;
            if (--depth == 0) return i;
        } else {
            i++;
        }
    }
    return len;
}

static size_t skip_number(const char *s, size_t len, size_t i)
{
    if (s[i] == '0' && (at(s, len, i + 1) | 0x20) == 'x' && is_xdigit(at(s, len, i + 2))) {
        for (i += 2; is_xdigit(at(s, len, i)) || at(s, len, i) == '_'; i++)
            ;
        return i;
    }
    while (is_digit(at(s, len, i)) || at(s, len, i) == '_')
        i++;
    if (at(s, len, i) == '.')
        for (i++; is_digit(at(s, len, i)) || at(s, len, i) == '_'; i++)
            ;
    if ((at(s, len, i) | 0x20) == 'e') {
        size_t j = i + 1;
        if (at(s, len, j) == '+' || at(s, len, j) == '-') j++;
        if (is_digit(at(s, len, j)))
            for (i = j; is_digit(at(s, len, i)); i++)
                ;
    }
    return i;
}

static size_t skip_ident(const char *s, size_t len, size_t i)
{
    while (is_ident_char(at(s, len, i)))
        i++;
    return i;
}

/* At a '$': past a dollar-quoted string $$..$$ or $tag$..$tag$, or 0 if
 * this is not one. */
static size_t skip_dollar_quote(const char *s, size_t len, size_t i)
{
    size_t j = i + 1;
    if (at(s, len, j) != '$') {
        if (!is_ident_start(at(s, len, j))) return 0;
        while (is_ident_start(at(s, len, j)) || is_digit(at(s, len, j)))
            j++;
        if (at(s, len, j) != '$') return 0;
    }
    size_t tag = j + 1 - i; /* "$tag$" */
    for (size_t k = j + 1; k + tag <= len; k++)
        if (s[k] == '$' && memcmp(s + k, s + i, tag) == 0) return k + tag;
    return len;
}

/* Whether a sign here starts a number: after an operator, an opening
 * bracket, a comma, or a word such as WHERE or IN. */
static int value_expected(const struct sql_norm *n, const char *s)
{
    if (n->ntoks == 0) return 1;
    const struct sql_token *t = &n->toks[n->ntoks - 1];
    switch (t->type) {
    case T_OP:
    case T_COMMA:
    case T_LPAREN:
    case T_LBRACK:
    case T_SEMI:
        return 1;
    case T_WORD:
        return is_one_of(s, t, before_value);
    default:
        return 0;
    }
}

/* Whether an operator character at j starts something else: a comment, a
 * signed number, or a placeholder (%s, %(name)s, @name); an operator
 * such as "=" ends before it ("=-1", "=%s"). */
static int ends_operator(const char *s, size_t len, size_t j, enum sql_dialect d)
{
    unsigned char c = (unsigned char)s[j], next = at(s, len, j + 1);
    if ((c == '-' && next == '-') || (c == '/' && next == '*')) return 1;
    if ((c == '-' || c == '+') && (is_digit(next) || (next == '.' && is_digit(at(s, len, j + 2)))))
        return 1;
    if (c == '%' &&
        (next == '(' || (next && strchr("sbtd", next) && !is_ident_char(at(s, len, j + 2)))))
        return 1;
    return c == '@' && d == SQL_SQLITE && is_ident_start(next);
}

/* At an operator character: a placeholder (%s, %(name)s, @name), a
 * signed number, or an operator; pushes it and returns its end. */
static size_t lex_op(struct sql_norm *n, const char *s, size_t len, size_t i, enum sql_dialect d)
{
    unsigned char c = (unsigned char)s[i], next = at(s, len, i + 1);
    size_t j;

    if (c == '%' && next == '(') {
        for (j = i + 2; j < len && s[j] != ')' && is_ident_char((unsigned char)s[j]); j++)
            ;
        if (at(s, len, j) == ')' && is_ident_start(at(s, len, j + 1)) &&
            !is_ident_char(at(s, len, j + 2))) {
            push(n, T_LIT, i, j + 2);
            return j + 2;
        }
    }
    if (c == '%' && strchr("sbtd", next) && next && !is_ident_char(at(s, len, i + 2))) {
        push(n, T_LIT, i, i + 2);
        return i + 2;
    }
    if (c == '@' && d == SQL_SQLITE && is_ident_start(next)) {
        j = skip_ident(s, len, i + 1);
        push(n, T_LIT, i, j);
        return j;
    }
    if ((c == '-' || c == '+') &&
        (is_digit(next) || (next == '.' && is_digit(at(s, len, i + 2)))) && value_expected(n, s)) {
        j = skip_number(s, len, i + 1);
        push(n, T_LIT, i, j);
        return j;
    }
    for (j = i + 1; j < len && is_op_char((unsigned char)s[j]) && !ends_operator(s, len, j, d); j++)
        ;
    push(n, T_OP, i, j);
    return j;
}

/* At a word: a word, or a prefixed string (E'..', X'..', B'..', N'..',
 * U&'..') or identifier (U&".."); pushes it and returns its end. */
static size_t lex_word(struct sql_norm *n, const char *s, size_t len, size_t i)
{
    unsigned char c = (unsigned char)(s[i] | 0x20);
    size_t j;
    if (at(s, len, i + 1) == '\'' && strchr("exbn", c)) {
        j = skip_string(s, len, i + 1, c == 'e');
        push(n, T_LIT, i, j);
        return j;
    }
    if (c == 'u' && at(s, len, i + 1) == '&' && at(s, len, i + 2) == '\'') {
        j = skip_string(s, len, i + 2, 0);
        push(n, T_LIT, i, j);
        return j;
    }
    if (c == 'u' && at(s, len, i + 1) == '&' && at(s, len, i + 2) == '"') {
        j = skip_quoted(s, len, i + 2, '"');
        push(n, T_QIDENT, i, j);
        return j;
    }
    j = skip_ident(s, len, i);
    push(n, T_WORD, i, j);
    return j;
}

static void lex(struct sql_norm *n, const char *s, size_t len, enum sql_dialect d)
{
    size_t i = 0, j;
    n->ntoks = 0;
    while (i < len) {
        unsigned char c = (unsigned char)s[i], next = at(s, len, i + 1);
        if (is_space(c)) {
            i++;
        } else if ((c == '-' && next == '-') || (c == '/' && next == '*')) {
            i = skip_comment(s, len, i, d == SQL_POSTGRES);
        } else if (is_ident_start(c)) {
            i = lex_word(n, s, len, i);
        } else if (is_digit(c) || (c == '.' && is_digit(next))) {
            j = skip_number(s, len, i);
            push(n, T_LIT, i, j);
            i = j;
        } else if (c == '\'') {
            j = skip_string(s, len, i, 0);
            push(n, T_LIT, i, j);
            i = j;
        } else if (c == '"' || c == '`' || (c == '[' && d == SQL_SQLITE)) {
            j = skip_quoted(s, len, i, c == '[' ? ']' : (char)c);
            push(n, T_QIDENT, i, j);
            i = j;
        } else if (c == '?') {
            if (d == SQL_POSTGRES && (next == '|' || next == '&')) {
                push(n, T_OP, i, i + 2); /* jsonb ?| and ?& */
                i += 2;
                continue;
            }
            for (j = i + 1; is_digit(at(s, len, j)); j++)
                ;
            push(n, T_LIT, i, j);
            i = j;
        } else if (c == '$') {
            j = d == SQL_POSTGRES ? skip_dollar_quote(s, len, i) : 0;
            if (!j && is_digit(next))
                for (j = i + 1; is_digit(at(s, len, j)); j++)
                    ;
            if (!j && is_ident_start(next)) j = skip_ident(s, len, i + 1);
            if (!j) j = i + 1;
            push(n, j > i + 1 ? T_LIT : T_OP, i, j);
            i = j;
        } else if (c == ':') {
            if (next == ':') {
                push(n, T_CAST, i, i + 2);
                i += 2;
            } else if (is_ident_start(next) || (d == SQL_SQLITE && is_digit(next))) {
                j = skip_ident(s, len, i + 1);
                push(n, T_LIT, i, j);
                i = j;
            } else {
                push(n, T_OP, i, i + 1);
                i++;
            }
        } else if (is_op_char(c)) {
            i = lex_op(n, s, len, i, d);
        } else {
            static const char types[] = {',', T_COMMA,  '(', T_LPAREN, ')', T_RPAREN, '[', T_LBRACK,
                                         ']', T_RBRACK, '.', T_DOT,    ';', T_SEMI};
            uint8_t type = T_OTHER;
            for (size_t k = 0; k < sizeof(types); k += 2)
                if (c == (unsigned char)types[k]) type = (uint8_t)types[k + 1];
            push(n, type, i, i + 1);
            i++;
        }
    }
}

/* match[i]: the index of the bracket closing the one at i, or NO_MATCH. */
static void match_brackets(struct sql_norm *n)
{
    xgrow(&n->match, &n->matchcap, 2 * n->ntoks + 1, sizeof(*n->match));
    uint32_t *stack = n->match + n->ntoks;
    size_t depth = 0;
    for (size_t i = 0; i < n->ntoks; i++) {
        uint8_t type = n->toks[i].type;
        n->match[i] = NO_MATCH;
        if (type == T_LPAREN || type == T_LBRACK) {
            stack[depth++] = (uint32_t)i;
        } else if ((type == T_RPAREN || type == T_RBRACK) && depth > 0) {
            uint8_t open = n->toks[stack[depth - 1]].type;
            if ((type == T_RPAREN) != (open == T_LPAREN)) continue; /* stray: ignored */
            n->match[stack[--depth]] = (uint32_t)i;
        }
    }
}

static int tok_eq(const char *s, const struct sql_token *a, const struct sql_token *b)
{
    if (a->type != b->type) return 0;
    if (a->type == T_LIT) return 1;
    if (a->len != b->len) return 0;
    if (a->type == T_WORD) return strncasecmp(s + a->off, s + b->off, a->len) == 0;
    return memcmp(s + a->off, s + b->off, a->len) == 0;
}

/* Whether tokens [a, a_end) and [b, b_end) are the same, skipped ones
 * left out. */
static int same_seq(const struct sql_norm *n, const char *s, size_t a, size_t a_end, size_t b,
                    size_t b_end)
{
    for (;;) {
        while (a < a_end && n->toks[a].skip)
            a++;
        while (b < b_end && n->toks[b].skip)
            b++;
        if (a == a_end || b == b_end) return a == a_end && b == b_end;
        if (!tok_eq(s, &n->toks[a], &n->toks[b])) return 0;
        a++;
        b++;
    }
}

/* The list inside the brackets at open: when it has two elements or more
 * and all are the same, drops all but the first. */
static void collapse_list(struct sql_norm *n, const char *s, size_t open)
{
    size_t close = n->match[open], first_end = 0, start = open + 1, elems = 0;
    int same = 1;
    for (size_t k = open + 1; k <= close && same; k++) {
        uint8_t type = n->toks[k].type;
        if ((type == T_LPAREN || type == T_LBRACK) && n->match[k] != NO_MATCH) {
            k = n->match[k];
            continue;
        }
        if (type != T_COMMA && k != close) continue;
        if (elems++ == 0)
            first_end = k;
        else
            same = same_seq(n, s, open + 1, first_end, start, k);
        start = k + 1;
    }
    if (!same || elems < 2) return;
    for (size_t k = first_end; k < close; k++)
        n->toks[k].skip = 1;
}

/* The previous token not skipped before i, or NULL. */
static const struct sql_token *prev_tok(const struct sql_norm *n, size_t i)
{
    while (i-- > 0)
        if (!n->toks[i].skip) return &n->toks[i];
    return NULL;
}

static void collapse(struct sql_norm *n, const char *s)
{
    for (size_t i = 0; i < n->ntoks; i++) {
        const struct sql_token *t = &n->toks[i], *prev = prev_tok(n, i);
        if (n->match[i] == NO_MATCH || !prev) continue;
        if ((t->type == T_LPAREN && is_word(s, prev, "in")) ||
            (t->type == T_LBRACK && is_word(s, prev, "array")))
            collapse_list(n, s, i);
    }
    /* VALUES (row), (row), ...: the same rows after the first go. */
    for (size_t i = 0; i + 1 < n->ntoks; i++) {
        size_t row = i + 1;
        if (!is_word(s, &n->toks[i], "values") || n->toks[row].type != T_LPAREN ||
            n->match[row] == NO_MATCH)
            continue;
        size_t k = n->match[row] + 1;
        while (k + 1 < n->ntoks && n->toks[k].type == T_COMMA && n->toks[k + 1].type == T_LPAREN &&
               n->match[k + 1] != NO_MATCH &&
               same_seq(n, s, row, n->match[row] + 1, k + 1, n->match[k + 1] + 1)) {
            size_t end = n->match[k + 1];
            for (size_t m = k; m <= end; m++)
                n->toks[m].skip = 1;
            k = end + 1;
        }
    }
}

/* The next token not skipped from i on, in the statement (before a ';'). */
static size_t next_tok(const struct sql_norm *n, size_t i)
{
    while (i < n->ntoks && n->toks[i].skip)
        i++;
    return i < n->ntoks && n->toks[i].type != T_SEMI ? i : n->ntoks;
}

/* The kind of the statement whose first token is i. */
static enum sql_kind classify(const struct sql_norm *n, const char *s, size_t i)
{
    while ((i = next_tok(n, i)) < n->ntoks && n->toks[i].type == T_LPAREN)
        i++;
    if (i == n->ntoks) return SQL_OTHER;
    const struct sql_token *t = &n->toks[i];
    size_t k = next_tok(n, i + 1);
    const struct sql_token *next = k < n->ntoks ? &n->toks[k] : NULL;

    if (is_word(s, t, "select") || is_word(s, t, "values") || is_word(s, t, "table"))
        return SQL_SELECT;
    if (is_word(s, t, "insert") || is_word(s, t, "replace")) return SQL_INSERT;
    if (is_word(s, t, "update")) return SQL_UPDATE;
    if (is_word(s, t, "delete")) return SQL_DELETE;
    if (is_word(s, t, "begin")) return SQL_BEGIN;
    if (is_word(s, t, "start"))
        return next && is_word(s, next, "transaction") ? SQL_BEGIN : SQL_OTHER;
    if (is_word(s, t, "commit"))
        return next && is_word(s, next, "prepared") ? SQL_OTHER : SQL_COMMIT;
    if (is_word(s, t, "end")) return SQL_COMMIT;
    if (is_word(s, t, "prepare"))
        return next && is_word(s, next, "transaction") ? SQL_COMMIT : SQL_OTHER;
    if (is_word(s, t, "abort")) return SQL_ROLLBACK;
    if (is_word(s, t, "savepoint")) return SQL_SAVEPOINT;
    if (is_word(s, t, "release")) return SQL_RELEASE;
    if (is_word(s, t, "rollback")) {
        /* ROLLBACK [TRANSACTION|WORK] TO ... and ROLLBACK PREPARED keep the
         * transaction state as it was. */
        for (int w = 0; w < 3 && (k = next_tok(n, i + 1)) < n->ntoks; w++, i = k)
            if (is_word(s, &n->toks[k], "to") || is_word(s, &n->toks[k], "prepared"))
                return SQL_OTHER;
        return SQL_ROLLBACK;
    }
    if (is_word(s, t, "with")) {
        /* WITH a AS (...), b AS (...) <the statement>: its first word
         * outside the brackets that starts one. */
        for (k = i + 1; (k = next_tok(n, k)) < n->ntoks; k++) {
            const struct sql_token *w = &n->toks[k];
            if ((w->type == T_LPAREN || w->type == T_LBRACK) && n->match[k] != NO_MATCH) {
                k = n->match[k];
                continue;
            }
            if (is_word(s, w, "select") || is_word(s, w, "values")) return SQL_SELECT;
            if (is_word(s, w, "insert")) return SQL_INSERT;
            if (is_word(s, w, "update")) return SQL_UPDATE;
            if (is_word(s, w, "delete")) return SQL_DELETE;
        }
    }
    return SQL_OTHER;
}

static int space_before(const char *s, const struct sql_token *prev, const struct sql_token *t)
{
    if (!prev) return 0;
    switch (t->type) {
    case T_COMMA:
    case T_RPAREN:
    case T_RBRACK:
    case T_DOT:
    case T_CAST:
        return 0;
    case T_LBRACK:
        return prev->type == T_OP || prev->type == T_COMMA || prev->type == T_SEMI;
    default:
        break;
    }
    switch (prev->type) {
    case T_LPAREN:
    case T_LBRACK:
    case T_DOT:
    case T_CAST:
        return 0;
    default:
        break;
    }
    /* A word before "(" is mostly a function: count(*), any(?); a quoted
     * one mostly a table: "book" ("title"). */
    if (t->type == T_LPAREN && prev->type == T_WORD) return is_one_of(s, prev, space_paren);
    return 1;
}

static void out(struct sql_norm *n, const char *p, size_t len)
{
    xgrow(&n->text, &n->cap, n->len + len + 1, 1);
    memcpy(n->text + n->len, p, len);
    n->len += len;
    n->text[n->len] = '\0';
}

static void render_token(struct sql_norm *n, const char *s, const struct sql_token *t)
{
    if (t->type == T_LIT) {
        out(n, "?", 1);
        return;
    }
    size_t start = n->len;
    out(n, s + t->off, t->len);
    for (size_t k = start; k < n->len; k++) {
        unsigned char c = (unsigned char)n->text[k];
        if (t->type == T_WORD && c >= 'A' && c <= 'Z')
            n->text[k] = (char)(c | 0x20);
        else if (c < 0x20 || c == 0x7f)
            n->text[k] = '?'; /* inside a quoted identifier */
    }
}

static void render(struct sql_norm *n, const char *s)
{
    const struct sql_token *prev = NULL;
    int new_stmt = 1, any = 0;

    n->len = 0;
    out(n, "", 0);
    n->kind = n->last_txn = SQL_OTHER;
    for (size_t i = 0; i < n->ntoks; i++) {
        const struct sql_token *t = &n->toks[i];
        if (t->skip) continue;
        if (t->type == T_SEMI) {
            new_stmt = 1;
            continue;
        }
        if (new_stmt) {
            enum sql_kind kind = classify(n, s, i);
            if (!any) n->kind = kind;
            if (kind >= SQL_BEGIN) n->last_txn = kind;
            if (any) out(n, ";", 1);
            new_stmt = 0;
            any = 1;
        }
        if (prev &&
            (space_before(s, prev, t) || prev->type == T_SEMI || n->text[n->len - 1] == ';'))
            out(n, " ", 1);
        render_token(n, s, t);
        prev = t;
    }
}

void sql_normalize(struct sql_norm *n, const char *sql, size_t len, enum sql_dialect dialect)
{
    if (len > UINT32_MAX / 2) len = UINT32_MAX / 2; /* token offsets are 32-bit */
    lex(n, sql, len, dialect);
    match_brackets(n);
    collapse(n, sql);
    render(n, sql);
}

void sql_norm_free(struct sql_norm *n)
{
    xfree(n->text);
    xfree(n->toks);
    xfree(n->match);
    memset(n, 0, sizeof(*n));
}

const char *sql_kind_name(enum sql_kind kind)
{
    static const char *const names[] = {"other", "select", "insert",   "update",    "delete",
                                        "begin", "commit", "rollback", "savepoint", "release"};
    return (unsigned)kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "other";
}
