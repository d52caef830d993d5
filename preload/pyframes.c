/* SPDX-License-Identifier: MIT */
/*
 * pyframes.c - the Python frames of the calling thread, so that a CPython
 * program's events name the Python function, file and line that made
 * them, not the interpreter's C code.
 *
 * At a traced call the thread is inside C code (a database call, a lock
 * wait, a syscall): its Python frames do not move until the call returns,
 * and the code objects they run are alive.  The walk reads them in place,
 * as py-spy and austin do from outside:
 *
 *   thread state (PyGILState_GetThisThreadState(), exported)
 *     -> its current frame (3.11, 3.12: through tstate->cframe;
 *        3.13: tstate->current_frame)
 *     -> each frame's code object and instruction, then the previous frame.
 *
 * 3.8 to 3.10 keep a chain of frame objects instead (tstate->frame, then
 * f_back), each with its code object and last instruction (f_lasti).
 *
 * The layouts differ by version, so each is gated on the exact version
 * the interpreter says it is (Py_Version, or before 3.11 Py_GetVersion())
 * and on its build: a debug build or a free-threaded one, or a version
 * not listed here, is not read, and a WS_EV_PYTHON record at the start
 * says which version it was, and why.  3.8 to 3.12 use the offsets below
 * (tests/unit/check_py_layout.py compares them with each installed
 * version's headers); 3.13 publishes its own in _Py_DebugOffsets at the
 * start of _PyRuntime, which is read.
 *
 * What is followed is checked before it is used: a frame's code object
 * must have PyCode_Type's address as its type, its instruction pointer
 * must lie in the code, strings must be str objects of a plausible size;
 * the walk stops at the first thing that does not look right, and goes
 * 128 frames deep at most.
 *
 * A frame is recorded as a key: the code object's number in the log (an
 * WS_EV_PYCODE record names it: qualified name, file, first line and its
 * line table, from which the decoder finds the line of an offset) and the
 * instruction's byte offset.  Each code object is named once per process,
 * through a table of the code objects already named.  A code object's
 * address is reused once it is freed, so an entry matches only when the
 * code object's name, file, first line and line table are those named:
 * a different function at the same address gets a record of its own.
 * The table is lock-free: a writer claims an entry by making its sequence
 * odd, fills it, and makes it even; a reader that sees it change, or odd,
 * names the code object again (a record more, never a wrong name).  After
 * fork, the child's log is a new one: the table's epoch changes, and
 * every entry is stale.
 */
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "dbstate.h"
#include "internal.h"

/* The offsets the walk needs, for one version. */
struct layout {
    unsigned minor;          /* 3.minor */
    uint32_t tstate_cframe;  /* 3.11, 3.12: tstate->cframe (else NONE) */
    uint32_t cframe_current; /* cframe->current_frame */
    uint32_t tstate_current; /* 3.13: tstate->current_frame (else NONE) */
    /* A frame's code object, the frame it was called from, its instruction
     * (3.11 on: a pointer; before: f_lasti), and who owns it (3.11 on) */
    uint32_t frame_code, frame_previous, frame_instr, frame_owner;
    /* A code object's; qualname is co_name before 3.11, which has no
     * co_qualname; linetable is co_lnotab in 3.8 and 3.9 */
    uint32_t code_filename, code_qualname, code_linetable, code_firstlineno, code_adaptive;
    uint32_t ascii_size, compact_size; /* where a str's characters start */
    uint32_t tstate_frame;             /* 3.8 to 3.10: tstate->frame (else NONE) */
    uint32_t lasti_scale;              /* 3.8 to 3.10: bytes per unit of f_lasti (else 0) */
};

#define NONE UINT32_MAX

/* The rows tests/unit/check_py_layout.py checks, in this order. */
static const struct layout layouts[] = {
    {8, NONE, NONE, NONE, 32, 24, 104, NONE, 104, 112, 120, 40, NONE, 48, 72, 24, 1},
    {9, NONE, NONE, NONE, 32, 24, 104, NONE, 104, 112, 120, 40, NONE, 48, 72, 24, 1},
    {10, NONE, NONE, NONE, 32, 24, 96, NONE, 104, 112, 120, 40, NONE, 48, 72, 24, 2},
    {11, 56, 8, NONE, 32, 48, 56, 69, 112, 128, 136, 72, 184, 48, 72, NONE, 0},
    {12, 56, 0, NONE, 0, 8, 56, 70, 112, 128, 136, 68, 192, 40, 56, NONE, 0},
};

static WS_HOT struct layout L;
static WS_HOT int python_on; /* a CPython whose frames we read */
static WS_HOT void *(*get_tstate)(void);
static WS_HOT int (*is_initialized)(void);
static WS_HOT int (*holds_gil)(void); /* PyGILState_Check */
static WS_HOT uintptr_t code_type, unicode_type, bytes_type;
static unsigned long py_version WS_START_RW; /* Py_Version, 0: not a CPython we know */

#define OWNED_BY_CSTACK 3 /* 3.12+: an entry frame of the C stack, no code of its own */
#define MAX_DEPTH       128

/* 3.13's _Py_DebugOffsets (Include/internal/pycore_runtime.h), as far as
 * used; the layout of 3.13 only (3.14 adds fields). */
struct debug_offsets_313 {
    char cookie[8];
    uint64_t version, free_threaded;
    struct {
        uint64_t size, finalizing, interpreters_head;
    } runtime_state;
    struct {
        uint64_t size, id, next, threads_head, gc, imports_modules, sysdict, builtins, ceval_gil,
            gil_runtime_state, gil_enabled, gil_locked, gil_holder;
    } interpreter_state;
    struct {
        uint64_t size, prev, next, interp, current_frame, thread_id, native_thread_id,
            datastack_chunk, status;
    } thread_state;
    struct {
        uint64_t size, previous, executable, instr_ptr, localsplus, owner;
    } interpreter_frame;
    struct {
        uint64_t size, filename, name, qualname, linetable, firstlineno, argcount, localsplusnames,
            localspluskinds, co_code_adaptive;
    } code_object;
    struct {
        uint64_t size, ob_type;
    } pyobject;
    struct {
        uint64_t size, tp_name, tp_repr, tp_flags;
    } type_object;
    struct {
        uint64_t size, ob_item, ob_size;
    } tuple_object, list_object;
    struct {
        uint64_t size, ma_keys, ma_values;
    } dict_object;
    struct {
        uint64_t size, ob_fval;
    } float_object;
    struct {
        uint64_t size, lv_tag, ob_digit;
    } long_object;
    struct {
        uint64_t size, ob_size, ob_sval;
    } bytes_object;
    struct {
        uint64_t size, state, length, asciiobject_size;
    } unicode_object;
};

static unsigned why_not WS_START_RW; /* WS_PY_*: why the frames are not read */

static int from_debug_offsets(const struct debug_offsets_313 *d)
{
    if (memcmp(d->cookie, "xdebugpy", 8) != 0 || (d->version >> 16) != 0x030d ||
        d->pyobject.ob_type != 8 || d->unicode_object.state == 0 || d->code_object.size == 0)
        return -1;
    if (d->free_threaded) {
        why_not = WS_PY_FREE_THREADED;
        return -1;
    }
    L = (struct layout){
        .minor = 13,
        .tstate_cframe = NONE,
        .tstate_current = (uint32_t)d->thread_state.current_frame,
        .frame_code = (uint32_t)d->interpreter_frame.executable,
        .frame_previous = (uint32_t)d->interpreter_frame.previous,
        .frame_instr = (uint32_t)d->interpreter_frame.instr_ptr,
        .frame_owner = (uint32_t)d->interpreter_frame.owner,
        .code_filename = (uint32_t)d->code_object.filename,
        .code_qualname = (uint32_t)d->code_object.qualname,
        .code_linetable = (uint32_t)d->code_object.linetable,
        .code_firstlineno = (uint32_t)d->code_object.firstlineno,
        .code_adaptive = (uint32_t)d->code_object.co_code_adaptive,
        .ascii_size = (uint32_t)d->unicode_object.asciiobject_size,
        /* PyCompactUnicodeObject adds utf8_length and utf8 */
        .compact_size = (uint32_t)d->unicode_object.asciiobject_size + 16,
        .tstate_frame = NONE,
    };
    return 0;
}

/* The version of a CPython older than 3.11 (no Py_Version): from
 * Py_GetVersion()'s "3.10.13 (main, ...", which only formats constants. */
WS_EVERY_PROCESS static unsigned long old_version(void)
{
    const char *(*get)(void) = (const char *(*)(void))ws_lookup(WS_START_STR("Py_GetVersion"));
    const char *v = get ? get() : NULL;
    unsigned long part[3] = {0, 0, 0}, final = 0;
    for (int i = 0; v && i < 3; i++) {
        while (*v >= '0' && *v <= '9')
            part[i] = part[i] * 10 + (unsigned long)(*v++ - '0');
        if (i == 2) final = *v == ' ' || *v == '\0'; /* no "rc1", "a2", "+" */
        if (*v++ != '.') break;
    }
    /* In Py_Version's form, a final release's level 0xf. */
    return part[0] == 3 && part[1] < 11
               ? part[0] << 24 | part[1] << 16 | part[2] << 8 | (final ? 0xf0 : 0)
               : 0;
}

WS_EVERY_PROCESS static int find_layout(void)
{
    const unsigned long *version = ws_lookup(WS_START_STR("Py_Version"));
    void *runtime = ws_lookup(WS_START_STR("_PyRuntime"));
    py_version = version ? *version : old_version();
    why_not = WS_PY_VERSION;
    /* A final release only: an alpha's or beta's layouts may differ. */
    if (!py_version || !runtime || (py_version >> 24) != 3 || (py_version >> 4 & 0xf) != 0xf)
        return -1;
    /* A debug build lays its objects out otherwise. */
    if (ws_lookup("_Py_NegativeRefcount")) {
        why_not = WS_PY_DEBUG;
        return -1;
    }
    unsigned minor = (unsigned)(py_version >> 16 & 0xff);
    for (size_t i = 0; i < sizeof layouts / sizeof *layouts; i++)
        if (layouts[i].minor == minor) {
            L = layouts[i];
            return 0;
        }
    return minor == 13 ? from_debug_offsets(runtime) : -1;
}

/* ---- reading objects ---- */

static inline uintptr_t word_at(uintptr_t p, uint32_t off)
{
    return *(const uintptr_t *)(p + off);
}

/* Whether p may point to an object: not NULL, aligned, not in the first
 * page nor in kernel space. */
static inline int plausible(uintptr_t p)
{
    return p >= 4096 && !(p & 7) && p < ((uintptr_t)1 << 47);
}

/*
 * Code objects freed so far in this process.  A thread's last code object
 * (code_id) is the same object while no code object was freed since: its
 * address cannot have been reused, and its name, file and line table need
 * not be read again (three objects, three cache misses a database call).
 * Counted by a dealloc of our own in PyCode_Type, which then calls
 * CPython's: every object's end goes through its type's tp_dealloc, with
 * the GIL held, and the count is raised before the memory is freed.  The
 * code of a frame the walk reads is alive (the frame holds it).
 */
static WS_HOT _Atomic uint64_t codes_freed;
static WS_HOT int freed_counted; /* our dealloc is in place */
static void (*code_dealloc)(void *);

static void counted_code_dealloc(void *code)
{
    atomic_fetch_add_explicit(&codes_freed, 1, memory_order_release);
    code_dealloc(code);
}

/* tp_dealloc in PyTypeObject: after the variable object head (refcount,
 * type, size) and tp_name, tp_basicsize, tp_itemsize, in every release
 * build read (debug and free-threaded ones, with other heads, are not). */
#define TYPE_DEALLOC 48

static void count_freed_codes(void)
{
    void (**slot)(void *) = (void (**)(void *))(code_type + TYPE_DEALLOC);
    void (*was)(void *) = __atomic_load_n(slot, __ATOMIC_RELAXED);
    if (!was || !plausible((uintptr_t)was & ~(uintptr_t)7)) return;
    code_dealloc = was;
    __atomic_store_n(slot, counted_code_dealloc, __ATOMIC_RELEASE);
    freed_counted = 1;
}

/* Once recording: which CPython this is, said in a WS_EV_PYTHON record of
 * the thread starting the program. */
WS_EVERY_PROCESS void ws_py_init(int off)
{
    int found = find_layout() == 0;
    if (found && off) {
        why_not = WS_PY_OFF;
    } else if (found) {
        get_tstate = (void *(*)(void))ws_lookup("PyGILState_GetThisThreadState");
        is_initialized = (int (*)(void))ws_lookup("Py_IsInitialized");
        holds_gil = (int (*)(void))ws_lookup("PyGILState_Check");
        code_type = (uintptr_t)ws_lookup("PyCode_Type");
        unicode_type = (uintptr_t)ws_lookup("PyUnicode_Type");
        bytes_type = (uintptr_t)ws_lookup("PyBytes_Type");
        python_on =
            get_tstate && is_initialized && holds_gil && code_type && unicode_type && bytes_type;
        if (python_on) count_freed_codes();
    }
    if (!py_version) return; /* no CPython */
    struct ws_thread *t = ws_enter();
    if (t) {
        uint64_t now = ws_now();
        ws_emit(t, WS_EV_PYTHON, python_on ? 0 : why_not, (int64_t)py_version, python_on, now, now,
                0, NULL, 0);
    }
}

static inline int is_a(uintptr_t obj, uintptr_t type)
{
    return plausible(obj) && word_at(obj, 8) == type;
}

/* A str's characters as UTF-8 into out (cap bytes at most, cut at a
 * character): a compact str only (every identifier and file name is).
 * Returns the bytes written. */
static size_t str_utf8(uintptr_t s, char *out, size_t cap)
{
    if (!is_a(s, unicode_type)) return 0;
    uint64_t length = *(const uint64_t *)(s + 16);
    uint32_t state = *(const uint32_t *)(s + 32);
    unsigned kind = state >> 2 & 7, compact = state >> 5 & 1, ascii = state >> 6 & 1;
    if (!compact || length > (1u << 20)) return 0;
    const uint8_t *data = (const uint8_t *)s + (ascii ? L.ascii_size : L.compact_size);
    size_t n = 0;
    for (uint64_t i = 0; i < length; i++) {
        uint32_t c = kind == 1   ? data[i]
                     : kind == 2 ? ((const uint16_t *)data)[i]
                     : kind == 4 ? ((const uint32_t *)data)[i]
                                 : '?';
        uint8_t b[4];
        size_t len;
        if (c < 0x80) {
            b[0] = (uint8_t)c;
            len = 1;
        } else if (c < 0x800) {
            b[0] = (uint8_t)(0xc0 | c >> 6);
            b[1] = (uint8_t)(0x80 | (c & 0x3f));
            len = 2;
        } else if (c < 0x10000) {
            b[0] = (uint8_t)(0xe0 | c >> 12);
            b[1] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
            b[2] = (uint8_t)(0x80 | (c & 0x3f));
            len = 3;
        } else {
            b[0] = (uint8_t)(0xf0 | (c >> 18 & 7));
            b[1] = (uint8_t)(0x80 | (c >> 12 & 0x3f));
            b[2] = (uint8_t)(0x80 | (c >> 6 & 0x3f));
            b[3] = (uint8_t)(0x80 | (c & 0x3f));
            len = 4;
        }
        if (n + len > cap) break;
        memcpy(out + n, b, len);
        n += len;
    }
    return n;
}

/* Whether a file is the user's own code: not the interpreter's library
 * (".../lib/pythonX.Y/..."), not an installed package (site-packages,
 * dist-packages), not frozen or generated ("<frozen ...>", "<string>"). */
static int users_file(uintptr_t filename)
{
    char f[512];
    size_t n = str_utf8(filename, f, sizeof f - 1);
    f[n] = '\0';
    if (n == 0 || f[0] == '<') return 0;
    if (strstr(f, "/site-packages/") || strstr(f, "/dist-packages/")) return 0;
    for (const char *p = f; (p = strstr(p, "/lib/python")) != NULL; p++) {
        const char *v = p + 11;
        if (*v >= '0' && *v <= '9') return 0;
    }
    return 1;
}

/* ---- naming code objects ---- */

#define CODES     4096 /* entries of the table, a power of 2 */
#define CODE_NAME 256  /* bytes of a qualified name kept */
#define CODE_FILE 1024 /* bytes of a file name kept */

/* What identifies a code object beyond its address: its name, file and
 * line table, by address, and what their addresses hold (a freed code
 * object's strings may be freed too, and new ones made at the same
 * addresses: exec'd functions of one shape): each str's length and
 * cached hash (names are interned, so hashed), the table's length. */
struct ident {
    uintptr_t qualname, filename, linetable;
    uint64_t name_hash, name_len, file_hash, file_len, table_len;
    uint32_t firstlineno;
};

struct code_entry {
    _Atomic uint32_t seq; /* odd: being written */
    uint32_t epoch;
    uint32_t id; /* its number in the log */
    uint32_t user;
    uintptr_t code;
    struct ident x;
};

/* struct code_entry[CODES], 390 KiB: mapped by the first code object named
 * (table.c). */
static void *_Atomic codes_table;
static _Atomic uint32_t next_id = 1;
static WS_HOT _Atomic uint32_t epoch = 1;
/* Threads writing an entry now (a fork child need look at none if 0) */
static _Atomic uint32_t writers;

void ws_py_fork_child(void)
{
    atomic_fetch_add(&epoch, 1); /* the parent's records are not in our log */
    /* An entry another thread of the parent was writing stays half
     * written: no one here will finish it.  Looked for only when one was:
     * reading the whole table (96 pages, most never touched) costs a short
     * child such as a shell's before its exec some 100 page faults. */
    struct code_entry *codes = atomic_load(&codes_table);
    if (atomic_load(&writers) == 0 || !codes) return;
    for (size_t i = 0; i < CODES; i++) {
        uint32_t seq = atomic_load_explicit(&codes[i].seq, memory_order_relaxed);
        if (seq & 1) atomic_store_explicit(&codes[i].seq, seq + 1, memory_order_relaxed);
    }
}

static struct ident ident_of(uintptr_t code)
{
    struct ident x = {.qualname = word_at(code, L.code_qualname),
                      .filename = word_at(code, L.code_filename),
                      .linetable = word_at(code, L.code_linetable)};
    x.firstlineno = *(const uint32_t *)(code + L.code_firstlineno);
    /* (str: length at 16, hash at 24; bytes: size at 16, in every version
     * read) */
    if (plausible(x.qualname)) {
        x.name_len = word_at(x.qualname, 16);
        x.name_hash = word_at(x.qualname, 24);
    }
    if (plausible(x.filename)) {
        x.file_len = word_at(x.filename, 16);
        x.file_hash = word_at(x.filename, 24);
    }
    if (plausible(x.linetable)) x.table_len = word_at(x.linetable, 16);
    return x;
}

static int same_ident(const struct ident *a, const struct ident *b)
{
    return a->qualname == b->qualname && a->filename == b->filename &&
           a->linetable == b->linetable && a->firstlineno == b->firstlineno &&
           a->name_hash == b->name_hash && a->name_len == b->name_len &&
           a->file_hash == b->file_hash && a->file_len == b->file_len &&
           a->table_len == b->table_len;
}

/* Writes the WS_EV_PYCODE record naming code as number id: payload u16
 * name length, u16 file length, the name, the file, then the line
 * table's bytes (each cut to fit).  Returns whether written. */
static int name_code(struct ws_thread *t, uintptr_t code, const struct ident *x, uint32_t id,
                     uint64_t at)
{
    char name[CODE_NAME], file[CODE_FILE];
    uint16_t nlen = (uint16_t)str_utf8(x->qualname, name, sizeof name);
    size_t flen = str_utf8(x->filename, file, sizeof file);
    if (!is_a(x->linetable, bytes_type)) return 0;
    uint64_t tlen = *(const uint64_t *)(x->linetable + 16);
    uint32_t room = WS_MAX_PAYLOAD - 4 - nlen - (uint32_t)flen;
    if (tlen > room) tlen = room;
    uint8_t *p = ws_emit_reserve(t, WS_EV_PYCODE, (uint32_t)(py_version >> 16), id, x->firstlineno,
                                 at, at, code, 4 + nlen + (uint32_t)flen + (uint32_t)tlen);
    if (!p) return 0;
    uint16_t lens[2] = {nlen, (uint16_t)flen};
    memcpy(p, lens, 4);
    memcpy(p + 4, name, nlen);
    memcpy(p + 4 + nlen, file, flen);
    memcpy(p + 4 + nlen + flen, (const void *)(x->linetable + 32), tlen);
    ws_emit_commit();
    return 1;
}

static uint32_t table_id(struct ws_thread *t, uintptr_t code, const struct ident *xp, uint32_t now,
                         uint64_t at, int *user);

/* The number of a code object in this log, naming it first if it is new;
 * *user says whether it is the user's code.  0: it could not be named.
 * A thread with database state keeps the numbers it found last, by
 * address, while no code object is freed (codes_freed): a query loop
 * then reads neither the code's name, file and line table nor the
 * process's table.  Its seq is odd while an entry is written: a signal
 * handler interrupting the write neither reads nor writes them. */
static uint32_t code_id(struct ws_thread *t, uintptr_t code, uint64_t at, int *user)
{
    uint32_t now = atomic_load_explicit(&epoch, memory_order_relaxed);
    uint64_t freed = atomic_load_explicit(&codes_freed, memory_order_acquire);
    struct ws_dbstate *d = freed_counted ? t->db : NULL;
    struct ws_py_code *c = d ? &d->py_codes[(code >> 4) % WS_PY_CODES] : NULL;
    uint32_t seq = d ? d->py_seq : 1;
    atomic_signal_fence(memory_order_acquire); /* (the entry read after seq) */
    if (!(seq & 1) && c->code == code && c->freed == freed && c->epoch == now) {
        uint32_t id = c->id;
        *user = (int)c->user;
        atomic_signal_fence(memory_order_seq_cst);
        if (d->py_seq == seq) return id; /* no handler wrote one meanwhile */
    }
    struct ident x = ident_of(code);
    uint32_t id = table_id(t, code, &x, now, at, user);
    if (id && !(seq & 1)) {
        d->py_seq = seq + 1;
        atomic_signal_fence(memory_order_seq_cst);
        c->code = code;
        c->freed = freed;
        c->epoch = now;
        c->id = id;
        c->user = (uint32_t)*user;
        atomic_signal_fence(memory_order_seq_cst);
        d->py_seq = seq + 2;
    }
    return id;
}

/* code_id() through the process's table: the entry of code is the one
 * whose name, file and line table match too.  The table is 4-way: a code
 * object is looked for in the 4 entries of its set, and a new one takes a
 * stale entry of the set (of an earlier epoch, or empty), else one chosen
 * by its number. */
static uint32_t table_id(struct ws_thread *t, uintptr_t code, const struct ident *xp, uint32_t now,
                         uint64_t at, int *user)
{
    struct ident x = *xp;
    struct code_entry *codes = ws_table_map(&codes_table, CODES * sizeof *codes);
    struct code_entry *set =
        codes ? &codes[((uint64_t)code * 0x9e3779b97f4a7c15ull) >> 52 & (CODES - 4)] : NULL;
    struct code_entry *victim = NULL;
    for (int i = 0; set && i < 4; i++) {
        struct code_entry *e = &set[i];
        uint32_t seq = atomic_load_explicit(&e->seq, memory_order_acquire);
        if (seq & 1) continue;
        if (e->code == code && e->epoch == now && same_ident(&e->x, &x)) {
            uint32_t id = e->id;
            *user = (int)e->user;
            atomic_thread_fence(memory_order_acquire);
            if (atomic_load_explicit(&e->seq, memory_order_relaxed) == seq) return id;
        }
        if (!victim && (e->code == 0 || e->epoch != now)) victim = e;
    }
    /* New here: named under a new number, and kept if the entry is free
     * to write (a signal handler's walk may find it being written). */
    uint32_t id = atomic_fetch_add_explicit(&next_id, 1, memory_order_relaxed);
    *user = users_file(x.filename);
    if (!name_code(t, code, &x, id, at)) return 0;
    if (!set) return id; /* no memory for the table: named again at its next use */
    struct code_entry *e = victim ? victim : &set[id & 3];
    uint32_t seq = atomic_load_explicit(&e->seq, memory_order_relaxed);
    atomic_fetch_add(&writers, 1);
    if (!(seq & 1) && atomic_compare_exchange_strong(&e->seq, &seq, seq + 1)) {
        e->code = code;
        e->epoch = now;
        e->id = id;
        e->user = (uint32_t)*user;
        memcpy(&e->x, &x, sizeof(x));
        atomic_store_explicit(&e->seq, seq + 2, memory_order_release);
    }
    atomic_fetch_sub(&writers, 1);
    return id;
}

/* ---- the walk ---- */

/* The calling thread's innermost Python frame, or 0.  (Inline: the line
 * of each database call; a function of its own, its code was more lines
 * to fetch again at each query, the interpreter's code having evicted
 * them.) */
static inline __attribute__((always_inline)) uintptr_t current_frame(void)
{
    if (!python_on || !is_initialized()) return 0;
    uintptr_t ts = (uintptr_t)get_tstate();
    if (!plausible(ts)) return 0;
    if (L.tstate_frame != NONE) return word_at(ts, L.tstate_frame);
    if (L.tstate_cframe != NONE) {
        uintptr_t cf = word_at(ts, L.tstate_cframe);
        return plausible(cf) ? word_at(cf, L.cframe_current) : 0;
    }
    return word_at(ts, L.tstate_current);
}

/* Walks the thread's frames from f, its innermost, into keys[0..max):
 * each a code object's number << 32 | the instruction's byte offset.  With
 * user_only, stops after the first frame of the user's code, and keeps
 * only the innermost and that one (keys[0], keys[1]; the same frame
 * once); *from_f then says whether the one key came from f itself, the
 * user's.  Returns how many keys. */
static unsigned walk(struct ws_thread *t, uint64_t at, uintptr_t f, uint64_t *keys, unsigned max,
                     int user_only, int *from_f)
{
    unsigned n = 0;
    for (int depth = 0; plausible(f) && depth < MAX_DEPTH && n < max; depth++) {
        uintptr_t code = word_at(f, L.frame_code);
        uintptr_t prev = word_at(f, L.frame_previous);
        if (L.minor >= 12 && *(const uint8_t *)(f + L.frame_owner) == OWNED_BY_CSTACK) {
            f = prev;
            continue;
        }
        if (!is_a(code, code_type)) break; /* not a frame: stop */
        uint32_t offset;
        if (L.lasti_scale) {
            /* f_lasti: the last instruction run, -1 before the first */
            int lasti = *(const int *)(f + L.frame_instr);
            offset = lasti > 0 ? (uint32_t)lasti * L.lasti_scale : 0;
        } else {
            /* 3.11, 3.12: the last instruction run (one before the code
             * when the frame has not started); 3.13: the one running */
            uintptr_t instr = word_at(f, L.frame_instr), first = code + L.code_adaptive;
            if (instr < first || instr - first > (1u << 28)) {
                f = prev;
                continue;
            }
            offset = (uint32_t)(instr - first);
        }
        int user;
        uint32_t id = code_id(t, code, at, &user);
        if (!id) break;
        uint64_t key = (uint64_t)id << 32 | offset;
        if (!user_only) {
            keys[n++] = key;
        } else if (n == 0) {
            keys[n++] = key;
            if (user) {
                *from_f = depth == 0;
                return 1;
            }
        } else if (user) {
            keys[n++] = key;
            return n;
        }
        f = prev;
    }
    return n;
}

/* The records: each names the next event of its thread. */

/* A loop's database calls come from one line of the user's code: when
 * the innermost frame is the one the site remembered in d came from, with
 * the same code object (none freed since) at the same instruction (now),
 * the site is the same, and neither the walk nor code_id() are needed
 * (nearly half of what a Python point select cost the recorder).  Read
 * under py_seq, as code_id() reads its cache. */
static int site_again(const struct ws_dbstate *d, const struct ws_py_last *now, uint64_t site[2])
{
    const struct ws_py_last *c = &d->py_last;
    uint32_t seq = d->py_seq;
    atomic_signal_fence(memory_order_acquire); /* (the entry read after seq) */
    if ((seq & 1) || c->frame != now->frame || c->code != now->code || c->instr != now->instr ||
        c->freed != now->freed || c->epoch != now->epoch)
        return 0;
    uint64_t key = c->key;
    atomic_signal_fence(memory_order_seq_cst);
    if (d->py_seq != seq) return 0;
    site[0] = key;
    return 1;
}

/* The site a walk found from the innermost frame, the user's (site_again()). */
static void remember(struct ws_dbstate *d, const struct ws_py_last *last)
{
    uint32_t seq = d->py_seq;
    if (seq & 1) return; /* a signal handler's walk, inside ours: ours writes */
    d->py_seq = seq + 1;
    atomic_signal_fence(memory_order_seq_cst);
    d->py_last = *last;
    atomic_signal_fence(memory_order_seq_cst);
    d->py_seq = seq + 2;
}

void ws_py_site(struct ws_thread *t, uint64_t at, uint64_t site[2])
{
    site[0] = site[1] = 0;
    /* A database call's: its thread's frames stand still, whether it gave
     * up the GIL around the call (as CPython's modules do) or holds it in
     * a C call of the interpreter's, and no database client may be called
     * from a signal handler, where they could be half changed.  So the
     * GIL is not asked about here (ws_py_note_site() asks): asking was 43
     * of the 550 instructions a Python point select cost the recorder. */
    if (!python_on || ws_me.depth) return;
    uintptr_t f = current_frame();
    struct ws_dbstate *d = freed_counted && plausible(f) ? t->db : NULL;
    int from_f = 0;
    if (!d) {
        walk(t, at, f, site, 2, 1, &from_f);
        return;
    }
    /* (freed and epoch read before a walk: a code freed or an epoch begun
     * during it leaves what it remembers stale, never wrong) */
    struct ws_py_last now = {
        .frame = f,
        .code = word_at(f, L.frame_code),
        .instr = word_at(f, L.frame_instr),
        .freed = atomic_load_explicit(&codes_freed, memory_order_acquire),
        .epoch = atomic_load_explicit(&epoch, memory_order_relaxed),
    };
    if (site_again(d, &now, site)) return;
    if (walk(t, at, f, site, 2, 1, &from_f) == 1 && from_f) {
        now.key = site[0];
        remember(d, &now);
    }
}

void ws_py_note_site(struct ws_thread *t, uint64_t at)
{
    uint64_t site[2];
    /* Only a thread that gave up the GIL, as CPython does around a
     * blocking wait or I/O: its frames then stand still.  One that holds
     * it may be a signal handler's, interrupting the interpreter in the
     * middle of changing them (a slow write to the wakeup fd). */
    if (!python_on || ws_me.depth || holds_gil()) return;
    ws_py_site(t, at, site);
    if (site[0] &&
        ws_emit_put(t, WS_EV_PYSITE, 0, (int64_t)site[0], (int64_t)site[1], at, at, 0, 0, NULL, 0))
        ws_emit_commit();
}

void ws_py_emit_db_site(struct ws_thread *t, const uint64_t site[2], uint64_t at)
{
    struct ws_dbstate *d = python_on ? ws_db(t) : NULL;
    if (!d) return;
    uint64_t *last = d->py_site;
    if (site[0] == last[0] && site[1] == last[1]) return; /* the decoder keeps it */
    if (!ws_emit_put(t, WS_EV_PYSITE, WS_PYSITE_DB, (int64_t)site[0], (int64_t)site[1], at, at, 0,
                     0, NULL, 0))
        return; /* not written: the next execution tries again */
    ws_emit_commit();
    last[0] = site[0];
    last[1] = site[1];
}

void ws_py_emit_stack(struct ws_thread *t, uint64_t at)
{
    uint64_t keys[MAX_DEPTH];
    if (!python_on || ws_me.depth) return;
    int from_f;
    unsigned n = walk(t, at, current_frame(), keys, MAX_DEPTH, 0, &from_f);
    if (!n) return;
    uint8_t *p = ws_emit_reserve_at(t, WS_EV_PYSTACK, 0, n, 0, at, at, 0, n * 8, UINT64_MAX);
    if (!p) return;
    memcpy(p, keys, n * 8);
    ws_emit_commit();
}
