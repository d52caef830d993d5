/* SPDX-License-Identifier: MIT */
/*
 * serve.c - a flusher that `whyslow record` runs for a process it traces
 * (include/whyslow/serve.h): record forks a child for each process that
 * asks, and the child, which loaded this library with dlopen, becomes the
 * flusher of that process here.
 *
 * It maps the process's region at the address the process has it (the
 * queue's pointers are addresses), checks that it is what the process
 * said, and reads the process's executable and arguments before
 * answering: the process waits for the answer, so they are still its own.
 * Only then does it create the log (a file system may take its time):
 * should that fail, the process records nothing more, and record, seeing
 * the flusher's status, says so.  Then it is a flusher process like the
 * one a program clones for itself (flusher.c), but for its parent, and
 * once the process ended it lets go of it, to be handed the next.
 */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>

#include "internal.h"
#include "meta.h"
#include "whyslow/serve.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

int ws_flusher_served(int log_fd, pid_t pid);

static void answer(int conn, int status)
{
    struct ws_serve_reply r = {
        .magic = WS_SERVE_MAGIC, .status = status, .flusher_pid = (int32_t)getpid()};
    send(conn, &r, sizeof r, MSG_NOSIGNAL);
}

/* Maps the region where the process has it; 0, or an errno value. */
static int map_region(int memfd, const struct ws_serve_hello *h)
{
    if (h->magic != WS_SERVE_MAGIC || h->version != WS_SERVE_VERSION || h->nbufs == 0 ||
        h->nbufs > (1u << 20) || h->size != ws_region_size(h->nbufs))
        return EPROTO;
    void *at = (void *)(uintptr_t)h->addr;
    void *m = mmap(at, h->size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, memfd, 0);
    if (m == MAP_FAILED) return errno == EEXIST ? EADDRINUSE : errno;
    if (m != at) { /* a kernel before 4.17 took the address as a hint */
        munmap(m, h->size);
        return EADDRINUSE;
    }
    ws_sh = m;
    if (ws_sh->pid != h->pid || ws_sh->nbufs != h->nbufs) return EPROTO;
    return 0;
}

WS_EXPORT int whyslow_serve(int conn, int memfd, const struct ws_serve_hello *h, pid_t pid,
                            int dirfd, const char *dir)
{
    int err = map_region(memfd, h);
    real_close(memfd); /* the mapping stays */
    if (!err) {
        ws_load_settings(); /* the process's, in the region */
        if (ws_flusher_init() != 0) err = ENOMEM;
    }
    if (err) {
        answer(conn, err);
        real_close(conn);
        return -1;
    }
    ws_proc_pid = pid;
    ws_meta_process(0);
    answer(conn, 0);
    real_close(conn);
    int log_fd = ws_log_create_in(dirfd, dir, h->pid);
    if (log_fd < 0) {
        ws_stop_recording();
        real__exit(WS_SERVE_NO_LOG);
    }
    return ws_flusher_served(log_fd, pid);
}
