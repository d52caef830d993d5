/* SPDX-License-Identifier: MIT */
/*
 * dump.c - one line per event:
 *
 *   <seconds since the process start> pid=P tid=T <call> <what it was on>
 *   result=R [err=ENAME] dur=D caller=0x...
 *
 * or, for a waiting call still under way at the end, "unfinished dur>=D"
 * after what it was on;
 * where a database call is on conn=0x... (the sqlite3* or PGconn*), and a
 * statement also shows rows=N params=0x... (the hash of its bound values)
 * lib=D (its time inside the library) and its text.
 *
 * Events of all processes are merged by wall-clock time (process start +
 * offset), ties going to the process listed first; the time printed is
 * relative to each event's own process.  Lines are printed as the
 * processes' timelines are read, each opened when the merge reaches its
 * first event and closed after its last, so the dump holds no events.
 */
#include "report/dump.h"

#include "base/text.h"
#include "base/units.h"
#include "base/util.h"
#include "log/calls.h"
#include "log/pysites.h"
#include "log/timeline.h"

#include <whyslow/format.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* One process in the merge. */
struct source {
    struct ws_process *p;
    size_t index;        /* its position in the list */
    struct timeline *tl; /* open from its first event to its last */
    struct ws_event ev;  /* its next event, once open */
    __int128 when;       /* wall clock (ns) of that event, or of its first */
};

static int before(const struct source *a, const struct source *b)
{
    if (a->when != b->when) return a->when < b->when;
    return a->index < b->index;
}

static void sift_down(struct source **heap, size_t n, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, r = l + 1, m = i;
        if (l < n && before(heap[l], heap[m])) m = l;
        if (r < n && before(heap[r], heap[m])) m = r;
        if (m == i) return;
        struct source *tmp = heap[i];
        heap[i] = heap[m];
        heap[m] = tmp;
        i = m;
    }
}

static const char *fd_kind_name(uint64_t kind)
{
    switch (kind) {
    case WS_FD_FILE:
        return "file";
    case WS_FD_SOCKET:
        return "socket";
    case WS_FD_PIPE:
        return "pipe";
    case WS_FD_TTY:
        return "tty";
    case WS_FD_OTHER:
        return "other";
    default:
        return "unknown";
    }
}

static void process_lines(FILE *f, const struct ws_process *p)
{
    char buf[512];
    fprintf(f, "# process pid=%" PRIu64 " ppid=%" PRIu64 " exe=%s", p->pid, p->ppid,
            (text_clean((const uint8_t *)p->exe, strlen(p->exe), buf, sizeof(buf)), buf));
    fprintf(f, " argv=[");
    for (size_t i = 0; i < p->argc; i++) {
        text_clean((const uint8_t *)p->argv[i], strlen(p->argv[i]), buf, sizeof(buf));
        fprintf(f, "%s\"%s\"", i ? ", " : "", buf);
    }
    fprintf(f,
            "] start_unix_ns=%" PRIu64 " clock=%s ticks_per_ns=%.6f flags=0x%" PRIx64
            " events=%zu log=%s\n",
            p->start_unix_ns,
            p->clock_source == WS_CLOCK_TSC         ? "tsc"
            : p->clock_source == WS_CLOCK_MONOTONIC ? "monotonic"
                                                    : "unknown",
            p->ticks_per_ns, p->flags, p->nev, text_safe(p->log, buf, sizeof(buf)));

    for (size_t i = 0; i < p->nmeta; i++) {
        const struct ws_meta *m = &p->meta[i];
        fprintf(f, "# pid=%" PRIu64 " meta ", p->pid);
        switch (m->type) {
        case WS_META_PROCESS:
            fprintf(f, "process (%u bytes)\n", m->len);
            break;
        case WS_META_CLOCK:
            fprintf(f, "clock ts=%" PRIu64 " monotonic_ns=%" PRIu64 " realtime_ns=%" PRIu64 "\n",
                    m->v[0], m->v[1], m->v[2]);
            break;
        case WS_META_MAPS:
            fprintf(f, "maps (%u bytes)\n", m->len);
            break;
        case WS_META_STRING:
            fprintf(f, "string #%" PRIu64 " (%u bytes)\n", m->v[0], m->len);
            break;
        case WS_META_LOST:
            fprintf(f, "lost %" PRIu64 "\n", m->v[0]);
            break;
        case WS_META_COUNTERS:
            fprintf(f, "counters thread=%" PRIu64 " tid=%" PRIu64 " uncontended=%" PRIu64 "\n",
                    m->v[0], m->v[1], m->v[2]);
            break;
        case WS_META_END:
            fprintf(f, "end kind=%s status=%" PRId64 " ts=%" PRIu64 "\n",
                    process_end_kind_name(m->v[0]), (int64_t)m->v[2], m->v[1]);
            break;
        case WS_META_STOPPED:
            fprintf(f, "stopped ts=%" PRIu64 " signal=%" PRIu64 "\n", m->v[0], m->v[1]);
            break;
        case WS_META_GONE:
            fprintf(f, "gone ts=%" PRIu64 "\n", m->v[0]);
            break;
        case WS_META_TITLE:
            fprintf(f, "title (%u bytes)\n", m->len);
            break;
        case WS_META_HOST:
            fprintf(f, "host (%u bytes)\n", m->len);
            break;
        case WS_META_THREAD_NAME:
            fprintf(f, "thread_name thread=%" PRIu64 " tid=%" PRIu64 " name=%s\n", m->v[0], m->v[1],
                    m->v[2] ? strpool_get(&p->strings, (uint32_t)m->v[2]) : "");
            break;
        default:
            fprintf(f, "type=%u (%u bytes, skipped)\n", m->type, m->len);
            break;
        }
    }
    if (p->jit_map) {
        size_t lines = 0;
        for (size_t i = 0; i < p->jit_map_len; i++)
            lines += p->jit_map[i] == '\n';
        fprintf(f, "# pid=%" PRIu64 " jitmap lines=%zu bytes=%zu\n", p->pid, lines, p->jit_map_len);
    }
    if (p->truncated)
        fprintf(f, "# pid=%" PRIu64 " truncated %s\n", p->pid,
                text_safe(p->truncated_reason, buf, sizeof(buf)));
    for (size_t i = 0; i < p->nnotes; i++)
        fprintf(f, "# pid=%" PRIu64 " note: %s\n", p->pid,
                text_safe(p->notes[i], buf, sizeof(buf)));
}

/* The fields of a database call: its connection, and for a statement
 * its rows, the hash of its bound values, its time in the library and its
 * text; for the others their text (file name, connection string, SQL). */
static void db_fields(FILE *f, const struct ws_event *ev)
{
    char text[2048], lib[UNITS_BUF];
    fprintf(f, " conn=0x%" PRIx64, (uint64_t)ev->obj);
    if (ev->call == WS_SQLITE_QUERY || ev->call == WS_PG_QUERY) {
        fmt_dur(ev->aux2, lib);
        char *sp = strchr(lib, ' ');
        if (sp) memmove(sp, sp + 1, strlen(sp));
        fprintf(f, " rows=%" PRIu64 " params=0x%08" PRIx64 " lib=%s", ev->err, ev->aux1, lib);
    }
    if (ev->payload) {
        text_clean(ev->payload, ev->payload_len, text, sizeof(text));
        fprintf(f, " \"%s\"", text);
    }
}

static void event_line(FILE *f, const struct ws_process *p, const struct ws_event *ev)
{
    char dur[UNITS_BUF], text[512];
    const char *target = strpool_get(&p->strings, ev->target);
    int64_t at = ev->at;
    const char *sign = at < 0 ? "-" : "";
    uint64_t mag = at < 0 ? -(uint64_t)at : (uint64_t)at;

    fprintf(f, "%s%4" PRIu64 ".%09" PRIu64 " pid=%" PRIu64 " tid=%u %s", sign, mag / 1000000000,
            mag % 1000000000, p->pid, ev->tid, call_name(ev->call));

    enum lock_kind lk = lock_kind_of(ev->call);
    switch (ev->call) {
    case WS_OPEN:
    case WS_OPENAT:
        fprintf(f, " \"%s\"", target ? target : "");
        if (ev->call == WS_OPENAT && ev->obj != -100) fprintf(f, " dirfd=%" PRId64, ev->obj);
        break;
    case WS_GETADDRINFO:
        fprintf(f, " \"%s\"", target ? target : "");
        break;
    case WS_EV_THREAD_START:
        text_clean(ev->payload, ev->payload_len, text, sizeof(text));
        fprintf(f, " thread=%u name=\"%s\" parent=%" PRId64 "\n", ev->thread, text, ev->result);
        return;
    case WS_EV_THREAD_NAME:
        text_clean(ev->payload, ev->payload_len, text, sizeof(text));
        fprintf(f, " thread=%u name=\"%s\"\n", ev->thread, text);
        return;
    case WS_EV_THREAD_END:
        fprintf(f, " thread=%u uncontended=%" PRId64 "\n", ev->thread, ev->result);
        return;
    case WS_EV_FD_INFO:
        fprintf(f, " fd=%" PRId64 " kind=%s (%s)\n", ev->obj, fd_kind_name(ev->err),
                target ? target : "");
        return;
    case WS_EV_PYTHON:
        fprintf(f, " version=%u.%u.%u frames=%s\n", (unsigned)(ev->obj >> 24 & 0xff),
                (unsigned)(ev->obj >> 16 & 0xff), (unsigned)(ev->obj >> 8 & 0xff),
                ev->result == 1 ? "read" : "not read");
        return;
    case WS_EV_PYCODE:
        if (ev->payload_len >= 4) {
            size_t nlen = ev->payload[0] | (size_t)ev->payload[1] << 8;
            size_t flen = ev->payload[2] | (size_t)ev->payload[3] << 8;
            char file[1024];
            if (4 + nlen + flen > ev->payload_len) nlen = flen = 0;
            text_clean(ev->payload + 4, nlen, text, sizeof(text));
            text_clean(ev->payload + 4 + nlen, flen, file, sizeof(file));
            fprintf(f, " code=%" PRId64 " \"%s\" %s:%" PRId64 " linetable=%zu bytes\n", ev->obj,
                    text, file, ev->result, ev->payload_len - 4 - nlen - flen);
        }
        return;
    case WS_EV_PYSITE:
        fprintf(f, "%s at=%" PRIu64 "+%" PRIu64 " user=%" PRIu64 "+%" PRIu64 "\n",
                ev->err & WS_PYSITE_DB ? " db" : "", (uint64_t)ev->obj >> 32,
                (uint64_t)ev->obj & 0xffffffffu, (uint64_t)ev->result >> 32,
                (uint64_t)ev->result & 0xffffffffu);
        return;
    case WS_EV_PYSTACK:
        fprintf(f, " frames=");
        for (uint32_t i = 0; i + 8 <= ev->payload_len; i += 8) {
            uint64_t k;
            memcpy(&k, ev->payload + i, 8);
            fprintf(f, "%s%" PRIu64 "+%" PRIu64, i ? "," : "", k >> 32, k & 0xffffffffu);
        }
        fputc('\n', f);
        return;
    case WS_EV_HTTP: {
        text_clean(ev->payload, ev->payload_len, text, sizeof(text));
        fprintf(
            f, " fd=%" PRId64 " %s %s%s%s%s%s%s%s", ev->obj, ev->err & WS_HTTP_OUT ? "out" : "in",
            ev->err & WS_HTTP_RESPONSE ? "response" : "request",
            ev->err & WS_HTTP_END ? " end" : "", ev->err & WS_HTTP_DONE ? " done" : "",
            ev->err & WS_HTTP_LENGTH ? " length" : "", ev->err & WS_HTTP_CHUNKED ? " chunked" : "",
            ev->err & WS_HTTP_UNTIL_CLOSE ? " until-close" : "",
            ev->err & WS_HTTP_NOBODY ? " no-body" : "");
        if (ev->err & WS_HTTP_RESPONSE) fprintf(f, " status=%" PRId64, ev->result);
        if (ev->payload_len) fprintf(f, " \"%s\"", text);
        fputc('\n', f);
        return;
    }
    case WS_SQLITE_OPEN:
    case WS_SQLITE_CLOSE:
    case WS_SQLITE_PREPARE:
    case WS_SQLITE_QUERY:
    case WS_SQLITE_EXEC:
    case WS_PG_CONNECT:
    case WS_PG_FINISH:
    case WS_PG_PREPARE:
    case WS_PG_QUERY:
    case WS_PG_RESET:
        db_fields(f, ev);
        break;
    default:
        if (lk != LOCK_NONE)
            fprintf(f, " %s=0x%" PRIx64 "%s%s", lock_kind_name(lk), (uint64_t)ev->obj,
                    (ev->err & WS_LOCK_CONTENDED) ? " contended" : "",
                    (ev->err & WS_LOCK_WAKES) ? " wakes" : "");
        else if (target)
            fprintf(f, " fd=%" PRId64 " (%s)", ev->obj, target);
        else if (ev->obj != -1 && ev->obj != 0)
            fprintf(f, " obj=%" PRId64, ev->obj);
        break;
    }

    if (ev->unfinished) { /* no result: it had not returned at the end */
        fmt_dur(ev->dur, dur);
        fprintf(f, " unfinished dur>=%s\n", dur);
        return;
    }
    fprintf(f, " result=%" PRId64, ev->result);
    if (call_is_db(ev->call)) {
        /* err is rows (shown above); result is the library's code */
    } else if (lk == LOCK_NONE && (ev->err != 0 || event_failed(ev))) {
        fprintf(f, " err=%s", event_error_name(ev, text, sizeof(text)));
    } else if (lk != LOCK_NONE && (ev->err & ~(uint64_t)(WS_LOCK_CONTENDED | WS_LOCK_WAKES))) {
        fprintf(f, " flags=0x%" PRIx64, ev->err);
    }
    fmt_dur(ev->dur, dur);
    char *sp = strchr(dur, ' ');
    if (sp) memmove(sp, sp + 1, strlen(sp));
    const struct py_site *py = py_site_get(p, ev->caller);
    fprintf(f, " dur=%s", dur);
    if (py && py->has_user)
        fprintf(f, " caller=%s (%s:%u) via %s (%s:%u)", py->user.function, py->user.file,
                py->user.line, py->at.function, py->at.file, py->at.line);
    else if (py)
        fprintf(f, " caller=%s (%s:%u)", py->at.function, py->at.file, py->at.line);
    else
        fprintf(f, " caller=0x%" PRIx64, ev->caller);
    if (ev->nframes) {
        fprintf(f, " stack=");
        for (uint32_t i = 0; i < ev->nframes; i++)
            fprintf(f, "%s0x%" PRIx64, i ? "," : "", event_frame(ev, i));
    }
    fputc('\n', f);
}

/* Reads the source's next event; 0 when it has no more. */
static int next_event(struct source *s)
{
    if (!s->tl) s->tl = timeline_open(s->p);
    if (timeline_next(s->tl, &s->ev)) {
        s->when = (__int128)s->p->start_unix_ns + s->ev.at;
        return 1;
    }
    timeline_close(s->tl);
    s->tl = NULL;
    return 0;
}

void dump(FILE *f, struct ws_process **procs, size_t n)
{
    struct source *src = xcalloc(n ? n : 1, sizeof(*src));
    struct source **heap = xcalloc(n ? n : 1, sizeof(*heap));
    size_t nheap = 0;

    for (size_t i = 0; i < n; i++) {
        process_lines(f, procs[i]);
        src[i] = (struct source){.p = procs[i], .index = i};
        /* Not opened yet: it waits in the merge at its first event's time. */
        src[i].when = (__int128)procs[i]->start_unix_ns + procs[i]->first_at;
        if (procs[i]->nev) heap[nheap++] = &src[i];
    }
    for (size_t i = nheap; i-- > 0;)
        sift_down(heap, nheap, i);

    while (nheap) {
        struct source *s = heap[0];
        if (s->tl) event_line(f, s->p, &s->ev);
        if (next_event(s)) {
            sift_down(heap, nheap, 0);
        } else {
            heap[0] = heap[--nheap];
            sift_down(heap, nheap, 0);
        }
    }
    xfree(heap);
    xfree(src);
}
