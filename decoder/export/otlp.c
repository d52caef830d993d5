/* SPDX-License-Identifier: MIT */
/*
 * otlp.c - `whyslow export --format otlp`: the run as OpenTelemetry spans
 * in OTLP/JSON (docs/export.md, OTLP), one TracesData object a line (the
 * file exporter's convention), or posted to a collector in bodies of at
 * most about 4 MiB (--send, otlp_send.c).  A sink of the walker
 * (export.h): it writes each span as its slice comes, so that memory
 * stays bounded whatever the run's size.
 *
 * Each process is a span (its run, the root of a trace of its own) with
 * its slow calls, queries and lock waits as children; each request it
 * served is a server span, the root of a trace of its own (or a child of
 * the caller's span when the request carried a W3C traceparent), with
 * the queries, outgoing calls, slow calls and lock waits made for it as
 * children.  Attributes are named by OpenTelemetry's semantic
 * conventions 1.33.0 (SCHEMA_URL); what they have no name for is
 * "whyslow.*".  Findings are events: on their process's span, and on the
 * span of the first request of each endpoint they name.
 *
 * Trace and span ids are hashes of what the log says (the process's pid
 * and start, the request's number, the slice's start and rank): exporting
 * a run twice gives the same ids.
 */
#include "export/export.h"

#include "base/util.h"
#include "export/otlp_send.h"
#include "report/json.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define SEMCONV_VERSION "1.33.0"
#define SCHEMA_URL      "https://opentelemetry.io/schemas/" SEMCONV_VERSION
#define SPANS_PER_LINE  4096 /* a line (a TracesData) is closed past this many spans */
/* ...or this many bytes: the Collector's file receiver reads lines of
 * 1 MiB at most by default, and a span may be several KiB. */
#define LINE_BYTES (768u << 10)
#define BODY_MAX   (4u << 20) /* --send: a body is posted once it is this large */

enum { KIND_INTERNAL = 1, KIND_SERVER = 2, KIND_CLIENT = 3 }; /* Span.SpanKind */
enum { STATUS_ERROR = 2 };                                    /* Status.StatusCode */

/* What names a span in its trace. */
struct span_ids {
    uint64_t trace_hi, trace_lo;
    uint64_t span;
    uint64_t parent; /* 0: a root */
};

struct otlp {
    const struct analysis *a;
    const struct findings *fs;
    struct export_stats *st;    /* the walk's; the spans written are counted here */
    struct otlp_sender *sender; /* --send; NULL: lines to out */
    FILE *out;                  /* the file, or the body being built (--send) */
    char *body;                 /* --send: out's buffer (open_memstream) */
    size_t body_len;
    struct json j;
    int body_open; /* a TracesData is open, its resourceSpans array too */
    int rs_open;   /* a ResourceSpans is open, down to its spans array */
    size_t rs_spans;
    long line_start; /* where the line began in the file, -1: unknown (a pipe) */
    int failed;

    /* The process being written. */
    uint64_t seed;    /* a hash of its pid and start */
    uint64_t counter; /* spans named so far */
    struct span_ids run;
    uint8_t *req_written; /* a bit per served request whose span is written */
    uint8_t *ep_done;     /* a byte per served endpoint: its first request had its events */
    size_t *finds;        /* its findings: indices in fs->v */
    size_t nfinds;
};

/* ---- ids ---- */

static uint64_t splitmix(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* A hash of h and v, never 0 (an invalid id). */
static uint64_t hash2(uint64_t h, uint64_t v)
{
    uint64_t x = splitmix(h ^ splitmix(v));
    return x ? x : 1;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1; /* W3C trace context: lowercase only */
}

/* Reads n hex digits (at most 16) into *v; whether they were. */
static int read_hex(const char *s, int n, uint64_t *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        int d = hex_value(s[i]);
        if (d < 0) return 0;
        *v = *v << 4 | (uint64_t)d;
    }
    return 1;
}

/* A W3C traceparent, "00-<32 hex trace id>-<16 hex parent id>-<2 hex
 * flags>" (a later version may add fields after it): whether tp is one,
 * with its ids in *ids.  All-zero ids and version ff are invalid. */
static int parse_traceparent(const char *tp, struct span_ids *ids)
{
    if (!tp) return 0;
    while (*tp == ' ' || *tp == '\t')
        tp++;
    size_t n = strlen(tp);
    while (n && (tp[n - 1] == ' ' || tp[n - 1] == '\t' || tp[n - 1] == '\r'))
        n--;
    uint64_t version, flags;
    if (n < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-') return 0;
    if (!read_hex(tp, 2, &version) || version == 0xff) return 0;
    if (version == 0 ? n != 55 : n > 55 && tp[55] != '-') return 0;
    if (!read_hex(tp + 3, 16, &ids->trace_hi) || !read_hex(tp + 19, 16, &ids->trace_lo) ||
        !read_hex(tp + 36, 16, &ids->parent) || !read_hex(tp + 53, 2, &flags))
        return 0;
    return (ids->trace_hi || ids->trace_lo) && ids->parent;
}

/* The ids of served request i of the process: its span's own, and its
 * trace: the traceparent's it carried, else one of its own. */
static struct span_ids request_ids(const struct otlp *o, const struct ex_process *p, size_t i)
{
    const struct http_request *r = &p->pr->requests[i];
    struct span_ids ids;
    const char *tp = r->traceparent ? strpool_get(&p->p->strings, r->traceparent) : NULL;
    if (!parse_traceparent(tp, &ids)) {
        ids.trace_hi = hash2(hash2(o->seed, 'T'), r->id);
        ids.trace_lo = hash2(hash2(o->seed, 't'), r->id);
        ids.parent = 0;
    }
    ids.span = hash2(hash2(o->seed, 'R'), i);
    return ids;
}

static void json_id(struct json *j, const char *key, uint64_t hi, uint64_t lo, int two)
{
    char buf[33];
    if (two)
        snprintf(buf, sizeof(buf), "%016" PRIx64 "%016" PRIx64, hi, lo);
    else
        snprintf(buf, sizeof(buf), "%016" PRIx64, lo);
    json_kv_str(j, key, buf);
}

/* ---- values: OTLP/JSON writes 64-bit integers as decimal strings ---- */

static void kv_dec(struct json *j, const char *key, int64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRId64, v);
    json_kv_str(j, key, buf);
}

static void attr_begin(struct json *j, const char *key)
{
    json_begin_object(j);
    json_kv_str(j, "key", key);
    json_key(j, "value");
    json_begin_object(j);
}

static void attr_end(struct json *j)
{
    json_end_object(j);
    json_end_object(j);
}

/* An attribute (KeyValue) of a string; none when v is NULL. */
static void attr_str(struct json *j, const char *key, const char *v)
{
    if (!v) return;
    attr_begin(j, key);
    json_kv_str(j, "stringValue", v);
    attr_end(j);
}

static void attr_int(struct json *j, const char *key, int64_t v)
{
    attr_begin(j, key);
    kv_dec(j, "intValue", v);
    attr_end(j);
}

static void attr_bool(struct json *j, const char *key, int v)
{
    attr_begin(j, key);
    json_kv_bool(j, "boolValue", v);
    attr_end(j);
}

/* ---- lines and bodies ---- */

static void begin_body(struct otlp *o)
{
    json_begin_object(&o->j); /* TracesData */
    json_key(&o->j, "resourceSpans");
    json_begin_array(&o->j);
    o->body_open = 1;
}

static void end_body(struct otlp *o)
{
    json_end_array(&o->j);
    json_end_object(&o->j); /* a line's end */
    o->body_open = 0;
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* service.name: $OTEL_SERVICE_NAME, as OpenTelemetry's SDKs take it; else
 * the program, not its whole command line (a name a backend groups by):
 * the script an interpreter runs ("app.py", "pytest" of "python3 -m
 * pytest"), or the executable's name. */
static const char *service_name(const struct ex_process *p)
{
    static const char *interpreters[] = {"python", "node", "ruby", "perl", "php"};
    const char *env = getenv("OTEL_SERVICE_NAME");
    if (env && *env) return env;
    const struct ws_process *wp = p->p;
    const char *prog = wp && wp->argc ? wp->argv[0] : p->exe ? p->exe : p->name;
    if (!prog) return "unknown_service";
    const char *base = base_name(prog);
    for (size_t i = 0; i < sizeof(interpreters) / sizeof(*interpreters); i++) {
        if (strncmp(base, interpreters[i], strlen(interpreters[i])) != 0) continue;
        for (size_t k = 1; wp && k < wp->argc; k++) {
            const char *arg = wp->argv[k];
            if (strcmp(arg, "-m") == 0 && k + 1 < wp->argc) return wp->argv[k + 1];
            if (strcmp(arg, "?") == 0) break; /* WHYSLOW_REDACT=argv */
            if (arg[0] == '-') {
                if (strcmp(arg, "-c") == 0 || strcmp(arg, "-e") == 0) break; /* code, not a file */
                continue;
            }
            return base_name(arg);
        }
        break;
    }
    return base;
}

static void resource(struct otlp *o, const struct ex_process *p)
{
    struct json *j = &o->j;
    json_key(j, "resource");
    json_begin_object(j);
    json_key(j, "attributes");
    json_begin_array(j);
    attr_str(j, "service.name", service_name(p));
    attr_int(j, "process.pid", (int64_t)p->pid);
    if (p->ppid) attr_int(j, "process.parent_pid", (int64_t)p->ppid);
    attr_str(j, "process.executable.path", p->exe);
    if (p->exe && *p->exe) attr_str(j, "process.executable.name", base_name(p->exe));
    const struct ws_process *wp = p->p;
    if (wp) attr_str(j, "host.name", wp->host);
    if (wp && wp->argc) {
        size_t len = 0;
        for (size_t i = 0; i < wp->argc; i++)
            len += strlen(wp->argv[i]) + 1;
        char *line = xmalloc(len), *at = line;
        for (size_t i = 0; i < wp->argc; i++) {
            size_t n = strlen(wp->argv[i]);
            memcpy(at, wp->argv[i], n);
            at += n;
            *at++ = i + 1 < wp->argc ? ' ' : '\0';
        }
        attr_str(j, "process.command_line", line);
        xfree(line);
        attr_begin(j, "process.command_args");
        json_key(j, "arrayValue");
        json_begin_object(j);
        json_key(j, "values");
        json_begin_array(j);
        for (size_t i = 0; i < wp->argc; i++) {
            json_begin_object(j);
            json_kv_str(j, "stringValue", wp->argv[i]);
            json_end_object(j);
        }
        json_end_array(j);
        json_end_object(j);
        attr_end(j);
    }
    json_end_array(j);
    json_end_object(j);
}

/* Opens a ResourceSpans of process p (and a TracesData when none is
 * open), down to its spans array. */
static void begin_rs(struct otlp *o, const struct ex_process *p)
{
    struct json *j = &o->j;
    if (!o->body_open) begin_body(o);
    json_begin_object(j);
    resource(o, p);
    json_kv_str(j, "schemaUrl", SCHEMA_URL);
    json_key(j, "scopeSpans");
    json_begin_array(j);
    json_begin_object(j);
    json_key(j, "scope");
    json_begin_object(j);
    json_kv_str(j, "name", "whyslow");
    json_kv_str(j, "version", WHYSLOW_VERSION);
    json_end_object(j);
    json_kv_str(j, "schemaUrl", SCHEMA_URL);
    json_key(j, "spans");
    json_begin_array(j);
    o->rs_open = 1;
    o->rs_spans = 0;
    if (!o->sender) o->line_start = ftell(o->out);
}

/* Closes the ResourceSpans; in a file, the line too. */
static void end_rs(struct otlp *o)
{
    if (!o->rs_open) return;
    json_end_array(&o->j);  /* spans */
    json_end_object(&o->j); /* ScopeSpans */
    json_end_array(&o->j);  /* scopeSpans */
    json_end_object(&o->j); /* ResourceSpans */
    o->rs_open = 0;
    if (!o->sender) end_body(o);
}

static void open_body_stream(struct otlp *o)
{
    o->body = NULL;
    o->body_len = 0;
    o->out = open_memstream(&o->body, &o->body_len);
    if (!o->out) {
        fprintf(stderr, "whyslow: export: out of memory\n");
        exit(1);
    }
    json_init_flat(&o->j, o->out);
}

/* --send: posts the body built so far (unless a post failed already),
 * and starts the next one. */
static void post_body(struct otlp *o)
{
    end_rs(o);
    if (!o->body_open) return;
    end_body(o);
    fclose(o->out);
    if (!o->failed && otlp_sender_post(o->sender, o->body, o->body_len) != 0) o->failed = 1;
    free(o->body);
    open_body_stream(o);
}

/* ---- spans ---- */

/* Opens a span down to its attributes array. */
static void span_begin(struct otlp *o, const struct ex_process *p, const struct span_ids *ids,
                       const char *name, int kind, int64_t start, int64_t end)
{
    struct json *j = &o->j;
    if (!o->rs_open) begin_rs(o, p);
    json_begin_object(j);
    json_id(j, "traceId", ids->trace_hi, ids->trace_lo, 1);
    json_id(j, "spanId", 0, ids->span, 0);
    if (ids->parent) json_id(j, "parentSpanId", 0, ids->parent, 0);
    json_kv_str(j, "name", name && *name ? name : "(unnamed)");
    json_kv_int(j, "kind", kind);
    kv_dec(j, "startTimeUnixNano", start);
    kv_dec(j, "endTimeUnixNano", end > start ? end : start);
    json_key(j, "attributes");
    json_begin_array(j);
}

static void span_attrs_end(struct otlp *o)
{
    json_end_array(&o->j);
}

/* Closes a span (its attributes array closed already), with status ERROR
 * when error; then closes the line or posts the body if it is full. */
static void span_end(struct otlp *o, int error)
{
    struct json *j = &o->j;
    if (error) {
        json_key(j, "status");
        json_begin_object(j);
        json_kv_int(j, "code", STATUS_ERROR);
        json_end_object(j);
    }
    json_end_object(j);
    o->rs_spans++;
    o->st->spans++;
    if (!o->sender) {
        if (o->rs_spans >= SPANS_PER_LINE ||
            (o->line_start >= 0 && ftell(o->out) - o->line_start >= (long)LINE_BYTES))
            end_rs(o);
    } else if (fflush(o->out) == 0 && o->body_len >= BODY_MAX) {
        post_body(o);
    }
}

/* A finding as an event (Span.Event). */
static void finding_event(struct json *j, const struct finding *f, int64_t at)
{
    json_begin_object(j);
    kv_dec(j, "timeUnixNano", at);
    json_kv_str(j, "name", finding_kind_name(f->kind));
    json_key(j, "attributes");
    json_begin_array(j);
    attr_str(j, "whyslow.severity", f->severity);
    attr_str(j, "whyslow.summary", f->summary);
    attr_int(j, "whyslow.cost_ns", (int64_t)f->cost_ns);
    if (f->count) attr_int(j, "whyslow.count", (int64_t)f->count);
    if (f->total_ns) attr_int(j, "whyslow.total_ns", (int64_t)f->total_ns);
    if (f->max_ns) attr_int(j, "whyslow.max_ns", (int64_t)f->max_ns);
    if (f->tid) attr_int(j, "thread.id", f->tid);
    json_end_array(j);
    json_end_object(j);
}

/* Whether finding f names served endpoint ep (an index in a->endpoints)
 * as one its events happened in. */
static int finding_in_endpoint(const struct otlp *o, const struct finding *f, size_t ep)
{
    if (f->kind == FINDING_N_PLUS_ONE) {
        size_t e = 0, k = 0;
        const struct endpoint_nplus1 *n;
        if (f->loop)
            while ((n = endpoint_nplus1_next(o->a, f->loop, &e, &k)))
                if (e == ep && n->pr == f->pr) return 1;
        return 0;
    }
    if (f->kind == FINDING_HTTP_N_PLUS_ONE)
        return f->http && f->http->served >= 0 && (size_t)f->http->served == ep;
    for (size_t k = 0; k < f->in.n; k++)
        if (f->in.v[k].group == ep) return 1;
    return 0;
}

/* The attributes every span has: its thread, its category, the walker's
 * arguments (as "whyslow.KEY"), its stack. */
static void common_attrs(struct otlp *o, const struct ex_process *p, const struct ex_slice *s)
{
    struct json *j = &o->j;
    const struct log_thread *t = process_find_thread(p->p, s->thread);
    attr_int(j, "thread.id", s->tid);
    if (t && t->name) attr_str(j, "thread.name", strpool_get(&p->p->strings, t->name));
    attr_str(j, "whyslow.category", s->cat);
    for (unsigned i = 0; i < s->nargs && i < EX_ARGS_MAX; i++) {
        const struct ex_arg *arg = &s->args[i];
        char key[128];
        if (!arg->key) continue;
        snprintf(key, sizeof(key), "whyslow.%s", arg->key);
        if (arg->s)
            attr_str(j, key, arg->s);
        else
            attr_int(j, key, arg->i);
    }
    attr_str(j, "code.stacktrace", s->stack);
}

static const struct ex_arg *find_arg(const struct ex_slice *s, const char *key)
{
    for (unsigned i = 0; i < s->nargs && i < EX_ARGS_MAX; i++)
        if (s->args[i].key && strcmp(s->args[i].key, key) == 0) return &s->args[i];
    return NULL;
}

/* ---- addresses ---- */

/* An address as "host:port", "[v6]:port", "host" or "unix:/path":
 * its host (or path) and port (0: none) in host[], *port. */
static void split_address(const char *a, char *host, size_t len, int64_t *port)
{
    *port = 0;
    host[0] = '\0';
    if (!a) return;
    if (strncmp(a, "unix:", 5) == 0) {
        snprintf(host, len, "%s", a + 5);
        return;
    }
    const char *colon;
    if (a[0] == '[') {
        const char *close = strchr(a, ']');
        if (!close) {
            snprintf(host, len, "%s", a);
            return;
        }
        snprintf(host, len, "%.*s", (int)(close - a - 1), a + 1);
        colon = close[1] == ':' ? close + 1 : NULL;
    } else {
        colon = strrchr(a, ':');
        if (colon && strchr(a, ':') != colon) colon = NULL; /* a bare IPv6 address */
        snprintf(host, len, "%.*s", (int)(colon ? (size_t)(colon - a) : strlen(a)), a);
    }
    if (colon) {
        char *end;
        long v = strtol(colon + 1, &end, 10);
        if (*end == '\0' && v > 0 && v < 65536) *port = v;
    }
}

/* server.address / client.address / network.peer.address style pairs. */
static void attr_address(struct json *j, const char *addr_key, const char *port_key, const char *a)
{
    char host[512];
    int64_t port;
    split_address(a, host, sizeof(host), &port);
    if (!host[0]) return;
    attr_str(j, addr_key, host);
    if (port) attr_int(j, port_key, port);
}

/* server.address and server.port of a call made to server (its Host
 * header, or its peer): the port, which the conventions require, from
 * the peer when the Host header has none, else HTTP's 80. */
static void attr_server(struct json *j, const char *server, const char *peer)
{
    char host[512], peer_host[512];
    int64_t port, peer_port = 0;
    split_address(server, host, sizeof(host), &port);
    if (!host[0]) return;
    if (!port && peer) split_address(peer, peer_host, sizeof(peer_host), &peer_port);
    attr_str(j, "server.address", host);
    if (strncmp(server, "unix:", 5) != 0) /* a Unix socket has no port */
        attr_int(j, "server.port", port ? port : peer_port ? peer_port : 80);
}

/* ---- what each kind of slice becomes ---- */

static const char *pstr(const struct ex_process *p, uint32_t id)
{
    return id ? strpool_get(&p->p->strings, id) : NULL;
}

/* http.request.method: the method if HTTP defines it, else _OTHER. */
static int known_method(const char *m)
{
    static const char *const known[] = {"GET",     "HEAD",    "POST",  "PUT",  "DELETE",
                                        "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    for (size_t i = 0; m && i < sizeof(known) / sizeof(known[0]); i++)
        if (strcmp(m, known[i]) == 0) return 1;
    return 0;
}

static void attr_method(struct json *j, const char *method)
{
    if (!method) return;
    if (known_method(method)) {
        attr_str(j, "http.request.method", method);
    } else {
        attr_str(j, "http.request.method", "_OTHER");
        attr_str(j, "http.request.method_original", method);
    }
}

/* The route of request r: its endpoint's template. */
static const char *route_of(const struct otlp *o, const struct ex_process *p,
                            const struct http_request *r)
{
    const char *t = pstr(p, r->template);
    if (t) return t;
    if (!r->outgoing && r->endpoint < o->a->nendpoints) return o->a->endpoints[r->endpoint].path;
    if (r->outgoing && r->endpoint < o->a->ncalled) return o->a->called[r->endpoint].path;
    return NULL;
}

static void served_request(struct otlp *o, const struct ex_process *p, const struct ex_slice *s,
                           size_t i)
{
    struct json *j = &o->j;
    const struct http_request *r = s->req;
    struct span_ids ids = request_ids(o, p, i);
    const char *method = pstr(p, r->method);
    const char *route = route_of(o, p, r);
    char name[1024];
    /* Span names are few: a turn is "turn" (its peer is an attribute),
     * a request its method and route. */
    if (r->turn)
        snprintf(name, sizeof(name), "turn");
    else if (route)
        snprintf(name, sizeof(name), "%s %s", known_method(method) ? method : "HTTP", route);
    else
        snprintf(name, sizeof(name), "%s", known_method(method) ? method : "HTTP");
    int error = s->failed || r->status >= 500;
    span_begin(o, p, &ids, name, KIND_SERVER, s->start, s->end);
    if (!r->turn) {
        attr_method(j, method);
        attr_str(j, "url.scheme", "http");
        attr_str(j, "url.path", pstr(p, r->path));
        const char *target = pstr(p, r->target);
        const char *q = target ? strchr(target, '?') : NULL;
        if (q) attr_str(j, "url.query", q + 1);
        attr_str(j, "http.route", route);
        if (r->status) attr_int(j, "http.response.status_code", r->status);
        if (r->status >= 500) {
            char code[16];
            snprintf(code, sizeof(code), "%u", r->status);
            attr_str(j, "error.type", code);
        }
        attr_address(j, "server.address", "server.port", pstr(p, r->host));
    } else {
        attr_str(j, "whyslow.protocol", "other");
    }
    const char *peer = pstr(p, r->peer);
    attr_address(j, "client.address", "client.port", peer);
    attr_address(j, "network.peer.address", "network.peer.port", peer);
    attr_int(j, "whyslow.request.id", (int64_t)r->id);
    if (!r->complete) attr_bool(j, "whyslow.request.complete", 0);
    common_attrs(o, p, s);
    span_attrs_end(o);

    /* The findings of its endpoint, on its first request in the process. */
    if (!r->turn && r->endpoint < o->a->nendpoints && !o->ep_done[r->endpoint]) {
        int any = 0;
        o->ep_done[r->endpoint] = 1;
        for (size_t k = 0; k < o->nfinds; k++) {
            const struct finding *f = &o->fs->v[o->finds[k]];
            if (!finding_in_endpoint(o, f, r->endpoint)) continue;
            if (!any) {
                json_key(j, "events");
                json_begin_array(j);
                any = 1;
            }
            finding_event(j, f, s->start);
        }
        if (any) json_end_array(j);
    }
    span_end(o, error);
    o->req_written[i / 8] |= (uint8_t)(1u << i % 8);
}

static void outgoing_call(struct otlp *o, const struct ex_process *p, const struct ex_slice *s,
                          const struct span_ids *ids)
{
    struct json *j = &o->j;
    const struct http_request *r = s->req;
    if (!r) {
        span_begin(o, p, ids, s->name, KIND_CLIENT, s->start, s->end);
        common_attrs(o, p, s);
        span_attrs_end(o);
        span_end(o, s->failed);
        return;
    }
    const char *method = pstr(p, r->method);
    const char *route = route_of(o, p, r);
    const char *host = pstr(p, r->host);
    const char *target = pstr(p, r->target);
    const char *peer = pstr(p, r->peer);
    char name[1024];
    if (route)
        snprintf(name, sizeof(name), "%s %s", known_method(method) ? method : "HTTP", route);
    else
        snprintf(name, sizeof(name), "%s", known_method(method) ? method : "HTTP");
    /* No response (the connection failed or closed first) is an error too. */
    int error = s->failed || r->status >= 400 || r->status == 0;
    span_begin(o, p, ids, name, KIND_CLIENT, s->start, s->end);
    attr_method(j, method);
    const char *server = host ? host : peer; /* without a Host header, the peer */
    if (target && (strncmp(target, "http://", 7) == 0 || strncmp(target, "https://", 8) == 0)) {
        attr_str(j, "url.full", target); /* absolute form (to a proxy) */
    } else if (target && server) {
        char *full = xprintf("http://%s%s", server, target);
        attr_str(j, "url.full", full);
        xfree(full);
    }
    attr_str(j, "url.template", route);
    if (r->status) attr_int(j, "http.response.status_code", r->status);
    if (r->status >= 400) {
        char code[16];
        snprintf(code, sizeof(code), "%u", r->status);
        attr_str(j, "error.type", code);
    } else if (r->status == 0) {
        attr_str(j, "error.type", "_OTHER");
    }
    attr_server(j, server, peer);
    attr_address(j, "network.peer.address", "network.peer.port", peer);
    attr_int(j, "whyslow.request.id", (int64_t)r->id);
    attr_str(j, "whyslow.traceparent", pstr(p, r->traceparent));
    common_attrs(o, p, s);
    span_attrs_end(o);
    span_end(o, error);
}

/* A character of an unquoted identifier (a UTF-8 byte beyond ASCII too),
 * or of a qualified name ("main.users"). */
static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '$' || (unsigned char)c >= 0x80;
}

/* The length of the (possibly quoted, possibly qualified) name at t:
 * "my table", `t`, [t], main."users". */
static size_t name_length(const char *t)
{
    size_t n = 0;
    for (;;) {
        char q = t[n] == '"' || t[n] == '`' ? t[n] : t[n] == '[' ? ']' : 0;
        if (q) {
            const char *close = strchr(t + n + 1, q);
            if (!close) return 0;
            n = (size_t)(close - t) + 1;
        } else {
            while (t[n] && ident_char(t[n]) && t[n] != '.')
                n++;
        }
        if (t[n] != '.') return n;
        n++;
    }
}

/* The operation (first word, upper case) and the collection (the table
 * after FROM, INTO or UPDATE outside brackets) of a normalized
 * statement, as db.operation.name and db.collection.name may be parsed
 * from the text: no collection when the statement may name several (a
 * join, a list of tables, a WITH, a subquery in FROM), as the
 * conventions ask. */
static void parse_statement(const char *sql, const struct query *q, char *op, size_t oplen,
                            char *coll, size_t colllen)
{
    op[0] = coll[0] = '\0';
    const char *s = sql;
    while (*s == ' ' || *s == '(')
        s++;
    size_t n = 0;
    while (s[n] && ident_char(s[n]) && s[n] != '.')
        n++;
    const char *kind = q && q->kind != SQL_OTHER ? sql_kind_name(q->kind) : NULL;
    const char *word = kind ? kind : s;
    size_t wlen = kind ? strlen(kind) : n;
    if (wlen >= oplen) wlen = oplen - 1;
    for (size_t i = 0; i < wlen; i++)
        op[i] = (char)(word[i] >= 'a' && word[i] <= 'z' ? word[i] - 32 : word[i]);
    op[wlen] = '\0';

    const char *after = strcmp(op, "SELECT") == 0 || strcmp(op, "DELETE") == 0 ? "from"
                        : strcmp(op, "INSERT") == 0                            ? "into"
                        : strcmp(op, "UPDATE") == 0                            ? "update"
                                                                               : NULL;
    if (!after || strncasecmp(s, "with", 4) == 0 || strcasestr(sql, " join ")) return;
    size_t alen = strlen(after);
    int depth = 0;
    for (const char *c = sql; *c; c++) {
        if (*c == '(') depth++;
        if (*c == ')' && depth > 0) depth--;
        if (*c == '\'') { /* a literal left in: skip it */
            for (c++; *c && *c != '\''; c++)
                ;
            if (!*c) return;
            continue;
        }
        if (depth || strncasecmp(c, after, alen) != 0 || (c > sql && ident_char(c[-1])) ||
            c[alen] != ' ')
            continue;
        const char *t = c + alen + 1;
        size_t tl = name_length(t);
        /* "from a, b" names two; "from a x, b" too */
        const char *rest = t + tl;
        while (*rest == ' ')
            rest++;
        if (ident_char(*rest) && strncasecmp(rest, "where", 5) && strncasecmp(rest, "order", 5) &&
            strncasecmp(rest, "group", 5) && strncasecmp(rest, "limit", 5) &&
            strncasecmp(rest, "set", 3) && strncasecmp(rest, "values", 6)) {
            rest += name_length(rest); /* an alias */
            while (*rest == ' ')
                rest++;
        }
        if (*rest == ',') return;
        if (tl && tl < colllen) snprintf(coll, colllen, "%.*s", (int)tl, t);
        return;
    }
}

static void query_span(struct otlp *o, const struct ex_process *p, const struct ex_slice *s,
                       const struct span_ids *ids)
{
    struct json *j = &o->j;
    const struct query *q = s->query;
    int postgres = q && q->db == SQL_POSTGRES;
    const char *system = postgres ? "postgresql" : "sqlite";
    char op[32], coll[256], name[300];
    parse_statement(s->name ? s->name : "", q, op, sizeof(op), coll, sizeof(coll));
    if (op[0] && coll[0])
        snprintf(name, sizeof(name), "%s %s", op, coll);
    else
        snprintf(name, sizeof(name), "%s", op[0] ? op : system);
    span_begin(o, p, ids, name, KIND_CLIENT, s->start, s->end);
    attr_str(j, "db.system.name", system);
    attr_str(j, "db.query.text", s->name);
    if (op[0]) attr_str(j, "db.operation.name", op);
    if (coll[0]) attr_str(j, "db.collection.name", coll);
    const struct ex_arg *rows = find_arg(s, "rows");
    if (rows && !rows->s) attr_int(j, "db.response.returned_rows", rows->i);
    const struct ex_arg *result = find_arg(s, "result");
    if (s->failed && result && !result->s && !postgres) {
        /* SQLite's result code; libpq's status is no SQLSTATE: _OTHER. */
        char code[24];
        snprintf(code, sizeof(code), "%" PRId64, result->i);
        attr_str(j, "db.response.status_code", code);
        attr_str(j, "error.type", code);
    } else if (s->failed) {
        attr_str(j, "error.type", "_OTHER");
    }
    common_attrs(o, p, s);
    span_attrs_end(o);
    span_end(o, s->failed);
}

static void plain_span(struct otlp *o, const struct ex_process *p, const struct ex_slice *s,
                       const struct span_ids *ids)
{
    /* A lock wait is named by its call: the lock (an address, perhaps) is
     * an attribute, whyslow.lock. */
    const struct ex_arg *call = s->kind == EX_LOCK ? find_arg(s, "call") : NULL;
    span_begin(o, p, ids, call && call->s ? call->s : s->name, KIND_INTERNAL, s->start, s->end);
    common_attrs(o, p, s);
    span_attrs_end(o);
    span_end(o, s->failed);
}

/* ---- the sink ---- */

static void on_process(void *ctx, const struct ex_process *p)
{
    struct otlp *o = ctx;
    o->seed = hash2(hash2(0x77687973u, p->pid), (uint64_t)p->start);
    o->counter = 0;
    o->run.trace_hi = hash2(o->seed, 'P');
    o->run.trace_lo = hash2(o->seed, 'p');
    o->run.span = hash2(o->seed, 'S');
    o->run.parent = 0;
    const struct proc_report *pr = p->pr;
    o->req_written = xcalloc(pr->nrequests / 8 + 1, 1);
    o->ep_done = xcalloc(o->a->nendpoints + 1, 1);
    o->nfinds = 0;
    o->finds = xcalloc(o->fs ? o->fs->n + 1 : 1, sizeof(*o->finds));
    for (size_t i = 0; o->fs && i < o->fs->n; i++)
        if (o->fs->v[i].pr == pr) o->finds[o->nfinds++] = i;
}

static void on_thread(void *ctx, const struct ex_process *p, uint32_t tid, uint32_t serial,
                      const char *name)
{
    /* Nothing: a span names its thread from the log (common_attrs()). */
    (void)ctx, (void)p, (void)tid, (void)serial, (void)name;
}

static void on_slice(void *ctx, const struct ex_process *p, const struct ex_slice *s)
{
    struct otlp *o = ctx;
    const struct proc_report *pr = p->pr;
    const struct ex_arg *wait;
    if (o->sender && o->failed) return; /* nothing more is posted */
    switch (s->kind) {
    case EX_CALL:
        if (!s->slow) return;
        break;
    case EX_LOCK:
        wait = find_arg(s, "wait");
        if (!wait || wait->s || wait->i != 1) return;
        break;
    case EX_REQUEST:
        if (s->req && !s->req->outgoing && s->req >= pr->requests &&
            s->req < pr->requests + pr->nrequests)
            served_request(o, p, s, (size_t)(s->req - pr->requests));
        return;
    case EX_QUERY:
    case EX_OUTGOING:
        break;
    case EX_MARK:
    default:
        return;
    }

    /* Its parent: the served request it was made for, if that request's
     * span is written; else the process's run. */
    int64_t in = s->kind == EX_OUTGOING && s->req ? s->req->parent : s->request;
    struct span_ids ids;
    if (in >= 0 && (size_t)in < pr->nrequests &&
        o->req_written[(size_t)in / 8] & (1u << (size_t)in % 8)) {
        ids = request_ids(o, p, (size_t)in);
        ids.parent = ids.span;
    } else {
        ids = o->run;
        ids.parent = o->run.span;
    }
    ids.span = hash2(hash2(o->seed, (uint64_t)s->start), ++o->counter);

    if (s->kind == EX_QUERY)
        query_span(o, p, s, &ids);
    else if (s->kind == EX_OUTGOING)
        outgoing_call(o, p, s, &ids);
    else
        plain_span(o, p, s, &ids);
}

static void on_counter(void *ctx, const struct ex_process *p, uint32_t tid, const char *name,
                       int64_t at, double value)
{
    /* Counters are metrics, not spans: OTLP traces have no place for them. */
    (void)ctx, (void)p, (void)tid, (void)name, (void)at, (void)value;
}

/* The process's own span, its run, with the findings as events; it ends
 * the process's last line. */
static void run_span(struct otlp *o, const struct ex_process *p)
{
    struct json *j = &o->j;
    span_begin(o, p, &o->run, service_name(p), KIND_INTERNAL, p->start, p->end);
    attr_int(j, "process.pid", (int64_t)p->pid);
    if (p->dropped) {
        attr_int(j, "whyslow.dropped_events", (int64_t)p->dropped);
        if (o->st && o->st->dropped_below)
            attr_int(j, "whyslow.dropped_below_ns", (int64_t)o->st->dropped_below);
    }
    if (p->lost) attr_int(j, "whyslow.lost_events", (int64_t)p->lost);
    span_attrs_end(o);
    if (o->nfinds) {
        json_key(j, "events");
        json_begin_array(j);
        for (size_t k = 0; k < o->nfinds; k++)
            finding_event(j, &o->fs->v[o->finds[k]], p->start);
        json_end_array(j);
    }
    span_end(o, 0);
    end_rs(o);
}

static void on_process_end(void *ctx, const struct ex_process *p)
{
    struct otlp *o = ctx;
    if (!(o->sender && o->failed)) run_span(o, p);
    xfree(o->req_written);
    xfree(o->ep_done);
    xfree(o->finds);
    o->req_written = o->ep_done = NULL;
    o->finds = NULL;
    o->nfinds = 0;
}

static int on_finish(void *ctx)
{
    struct otlp *o = ctx;
    int rc;
    if (o->sender) {
        post_body(o); /* what is left, if anything */
        fclose(o->out);
        free(o->body);
        otlp_sender_free(o->sender);
        rc = o->failed ? 1 : 0;
    } else {
        end_rs(o);
        rc = fflush(o->out) != 0 || ferror(o->out) ? 1 : 0;
    }
    xfree(o);
    return rc;
}

void otlp_sink(struct ex_sink *s, FILE *f, const char *url, const struct analysis *a,
               const struct findings *fs, struct export_stats *st)
{
    struct otlp *o = xcalloc(1, sizeof(*o));
    o->a = a;
    o->fs = fs;
    o->st = st;
    if (url) {
        o->sender = otlp_sender_new(url);
        if (!o->sender) o->failed = 1;
        open_body_stream(o);
    } else {
        o->out = f;
        json_init_flat(&o->j, f);
    }
    *s =
        (struct ex_sink){o, on_process, on_thread, on_slice, on_counter, on_process_end, on_finish};
}
