/* SPDX-License-Identifier: MIT */
/*
 * otlp_send.c - posting the OTLP/JSON bodies otlp.c builds to a
 * collector (`whyslow export --format otlp --send`), with libcurl: HTTP
 * and HTTPS, the endpoint and headers of OpenTelemetry's exporter
 * environment variables, timeouts, and the retries OTLP/HTTP asks of a
 * client (429, 502, 503, 504 and failed connections are tried again,
 * Retry-After honoured).  This is the only file that uses libcurl.
 */
#include "export/otlp_send.h"

#include "base/text.h"
#include "base/util.h"

#include <curl/curl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ATTEMPTS           5
#define FIRST_WAIT_MS      500
#define RETRY_AFTER_MAX_S  30
#define CONNECT_TIMEOUT_S  10
#define REQUEST_TIMEOUT_S  60
#define ANSWER_KEEP        200 /* bytes of an error answer quoted on stderr */
#define DEFAULT_TRACES_URL "http://localhost:4318/v1/traces"

struct otlp_sender {
    char *url;
    CURL *curl;
    struct curl_slist *headers;
    char errbuf[CURL_ERROR_SIZE];
    char answer[ANSWER_KEEP + 1]; /* the start of the last answer's body */
    size_t answer_len;
};

static int curl_ready; /* curl_global_init was called */

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

char *otlp_send_url(const char *arg)
{
    if (arg && *arg) return xstrdup(arg);
    const char *v = env("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
    if (v) return xstrdup(v);
    v = env("OTEL_EXPORTER_OTLP_ENDPOINT");
    if (v) {
        size_t n = strlen(v);
        return xprintf("%.*s/v1/traces", (int)(v[n - 1] == '/' ? n - 1 : n), v);
    }
    return xstrdup(DEFAULT_TRACES_URL);
}

/* The URL without what is between "//" and "@" (a user and password),
 * for messages. */
static void url_for_message(const char *url, char *buf, size_t len)
{
    const char *auth = strstr(url, "//");
    const char *at = auth ? strchr(auth + 2, '@') : NULL;
    const char *slash = auth ? strchr(auth + 2, '/') : NULL;
    char tmp[2048];
    if (at && (!slash || at < slash))
        snprintf(tmp, sizeof(tmp), "%.*s%s", (int)(auth + 2 - url), url, at + 1);
    else
        snprintf(tmp, sizeof(tmp), "%s", url);
    text_safe(tmp, buf, len);
}

static int hex_digit(int c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* s[0..n) with %XX decoded, to xfree; *len: its length (a %00 decodes
 * to a NUL inside it). */
static char *percent_decode(const char *s, size_t n, size_t *len)
{
    char *out = xmalloc(n + 1);
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        int hi, lo;
        if (s[i] == '%' && i + 2 < n && (hi = hex_digit((unsigned char)s[i + 1])) >= 0 &&
            (lo = hex_digit((unsigned char)s[i + 2])) >= 0) {
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = s[i];
        }
    }
    out[o] = '\0';
    *len = o;
    return out;
}

/* Whether v[0..n) holds a control character (a NUL, CR, LF...) that
 * would cut or split a header line; a tab is allowed. */
static int has_control(const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f) return 1;
    return 0;
}

static int is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Whether key[0..n) is an HTTP header name (an RFC 9110 token). */
static int header_name(const char *key, size_t n)
{
    if (n == 0) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)key[i];
        if (c <= 0x20 || c >= 0x7f || strchr("\"(),/:;<=>?@[\\]{}", c)) return 0;
    }
    return 1;
}

/* Adds the headers of the list "k1=v1,k2=v2" (variable `from`) to *list;
 * members that are no key=value pair are left out, each with a line on
 * stderr. */
static void add_env_headers(struct curl_slist **list, const char *from, const char *v)
{
    while (*v) {
        const char *end = strchr(v, ',');
        if (!end) end = v + strlen(v);
        const char *a = v, *b = end;
        while (a < b && is_ows(*a))
            a++;
        while (b > a && is_ows(b[-1]))
            b--;
        const char *eq = memchr(a, '=', (size_t)(b - a));
        if (a < b) {
            const char *ke = eq ? eq : a;
            while (ke > a && is_ows(ke[-1]))
                ke--;
            char *value = NULL;
            size_t vlen = 0;
            if (eq) {
                const char *vs = eq + 1;
                while (vs < b && is_ows(*vs))
                    vs++;
                value = percent_decode(vs, (size_t)(b - vs), &vlen);
            }
            if (!eq || !header_name(a, (size_t)(ke - a)) || has_control(value, vlen)) {
                /* Its key only: the value may be a secret (a token). */
                char safe[256], raw[256];
                snprintf(raw, sizeof(raw), "%.*s", (int)(ke - a), a);
                fprintf(stderr,
                        "whyslow: %s: left out the header \"%s\": not key=value of a header\n",
                        from, text_safe(raw, safe, sizeof(safe)));
            } else if (!(ke - a == 12 && strncasecmp(a, "content-type", 12) == 0)) {
                /* "name;" is curl's way to send a header with no value. */
                char *line = *value ? xprintf("%.*s: %s", (int)(ke - a), a, value)
                                    : xprintf("%.*s;", (int)(ke - a), a);
                *list = curl_slist_append(*list, line);
                xfree(line);
            }
            xfree(value);
        }
        v = *end ? end + 1 : end;
    }
}

static size_t keep_answer(char *data, size_t size, size_t n, void *arg)
{
    struct otlp_sender *s = arg;
    size_t len = size * n;
    size_t room = ANSWER_KEEP - s->answer_len;
    size_t take = len < room ? len : room;
    memcpy(s->answer + s->answer_len, data, take);
    s->answer_len += take;
    s->answer[s->answer_len] = '\0';
    return len;
}

struct otlp_sender *otlp_sender_new(const char *url)
{
    if (!curl_ready) {
        CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
        if (rc != CURLE_OK) {
            fprintf(stderr, "whyslow: libcurl cannot start: %s\n", curl_easy_strerror(rc));
            return NULL;
        }
        curl_ready = 1;
    }
    struct otlp_sender *s = xcalloc(1, sizeof(*s));
    s->url = xstrdup(url);
    s->curl = curl_easy_init();
    if (!s->curl) {
        fprintf(stderr, "whyslow: libcurl cannot start\n");
        otlp_sender_free(s);
        return NULL;
    }
    s->headers = curl_slist_append(NULL, "Content-Type: application/json");
    const char *from = "OTEL_EXPORTER_OTLP_TRACES_HEADERS";
    const char *h = env(from);
    if (!h) h = env(from = "OTEL_EXPORTER_OTLP_HEADERS");
    if (h) add_env_headers(&s->headers, from, h);

    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_URL, s->url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, s->headers);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "whyslow/" WHYSLOW_VERSION);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)REQUEST_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, s->errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, keep_answer);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85 */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    return s;
}

/* Whether a failed transfer may work when tried again: the connection
 * could not be made or broke. */
static int retry_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return 1;
    default:
        return 0;
    }
}

static int retry_status(long status)
{
    return status == 429 || status == 502 || status == 503 || status == 504;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, ms % 1000 * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

int otlp_sender_post(struct otlp_sender *s, const char *body, size_t len)
{
    CURL *c = s->curl;
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    long wait_ms = FIRST_WAIT_MS;
    long status = 0;
    CURLcode rc = CURLE_OK;
    int attempt;
    for (attempt = 1; attempt <= ATTEMPTS; attempt++) {
        s->errbuf[0] = '\0';
        s->answer_len = 0;
        s->answer[0] = '\0';
        status = 0;
        rc = curl_easy_perform(c);
        int again;
        if (rc == CURLE_OK) {
            curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
            if (status >= 200 && status < 300) return 0;
            again = retry_status(status);
        } else {
            again = retry_curl(rc);
        }
        if (!again || attempt == ATTEMPTS) break;
        long ms = wait_ms;
        curl_off_t after = 0;       /* seconds; 0 also when there was no Retry-After */
#if LIBCURL_VERSION_NUM >= 0x074200 /* 7.66: CURLINFO_RETRY_AFTER */
        if (rc == CURLE_OK && curl_easy_getinfo(c, CURLINFO_RETRY_AFTER, &after) == CURLE_OK &&
            after > 0)
            ms = (after > RETRY_AFTER_MAX_S ? RETRY_AFTER_MAX_S : (long)after) * 1000;
#endif
        sleep_ms(ms);
        wait_ms *= 2;
    }
    char where[1024], why[CURL_ERROR_SIZE + 64];
    url_for_message(s->url, where, sizeof(where));
    if (rc == CURLE_OK) {
        char answer[ANSWER_KEEP + 8];
        for (size_t i = 0; i < s->answer_len; i++)
            if (s->answer[i] == '\n' || s->answer[i] == '\r') s->answer[i] = ' ';
        text_safe(s->answer, answer, sizeof(answer));
        snprintf(why, sizeof(why), "HTTP %ld%s%s", status, *answer ? ": " : "", answer);
    } else {
        text_safe(*s->errbuf ? s->errbuf : curl_easy_strerror(rc), why, sizeof(why));
    }
    int tries = attempt > ATTEMPTS ? ATTEMPTS : attempt;
    fprintf(stderr, "whyslow: export: posting to %s failed: %s", where, why);
    if (tries > 1) fprintf(stderr, " (%d attempts)", tries);
    fputc('\n', stderr);
    return -1;
}

void otlp_sender_free(struct otlp_sender *s)
{
    if (!s) return;
    if (s->curl) curl_easy_cleanup(s->curl);
    curl_slist_free_all(s->headers);
    xfree(s->url);
    xfree(s);
}
