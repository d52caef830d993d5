/* SPDX-License-Identifier: MIT */
/*
 * symbolize.h - names for the addresses of a recorded process: the code a
 * call came from (function, source file and line) and the data a lock
 * lies in (the variable), found with the process's recorded memory maps
 * (memmap.h) in the ELF files they name, through elfutils' libdwfl.
 *
 * Each process gets a symbolizer when first asked, and each answer is
 * cached: the report asks about the same lock or call site many times.
 * Only what the report shows is looked up (findings, locks, the slowest
 * calls), never every event.
 *
 * Nothing here invents: a file that is missing, unreadable, or changed
 * since the recording (another inode, or modified after the process
 * ended) names nothing, and says so in a note of the process; a stripped
 * file gives the module and the offset in it; an address in anonymous
 * memory, the heap or a stack gives only that.
 */
#ifndef WHYSLOW_SYMBOLIZE_H
#define WHYSLOW_SYMBOLIZE_H

#include "log/memmap.h"
#include "log/process.h"
#include "log/pysites.h"

#include <stddef.h>
#include <stdint.h>

struct symbolizer; /* a process's, made when first asked */

/* Where a call came from.  Strings are NULL when unknown. */
struct sym_code {
    uint64_t addr;            /* the return address asked about */
    const char *module;       /* the file's name ("libc.so.6"), or "[vdso]" */
    int has_module_offset;    /* module_offset is known */
    uint64_t module_offset;   /* addr as the file numbers it (what
                                 `addr2line -e FILE`, nm and objdump use) */
    const char *function;     /* the function holding addr - 1 */
    uint64_t function_offset; /* addr minus the function's start */
    const char *file;         /* its source file, as DWARF names it */
    unsigned line;            /* 0 when unknown */
    /* When function was inlined: 1, and outer is where (the function it
     * was inlined into, at the line of the call, with the same address),
     * which may itself be inlined... The outermost has outer NULL. */
    int inlined;
    const struct sym_code *outer;
    /* A Python site (log/pysites.h): function, file and line are the
     * Python code's (the user's own frame when it has one), and via the
     * innermost frame when that is another (a library's: NULL if not). */
    int python;
    const struct py_frame *via;
};

/* What kind of memory a data address is in. */
enum sym_region {
    SYM_NOWHERE, /* in no recorded mapping */
    SYM_MODULE,  /* an ELF file's data (or bss) */
    SYM_FILE,    /* some other mapped file */
    SYM_HEAP,
    SYM_STACK, /* the main thread's stack */
    SYM_ANON,  /* anonymous memory: thread stacks, malloc arenas, mmap */
};

/* What a data address (a lock) is. */
struct sym_data {
    uint64_t addr;
    enum sym_region region;
    const char *module;     /* SYM_MODULE, SYM_FILE: the file's name */
    int has_module_offset;  /* SYM_MODULE: module_offset is known */
    uint64_t module_offset; /* as in sym_code */
    const char *symbol;     /* the variable holding addr, or NULL */
    uint64_t symbol_offset; /* addr minus the variable's start */
};

/* The call site of a return address (recorded callers are return
 * addresses: the call is at addr - 1).  Never NULL. */
const struct sym_code *sym_code(struct ws_process *p, uint64_t addr);

/* The variable or memory an address lies in.  Never NULL. */
const struct sym_data *sym_data(struct ws_process *p, uint64_t addr);

/* Whether a lock address is CPython's GIL: its mutex and condition
 * variable lie inside the exported variable _PyRuntime (of the python
 * executable or of libpython). */
int sym_is_gil(struct ws_process *p, uint64_t addr);

/* Closes what the process's symbolizer keeps open of its files (libdwfl
 * holds their symbols and DWARF: megabytes per process); the answers found
 * stay, and a new question opens the files again.  A report of a thousand
 * processes would otherwise hold a thousand copies of libc's. */
void sym_release(struct ws_process *p);

void symbolizer_free(struct symbolizer *s);

/* ---- the parts below are exported for the unit tests ---- */

/* A PT_LOAD segment of an ELF file. */
struct elf_segment {
    uint64_t vaddr, offset, filesz, memsz;
};

/*
 * The load bias (runtime address minus the file's own address) of the
 * mapping maps[i], a mapping of an ELF file with these segments.  A
 * mapping alone can be ambiguous (two segments may start in the same
 * page of the file), so every mapping of the same file (path and inode)
 * votes: the bias that the most of them agree with wins.  Returns 0, or
 * -1 when no segment can have been mapped there.
 */
int elf_load_bias(const struct elf_segment *seg, size_t nseg, const struct ws_mapping *maps,
                  size_t n, size_t i, uint64_t *bias);

#endif
