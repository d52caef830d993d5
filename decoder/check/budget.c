/* SPDX-License-Identifier: MIT */
/*
 * budget.c - reading a budget file (budget.h; the format: docs/check.md).
 *
 * libyaml loads the whole document into nodes; this walks them, and each
 * node it does not expect is an error that names the file, the line and
 * the column where the node starts.  Budget files are small: loading the
 * whole document costs nothing and keeps the walk plain.
 */
#include "check/budget.h"

#include "base/util.h"
#include "log/calls.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct reader {
    yaml_document_t doc;
    const char *path;
    char *err;
    size_t errlen;
    int failed;
};

static int fail(struct reader *r, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct reader *r, const yaml_node_t *n, const char *fmt, ...)
{
    if (r->failed) return -1;
    r->failed = 1;
    int k = snprintf(r->err, r->errlen, "%s:%zu:%zu: ", r->path, n ? n->start_mark.line + 1 : 1,
                     n ? n->start_mark.column + 1 : 1);
    if (k < 0 || (size_t)k >= r->errlen) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + k, r->errlen - (size_t)k, fmt, ap);
    va_end(ap);
    return -1;
}

static yaml_node_t *node(struct reader *r, int id)
{
    return yaml_document_get_node(&r->doc, id);
}

/* A scalar's text, or NULL after an error. */
static const char *scalar(struct reader *r, const yaml_node_t *n, const char *what)
{
    if (n->type != YAML_SCALAR_NODE) {
        fail(r, n, "%s: a single value was expected", what);
        return NULL;
    }
    return (const char *)n->data.scalar.value;
}

static int count_of(struct reader *r, const yaml_node_t *n, const char *what, int64_t *out)
{
    const char *s = scalar(r, n, what);
    if (!s) return -1;
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < 0)
        return fail(r, n, "%s: '%s' is not a count (0 or more)", what, s);
    *out = v;
    return 0;
}

/* "20%" or "0.2": a share. */
static int share_of(struct reader *r, const yaml_node_t *n, const char *what, double *out)
{
    const char *s = scalar(r, n, what);
    if (!s) return -1;
    char *end;
    double v = strtod(s, &end);
    if (end != s && *end == '%' && end[1] == 0)
        v /= 100;
    else if (end == s || *end)
        return fail(r, n, "%s: '%s' is not a share (20%% or 0.2)", what, s);
    if (!isfinite(v) || v < 0 || v > 100) return fail(r, n, "%s: '%s' is out of range", what, s);
    *out = v;
    return 0;
}

static int kind_of(const char *s)
{
    for (int k = 0; k < FINDING_KINDS; k++)
        if (strcmp(finding_kind_name((enum finding_kind)k), s) == 0) return k;
    return -1;
}

static char **strings(struct reader *r, const yaml_node_t *n, const char *what, size_t *count)
{
    *count = 0;
    if (n->type != YAML_SEQUENCE_NODE) {
        fail(r, n, "%s: a list was expected", what);
        return NULL;
    }
    size_t len = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
    char **v = xcalloc(len ? len : 1, sizeof(*v));
    for (size_t i = 0; i < len; i++) {
        const char *s = scalar(r, node(r, n->data.sequence.items.start[i]), what);
        if (!s) break;
        v[(*count)++] = xstrdup(s);
    }
    return v;
}

/* fail_on: {kind: never|low|medium|high|any} */
static int read_fail_on(struct reader *r, struct budget *b, const yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE) return fail(r, n, "fail_on: a mapping of finding kinds");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
        const char *kind = scalar(r, k, "fail_on"), *from = kind ? scalar(r, v, kind) : NULL;
        if (!from) return -1;
        int id = kind_of(kind);
        if (id < 0) return fail(r, k, "fail_on: no finding kind '%s'", kind);
        static const char *const names[] = {"never", "low", "medium", "high"};
        int f;
        for (f = 0; f < 4 && strcmp(names[f], from) != 0; f++)
            ;
        if (f == 4 && strcmp(from, "any") == 0) f = FAIL_LOW;
        if (f == 4)
            return fail(r, v, "%s: '%s' is none of never, any, low, medium, high", kind, from);
        b->fail_on[id] = (enum fail_from)f;
    }
    return 0;
}

static int read_allow(struct reader *r, struct budget *b, const yaml_node_t *n)
{
    if (n->type != YAML_SEQUENCE_NODE) return fail(r, n, "allow: a list of findings was expected");
    for (yaml_node_item_t *i = n->data.sequence.items.start; i < n->data.sequence.items.top; i++) {
        yaml_node_t *e = node(r, *i);
        if (e->type != YAML_MAPPING_NODE)
            return fail(r, e, "allow: each entry is a mapping (kind:, statement:, site:, ...)");
        struct budget_allow a = {.kind = -1, .line = (int)e->start_mark.line + 1};
        ARRAY_PUSH(b->allows, b->nallows, b->allowcap) = a; /* (freed whatever happens next) */
        struct budget_allow *al = &b->allows[b->nallows - 1];
        for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top;
             p++) {
            yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
            const char *key = scalar(r, k, "allow"), *val = key ? scalar(r, v, key) : NULL;
            if (!val) return -1;
            char **field = strcmp(key, "statement") == 0  ? &al->statement
                           : strcmp(key, "site") == 0     ? &al->site
                           : strcmp(key, "test") == 0     ? &al->test
                           : strcmp(key, "endpoint") == 0 ? &al->endpoint
                                                          : NULL;
            if (strcmp(key, "kind") == 0) {
                if ((al->kind = kind_of(val)) < 0)
                    return fail(r, v, "allow: no finding kind '%s'", val);
            } else if (strcmp(key, "reason") == 0) {
                /* for the reader of the file */
            } else if (field) {
                xfree(*field);
                *field = xstrdup(val);
            } else {
                return fail(r, k,
                            "allow: unknown key '%s' (kind, statement, site, test, endpoint, "
                            "reason)",
                            key);
            }
        }
    }
    return 0;
}

static int read_calls(struct reader *r, struct budget_rule *rule, const yaml_node_t *n)
{
    if (n->type != YAML_MAPPING_NODE)
        return fail(r, n, "max_calls: a mapping of call names to counts (write: 100)");
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
        const char *name = scalar(r, k, "max_calls");
        if (!name) return -1;
        unsigned call;
        for (call = 1; call < 100 && !(call_is_syscall(call) && strcmp(call_name(call), name) == 0);
             call++)
            ;
        if (call == 100) return fail(r, k, "max_calls: no recorded call is named '%s'", name);
        int64_t max;
        if (count_of(r, v, name, &max)) return -1;
        rule->calls = xrealloc(rule->calls, (rule->ncalls + 1) * sizeof(*rule->calls));
        rule->calls[rule->ncalls++] = (struct call_limit){call, (uint64_t)max};
    }
    return 0;
}

static int read_rule(struct reader *r, struct budget *b, const yaml_node_t *e)
{
    if (e->type != YAML_MAPPING_NODE)
        return fail(r, e, "budgets: each entry is a mapping (scope:, max_queries:, ...)");
    struct budget_rule rule = {.scope = SCOPE_RUN,
                               .line = (int)e->start_mark.line + 1,
                               .max_queries = -1,
                               .max_executions = -1,
                               .max_time_ms = -1,
                               .tolerance = -1};
    ARRAY_PUSH(b->rules, b->nrules, b->rulecap) = rule;
    struct budget_rule *ru = &b->rules[b->nrules - 1];
    const yaml_node_t *time_node = NULL, *calls_node = NULL, *phases_node = NULL;
    for (yaml_node_pair_t *p = e->data.mapping.pairs.start; p < e->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
        const char *key = scalar(r, k, "budgets");
        if (!key) return -1;
        if (strcmp(key, "scope") == 0) {
            const char *s = scalar(r, v, key);
            if (!s) return -1;
            int sc;
            for (sc = SCOPE_RUN; sc <= SCOPE_STATEMENT && strcmp(budget_scope_name(sc), s); sc++)
                ;
            if (sc > SCOPE_STATEMENT)
                return fail(r, v, "scope: '%s' is none of run, process, test, endpoint, statement",
                            s);
            ru->scope = (enum budget_scope)sc;
        } else if (strcmp(key, "name") == 0) {
            const char *s = scalar(r, v, key);
            if (!s) return -1;
            ru->name = xstrdup(s);
        } else if (strcmp(key, "max_queries") == 0) {
            if (count_of(r, v, key, &ru->max_queries)) return -1;
        } else if (strcmp(key, "max_executions") == 0) {
            if (count_of(r, v, key, &ru->max_executions)) return -1;
        } else if (strcmp(key, "max_calls") == 0) {
            calls_node = k;
            if (read_calls(r, ru, v)) return -1;
        } else if (strcmp(key, "max_time_ms") == 0) {
            const char *s = scalar(r, v, key);
            if (!s) return -1;
            char *end;
            ru->max_time_ms = strtod(s, &end);
            if (!*s || *end || !isfinite(ru->max_time_ms) || ru->max_time_ms < 0)
                return fail(r, v, "max_time_ms: '%s' is not a number of milliseconds", s);
            time_node = k;
        } else if (strcmp(key, "tolerance") == 0) {
            if (share_of(r, v, key, &ru->tolerance)) return -1;
        } else if (strcmp(key, "phases") == 0) {
            phases_node = k;
            ru->phases = strings(r, v, key, &ru->nphases);
            if (r->failed) return -1;
        } else {
            return fail(r, k,
                        "budgets: unknown key '%s' (scope, name, max_queries, max_executions, "
                        "max_calls, max_time_ms, tolerance, phases)",
                        key);
        }
    }
    if (time_node && ru->tolerance < 0)
        return fail(r, time_node,
                    "max_time_ms needs a tolerance (tolerance: 20%%): a time is "
                    "never the same twice");
    if (calls_node && ru->scope != SCOPE_RUN && ru->scope != SCOPE_PROCESS)
        return fail(r, calls_node, "max_calls: only the run and process scopes count calls");
    if (phases_node && ru->scope != SCOPE_TEST)
        return fail(r, phases_node, "phases: only tests have phases");
    if (ru->scope == SCOPE_STATEMENT && (ru->max_queries >= 0 || time_node))
        return fail(r, e, "a statement's budget is max_executions");
    if (ru->max_queries < 0 && ru->max_executions < 0 && !ru->ncalls && !time_node)
        return fail(r, e,
                    "this budget sets no limit (max_queries, max_executions, max_calls, "
                    "max_time_ms)");
    return 0;
}

void budget_defaults(struct budget *b)
{
    memset(b, 0, sizeof(*b));
    /* What a user never wants in CI, whatever it cost in a test. */
    b->fail_on[FINDING_N_PLUS_ONE] = FAIL_LOW;
    b->fail_on[FINDING_HTTP_N_PLUS_ONE] = FAIL_LOW;
    b->fail_on[FINDING_REPEATED_QUERY] = FAIL_LOW;
    /* What needs load to show: only when it weighed. */
    b->fail_on[FINDING_POOL_EXHAUSTION] = FAIL_MEDIUM;
    b->fail_on[FINDING_THREAD_POOL_EXHAUSTION] = FAIL_MEDIUM;
    b->fail_on[FINDING_EVENT_LOOP_STALL] = FAIL_MEDIUM;
}

static int read_top(struct reader *r, struct budget *b)
{
    yaml_node_t *root = yaml_document_get_root_node(&r->doc);
    if (!root) return fail(r, NULL, "the file is empty: a budget starts with 'version: 1'");
    if (root->type != YAML_MAPPING_NODE)
        return fail(r, root, "a budget is a mapping (version:, fail_on:, allow:, budgets:)");
    int version = 0;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top;
         p++) {
        yaml_node_t *k = node(r, p->key), *v = node(r, p->value);
        const char *key = scalar(r, k, "budget");
        if (!key) return -1;
        if (strcmp(key, "version") == 0) {
            const char *s = scalar(r, v, key);
            if (!s) return -1;
            if (strcmp(s, "1") != 0)
                return fail(r, v, "version %s: this whyslow reads budget version %d", s,
                            BUDGET_VERSION);
            version = 1;
        } else if (strcmp(key, "findings_in") == 0) {
            const char *s = scalar(r, v, key);
            if (!s) return -1;
            if (strcmp(s, "tests") && strcmp(s, "everywhere"))
                return fail(r, v, "findings_in: '%s' is neither tests nor everywhere", s);
            b->findings_everywhere = strcmp(s, "everywhere") == 0;
        } else if (strcmp(key, "fail_on") == 0) {
            if (read_fail_on(r, b, v)) return -1;
        } else if (strcmp(key, "allow") == 0) {
            if (read_allow(r, b, v)) return -1;
        } else if (strcmp(key, "budgets") == 0) {
            if (v->type != YAML_SEQUENCE_NODE) return fail(r, v, "budgets: a list was expected");
            for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top;
                 i++)
                if (read_rule(r, b, node(r, *i))) return -1;
        } else {
            return fail(r, k, "unknown key '%s' (version, findings_in, fail_on, allow, budgets)",
                        key);
        }
    }
    if (!version) return fail(r, root, "no 'version: 1': which budget format is this?");
    return 0;
}

int budget_load(struct budget *b, const char *path, char *err, size_t errlen)
{
    struct reader r = {.path = path, .err = err, .errlen = errlen};
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) {
        fclose(f);
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    yaml_parser_set_input_file(&parser, f);
    int rc = -1;
    if (!yaml_parser_load(&parser, &r.doc)) {
        snprintf(err, errlen, "%s:%zu:%zu: not YAML: %s", path, parser.problem_mark.line + 1,
                 parser.problem_mark.column + 1, parser.problem ? parser.problem : "?");
    } else {
        b->file = xstrdup(path);
        rc = read_top(&r, b);
        yaml_document_delete(&r.doc);
    }
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

void budget_free(struct budget *b)
{
    for (size_t i = 0; i < b->nrules; i++) {
        xfree(b->rules[i].name);
        xfree(b->rules[i].calls);
        for (size_t k = 0; k < b->rules[i].nphases; k++)
            xfree(b->rules[i].phases[k]);
        xfree(b->rules[i].phases);
    }
    for (size_t i = 0; i < b->nallows; i++) {
        xfree(b->allows[i].statement);
        xfree(b->allows[i].site);
        xfree(b->allows[i].test);
        xfree(b->allows[i].endpoint);
    }
    xfree(b->rules);
    xfree(b->allows);
    xfree(b->file);
    memset(b, 0, sizeof(*b));
}

const char *budget_scope_name(enum budget_scope s)
{
    static const char *const names[] = {"run", "process", "test", "endpoint", "statement"};
    return s <= SCOPE_STATEMENT ? names[s] : "?";
}
