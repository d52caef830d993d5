/* SPDX-License-Identifier: MIT */
/*
 * http_edge.c - a server's reads that move fewer bytes than they say or
 * none, for the tests of the recorder's HTTP parser: a client sends two
 * requests on one connection; the server drops the first unread with
 * recv(MSG_TRUNC) into a 1-byte buffer (TCP discards it and returns its
 * length: a parser reading the buffer would read past it), makes a read
 * of 0 bytes (which returns 0, and is no end of the connection), then
 * reads the second request and answers it.  Prints "ok".
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(void)
{
    int ls = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 1) ||
        getsockname(ls, (struct sockaddr *)&a, &len))
        return 1;
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a)) return 1;
    int s = accept(ls, NULL, NULL);
    static const char first[] = "GET /dropped HTTP/1.1\r\nHost: t\r\n\r\n";
    static const char second[] = "GET /answered HTTP/1.1\r\nHost: t\r\n\r\n";
    if (write(c, first, sizeof first - 1) != sizeof first - 1) return 1;
    usleep(50000); /* the first request alone in the socket */
    char one[1];
    ssize_t n = recv(s, one, sizeof first - 1, MSG_TRUNC);
    if (n != sizeof first - 1) return 2;
    char buf[512];
    if (read(s, buf, 0) != 0) return 3;
    if (write(c, second, sizeof second - 1) != sizeof second - 1) return 1;
    n = read(s, buf, sizeof buf);
    if (n != sizeof second - 1) return 4;
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
    if (write(s, answer, sizeof answer - 1) != sizeof answer - 1) return 1;
    n = read(c, buf, sizeof buf);
    close(s);
    close(c);
    close(ls);
    puts("ok");
    return n == sizeof answer - 1 ? 0 : 5;
}
