/* SPDX-License-Identifier: MIT */
/*
 * table.c - the library's large tables, mapped at their first use.
 *
 * A table of hundreds of KiB in .bss costs nothing while untouched, but it
 * widens the library: the loader maps all of it, and the wider the
 * library, the more often it straddles a 2 MiB boundary and takes one more
 * page table to map, made at every start and freed at every exit of every
 * process it is preloaded in, traced or not (about 20 us a process where
 * the hypervisor shadows page tables; tests/unit/check_span.py keeps the
 * library under 1 MiB).  A table only some programs need (HTTP
 * connections, libpq's statement names, CPython's code objects) is mapped
 * instead where it is first needed, once per process; a fork() child
 * inherits it, as it would .bss.
 */
#include <errno.h>
#include <sys/mman.h>

#include "internal.h"

void *ws_table_map(void *_Atomic *table, size_t size)
{
    void *all = atomic_load_explicit(table, memory_order_acquire);
    if (all) return all;
    /* mmap() is a bare system call, safe where the first user may be: in
     * a signal handler's wrapper, or while another thread maps the same
     * table (the loser lets its copy go).  NORESERVE: only the pages
     * written count. */
    int saved = errno;
    void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                   -1, 0);
    errno = saved;
    if (m == MAP_FAILED) return NULL;
    if (atomic_compare_exchange_strong(table, &all, m)) return m;
    munmap(m, size); /* another thread mapped it first: all is its table */
    errno = saved;
    return all;
}
