/* SPDX-License-Identifier: MIT */
/*
 * check_out.c - what `whyslow check` says (check.h): a summary a developer
 * reads in a CI log, GitHub Actions annotations, JUnit XML, JSON.
 */
#include "check/check.h"

#include "base/util.h"
#include "report/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GITHUB_MAX 10 /* error annotations GitHub shows per step */

static void evidence(FILE *f, const struct violation *v, const char *indent)
{
    if (v->statement) fprintf(f, "%sstatement: %s\n", indent, v->statement);
    if (v->finding)
        fprintf(f, "%scount: %" PRIu64 "; this finding fails the check (fail_on: %s)\n", indent,
                v->count, v->what);
    else if (v->limit >= 0)
        fprintf(f, "%scount: %" PRIu64 ", limit: %g\n", indent, v->count, v->limit);
    else
        fprintf(f, "%scount: %" PRIu64 "\n", indent, v->count);
    if (v->site) fprintf(f, "%ssite: %s\n", indent, v->site);
}

void check_text(FILE *f, const struct check_result *r)
{
    char allowed[320] = "";
    size_t o = 0;
    if (r->allowed)
        o += (size_t)snprintf(allowed, sizeof(allowed), "; %zu finding%s allowed by %s", r->allowed,
                              r->allowed == 1 ? "" : "s", r->b->file ? r->b->file : "the budget");
    if (r->outside)
        snprintf(allowed + o, sizeof(allowed) - o,
                 "; %zu finding%s outside the tests' setup and call not checked (findings_in: "
                 "everywhere checks them)",
                 r->outside, r->outside == 1 ? "" : "s");
    if (!r->n) {
        fprintf(f, "whyslow %s: passed (%zu rule%s checked%s)\n", r->verb, r->rules,
                r->rules == 1 ? "" : "s", allowed);
        return;
    }
    fprintf(f, "whyslow %s: FAILED, %zu failure%s (%zu rule%s checked%s)\n\n", r->verb, r->n,
            r->n == 1 ? "" : "s", r->rules, r->rules == 1 ? "" : "s", allowed);
    for (size_t i = 0; i < r->n; i++) {
        fprintf(f, "FAIL  %s\n", r->v[i].message);
        evidence(f, &r->v[i], "      ");
        fputc('\n', f);
    }
}

/* GitHub's escapes: a message's %, CR and LF; a property's also : and ,. */
static void gh_escape(FILE *f, const char *s, int property)
{
    for (; s && *s; s++) {
        if (*s == '%')
            fputs("%25", f);
        else if (*s == '\r')
            fputs("%0D", f);
        else if (*s == '\n')
            fputs("%0A", f);
        else if (property && *s == ':')
            fputs("%3A", f);
        else if (property && *s == ',')
            fputs("%2C", f);
        else
            fputc(*s, f);
    }
}

/* A file as GitHub wants it: relative to $GITHUB_WORKSPACE. */
static const char *gh_path(const char *file)
{
    const char *ws = getenv("GITHUB_WORKSPACE");
    size_t n = ws ? strlen(ws) : 0;
    if (n && strncmp(file, ws, n) == 0 && file[n] == '/') return file + n + 1;
    return file;
}

void check_github(FILE *f, const struct check_result *r)
{
    for (size_t i = 0; i < r->n && i < GITHUB_MAX; i++) {
        const struct violation *v = &r->v[i];
        fputs("::error ", f);
        if (v->file) {
            fputs("file=", f);
            gh_escape(f, gh_path(v->file), 1);
            if (v->line) fprintf(f, ",line=%u", v->line);
            fputc(',', f);
        }
        fputs("title=", f);
        char title[256];
        snprintf(title, sizeof(title), "whyslow: %s%s%s", v->finding ? v->what : "budget ",
                 v->finding ? "" : v->scope, v->finding ? "" : " over");
        gh_escape(f, title, 1);
        fputs("::", f);
        gh_escape(f, v->message, 0);
        fputc('\n', f);
    }
    if (r->n > GITHUB_MAX)
        fprintf(f,
                "::notice title=whyslow::%zu more failure%s not annotated (GitHub shows %d per "
                "step): the job's log has them all\n",
                r->n - GITHUB_MAX, r->n - GITHUB_MAX == 1 ? "" : "s", GITHUB_MAX);
    check_text(f, r);
}

void check_json(FILE *f, const struct check_result *r)
{
    struct json j;
    json_init(&j, f);
    json_begin_object(&j);
    json_kv_str(&j, "schema", "whyslow.check/1");
    json_kv_str(&j, "verb", r->verb);
    json_kv_bool(&j, "passed", r->n == 0);
    json_kv_uint(&j, "rules", r->rules);
    json_kv_uint(&j, "allowed", r->allowed);
    json_kv_uint(&j, "outside_tests", r->outside);
    json_kv_str(&j, "budget", r->b ? r->b->file : NULL);
    json_key(&j, "failures");
    json_begin_array(&j);
    for (size_t i = 0; i < r->n; i++) {
        const struct violation *v = &r->v[i];
        json_begin_object(&j);
        json_kv_str(&j, "type", v->finding ? "finding" : "budget");
        json_kv_str(&j, "kind", v->finding ? v->what : NULL);
        json_key(&j, "budget_line");
        if (v->rule)
            json_uint(&j, (uint64_t)v->rule->line);
        else
            json_null(&j);
        json_kv_str(&j, "scope", v->scope);
        json_kv_str(&j, "where", v->where);
        json_kv_str(&j, "what", v->what);
        json_kv_uint(&j, "count", v->count);
        json_key(&j, "limit");
        if (v->limit >= 0) {
            json_uint(&j, (uint64_t)(v->limit + 0.5)); /* (counts, or whole ms) */
        } else {
            json_null(&j);
        }
        json_kv_str(&j, "statement", v->statement);
        json_kv_str(&j, "site", v->site);
        json_kv_str(&j, "file", v->file);
        json_key(&j, "line");
        if (v->line)
            json_uint(&j, v->line);
        else
            json_null(&j);
        json_kv_str(&j, "test", v->test);
        json_kv_str(&j, "message", v->message);
        json_end_object(&j);
    }
    json_end_array(&j);
    json_end_object(&j);
    fputc('\n', f);
}

static void xml(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '<')
            fputs("&lt;", f);
        else if (c == '>')
            fputs("&gt;", f);
        else if (c == '&')
            fputs("&amp;", f);
        else if (c == '"')
            fputs("&quot;", f);
        else if (c < 0x20 && c != '\n' && c != '\t')
            fputc('?', f); /* (XML 1.0 has no other control characters) */
        else
            fputc(c, f);
    }
}

static void failure(FILE *f, const struct violation *v)
{
    fputs("      <failure message=\"", f);
    xml(f, v->message);
    fputs("\" type=\"", f);
    xml(f, v->finding ? v->what : "budget");
    fputs("\">", f);
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    if (m) {
        evidence(m, v, "");
        fclose(m);
        xml(f, text);
        free(text);
    }
    fputs("</failure>\n", f);
}

static void testcase(FILE *f, const char *classname, const char *name, const char *file,
                     const struct check_result *r, const char *test, const char *scope_where)
{
    fputs("    <testcase classname=\"", f);
    xml(f, classname);
    fputs("\" name=\"", f);
    xml(f, name);
    fputc('"', f);
    if (file) {
        fputs(" file=\"", f);
        xml(f, file);
        fputc('"', f);
    }
    fputs(">\n", f);
    for (size_t i = 0; i < r->n; i++) {
        const struct violation *v = &r->v[i];
        if (test ? (v->test && strcmp(v->test, test) == 0)
                 : (!v->test && strcmp(scope_where, v->scope) == 0))
            failure(f, v);
    }
    fputs("    </testcase>\n", f);
}

const char **check_tests(const struct analysis *a, size_t *n)
{
    const char **v = xcalloc(a->nmark_groups ? a->nmark_groups : 1, sizeof(*v));
    *n = 0;
    for (size_t g = 0; g < a->nmark_groups; g++)
        if (strcmp(a->mark_groups[g].kind, "test") == 0) v[(*n)++] = a->mark_groups[g].name;
    return v;
}

int check_junit(const char *path, const struct check_result *r, const char *const *tests,
                size_t ntests)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "whyslow: --junit %s: %s\n", path, strerror(errno));
        return -1;
    }
    /* A test case per test marked, and one per scope for what is in none. */
    static const char *const scopes[] = {"run", "process", "endpoint", "statement"};
    size_t cases = ntests + 4;
    fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    fprintf(f, "<testsuites name=\"whyslow\" tests=\"%zu\" failures=\"%zu\">\n", cases, r->n);
    fprintf(f, "  <testsuite name=\"whyslow\" tests=\"%zu\" failures=\"%zu\">\n", cases, r->n);
    for (size_t t = 0; t < ntests; t++) {
        char file[1024] = "";
        const char *sep = strstr(tests[t], "::");
        if (sep) snprintf(file, sizeof(file), "%.*s", (int)(sep - tests[t]), tests[t]);
        testcase(f, "whyslow.test", tests[t], *file ? file : NULL, r, tests[t], NULL);
    }
    for (int s = 0; s < 4; s++) {
        char name[64];
        snprintf(name, sizeof(name), "%s budgets and findings", scopes[s]);
        testcase(f, "whyslow", name, NULL, r, NULL, scopes[s]);
    }
    fputs("  </testsuite>\n</testsuites>\n", f);
    if (fclose(f) != 0) {
        fprintf(stderr, "whyslow: --junit %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}
