/* SPDX-License-Identifier: MIT */
/*
 * otlp_send.h - `whyslow export --format otlp --send`: posting OTLP/JSON
 * bodies to a collector's /v1/traces over HTTP or HTTPS (libcurl), with
 * the endpoint and headers OpenTelemetry's exporters take from the
 * environment, and bounded retries (docs/export.md, OTLP).  otlp.c builds
 * the bodies; every use of libcurl is in otlp_send.c.
 */
#ifndef WHYSLOW_OTLP_SEND_H
#define WHYSLOW_OTLP_SEND_H

#include <stddef.h>

/* The URL to post to (to xfree): arg when given, else
 * $OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as it is, else
 * $OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces", else
 * http://localhost:4318/v1/traces.  Empty variables count as unset. */
char *otlp_send_url(const char *arg);

struct otlp_sender;

/* A sender posting to url, with the headers of
 * $OTEL_EXPORTER_OTLP_TRACES_HEADERS, else $OTEL_EXPORTER_OTLP_HEADERS
 * ("k1=v1,k2=v2", values percent-decoded). */
struct otlp_sender *otlp_sender_new(const char *url);

/* Posts body[0..len) as one request (Content-Type: application/json).
 * Connection errors and HTTP 429, 502, 503 and 504 are tried again, up to
 * 5 attempts in all, waiting 0.5 s then twice as long each time (or what
 * Retry-After says, up to 30 s); other errors end it at once.  Returns 0
 * (a 2xx answer), or -1 having written one line to stderr naming the URL
 * and the HTTP status or curl's error. */
int otlp_sender_post(struct otlp_sender *s, const char *body, size_t len);

void otlp_sender_free(struct otlp_sender *s);

#endif
