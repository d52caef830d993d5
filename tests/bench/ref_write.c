/* SPDX-License-Identifier: MIT */
/*
 * ref_write.c - the reference wrapper of write() for tests/bench/run.sh:
 * the least a tracer can do to record the same facts as libwhyslow.so, as
 * simply as it can be done, so that what whyslow adds is measured against
 * a floor taken on the same host in the same run, not against a number
 * from elsewhere (hosts whose syscalls flush the TLB make every page
 * touched after the call cost more, for both).
 *
 * Preloaded (libwsref.so) beside libwhyslow.so, it offers ws_ref_write(),
 * which records each write() as whyslow does: two rdtsc, the fd, the
 * result, errno and the caller's address, into a thread-local array used
 * as a ring, around libc's own write().  Nothing is written anywhere: the
 * flusher's work is measured by other benchmarks.  bench_write --side-by-side
 * calls it, libc's write() and whyslow's in turn, in one process.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <sys/types.h>
#include <x86intrin.h>

struct record {
    uint64_t start, end, caller;
    int64_t result;
    int32_t fd, err;
};

#define RING 4096 /* records, a power of 2 */

/* Exported, so that the compiler keeps every store: a ring that nothing
 * could read would be optimised away, and the reference would record
 * nothing at all. */
__attribute__((visibility("default"))) __thread struct record ws_ref_ring[RING]
    __attribute__((tls_model("initial-exec")));
__attribute__((visibility("default"))) __thread unsigned ws_ref_next
    __attribute__((tls_model("initial-exec")));
static ssize_t (*real_write)(int, const void *, size_t);

/* libc's own write(), whatever else is loaded. */
__attribute__((constructor)) static void init(void)
{
    void *libc = dlopen("libc.so.6", RTLD_NOLOAD | RTLD_NOW);
    if (libc) real_write = (ssize_t(*)(int, const void *, size_t))dlsym(libc, "write");
}

__attribute__((visibility("default"))) ssize_t ws_ref_write(int fd, const void *buf, size_t n)
{
    uint64_t start = __rdtsc();
    ssize_t r = real_write(fd, buf, n);
    struct record *rec = &ws_ref_ring[ws_ref_next++ & (RING - 1)];
    rec->start = start;
    rec->end = __rdtsc();
    rec->caller = (uint64_t)(uintptr_t)__builtin_return_address(0);
    rec->result = r;
    rec->fd = fd;
    rec->err = r < 0 ? errno : 0; /* read only when it means something, as whyslow does */
    return r;
}
