/* SPDX-License-Identifier: MIT */
/*
 * test_symbolize.c - the pieces of symbolization that need no real
 * process: parsing /proc/PID/maps lines, the union of several maps, the
 * load bias of each mapping of an ELF file, and how a call site is
 * written.  Real programs are symbolized in the end-to-end tests.
 */
#include "check.h"
#include "log/memmap.h"
#include "report/sites.h"
#include "symbols/symbolize.h"

#include <stdlib.h>

static void test_parse(void)
{
    struct ws_mapping m;
    const char *l = "557f08861000-557f08862000 r-xp 00001000 fe:00 5310759                    "
                    "/work/build/examples/lock_contention";
    CHECK(maps_parse_line(l, strlen(l), &m) == 0);
    CHECK_U64(m.start, 0x557f08861000);
    CHECK_U64(m.end, 0x557f08862000);
    CHECK_U64(m.offset, 0x1000);
    CHECK_U64(m.dev_major, 0xfe);
    CHECK_U64(m.dev_minor, 0);
    CHECK_U64(m.inode, 5310759);
    CHECK_STR(m.perms, "r-xp");
    CHECK_STR(m.path, "/work/build/examples/lock_contention");
    CHECK(!m.deleted);
    CHECK(mapping_is_file(&m));
    free(m.path);

    l = "7f5b84b91000-7f5b84c40000 rw-p 00000000 00:00 0 ";
    CHECK(maps_parse_line(l, strlen(l), &m) == 0);
    CHECK(m.path == NULL);
    CHECK(!mapping_is_file(&m));

    l = "7f5b80838000-7f5b848c5000 rw-s 00000000 00:01 7986    /memfd:whyslow-buffers (deleted)";
    CHECK(maps_parse_line(l, strlen(l), &m) == 0);
    CHECK_STR(m.path, "/memfd:whyslow-buffers");
    CHECK(m.deleted);
    CHECK(!mapping_is_file(&m));
    free(m.path);

    l = "7f0000000000-7f0000001000 r--p 00000000 08:01 42   /tmp/my lib (old).so";
    CHECK(maps_parse_line(l, strlen(l), &m) == 0);
    CHECK_STR(m.path, "/tmp/my lib (old).so");
    free(m.path);

    l = "557f12d3d000-557f12d5e000 rw-p 00000000 00:00 0                          [heap]";
    CHECK(maps_parse_line(l, strlen(l), &m) == 0);
    CHECK_STR(m.path, "[heap]");
    CHECK(!mapping_is_file(&m));
    free(m.path);

    /* Not maps lines: never taken. */
    const char *bad[] = {
        "",
        "garbage",
        "1000-0800 r--p 00000000 00:00 0", /* ends before it starts */
        "1000-2000 r--p 00000000 00:00",   /* no inode */
        "1000-2000 r--p zz 00:00 0",       /* no offset */
        "1000-2000 r- 0 00:00 0",          /* perms cut short */
        "1000-12345678901234567890 r--p 0 0:0 0 /x" /* overflows */,
        "1000-2000 r--p 0 00:00 12x /x", /* inode runs into text */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
        m.path = NULL;
        CHECK(maps_parse_line(bad[i], strlen(bad[i]), &m) < 0);
        free(m.path);
    }
}

static const struct ws_mapping *find(const struct ws_maps *maps, uint64_t addr)
{
    return maps_find(maps, addr);
}

static void test_union(void)
{
    struct ws_maps maps = {0};
    /* At start: the program and a library. */
    const char *first = "400000-401000 r--p 00000000 08:01 10 /bin/app\n"
                        "401000-402000 r-xp 00001000 08:01 10 /bin/app\n"
                        "7f0000000000-7f0000002000 r-xp 00000000 08:01 20 /lib/libplug.so\n"
                        "7f0000002000-7f0000003000 rw-p 00000000 00:00 0\n"
                        "not a maps line\n"
                        "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]\n";
    maps_add(&maps, first, strlen(first), SIZE_MAX);
    CHECK_U64(maps.records, 1);
    CHECK_U64(maps.n, 5);

    /* Later: the plugin was unloaded, another file took part of its
     * place, and anonymous memory part of the rest; the program's code
     * was split by an mprotect (the same file at the same place). */
    const char *second = "400000-401000 r--p 00000000 08:01 10 /bin/app\n"
                         "401000-401800 r-xp 00001000 08:01 10 /bin/app\n"
                         "401800-402000 r--p 00001800 08:01 10 /bin/app\n"
                         "7f0000001000-7f0000001800 r--p 00000000 08:01 30 /lib/other.so\n"
                         "7f0000001800-7f0000001c00 rw-p 00000000 00:00 0\n"
                         "7ffd00000000-7ffd00021000 rw-p 00000000 00:00 0 [stack]";
    maps_add(&maps, second, strlen(second), SIZE_MAX);
    CHECK_U64(maps.records, 2);

    /* The unloaded plugin still names what the other file did not cover. */
    const struct ws_mapping *m = find(&maps, 0x7f0000000800);
    CHECK(m && m->path && strcmp(m->path, "/lib/libplug.so") == 0);
    CHECK(m && m->start == 0x7f0000000000 && m->end == 0x7f0000001000 && !m->ambiguous);
    m = find(&maps, 0x7f0000001c00);
    CHECK(m && m->path && strcmp(m->path, "/lib/libplug.so") == 0);
    CHECK(m && m->start == 0x7f0000001c00 && m->offset == 0x1c00);
    /* Where two files were mapped, the later one, marked ambiguous. */
    m = find(&maps, 0x7f0000001000);
    CHECK(m && m->path && strcmp(m->path, "/lib/other.so") == 0 && m->ambiguous);
    m = find(&maps, 0x7f0000001900);
    CHECK(m && m->path == NULL && !m->ambiguous);
    /* The same file at the same place is not ambiguous. */
    m = find(&maps, 0x401900);
    CHECK(m && m->path && strcmp(m->path, "/bin/app") == 0 && !m->ambiguous);
    CHECK(m && m->offset == 0x1800 && m->perms[2] == '-');
    m = find(&maps, 0x7ffd00000010);
    CHECK(m && m->path && strcmp(m->path, "[stack]") == 0 && !m->ambiguous);

    CHECK(find(&maps, 0x3fffff) == NULL);
    CHECK(find(&maps, 0x402000) == NULL);
    m = maps_below(&maps, 0x402010);
    CHECK(m && m->start == 0x401800);
    CHECK(maps_below(&maps, 0x1000) == NULL);

    /* Sorted, not overlapping. */
    for (size_t i = 1; i < maps.n; i++)
        CHECK(maps.v[i - 1].end <= maps.v[i].start);

    /* A damaged map that overlaps itself keeps its first line; an empty
     * one changes nothing. */
    const char *damaged = "500000-502000 r--p 00000000 08:01 11 /bin/a\n"
                          "501000-503000 r--p 00000000 08:01 12 /bin/b\n";
    size_t before = maps.n;
    maps_add(&maps, damaged, strlen(damaged), SIZE_MAX);
    CHECK_U64(maps.n, before + 1);
    m = find(&maps, 0x502800);
    CHECK(m == NULL);
    maps_add(&maps, "", 0, SIZE_MAX);
    CHECK_U64(maps.n, before + 1);
    maps_free(&maps);
}

static struct ws_mapping mapping(uint64_t start, uint64_t end, uint64_t offset, const char *path,
                                 uint64_t inode)
{
    struct ws_mapping m = {.start = start, .end = end, .offset = offset, .inode = inode};
    m.path = (char *)path;
    return m;
}

static void test_bias(void)
{
    uint64_t bias;

    /* A PIE executable (gcc on Debian 12): its data segment starts in the
     * page of the file where its read-only data is, so the mapping at
     * file offset 0x2000 may hold either; the other mappings decide. */
    struct elf_segment pie[] = {
        {0x0, 0x0, 0x8e0, 0x8e0},
        {0x1000, 0x1000, 0x419, 0x419},
        {0x2000, 0x2000, 0x268, 0x268},
        {0x3dd0, 0x2dd0, 0x298, 0x310},
    };
    const char *app = "/work/app";
    struct ws_mapping maps[] = {
        mapping(0x557f08860000, 0x557f08861000, 0x0000, app, 7),
        mapping(0x557f08861000, 0x557f08862000, 0x1000, app, 7),
        mapping(0x557f08862000, 0x557f08863000, 0x2000, app, 7),
        mapping(0x557f08863000, 0x557f08864000, 0x2000, app, 7), /* relro part of data */
        mapping(0x557f08864000, 0x557f08865000, 0x3000, app, 7), /* the rest of data */
        mapping(0x557f12d3d000, 0x557f12d5e000, 0, "[heap]", 0),
        /* Another file, and the same path with another inode: no votes. */
        mapping(0x7f0000000000, 0x7f0000001000, 0x2000, "/lib/x.so", 9),
        mapping(0x7f0000001000, 0x7f0000002000, 0x2000, app, 8),
    };
    size_t n = sizeof(maps) / sizeof(*maps);
    for (size_t i = 0; i < 5; i++) {
        bias = 0;
        CHECK(elf_load_bias(pie, 4, maps, n, i, &bias) == 0);
        CHECK_U64(bias, 0x557f08860000);
    }
    /* Alone, the shared page's mapping can be either: it picks one that
     * fits, never an unaligned one. */
    CHECK(elf_load_bias(pie, 4, &maps[3], 1, 0, &bias) == 0);
    CHECK(bias == 0x557f08860000 || bias == 0x557f08861000);

    /* A non-PIE executable (Debian's python3.11): bias 0, whichever
     * mapping asks. */
    struct elf_segment exec[] = {
        {0x400000, 0x0, 0x1e468, 0x1e468},
        {0x41f000, 0x1f000, 0x2afe49, 0x2afe49},
        {0x6cf000, 0x2cf000, 0x2700a0, 0x2700a0},
        {0x940dc8, 0x53fdc8, 0x13df90, 0x182db0},
    };
    const char *py = "/usr/bin/python3.11";
    struct ws_mapping pym[] = {
        mapping(0x400000, 0x41f000, 0x0, py, 5),      mapping(0x41f000, 0x6cf000, 0x1f000, py, 5),
        mapping(0x6cf000, 0x940000, 0x2cf000, py, 5), mapping(0x940000, 0x941000, 0x53f000, py, 5),
        mapping(0x941000, 0xa7f000, 0x540000, py, 5),
    };
    for (size_t i = 0; i < 5; i++) {
        bias = 1;
        CHECK(elf_load_bias(exec, 4, pym, 5, i, &bias) == 0);
        CHECK_U64(bias, 0);
    }

    /* A shared library loaded twice (dlopen, dlclose, dlopen elsewhere):
     * each load has its own bias. */
    struct elf_segment lib[] = {
        {0x0, 0x0, 0x5c0, 0x5c0},
        {0x1000, 0x1000, 0x1a5, 0x1a5},
        {0x2000, 0x2000, 0xdc, 0xdc},
        {0x3e10, 0x2e10, 0x220, 0x228},
    };
    const char *so = "/work/libslow.so";
    struct ws_mapping two[] = {
        mapping(0x7f1000000000, 0x7f1000001000, 0x0, so, 3),
        mapping(0x7f1000001000, 0x7f1000002000, 0x1000, so, 3),
        mapping(0x7f1000002000, 0x7f1000003000, 0x2000, so, 3),
        mapping(0x7f1000003000, 0x7f1000005000, 0x2000, so, 3),
        mapping(0x7f2000000000, 0x7f2000001000, 0x0, so, 3),
        mapping(0x7f2000001000, 0x7f2000002000, 0x1000, so, 3),
        mapping(0x7f2000002000, 0x7f2000003000, 0x2000, so, 3),
        mapping(0x7f2000003000, 0x7f2000005000, 0x2000, so, 3),
    };
    for (size_t i = 0; i < 8; i++) {
        CHECK(elf_load_bias(lib, 4, two, 8, i, &bias) == 0);
        CHECK_U64(bias, i < 4 ? 0x7f1000000000 : 0x7f2000000000);
    }

    /* A mapping no segment can be in (past the file's segments, or not
     * page aligned): no bias. */
    struct ws_mapping odd[] = {
        mapping(0x7f3000000000, 0x7f3000001000, 0x9000, so, 3),
        mapping(0x7f3000000800, 0x7f3000001000, 0x1000, so, 3),
    };
    CHECK(elf_load_bias(lib, 4, odd, 2, 0, &bias) < 0);
    CHECK(elf_load_bias(lib, 4, odd, 2, 1, &bias) < 0);
    CHECK(elf_load_bias(lib, 0, two, 8, 0, &bias) < 0);
}

static void test_site_text(void)
{
    char b[256];
    struct sym_code c = {.addr = 0x55d0c2a01384};
    CHECK_STR(site_text(&c, b, sizeof(b)), "0x55d0c2a01384");
    c.module = "pool";
    CHECK_STR(site_text(&c, b, sizeof(b)), "0x55d0c2a01384 (pool)");
    c.has_module_offset = 1;
    c.module_offset = 0x1384;
    CHECK_STR(site_text(&c, b, sizeof(b)), "pool+0x1384");
    c.function = "take_job";
    c.function_offset = 0x1b;
    CHECK_STR(site_text(&c, b, sizeof(b)), "take_job+0x1b (pool)");
    c.file = "/src/pool/pool.c";
    c.line = 42;
    CHECK_STR(site_text(&c, b, sizeof(b)), "take_job (pool.c:42)");
    struct sym_code none = {0};
    CHECK_STR(site_text(&none, b, sizeof(b)), "-");
}

int main(void)
{
    test_parse();
    test_union();
    test_bias();
    test_site_text();
    CHECK_DONE();
}
