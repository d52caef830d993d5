/* SPDX-License-Identifier: MIT */
/*
 * serve.h - how `whyslow record` writes the logs of the processes it
 * traces: the contract between record and libwhyslow.so for served
 * flushers (preload/launch.c starts one, preload/serve.c is one,
 * decoder/cli/serve.c serves them).
 *
 * Why: a flusher that is a process of the program's own tree is seen by
 * whatever reaps orphans above it (PID 1 of a container, a subreaper), and
 * costs each process a clone.  Forked by record instead, it is in no
 * traced process's tree.
 *
 * record listens on an abstract unix socket (SOCK_SEQPACKET) and names it
 * in WHYSLOW_SOCK ("@" and the name) in the environment of the command it
 * runs.  A traced process, at start and in the child of fork(), connects
 * and sends one message: a struct ws_serve_hello, with the memfd of its
 * shared region (SCM_RIGHTS).  record serves only a process of its own
 * uid, in its own pid namespace, that descends from it (SO_PEERCRED, and
 * the parents /proc gives); a flusher it forked ahead maps the region at
 * the address the process has it, reads what it needs of the process in
 * /proc, and answers with a struct ws_serve_reply.  The process waits for
 * the answer, at most WS_SERVE_TIMEOUT_MS, and starts a flusher of its own
 * when it is not 0.  The flusher then creates the log in record's log
 * directory; when it cannot, it exits with WS_SERVE_NO_LOG, which record
 * reports.  Once the process ended and all is written, the flusher waits
 * to be handed another (decoder/cli/serve.c).
 */
#ifndef WHYSLOW_SERVE_H
#define WHYSLOW_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#define WS_SERVE_ENV        "WHYSLOW_SOCK"
#define WS_SERVE_MAGIC      0x57535356u /* "VSSW" */
#define WS_SERVE_VERSION    2
#define WS_SERVE_TIMEOUT_MS 2000
#define WS_SERVE_NO_LOG     3 /* a flusher's exit status: it could not create the log */

struct ws_serve_hello {
    uint32_t magic, version;
    uint64_t addr, size; /* the region: where the process maps it, its size */
    uint32_t nbufs;      /* buffers in it */
    int32_t pid;         /* the process's pid, as it sees it */
};

struct ws_serve_reply {
    uint32_t magic;
    int32_t status;      /* 0: served; else an errno value */
    int32_t flusher_pid; /* the flusher, when served */
};

/* Sends msg[0..len) with nfds (at most 2) fds over a unix socket, as
 * both sides do (the hello with its memfd, record's hand-over to a spare
 * flusher); what sendmsg() returns. */
static inline ssize_t ws_send_fds(int sock, const void *msg, size_t len, const int *fds, int nfds)
{
    struct iovec iov = {(void *)msg, len};
    union {
        struct cmsghdr align;
        char buf[CMSG_SPACE(2 * sizeof(int))];
    } c;
    memset(&c, 0, sizeof c);
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = c.buf,
                       .msg_controllen = CMSG_SPACE((size_t)nfds * sizeof(int))};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN((size_t)nfds * sizeof(int));
    memcpy(CMSG_DATA(cm), fds, (size_t)nfds * sizeof(int));
    return sendmsg(sock, &m, MSG_NOSIGNAL);
}

/*
 * Exported by libwhyslow.so for record, which loads it with dlopen (with
 * WHYSLOW_HOST set, so that it records nothing of record itself).
 */

/* The log directory, made if missing (make) and checked as the recorder
 * checks it (preload/logfile.c); returns an fd, or -1 with why in msg. */
int whyslow_logdir_open(const char *path, int make, char *msg, size_t len);

/* The recorder's settings in this environment (WHYSLOW_*): 0, or -1 with
 * what is wrong in msg. */
int whyslow_settings(char *msg, size_t len);

/* In a child record forked for it: serves the process pid (as record's
 * /proc names it) that sent hello and memfd over conn (both closed here),
 * writing its log in dirfd (dir in messages), until that process ended
 * and all is written.  Returns 0 when it may serve another, -1 when it
 * must exit (it could not serve this one, or a signal stopped it); exits
 * itself with WS_SERVE_NO_LOG when it could not create the log. */
int whyslow_serve(int conn, int memfd, const struct ws_serve_hello *hello, pid_t pid, int dirfd,
                  const char *dir);

#endif
