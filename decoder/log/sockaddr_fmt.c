/* SPDX-License-Identifier: MIT */
/*
 * sockaddr_fmt.c - names of socket peers.  The payload is a struct
 * sockaddr in the recording machine's byte order (the family field) and
 * network byte order (ports, addresses); anything short or unknown is
 * named rather than trusted.
 */
#include "log/sockaddr_fmt.h"

#include "base/text.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

void sockaddr_format(const uint8_t *p, size_t len, char *out, size_t outlen)
{
    struct sockaddr_storage ss;
    char addr[INET6_ADDRSTRLEN];
    uint16_t family;

    if (len == 0) {
        snprintf(out, outlen, "socket");
        return;
    }
    if (len < sizeof(family)) {
        snprintf(out, outlen, "socket(bad address)");
        return;
    }
    memset(&ss, 0, sizeof(ss));
    memcpy(&ss, p, len < sizeof(ss) ? len : sizeof(ss));
    family = ss.ss_family;

    if (family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;
        if (len < sizeof(*in)) goto bad;
        inet_ntop(AF_INET, &in->sin_addr, addr, sizeof(addr));
        snprintf(out, outlen, "%s:%u", addr, ntohs(in->sin_port));
    } else if (family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)&ss;
        if (len < sizeof(*in6)) goto bad;
        inet_ntop(AF_INET6, &in6->sin6_addr, addr, sizeof(addr));
        snprintf(out, outlen, "[%s]:%u", addr, ntohs(in6->sin6_port));
    } else if (family == AF_UNIX) {
        const uint8_t *path = p + offsetof(struct sockaddr_un, sun_path);
        size_t plen = len - offsetof(struct sockaddr_un, sun_path);
        if (plen == 0 || (plen == 1 && path[0] == 0)) {
            snprintf(out, outlen, "unix:(unnamed)");
        } else if (path[0] == 0) {
            /* Abstract: the name is every byte after the NUL, NULs included. */
            size_t o = (size_t)snprintf(out, outlen, "unix:@");
            for (size_t i = 1; i < plen && o + 4 < outlen; i++) {
                uint8_t c = path[i];
                out[o++] = c == 0 ? '@' : c < 0x20 || c == 0x7f ? '?' : (char)c;
            }
            out[o] = '\0';
        } else {
            size_t o = (size_t)snprintf(out, outlen, "unix:");
            text_clean(path, plen, out + o, outlen - o);
        }
    } else {
        snprintf(out, outlen, "socket(family %u)", family);
    }
    return;
bad:
    snprintf(out, outlen, "socket(bad address)");
}
