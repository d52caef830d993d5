/* SPDX-License-Identifier: MIT */
/*
 * serve.c - a flusher that `whyslow record` runs for a process it traces
 * (include/whyslow/serve.h): record forks children ahead, and one that is
 * handed a process (this library loaded with dlopen) becomes the flusher
 * of that process here.
 *
 * It maps the process's region at the address the process has it (the
 * queue's pointers are addresses; elsewhere when that is taken, and then
 * it does without the queue: flusher.c) and checks that it is what the
 * process said.  The process did not wait for it: it may have exec'd or ended
 * already, so what /proc would say of it then is not its own; the
 * executable and arguments it put in the region are.  The flusher takes
 * the region by compare-and-swap on the first word of its head, which the process
 * takes instead when it waited in vain; only then does it start the log,
 * in memory at first (logpack.c): should its file or its place in a pack
 * not be made, the flusher exits with WS_SERVE_NO_LOG, and record, seeing
 * that status, says so.
 * Then it is a flusher process like the one a program clones for itself
 * (flusher.c), but for its parent, and once the process ended it lets go
 * of it, to be handed the next.
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

int ws_flusher_served(pid_t pid, int pidfd, int moved);

/* Maps the region where the process has it, or, when something of ours
 * is there (our libraries are where record's are, and record's address
 * space is not the program's), wherever it lands: *moved then.  0, or an
 * errno value. */
static int map_region(int memfd, const struct ws_serve_hello *h, int *moved)
{
    if (h->magic != WS_SERVE_MAGIC || h->version != WS_SERVE_VERSION || h->nbufs == 0 ||
        h->nbufs > (1u << 20) || h->size != ws_region_size(h->nbufs) ||
        h->head != ws_region_head_at(h->nbufs))
        return EPROTO;
    void *at = (void *)(uintptr_t)h->addr;
    void *m = mmap(at, h->size, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, memfd, 0);
    if (m == MAP_FAILED && errno == EEXIST)
        m = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, memfd, 0);
    if (m == MAP_FAILED) return errno;
    *moved = m != at; /* or a kernel before 4.17 took the address as a hint */
    ws_region_place(m, h->nbufs);
    if (ws_sh->pid != h->pid || ws_sh->nbufs != h->nbufs) return EPROTO;
    return 0;
}

WS_EXPORT int whyslow_serve(int memfd, int pidfd, const struct ws_serve_hello *h, pid_t pid,
                            int dirfd, const char *dir)
{
    int moved = 0;
    int err = map_region(memfd, h, &moved);
    if (!err) {
        ws_load_settings(); /* the process's, in the region */
        if (ws_flusher_init() != 0) err = ENOMEM;
    }
    if (err) {
        ws_serve_refuse(memfd, h->head, err);
        real_close(memfd);
        if (pidfd >= 0) real_close(pidfd);
        if (ws_sh) munmap(ws_region_data(h->nbufs), h->size);
        ws_sh = NULL;
        return -1;
    }
    real_close(memfd); /* the mapping stays */
    int32_t pending = WS_SERVE_PENDING;
    if (!atomic_compare_exchange_strong(&ws_sh->serve.word, &pending, WS_SERVED)) {
        /* It gave up waiting and has a flusher of its own. */
        if (pidfd >= 0) real_close(pidfd);
        munmap(ws_region_data(h->nbufs), h->size);
        ws_sh = NULL;
        return 0;
    }
    static pid_t me; /* (record never serves: 0 in each flusher it forks) */
    if (!me) me = getpid();
    atomic_store(&ws_sh->flusher_pid, me);
    ws_futex((_Atomic uint32_t *)&ws_sh->serve.word, FUTEX_WAKE, INT32_MAX, NULL);
    ws_proc_pid = pid;
    /* The log is kept in memory first, to be packed if the process is
     * short (logpack.c); without the memory for that, its file now. */
    if (ws_log_keep(dirfd, dir, h->pid) != 0 &&
        (ws_log_fd = ws_log_create_in(dirfd, dir, h->pid)) < 0) {
        ws_stop_recording();
        real__exit(WS_SERVE_NO_LOG);
    }
    int rc = ws_flusher_served(pid, pidfd, moved);
    /* Its log packed, or its file closed; neither made, said as above. */
    if (ws_log_finish() != 0) real__exit(WS_SERVE_NO_LOG);
    return rc;
}
