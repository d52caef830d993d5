/* SPDX-License-Identifier: MIT */
/*
 * wrap_ssl.c - OpenSSL's reads and writes (SSL_read, SSL_write and their
 * _ex forms, what Python's ssl module calls): the plaintext of a TLS
 * connection, for http.c, so that HTTPS servers and calls are seen as
 * plain HTTP.
 *
 * The real functions are found from the calling object, as SQLite's are
 * (dbstate.h): an extension module may load libssl privately, where
 * dlsym(RTLD_NEXT) cannot see it.  Each call's plaintext goes to the
 * parser of the connection's socket (SSL_get_fd); the socket's own bytes
 * are TLS records, which http.c leaves alone once it has seen one.  A
 * connection whose SSL object has no socket (memory BIOs: asyncio's) is
 * not followed.  Nothing is recorded here but the HTTP records: the
 * socket's reads and writes are recorded by their own wrappers.
 */
#include <errno.h>

#include "dbstate.h"

typedef struct ssl_st SSL;

#define LIB "libssl"

DB_FN(int, real_ssl_read, (SSL *, void *, int));
DB_FN(int, real_ssl_write, (SSL *, const void *, int));
DB_FN(int, real_ssl_read_ex, (SSL *, void *, size_t, size_t *));
DB_FN(int, real_ssl_write_ex, (SSL *, const void *, size_t, size_t *));
DB_FN(int, real_ssl_get_fd, (const SSL *));

/* n bytes of plaintext that went dir on ssl's connection. */
static void plain(struct ws_thread *t, SSL *ssl, int dir, const void *buf, size_t n, uint64_t s,
                  uint64_t e, uint64_t caller)
{
    DB_LOCAL(real_ssl_get_fd);
    if (!DB_REAL_AT(real_ssl_get_fd, "SSL_get_fd", LIB, caller)) return;
    int fd = real_ssl_get_fd(ssl);
    if (fd >= 0 && (ws_fd_state(fd) & WS_FD_WATCH)) ws_http_plain(t, fd, dir, buf, n, s, e, caller);
}

/* The wrappers: the real call, stamped, then its plaintext to http.c. */
#define SSL_IO(call, dir, bytes)                                                                   \
    do {                                                                                           \
        struct ws_thread *t = ws_enter();                                                          \
        if (!t || !ws_http_on) return call;                                                        \
        uint64_t s = ws_now();                                                                     \
        int r = call;                                                                              \
        int err = errno;                                                                           \
        uint64_t e = ws_now();                                                                     \
        if (bytes > 0) plain(t, ssl, dir, buf, (size_t)(bytes), s, e, WS_CALLER);                  \
        errno = err;                                                                               \
        return r;                                                                                  \
    } while (0)

WS_EXPORT int SSL_read(SSL *ssl, void *buf, int num)
{
    DB_LOCAL(real_ssl_read);
    if (!DB_REAL(real_ssl_read, "SSL_read", LIB)) return -1;
    SSL_IO(real_ssl_read(ssl, buf, num), WS_HTTP_IN, r);
}

WS_EXPORT int SSL_write(SSL *ssl, const void *buf, int num)
{
    DB_LOCAL(real_ssl_write);
    if (!DB_REAL(real_ssl_write, "SSL_write", LIB)) return -1;
    SSL_IO(real_ssl_write(ssl, buf, num), WS_HTTP_OUT, r);
}

WS_EXPORT int SSL_read_ex(SSL *ssl, void *buf, size_t num, size_t *got)
{
    DB_LOCAL(real_ssl_read_ex);
    if (!DB_REAL(real_ssl_read_ex, "SSL_read_ex", LIB)) return 0;
    SSL_IO(real_ssl_read_ex(ssl, buf, num, got), WS_HTTP_IN, r == 1 && got ? *got : 0);
}

WS_EXPORT int SSL_write_ex(SSL *ssl, const void *buf, size_t num, size_t *put)
{
    DB_LOCAL(real_ssl_write_ex);
    if (!DB_REAL(real_ssl_write_ex, "SSL_write_ex", LIB)) return 0;
    SSL_IO(real_ssl_write_ex(ssl, buf, num, put), WS_HTTP_OUT, r == 1 && put ? *put : 0);
}
