/* SPDX-License-Identifier: MIT */
/*
 * diff.c - two runs' summaries compared (diff.h).
 *
 * A summary is read with json-c into its objects; each list is then
 * indexed by name (json-c objects are hash tables) and walked in the
 * order of its names, the union of both runs', so that what is listed
 * comes out the same way every time.
 */
#include "check/diff.h"

#include "base/units.h"
#include "base/util.h"
#include "check/summary.h"

#include <errno.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct summary {
    char *path;
    json_object *root;
    json_object *statements, *calls, *findings, *marks, *endpoints; /* name -> entry */
};

static const char *str(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v)
               : NULL;
}

static uint64_t num(json_object *o, const char *key)
{
    json_object *v;
    return json_object_object_get_ex(o, key, &v) ? (uint64_t)json_object_get_int64(v) : 0;
}

/* An index of the array root[key]: name -> entry, the name made by name_of. */
static json_object *index_of(json_object *root, const char *key, char *(*name_of)(json_object *e))
{
    json_object *idx = json_object_new_object(), *arr;
    if (!json_object_object_get_ex(root, key, &arr) || !json_object_is_type(arr, json_type_array))
        return idx;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        char *name = name_of(e);
        json_object_object_add(idx, name, json_object_get(e));
        xfree(name);
    }
    return idx;
}

static char *statement_name(json_object *e)
{
    const char *fp = str(e, "fingerprint");
    return xstrdup(fp ? fp : "?");
}

static char *call_name_of(json_object *e)
{
    const char *c = str(e, "call");
    return xstrdup(c ? c : "?");
}

static char *finding_name(json_object *e)
{
    const char *k = str(e, "kind"), *key = str(e, "key");
    return xprintf("%s %s", k ? k : "?", key ? key : "?");
}

static char *mark_name(json_object *e)
{
    const char *k = str(e, "kind"), *n = str(e, "name"), *p = str(e, "phase");
    return xprintf("%s\1%s\1%s", k ? k : "", n ? n : "", p ? p : "");
}

static char *endpoint_name_of(json_object *e)
{
    const char *n = str(e, "endpoint");
    return xstrdup(n ? n : "?");
}

struct summary *summary_load(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char *text = NULL;
    if (S_ISDIR(st.st_mode) || (strlen(path) > 6 && !strcmp(path + strlen(path) - 6, ".wslog"))) {
        char *made = summary_of_logs(path, err, errlen);
        if (!made) return NULL;
        text = xstrdup(made); /* (made by libc's open_memstream: freed with free) */
        free(made);
    } else {
        FILE *f = fopen(path, "rb");
        if (!f) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            return NULL;
        }
        size_t cap = 0, len = 0, n;
        char buf[65536];
        while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
            xgrow(&text, &cap, len + n + 1, 1);
            memcpy(text + len, buf, n);
            len += n;
        }
        fclose(f);
        if (!text) text = xstrdup("");
        text[len] = 0;
    }
    struct json_tokener *tok = json_tokener_new();
    json_object *root = json_tokener_parse_ex(tok, text, (int)strlen(text));
    enum json_tokener_error e = json_tokener_get_error(tok);
    if (!root || e != json_tokener_success) {
        snprintf(err, errlen, "%s: not a summary: %s (byte %zu)", path,
                 root || e != json_tokener_success ? json_tokener_error_desc(e) : "empty",
                 json_tokener_get_parse_end(tok));
        json_object_put(root);
        json_tokener_free(tok);
        xfree(text);
        return NULL;
    }
    json_tokener_free(tok);
    xfree(text);
    const char *schema = json_object_is_type(root, json_type_object) ? str(root, "schema") : NULL;
    if (!schema || strcmp(schema, SUMMARY_SCHEMA) != 0) {
        snprintf(err, errlen, "%s: schema %s is not %s, the one this whyslow reads", path,
                 schema ? schema : "(none)", SUMMARY_SCHEMA);
        json_object_put(root);
        return NULL;
    }
    struct summary *s = xcalloc(1, sizeof(*s));
    s->path = xstrdup(path);
    s->root = root;
    s->statements = index_of(root, "statements", statement_name);
    s->calls = index_of(root, "calls", call_name_of);
    s->findings = index_of(root, "findings", finding_name);
    s->marks = index_of(root, "marks", mark_name);
    s->endpoints = index_of(root, "endpoints", endpoint_name_of);
    return s;
}

void summary_free(struct summary *s)
{
    if (!s) return;
    json_object_put(s->statements);
    json_object_put(s->calls);
    json_object_put(s->findings);
    json_object_put(s->marks);
    json_object_put(s->endpoints);
    json_object_put(s->root);
    xfree(s->path);
    xfree(s);
}

const char **summary_tests(const struct summary *s, size_t *n)
{
    size_t cap = 0;
    const char **v = NULL;
    *n = 0;
    json_object_object_foreach(s->marks, key, e)
    {
        (void)key;
        const char *kind = str(e, "kind"), *name = str(e, "name");
        if (!kind || strcmp(kind, "test") != 0 || !name) continue;
        int seen = 0;
        for (size_t i = 0; i < *n && !seen; i++)
            seen = strcmp(v[i], name) == 0;
        if (!seen) ARRAY_PUSH(v, *n, cap) = name;
    }
    return v;
}

/* ---- comparing ---- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The names of both indexes, sorted, each once (to free; not the names). */
static const char **names(json_object *x, json_object *y, size_t *n)
{
    size_t cap = 0;
    const char **v = NULL;
    *n = 0;
    json_object_object_foreach(x, kx, ex)
    {
        (void)ex;
        ARRAY_PUSH(v, *n, cap) = kx;
    }
    json_object_object_foreach(y, ky, ey)
    {
        (void)ey;
        if (!json_object_object_get_ex(x, ky, NULL)) ARRAY_PUSH(v, *n, cap) = ky;
    }
    xsort(v, *n, sizeof(*v), cmp_str);
    return v;
}

static json_object *entry(json_object *idx, const char *name)
{
    json_object *e;
    return json_object_object_get_ex(idx, name, &e) ? e : NULL;
}

static struct violation *failure(struct check_result *r)
{
    ARRAY_PUSH(r->v, r->n, r->cap) = (struct violation){.limit = -1};
    return &r->v[r->n - 1];
}

/* The statements of two entries' "statements" arrays that ran a different
 * number of times: printed under an indented heading. */
static int statements_changed(FILE *f, json_object *b, json_object *h, const char *indent, int text,
                              uint64_t *grew, const char **grew_text)
{
    json_object *bi = b ? index_of(b, "statements", statement_name) : json_object_new_object();
    json_object *hi = h ? index_of(h, "statements", statement_name) : json_object_new_object();
    size_t n;
    const char **v = names(bi, hi, &n);
    int changed = 0;
    *grew = 0;
    *grew_text = NULL;
    for (size_t i = 0; i < n; i++) {
        json_object *eb = entry(bi, v[i]), *eh = entry(hi, v[i]);
        uint64_t cb = eb ? num(eb, "count") : 0, ch = eh ? num(eh, "count") : 0;
        if (cb == ch) continue;
        changed++;
        const char *t = str(eh ? eh : eb, "normalized");
        if (text)
            fprintf(f, "%s%+" PRId64 "  %s (%" PRIu64 " -> %" PRIu64 ")\n", indent,
                    (int64_t)(ch - cb), t ? t : v[i], cb, ch);
        if (ch > cb && ch - cb > *grew) {
            *grew = ch - cb;
            *grew_text = t;
        }
    }
    xfree(v);
    json_object_put(bi);
    json_object_put(hi);
    return changed;
}

static void run_statements(FILE *f, const struct summary *b, const struct summary *h,
                           unsigned fail_on, struct check_result *r, int text)
{
    if (text) fprintf(f, "STATEMENTS (executions over the run that changed)\n");
    uint64_t grew, qb = 0, qh = 0;
    const char *what;
    int n = statements_changed(f, b->root, h->root, "  ", text, &grew, &what);
    if (text) fprintf(f, n ? "\n" : "  none\n\n");
    json_object_object_foreach(b->statements, kb, eb)
    {
        (void)kb;
        qb += num(eb, "count");
    }
    json_object_object_foreach(h->statements, kh, eh)
    {
        (void)kh;
        qh += num(eh, "count");
    }
    if ((fail_on & FAIL_ON_QUERIES) && qh > qb) {
        struct violation *v = failure(r);
        v->scope = "run";
        v->what = xstrdup("more queries");
        v->count = qh;
        v->limit = (double)qb;
        v->statement = what ? xstrdup(what) : NULL;
        v->message = xprintf("run: %" PRIu64 " queries, %" PRIu64 " in %s (most added: `%s`)", qh,
                             qb, b->path, what ? what : "?");
    }
}

static void mark_statements(FILE *f, const struct summary *b, const struct summary *h,
                            unsigned fail_on, struct check_result *r, int text)
{
    if (text) fprintf(f, "TESTS AND MARKS (queries that changed, by phase)\n");
    size_t n;
    const char **v = names(b->marks, h->marks, &n);
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *eb = entry(b->marks, v[i]), *eh = entry(h->marks, v[i]);
        json_object *e = eh ? eh : eb;
        const char *kind = str(e, "kind"), *name = str(e, "name"), *phase = str(e, "phase");
        uint64_t qb = eb ? num(eb, "queries") : 0, qh = eh ? num(eh, "queries") : 0;
        char *where = xprintf("%s%s%s%s", name ? name : "", phase && *phase ? " (" : "",
                              phase ? phase : "", phase && *phase ? ")" : "");
        char head[2048];
        snprintf(head, sizeof(head), "  %s %s: queries %" PRIu64 " -> %" PRIu64 "%s\n",
                 kind ? kind : "?", where, qb, qh,
                 !eb   ? " (new)"
                 : !eh ? " (gone)"
                       : "");
        /* the heading, then its statements, when anything changed */
        char *lines = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&lines, &len);
        uint64_t grew = 0;
        const char *what = NULL;
        int changed = m ? statements_changed(m, eb, eh, "      ", 1, &grew, &what) : 0;
        if (m) fclose(m);
        if ((changed || qb != qh) && text) {
            fputs(head, f);
            if (lines) fputs(lines, f);
            any = 1;
        }
        free(lines);
        int test = kind && strcmp(kind, "test") == 0;
        /* a test's teardown is not its budget (check.md) */
        if ((fail_on & FAIL_ON_QUERIES) && qh > qb &&
            (!test || !phase || strcmp(phase, "teardown"))) {
            struct violation *x = failure(r);
            x->scope = test ? "test" : "run";
            x->where = xstrdup(where);
            x->what = xstrdup("more queries");
            x->count = qh;
            x->limit = (double)qb;
            x->statement = what ? xstrdup(what) : NULL;
            x->test = test && name ? xstrdup(name) : NULL;
            x->message = xprintf("%s %s: %" PRIu64 " queries, %" PRIu64 " in %s (most added: `%s`)",
                                 kind ? kind : "?", where, qh, qb, b->path, what ? what : "?");
            if (test && name && strstr(name, "::"))
                x->file = xprintf("%.*s", (int)(strstr(name, "::") - name), name);
        }
        xfree(where);
    }
    if (text) fprintf(f, any ? "\n" : "  none\n\n");
    xfree(v);
}

/* Whether a finding kind is made of counts alone (the same program makes
 * it every time), not of times. */
static int counted_kind(const char *kind)
{
    return kind && (!strcmp(kind, "n_plus_one") || !strcmp(kind, "repeated_query") ||
                    !strcmp(kind, "n_plus_one_http"));
}

static void findings_changed(FILE *f, const struct summary *b, const struct summary *h,
                             unsigned fail_on, struct check_result *r, int text, int counted)
{
    if (text)
        fprintf(f, counted ? "FINDINGS (new and gone)\n"
                           : "FINDINGS OF TIMES (they come and go with the machine's load: "
                             "never compared)\n");
    size_t n;
    const char **v = names(b->findings, h->findings, &n);
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *eb = entry(b->findings, v[i]), *eh = entry(h->findings, v[i]);
        if (eb && eh) continue;
        json_object *e = eh ? eh : eb;
        const char *sum = str(e, "summary"), *kind = str(e, "kind");
        if (counted_kind(kind) != counted) continue;
        if (text)
            fprintf(f, "  %s %s: %s\n", eh ? "new: " : "gone:", kind ? kind : "?", sum ? sum : "");
        any = 1;
        if (eh && counted && (fail_on & FAIL_ON_FINDINGS)) {
            struct violation *x = failure(r);
            const char *test = str(e, "test"), *phase = str(e, "phase");
            x->scope = test ? "test" : "run";
            x->where = test ? xprintf("%s (%s)", test, phase ? phase : "") : NULL;
            x->what = xstrdup(kind ? kind : "finding");
            x->count = num(e, "count");
            x->statement = str(e, "statement") ? xstrdup(str(e, "statement")) : NULL;
            x->test = test ? xstrdup(test) : NULL;
            x->message = xprintf("new %s%s%s: %s", kind ? kind : "finding", test ? " in " : "",
                                 x->where ? x->where : "", sum ? sum : "");
        }
    }
    if (text) fprintf(f, any ? "\n" : "  none\n\n");
    xfree(v);
}

static void calls_changed(FILE *f, const struct summary *b, const struct summary *h,
                          unsigned fail_on, struct check_result *r, int text)
{
    if (text)
        fprintf(f, "CALLS (their counts vary with timing and buffering: compared only with "
                   "--fail-on calls)\n");
    size_t n;
    const char **v = names(b->calls, h->calls, &n);
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *eb = entry(b->calls, v[i]), *eh = entry(h->calls, v[i]);
        uint64_t cb = eb ? num(eb, "count") : 0, ch = eh ? num(eh, "count") : 0;
        if (cb == ch) continue;
        if (text)
            fprintf(f, "  %-16s %" PRIu64 " -> %" PRIu64 " (%+" PRId64 ")\n", v[i], cb, ch,
                    (int64_t)(ch - cb));
        any = 1;
        if (ch > cb && (fail_on & FAIL_ON_CALLS)) {
            struct violation *x = failure(r);
            x->scope = "run";
            x->what = xprintf("%s calls", v[i]);
            x->count = ch;
            x->limit = (double)cb;
            x->message =
                xprintf("run: %" PRIu64 " %s calls, %" PRIu64 " in %s", ch, v[i], cb, b->path);
        }
    }
    if (text) fprintf(f, any ? "\n" : "  none\n\n");
    xfree(v);
}

static void endpoints_changed(FILE *f, const struct summary *b, const struct summary *h,
                              unsigned fail_on, struct check_result *r, int text)
{
    size_t n;
    const char **v = names(b->endpoints, h->endpoints, &n);
    int any = 0;
    for (size_t i = 0; i < n; i++) {
        json_object *eb = entry(b->endpoints, v[i]), *eh = entry(h->endpoints, v[i]);
        uint64_t rb = eb ? num(eb, "requests") : 0, rh = eh ? num(eh, "requests") : 0;
        uint64_t qb = eb ? num(eb, "queries") : 0, qh = eh ? num(eh, "queries") : 0;
        /* per request, in thousandths */
        uint64_t pb = rb ? qb * 1000 / rb : 0, ph = rh ? qh * 1000 / rh : 0;
        if (pb == ph && rb == rh) continue;
        if (text && !any) fprintf(f, "ENDPOINTS (queries per request that changed)\n");
        any = 1;
        if (text)
            fprintf(
                f, "  %s: %.1f -> %.1f queries per request (%" PRIu64 " -> %" PRIu64 " requests)\n",
                v[i], pb / 1000.0, ph / 1000.0, rb, rh);
        if (ph > pb && eb && (fail_on & FAIL_ON_ENDPOINTS)) {
            struct violation *x = failure(r);
            x->scope = "endpoint";
            x->where = xstrdup(v[i]);
            x->what = xstrdup("queries per request");
            x->count = ph / 1000;
            x->limit = pb / 1000.0;
            x->message = xprintf("endpoint %s: %.1f queries per request, %.1f in %s", v[i],
                                 ph / 1000.0, pb / 1000.0, b->path);
        }
    }
    if (text && any) fputc('\n', f);
    xfree(v);
}

void diff_run(FILE *f, const struct summary *b, const struct summary *h, unsigned fail_on,
              struct check_result *r, int text)
{
    if (text) fprintf(f, "whyslow diff: %s -> %s\n\n", b->path, h->path);
    run_statements(f, b, h, fail_on, r, text);
    mark_statements(f, b, h, fail_on, r, text);
    findings_changed(f, b, h, fail_on, r, text, 1);
    endpoints_changed(f, b, h, fail_on, r, text);
    calls_changed(f, b, h, fail_on, r, text);
    findings_changed(f, b, h, 0, r, text, 0);
    if (text) {
        json_object *tb, *th;
        char x[UNITS_BUF], y[UNITS_BUF];
        if (json_object_object_get_ex(b->root, "time", &tb) &&
            json_object_object_get_ex(h->root, "time", &th))
            fprintf(
                f, "TIME (varies from run to run: never compared)\n  threads' wall time %s -> %s\n",
                fmt_dur(num(tb, "wall_ns"), x), fmt_dur(num(th, "wall_ns"), y));
    }
    for (int k = 0; k < 4; k++)
        r->rules += (fail_on >> k) & 1;
}
