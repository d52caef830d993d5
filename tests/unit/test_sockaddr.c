/* SPDX-License-Identifier: MIT */
/*
 * test_sockaddr.c - the names of socket peers.
 */
#include "check.h"
#include "log/sockaddr_fmt.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>

static const char *fmt(const void *p, size_t len)
{
    static char out[256];
    sockaddr_format(p, len, out, sizeof(out));
    return out;
}

int main(void)
{
    struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(5432)};
    inet_pton(AF_INET, "10.0.0.1", &in.sin_addr);
    CHECK_STR(fmt(&in, sizeof(in)), "10.0.0.1:5432");
    CHECK_STR(fmt(&in, sizeof(in) - 1), "socket(bad address)");

    struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons(8080)};
    inet_pton(AF_INET6, "::1", &in6.sin6_addr);
    CHECK_STR(fmt(&in6, sizeof(in6)), "[::1]:8080");
    inet_pton(AF_INET6, "2001:db8::42", &in6.sin6_addr);
    CHECK_STR(fmt(&in6, sizeof(in6)), "[2001:db8::42]:8080");

    struct sockaddr_un un = {.sun_family = AF_UNIX};
    strcpy(un.sun_path, "/run/postgresql/.s.PGSQL.5432");
    CHECK_STR(fmt(&un, offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path) + 1),
              "unix:/run/postgresql/.s.PGSQL.5432");
    /* Without the trailing NUL (the kernel may give it either way). */
    CHECK_STR(fmt(&un, offsetof(struct sockaddr_un, sun_path) + strlen(un.sun_path)),
              "unix:/run/postgresql/.s.PGSQL.5432");
    memcpy(un.sun_path, "\0abstract", 9);
    CHECK_STR(fmt(&un, offsetof(struct sockaddr_un, sun_path) + 9), "unix:@abstract");
    CHECK_STR(fmt(&un, offsetof(struct sockaddr_un, sun_path)), "unix:(unnamed)");

    CHECK_STR(fmt("", 0), "socket");
    CHECK_STR(fmt("\x01", 1), "socket(bad address)");
    unsigned char odd[16] = {0};
    uint16_t fam = 4242;
    memcpy(odd, &fam, sizeof(fam));
    CHECK_STR(fmt(odd, sizeof(odd)), "socket(family 4242)");
    CHECK_DONE();
}
