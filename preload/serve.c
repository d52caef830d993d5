/* SPDX-License-Identifier: MIT */
/*
 * serve.c - a flusher that `whyslow record` runs for a process it traces
 * (include/whyslow/serve.h): record forks children ahead, and one that is
 * handed a process (this library loaded with dlopen) becomes the flusher
 * of that process here.
 *
 * It maps the process's region in a place of its own that it keeps for the
 * regions it serves (below; the queue's pointers are the process's
 * addresses, so it does without the queue: flusher.c) and checks that it
 * is what the process said.  The process did not wait for it: it may have
 * exec'd or ended already, so what /proc would say of it then is not its
 * own; the executable and arguments it put in the region are.  The
 * flusher takes the region by compare-and-swap on the first word of its
 * head, which the process takes instead when it waited in vain; only then
 * does it start the log, in memory at first (logpack.c): should its file
 * or its place in a pack not be made, the flusher exits with
 * WS_SERVE_NO_LOG, and record, seeing that status, says so.
 * Then it is a flusher process like the one a program clones for itself
 * (flusher.c), but for its parent, and once the process ended it lets go
 * of it, to be handed the next.
 *
 * A closing hello's log (a process that ended before its first event) is
 * written by record itself, in its own process (whyslow_write_closing()):
 * handed to a flusher, it cost each such process two context switches
 * more, which on a virtual machine whose page tables the hypervisor
 * shadows took more than all the writing.
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

int ws_flusher_served(pid_t pid, int pidfd, int moved, int ended, int hosted);

/*
 * Where a flusher maps the regions it serves, one after another: an
 * address range it reserves once (PROT_NONE: no memory), each region
 * mapped over part of it (below) and, once served, replaced by the
 * reservation again.  A region mapped at a new address each time cost
 * the flusher new page tables, and letting go of it freeing them, which
 * on a virtual machine whose page tables the hypervisor shadows is a
 * flush of every CPU's TLB and a trap for each table: mapping, first
 * reads and unmapping of a short process's region took 430 us here, 180
 * us in the place (microbenchmark, 300 regions of 64 MiB); under record,
 * a loop of short processes that record an event each took 120 to 140 us
 * less CPU a process (perf stat, side by side).  Not at the process's
 * own address, the flusher does without its queue (relocated: flusher.c).
 * A region larger than the place, or a place that could not be made or
 * kept, is mapped as before: where the process has it, else anywhere.
 */
#define PLACE_SIZE ((size_t)256 << 20)
static uint8_t *place;    /* NULL: not reserved yet; MAP_FAILED: none */
static uint8_t *place_at; /* where in it the region is; NULL: none */

/*
 * A region goes where it ends a page below a 2 MiB boundary.  The kernel
 * frees a page table that a mapping let go of only when no other mapping
 * lies in the 2 MiB it covers: the reservation's page above the region is
 * one, so the table of the region's last 2 MiB stays for the next region.
 * There is what a process and its flusher touch first: the head, the
 * thread slots and the buffers' headers (632 KiB with the defaults), and
 * the buffers a process takes first (buffer.c hands them out from the last
 * down).  Freed, a table cost a trap to give back and another to make
 * again: where the place put a region a page or two in, its end fell
 * anywhere in its 2 MiB (at 636 KiB where the kernel aligns the place),
 * and when the part a process touched spanned two, its flusher spent a
 * third more on it (perf, 1000 cats under record: the flushers' samples
 * 1921 -> 1460, `native_set_pmd` in them 127 -> 3).
 */
#define PMD_SPAN ((uintptr_t)2 << 20)

static uint8_t *the_place(size_t size)
{
    if (!place)
        place =
            mmap(NULL, PLACE_SIZE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    place_at = NULL;
    if (place == MAP_FAILED || size > PLACE_SIZE - PMD_SPAN - 2 * 4096) return NULL;
    /* The lowest such end with a page of the place below the region; the
     * size checked leaves one above it. */
    uintptr_t end = ((uintptr_t)place + 4096 + size + PMD_SPAN - 1) / PMD_SPAN * PMD_SPAN - 4096;
    if (end - size < (uintptr_t)place + 4096) end += PMD_SPAN;
    place_at = (uint8_t *)(end - size);
    return place_at;
}

/* A place that a MAP_FIXED over it failed to map, or to put back, is
 * given up, whole: a hole left in it could take another mapping, which
 * the next MAP_FIXED there would replace. */
static void give_up_place(void)
{
    munmap(place, PLACE_SIZE);
    place = MAP_FAILED;
    place_at = NULL;
}

/* Lets go of a region mapped at data. */
static void unmap_region(uint8_t *data, size_t size)
{
    if (data != place_at)
        munmap(data, size);
    else if (mmap(place_at, size, PROT_NONE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0) != place_at)
        give_up_place();
}

/* Maps the region in the place, or where the process has it, or, when
 * something of ours is there (our libraries are where record's are, and
 * record's address space is not the program's), wherever it lands:
 * *moved when not where the process has it.  0, or an errno value. */
static int map_region(int memfd, const struct ws_serve_hello *h, int *moved)
{
    if (h->magic != WS_SERVE_MAGIC || h->version != WS_SERVE_VERSION || h->nbufs == 0 ||
        h->nbufs > (1u << 20) || h->size != ws_region_size(h->nbufs) ||
        h->head != ws_region_head_at(h->nbufs))
        return EPROTO;
    void *at = (void *)(uintptr_t)h->addr;
    void *m = MAP_FAILED;
    uint8_t *p = the_place(h->size);
    if (p) {
        m = mmap(p, h->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE | MAP_FIXED, memfd,
                 0);
        if (m == MAP_FAILED) give_up_place();
    }
    if (m == MAP_FAILED)
        m = mmap(at, h->size, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_NORESERVE | MAP_FIXED_NOREPLACE, memfd, 0);
    if (m == MAP_FAILED && errno == EEXIST)
        m = mmap(NULL, h->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, memfd, 0);
    if (m == MAP_FAILED) return errno;
    *moved = m != at; /* or a kernel before 4.17 took the address as a hint */
    ws_region_place(m, h->nbufs);
    if (ws_sh->pid != h->pid || ws_sh->nbufs != h->nbufs) return EPROTO;
    return ws_meta_region(memfd) == 0 ? 0 : errno;
}

/* Serves the process whose region is in place (ws_sh), until it ended
 * and all is written; the caller lets go of the region.  0 when it may
 * serve another, -1 when it must exit; WS_SERVE_NO_LOG when the log could
 * not be made, which a flusher says by its exit status and record
 * (hosted: a closing hello's) returns. */
static int serve_region(int pidfd, int moved, int ended, int hosted, pid_t pid, int dirfd,
                        const char *dir)
{
    int32_t pending = WS_SERVE_PENDING;
    if (!atomic_compare_exchange_strong(&ws_sh->serve.word, &pending, WS_SERVED) &&
        pending != WS_SERVE_LEFT) { /* (left: it went, counting on us) */
        /* It gave up waiting and has a flusher of its own. */
        if (pidfd >= 0) real_close(pidfd);
        return 0;
    }
    if (!ended) {        /* (a closing hello's process waits for nothing, nor signals us) */
        static pid_t me; /* (record serves none: 0 in each flusher it forks) */
        if (!me) me = getpid();
        atomic_store(&ws_sh->flusher_pid, me);
        ws_futex((_Atomic uint32_t *)&ws_sh->serve.word, FUTEX_WAKE, INT32_MAX, NULL);
    }
    ws_proc_pid = pid;
    /* The log is kept in memory first, to be packed if the process is
     * short (logpack.c); without the memory for that, its file now. */
    if (ws_log_keep(dirfd, dir, ws_sh->pid) != 0 &&
        (ws_log_fd = ws_log_create_in(dirfd, dir, ws_sh->pid)) < 0) {
        ws_stop_recording();
        if (hosted) return WS_SERVE_NO_LOG;
        real__exit(WS_SERVE_NO_LOG);
    }
    int rc = ws_flusher_served(pid, pidfd, moved, ended, hosted);
    /* Its log packed, or its file closed; neither made, said as above. */
    if (ws_log_finish() != 0) {
        if (hosted) return WS_SERVE_NO_LOG;
        real__exit(WS_SERVE_NO_LOG);
    }
    return rc;
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
        int left = ws_serve_refuse(memfd, h->head, err);
        real_close(memfd);
        if (pidfd >= 0) real_close(pidfd);
        if (ws_sh) unmap_region(ws_region_data(h->nbufs), h->size);
        ws_sh = NULL;
        return left ? WS_SERVE_LOST : -1;
    }
    real_close(memfd); /* the mapping stays */
    uint8_t *data = ws_region_data(h->nbufs);
    int rc = serve_region(pidfd, moved, 0, 0, pid, dirfd, dir);
    unmap_region(data, h->size);
    ws_sh = NULL;
    return rc;
}

/*
 * A closing hello's process has no region: its log is written from the
 * head it sent, put in a region of record's own, which stays for the next
 * such process (its head's pages stay mapped: on a virtual machine whose
 * page tables the hypervisor shadows, mapping a page at a new place and
 * unmapping it cost some 100 us).  It holds what the process said of
 * itself; what comes before end_kind in a head is the process's and its
 * flusher's state while it runs, which starts at zero here, as in a new
 * region.  Relocated: nothing of the process's addresses applies.
 */
static uint8_t *own_region;
static unsigned own_nbufs;

_Static_assert(offsetof(struct ws_shared, flusher_started) < offsetof(struct ws_shared, end_kind),
               "a head's running state comes before how it ended");

static int place_head(const struct ws_serve_hello *h, const void *head, size_t len)
{
    const size_t fixed = offsetof(struct ws_shared, text);
    if (h->magic != WS_SERVE_MAGIC || h->version != WS_SERVE_VERSION || !h->closing ||
        h->nbufs == 0 || h->nbufs > (1u << 20) || len != h->head_len || len < fixed ||
        len > WS_HEAD_SIZE)
        return EPROTO;
    if (!own_region || own_nbufs != h->nbufs) {
        if (own_region) munmap(own_region, ws_region_size(own_nbufs));
        /* Only the thread slots and the head are ever read (no thread,
         * no buffer was used): the rest is address space, which costs no
         * memory even where the kernel does not overcommit. */
        size_t size = ws_region_size(h->nbufs);
        own_region =
            mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (own_region == MAP_FAILED) {
            own_region = NULL;
            return ENOMEM;
        }
        own_nbufs = h->nbufs;
        ws_region_place(own_region, h->nbufs);
        uint8_t *used = (uint8_t *)ws_threads;
        if (mprotect(used, (size_t)(own_region + size - used), PROT_READ | PROT_WRITE) != 0) {
            munmap(own_region, size);
            own_region = NULL;
            return ENOMEM;
        }
    }
    ws_region_place(own_region, h->nbufs);
    struct ws_shared *sh = ws_sh;
    memcpy(sh, head, len);
    memset(sh, 0, offsetof(struct ws_shared, end_kind));
    cds_wfcq_init(&sh->queue_head, &sh->queue_tail);
    atomic_store(&sh->next_serial, 0);
    atomic_store(&sh->slots_used, 0);
    atomic_store(&sh->bufs_used, 0);
    atomic_store(&sh->free_bufs, (int)h->nbufs);
    int kind = atomic_load(&sh->end_kind);
    if (sh->pid != h->pid || sh->nbufs != h->nbufs || sh->exe_len > WS_EXE_MAX ||
        sh->args_len > WS_ARGS_MAX || fixed + sh->exe_len + sh->args_len != len ||
        (kind != WS_END_EXIT && kind != WS_END__EXIT)) {
        ws_sh = NULL;
        return EPROTO;
    }
    return 0;
}

WS_EXPORT int whyslow_write_closing(const struct ws_serve_hello *h, const void *head, size_t len,
                                    pid_t pid, int dirfd, const char *dir)
{
    int err = place_head(h, head, len);
    if (!err) {
        ws_load_settings();
        if (ws_flusher_init() != 0) err = ENOMEM;
    }
    if (err) { /* no one to answer, no one else to write it: record counts it */
        ws_quiet_pid(h->pid, err == ENOMEM ? "out of memory" : "a closing hello that is not valid");
        ws_sh = NULL;
        return WS_SERVE_BAD_HEAD;
    }
    int rc = serve_region(-1, 1, 1, 1, pid, dirfd, dir);
    ws_sh = NULL;
    return rc == WS_SERVE_NO_LOG ? rc : 0;
}
