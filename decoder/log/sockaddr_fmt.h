/* SPDX-License-Identifier: MIT */
/*
 * sockaddr_fmt.h - how the report names a socket peer, from the raw
 * struct sockaddr the recorder copied: "10.0.0.1:5432", "[::1]:8080",
 * "unix:/run/x.sock", "unix:@abstract", or "socket" when empty.
 */
#ifndef WHYSLOW_SOCKADDR_FMT_H
#define WHYSLOW_SOCKADDR_FMT_H

#include <stddef.h>
#include <stdint.h>

/* Formats the sockaddr p[0..len) into out (size outlen >= 64). */
void sockaddr_format(const uint8_t *p, size_t len, char *out, size_t outlen);

#endif
