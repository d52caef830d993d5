/* SPDX-License-Identifier: MIT */
/*
 * http.c - HTTP/1.x messages in the bytes of a stream socket.
 *
 * A server's requests and a client's calls are in the bytes it reads and
 * writes on its connections.  For each stream socket (fdinfo.c and the
 * accept and connect wrappers mark them WS_FD_WATCH) and each direction,
 * a small parser follows the messages: a head (a request line or a status
 * line, then header lines up to an empty one), then a body framed by
 * Content-Length, by chunks, or by the connection's end.  At a message's
 * first line it writes a WS_EV_HTTP head record (format.h) holding that
 * line and the Host and traceparent headers when they are in the same
 * call's bytes; when the message is complete, an end record.  Nothing
 * else of the bytes is kept: the other headers and the bodies are only
 * counted through, chunk sizes read and dropped.
 *
 * A direction whose first bytes are no HTTP message is left alone until
 * the fd is closed, accepted or connected again: a database's or a
 * queue's connection costs one look.  A header line split between two
 * calls is carried over when it is short (the framing headers are);
 * Host and traceparent are taken from the first call's bytes only.  Two
 * threads reading one connection at once may confuse its parser: the
 * records are then wrong, never the program's bytes.
 *
 * Called from the wrappers after the real call: pure computation on the
 * bytes the call moved, and records.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "internal.h"

int ws_http_on = 1;            /* WHYSLOW_HTTP=off turns it off */
int ws_redact_url WS_START_RW; /* WHYSLOW_REDACT=url: no query strings */

enum mode {
    M_START,      /* a message's first byte comes next */
    M_HEAD,       /* in its header lines */
    M_BODY_LEN,   /* in a body of `left` bytes */
    M_CHUNK_SIZE, /* in a chunk's size line (left: the size so far) */
    M_CHUNK_DATA, /* in a chunk of `left` bytes, then its CRLF */
    M_TRAILER,    /* after the last chunk, up to an empty line */
    M_CLOSE,      /* in a body that ends with the connection */
    M_OFF,        /* not HTTP: left alone */
};

#define LINE_CARRY 40 /* a split header line kept up to this many bytes */

struct http_dir {
    uint64_t left;
    uint8_t mode;
    uint8_t response;  /* the message in progress is a response */
    uint8_t flags;     /* WS_HTTP_* of the message in progress */
    uint8_t line_len;  /* bytes in line */
    uint8_t line_full; /* the carried line was longer than line */
    uint8_t size_done; /* M_CHUNK_SIZE: past the digits (an extension) */
    uint16_t status;
    char line[LINE_CARRY];
};

struct http_fd {
    struct http_dir dir[2]; /* WS_HTTP_IN (read), WS_HTTP_OUT (written) */
    /* Requests whose method was HEAD, in order, not yet answered: their
     * responses have no body. */
    uint64_t heads;
    uint8_t nheads;
    /* Its bytes are TLS records: the parsers take the plaintext from
     * OpenSSL's calls (wrap_ssl.c), not the socket's bytes. */
    uint8_t tls;
    /* An accepted connection (the program serves it), and what it did on
     * it last (1: read, 2: wrote): its turns, when it is no HTTP; http:
     * an HTTP message was seen on it (then no turns, ever). */
    uint8_t served, last_op, http;
};

/*
 * The state of each fd's connection, 8 MiB of address space: mapped at
 * the first connection followed (table.c), not in the library's .bss.
 * There it made the library span more than 2 MiB, which the kernel then
 * places at a 2 MiB boundary, and the libraries loaded after it each
 * lower: in a program of many libraries (cmake: some 30) that took more
 * page tables to map them, 70 to 130 us more at each start, traced or
 * not.
 */
static void *_Atomic conns;

/* fd's state, the table mapped first when make; NULL when there is none:
 * an fd past the table, no connection followed yet, or no memory for the
 * table (then none is, and each one that is not counts as an event
 * lost). */
static struct http_fd *conn(int fd, int make)
{
    if ((unsigned)fd >= WS_FD_TABLE) return NULL;
    struct http_fd *all = make ? ws_table_map(&conns, WS_FD_TABLE * sizeof *all)
                               : atomic_load_explicit(&conns, memory_order_acquire);
    if (!all && make) ws_lose();
    return all ? &all[fd] : NULL;
}

void ws_http_watch(int fd, int served)
{
    if (!ws_http_on || (unsigned)fd >= WS_FD_TABLE) return;
    int saved = errno, type = 0;
    socklen_t len = sizeof type;
    int stream = getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM;
    struct http_fd *c = stream ? conn(fd, 1) : NULL;
    errno = saved;
    if (!c) return;
    /* Unknown (an fd first seen used): what an accept said of it, in this
     * process or in the parent it was inherited from (a PostgreSQL
     * backend's client, accepted by the postmaster before its fork). */
    int was = c->served;
    ws_http_reset(fd);
    c->served = (uint8_t)(served < 0 ? was : served);
    ws_fd_set(fd, 1 | WS_FD_WATCH);
}

void ws_http_reset(int fd)
{
    struct http_fd *c = conn(fd, 0);
    if (!c) return;
    /* Only what is in use: most fds' entries are never touched. */
    if (c->dir[0].mode || c->dir[1].mode || c->nheads || c->tls || c->served || c->last_op ||
        c->http)
        memset(c, 0, sizeof *c);
}

/* Whether a line (n bytes, without its LF) is the empty one that ends a
 * head. */
static int blank(const char *line, size_t n)
{
    return n == 0 || (n == 1 && line[0] == '\r');
}

static int lower(int c)
{
    return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

/* Whether line (n bytes) starts with the header name `name:` (lower case,
 * k bytes).  HEADER_IS() gives k as the literal's size: no strlen call for
 * each line of each message. */
static inline int header_is(const char *line, size_t n, const char *name, size_t k)
{
    if (n <= k || line[k] != ':') return 0;
    for (size_t i = 0; i < k; i++)
        if (lower((unsigned char)line[i]) != name[i]) return 0;
    return 1;
}
#define HEADER_IS(line, n, name) header_is(line, n, name, sizeof name - 1)

/* The value of a header line after its colon, spaces trimmed. */
static const char *header_value(const char *line, size_t n, size_t *vlen)
{
    const char *v = memchr(line, ':', n);
    const char *end = line + n;
    if (!v) {
        *vlen = 0;
        return line;
    }
    v++;
    while (v < end && (*v == ' ' || *v == '\t'))
        v++;
    while (end > v && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
        end--;
    *vlen = (size_t)(end - v);
    return v;
}

static int contains_token(const char *v, size_t n, const char *token)
{
    size_t k = strlen(token);
    for (size_t i = 0; i + k <= n; i++) {
        size_t j = 0;
        while (j < k && lower((unsigned char)v[i + j]) == token[j])
            j++;
        if (j == k) return 1;
    }
    return 0;
}

/* A complete header line (without its LF) of the message in d: only the
 * framing headers matter, told apart by their first letter first. */
static void header_line(struct http_dir *d, const char *line, size_t n)
{
    size_t vlen;
    const char *v;
    int first = n ? lower((unsigned char)line[0]) : 0;
    if (first == 'c' && HEADER_IS(line, n, "content-length")) {
        v = header_value(line, n, &vlen);
        uint64_t len = 0;
        size_t i = 0;
        for (; i < vlen && v[i] >= '0' && v[i] <= '9' && len < (UINT64_MAX - 9) / 10; i++)
            len = len * 10 + (uint64_t)(v[i] - '0');
        if (i > 0) {
            d->flags |= WS_HTTP_LENGTH;
            d->left = len;
        }
    } else if (first == 't' && HEADER_IS(line, n, "transfer-encoding")) {
        v = header_value(line, n, &vlen);
        if (contains_token(v, vlen, "chunked")) d->flags |= WS_HTTP_CHUNKED;
    }
}

/* The request methods, each with its space, and its length. */
static const struct {
    char name[9];
    uint8_t len;
} methods[] = {{"GET ", 4},     {"POST ", 5},  {"PUT ", 4},   {"DELETE ", 7}, {"HEAD ", 5},
               {"OPTIONS ", 8}, {"PATCH ", 6}, {"TRACE ", 6}, {"CONNECT ", 8}};

/* What the bytes at p (n of them) start: 1 a request, 2 a response, 0
 * neither (or too few bytes to tell). */
static int message_start(const char *p, size_t n)
{
    if (n >= 7 && memcmp(p, "HTTP/1.", 7) == 0) return 2;
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        size_t k = methods[i].len;
        if (n >= k && p[0] == methods[i].name[0] && memcmp(p, methods[i].name, k) == 0) return 1;
    }
    return 0;
}

/* Appends "name: value\n" of the header line (of n bytes) at p to out when
 * it is one kept with the head; returns the new length. */
static size_t keep_header(char *out, size_t len, size_t cap, const char *p, size_t n)
{
    int first = n ? lower((unsigned char)p[0]) : 0;
    const char *name;
    size_t k;
    if (first == 'h' && HEADER_IS(p, n, "host")) {
        name = "Host";
        k = sizeof "Host" - 1;
    } else if (first == 't' && HEADER_IS(p, n, "traceparent")) {
        name = "traceparent";
        k = sizeof "traceparent" - 1;
    } else {
        return len;
    }
    size_t vlen;
    const char *v = header_value(p, n, &vlen);
    if (len + k + 3 + vlen > cap) return len;
    memcpy(out + len, name, k);
    memcpy(out + len + k, ": ", 2);
    memcpy(out + len + k + 2, v, vlen);
    out[len + k + 2 + vlen] = '\n';
    return len + k + 3 + vlen;
}

/* The head record of a message starting at p (the n bytes the call moved
 * from there): its first line, and the headers kept of those in these
 * bytes. */
static void head_record(struct ws_thread *t, int fd, int dir, const struct http_dir *d,
                        const char *p, size_t n, int done, uint64_t s, uint64_t e, uint64_t caller)
{
    char out[512];
    const char *nl = memchr(p, '\n', n);
    size_t first = nl ? (size_t)(nl - p) : n;
    if (first && p[first - 1] == '\r') first--;
    size_t len = first < 300 ? first : 300;
    memcpy(out, p, len);
    if (ws_redact_url && !d->response) { /* "METHOD target HTTP/1.x": the target's query goes */
        char *sp = memchr(out, ' ', len);
        char *q = sp ? memchr(sp, '?', len - (size_t)(sp - out)) : NULL;
        char *sp2 = q ? memchr(q, ' ', len - (size_t)(q - out)) : NULL;
        if (q) {
            size_t tail = sp2 ? len - (size_t)(sp2 - out) : 0;
            memmove(q, sp2 ? sp2 : q, tail);
            len = (size_t)(q - out) + tail;
        }
    }
    out[len++] = '\n';
    /* The other lines of the head in these bytes (a request's: a
     * response's Host or traceparent says nothing). */
    const char *end = d->response ? p : p + n;
    for (const char *l = nl ? nl + 1 : end; l < end;) {
        const char *e2 = memchr(l, '\n', (size_t)(end - l));
        if (!e2) break;
        size_t ln = (size_t)(e2 - l);
        if (blank(l, ln)) break; /* the head's end */
        len = keep_header(out, len, sizeof out, l, ln);
        l = e2 + 1;
    }
    uint32_t flags =
        (uint32_t)dir | (d->response ? WS_HTTP_RESPONSE : 0) | (done ? WS_HTTP_DONE | d->flags : 0);
    /* A call the program makes: in Python, the line that made it (as
     * for a database execution), written just before the record. */
    if (dir == WS_HTTP_OUT && !d->response) ws_py_note_site(t, s);
    /* (no stack: the call's own record has it) */
    uint8_t *o =
        ws_emit_put(t, WS_EV_HTTP, flags, fd, d->status, s, e, caller, (uint32_t)len, NULL, 0);
    if (!o) return;
    memcpy(o, out, len);
    ws_emit_commit();
}

/* A response ended in a later call than its head's (a request's end is
 * of no use: a request lasts until its response ends). */
static void end_record(struct ws_thread *t, int fd, int dir, const struct http_dir *d, uint64_t s,
                       uint64_t e, uint64_t caller)
{
    if (!d->response) return;
    uint32_t flags = (uint32_t)dir | WS_HTTP_RESPONSE | WS_HTTP_END | d->flags;
    if (ws_emit_put(t, WS_EV_HTTP, flags, fd, d->status, s, e, caller, 0, NULL, 0))
        ws_emit_commit();
}

/* The head is complete: how its body is framed. */
static void head_done(struct http_fd *c, struct http_dir *d)
{
    int nobody = 0;
    if (d->response) {
        if (d->status >= 100 && d->status < 200) {
            nobody = 1; /* informational: the final response follows */
        } else {
            if (c->nheads) { /* the oldest request unanswered was HEAD? */
                nobody = (int)(c->heads & 1);
                c->heads >>= 1;
                c->nheads--;
            }
            nobody |= d->status == 204 || d->status == 304;
        }
    }
    if (nobody) {
        d->flags |= WS_HTTP_NOBODY;
        d->left = 0;
        d->mode = M_START;
    } else if (d->flags & WS_HTTP_CHUNKED) {
        d->mode = M_CHUNK_SIZE;
        d->left = 0;
        d->size_done = 0;
    } else if (d->flags & WS_HTTP_LENGTH) {
        d->mode = d->left ? M_BODY_LEN : M_START;
    } else if (d->response) {
        d->flags |= WS_HTTP_UNTIL_CLOSE;
        d->mode = M_CLOSE;
    } else {
        d->mode = M_START; /* a request without a body */
    }
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9') return ch - '0';
    ch = lower(ch);
    return ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
}

/* A complete line of the head of d (ln bytes, without its LF). */
static void head_line(struct http_fd *c, struct http_dir *d, const char *line, size_t ln)
{
    if (blank(line, ln))
        head_done(c, d);
    else
        header_line(d, line, ln);
}

/*
 * Follows n bytes of one call in direction dir of fd.  A message's head
 * record is written once these bytes are followed, saying whether the
 * message ended in them too (most do: a request without a body, a
 * response written at once); a message that ends in a later call gets an
 * end record there.
 */
static void follow(struct ws_thread *t, struct http_fd *c, int fd, int dir, const char *p, size_t n,
                   uint64_t s, uint64_t e, uint64_t caller)
{
    struct http_dir *d = &c->dir[dir == WS_HTTP_OUT];
    const char *end = p + n;
    const char *head = NULL; /* the message whose head record is due */
    while (p < end && d->mode != M_OFF) {
        int was = d->mode;
        switch (d->mode) {
        case M_START: {
            while (p < end && (*p == '\r' || *p == '\n'))
                p++; /* CRLFs between messages */
            if (p == end) break;
            int kind = message_start(p, (size_t)(end - p));
            if (!kind && end - p >= 2 && p[0] == 0x16 && p[1] == 0x03) {
                c->tls = 1; /* a TLS handshake: HTTPS, if anything */
                if (ws_emit_put(t, WS_EV_HTTP, (uint32_t)dir | WS_HTTP_TLS, fd, 0, s, e, caller, 0,
                                NULL, 0))
                    ws_emit_commit();
                return;
            }
            if (!kind) {
                d->mode = M_OFF;
                break;
            }
            d->response = kind == 2;
            d->flags = 0;
            d->left = 0;
            d->line_len = d->line_full = 0;
            d->status = 0;
            if (d->response) {
                const char *sp = memchr(p, ' ', (size_t)(end - p));
                unsigned st = 0;
                for (int i = 1; sp && i <= 3 && sp + i < end && sp[i] >= '0' && sp[i] <= '9'; i++)
                    st = st * 10 + (unsigned)(sp[i] - '0');
                d->status = (uint16_t)st;
            } else if (c->nheads < 64) {
                int is_head = end - p >= 5 && memcmp(p, "HEAD ", 5) == 0;
                c->heads |= (uint64_t)is_head << c->nheads;
                c->nheads++;
            }
            head = p;
            c->http = 1;
            d->mode = M_HEAD;
            /* The first line is no header: skipped with its LF. */
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            if (!nl) {
                d->line_full = 1; /* the rest of it comes in the next call */
                p = end;
            } else {
                p = nl + 1;
            }
            break;
        }
        case M_HEAD: {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t ln = (size_t)((nl ? nl : end) - p);
            /* Read once, and bounded: another thread's call on this fd (or
             * a signal handler's) may change it meanwhile. */
            size_t have = __atomic_load_n(&d->line_len, __ATOMIC_RELAXED);
            if (have > LINE_CARRY) have = LINE_CARRY;
            if (have || d->line_full || !nl) {
                /* A line carried over from a call to the next. */
                size_t room = LINE_CARRY - have;
                size_t k = ln < room ? ln : room;
                memcpy(d->line + have, p, k);
                d->line_len = (uint8_t)(have + k);
                d->line_full |= ln > room;
                if (!nl) {
                    p = end;
                    break;
                }
                p = nl + 1;
                int full = d->line_full;
                size_t len = have + k;
                d->line_len = d->line_full = 0;
                if (!full) head_line(c, d, d->line, len); /* else no framing header */
            } else {
                head_line(c, d, p, ln);
                p = nl + 1;
            }
            break;
        }
        case M_BODY_LEN: {
            uint64_t k = (uint64_t)(end - p) < d->left ? (uint64_t)(end - p) : d->left;
            p += k;
            d->left -= k;
            if (d->left == 0) d->mode = M_START;
            break;
        }
        case M_CHUNK_SIZE: {
            int ch = (unsigned char)*p++;
            int h = hexval(ch);
            if (ch == '\n') {
                d->mode = d->left == 0 ? M_TRAILER : M_CHUNK_DATA;
                if (d->left) d->left += 2; /* and its CRLF */
                d->size_done = 0;
                d->line_len = 0;
            } else if (h >= 0 && !d->size_done) {
                if (d->left > (UINT64_MAX >> 5)) d->mode = M_OFF; /* no sane size */
                d->left = d->left * 16 + (uint64_t)h;
            } else {
                d->size_done = 1; /* ';' extensions, spaces, the CR */
            }
            break;
        }
        case M_CHUNK_DATA: {
            uint64_t k = (uint64_t)(end - p) < d->left ? (uint64_t)(end - p) : d->left;
            p += k;
            d->left -= k;
            if (d->left == 0) d->mode = M_CHUNK_SIZE;
            break;
        }
        case M_TRAILER: {
            /* Lines up to an empty one (line_len: the line has bytes). */
            int ch = (unsigned char)*p++;
            if (ch == '\n') {
                if (d->line_len == 0) d->mode = M_START;
                d->line_len = 0;
            } else if (ch != '\r') {
                d->line_len = 1;
            }
            break;
        }
        case M_CLOSE:
            p = end; /* until the connection's end */
            break;
        }
        if (d->mode == M_START && was != M_START) { /* a message ended */
            if (head)
                head_record(t, fd, dir, d, head, (size_t)(end - head), 1, s, e, caller);
            else
                end_record(t, fd, dir, d, s, e, caller);
            head = NULL;
        }
    }
    if (head) head_record(t, fd, dir, d, head, (size_t)(end - head), 0, s, e, caller);
}

/*
 * A connection the program serves in another protocol than HTTP (a
 * database's, a cache's, an RPC's) is seen as turns: the client's bytes,
 * then the program's answer before it reads again.  A read after a write
 * (or the first) starts a turn: a WS_EV_HTTP record with WS_HTTP_TURN
 * holding its first bytes (none when WHYSLOW_REDACT says sql or url: they
 * may hold a statement); the decoder ends it at the last write before
 * the next.
 */
#define TURN_BYTES 32

static void turn(struct ws_thread *t, struct http_fd *c, int fd, int dir, const void *buf, size_t n,
                 uint64_t s, uint64_t e, uint64_t caller)
{
    if (dir == WS_HTTP_OUT) {
        c->last_op = 2;
        return;
    }
    if (c->last_op == 1) return;
    c->last_op = 1;
    size_t k = ws_redact_sql || ws_redact_url || !buf ? 0 : n < TURN_BYTES ? n : TURN_BYTES;
    uint8_t *o = ws_emit_put(t, WS_EV_HTTP, WS_HTTP_TURN | WS_HTTP_IN, fd, 0, s, e, caller,
                             (uint32_t)k, NULL, 0);
    if (!o) return;
    memcpy(o, buf, k);
    ws_emit_commit();
}

/* The bytes of one call (in iovecs; n in all) to the parsers of fd, and
 * to its turns.  plain: a TLS connection's plaintext (wrap_ssl.c); the
 * socket's own bytes are then TLS records, and left alone. */
static void follow_call(struct ws_thread *t, int fd, int dir, const struct iovec *iov, size_t cnt,
                        size_t n, int plain, uint64_t s, uint64_t e, uint64_t caller)
{
    struct http_fd *c = iov ? conn(fd, plain) : NULL; /* (a watched fd's is there) */
    if (!c) return;
    if (plain)
        c->tls = 1; /* (whatever the socket's first bytes said) */
    else if (c->tls)
        return;
    size_t all = n;
    for (size_t i = 0; i < cnt && n > 0; i++) {
        if (c->dir[dir == WS_HTTP_OUT].mode == M_OFF || (c->tls && !plain)) break;
        size_t k = iov[i].iov_len < n ? iov[i].iov_len : n;
        if (k && iov[i].iov_base) follow(t, c, fd, dir, iov[i].iov_base, k, s, e, caller);
        n -= k;
    }
    if (!plain && c->served && !c->http && c->dir[0].mode == M_OFF && cnt > 0)
        turn(t, c, fd, dir, iov[0].iov_base, iov[0].iov_len < all ? iov[0].iov_len : all, s, e,
             caller);
}

void ws_http_bytes(struct ws_thread *t, int fd, int dir, const void *buf, size_t n, uint64_t s,
                   uint64_t e, uint64_t caller)
{
    struct iovec one = {(void *)buf, n};
    if (buf) follow_call(t, fd, dir, &one, 1, n, 0, s, e, caller);
}

void ws_http_plain(struct ws_thread *t, int fd, int dir, const void *buf, size_t n, uint64_t s,
                   uint64_t e, uint64_t caller)
{
    struct iovec one = {(void *)buf, n};
    if (buf) follow_call(t, fd, dir, &one, 1, n, 1, s, e, caller);
}

void ws_http_iov(struct ws_thread *t, int fd, int dir, const struct iovec *iov, size_t cnt,
                 size_t n, uint64_t s, uint64_t e, uint64_t caller)
{
    follow_call(t, fd, dir, iov, cnt, n, 0, s, e, caller);
}

/* n bytes moved without passing through the program (sendfile, splice):
 * a body's, counted through; anywhere else the messages are lost. */
void ws_http_skip(struct ws_thread *t, int fd, int dir, size_t n, uint64_t s, uint64_t e,
                  uint64_t caller)
{
    struct http_fd *c = conn(fd, 0);
    if (!c || c->tls) return;
    struct http_dir *d = &c->dir[dir == WS_HTTP_OUT];
    if (d->mode == M_CLOSE) return;
    if ((d->mode != M_BODY_LEN && d->mode != M_CHUNK_DATA) || n > d->left) {
        d->mode = M_OFF;
        c->http = 1; /* lost, not another protocol: no turns either */
        return;
    }
    d->left -= n;
    if (d->left) return;
    if (d->mode == M_CHUNK_DATA) {
        d->mode = M_CHUNK_SIZE;
        return;
    }
    d->mode = M_START;
    end_record(t, fd, dir, d, s, e, caller);
}

/* The peer ended the connection (a read returned 0): a body that ends
 * with it ended. */
void ws_http_eof(struct ws_thread *t, int fd, uint64_t s, uint64_t e, uint64_t caller)
{
    struct http_fd *c = conn(fd, 0);
    if (!c) return;
    struct http_dir *d = &c->dir[0];
    if (d->mode == M_CLOSE) {
        end_record(t, fd, WS_HTTP_IN, d, s, e, caller);
        d->mode = M_START;
    }
}

void ws_http_closed(struct ws_thread *t, int fd, uint64_t s, uint64_t e, uint64_t caller)
{
    struct http_fd *c = conn(fd, 0);
    if (!c) return;
    for (int i = 0; i < 2; i++)
        if (c->dir[i].mode == M_CLOSE)
            end_record(t, fd, i ? WS_HTTP_OUT : WS_HTTP_IN, &c->dir[i], s, e, caller);
    ws_http_reset(fd);
}
