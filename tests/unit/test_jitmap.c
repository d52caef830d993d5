/* SPDX-License-Identifier: MIT */
/*
 * test_jitmap.c - names of JIT code from a perf map (symbols/jitmap.h):
 * its lines parsed and looked up, and what V8's names say.
 */
#include "check.h"
#include "symbols/jitmap.h"

#include <string.h>

static void parts(const char *name, const char *fn, const char *file, unsigned line)
{
    char f[128], p[128];
    unsigned l;
    jit_name_parts(name, strlen(name), f, sizeof(f), p, sizeof(p), &l);
    CHECK_STR(f, fn);
    CHECK_STR(p, file);
    CHECK_U64(l, line);
}

int main(void)
{
    static const char text[] = "7f7d30025200 378 JS:~handler /tmp/app/server.js:2:17\n"
                               "7f7d30025578 10 JS:*hot /tmp/app/hot.js:40:3\n"
                               "not a line\n"
                               "1a07700 18 BytecodeHandler:ExtraWide\n"
                               "7f7d30025200 100 JS:^reused /tmp/app/later.js:9:1";
    struct jitmap m;
    jitmap_parse(text, sizeof(text) - 1, &m);
    CHECK_U64(m.n, 4);
    const struct jit_entry *e = jitmap_find(&m, 0x7f7d30025280);
    CHECK(e && e->len == strlen("JS:^reused /tmp/app/later.js:9:1")); /* the later line */
    e = jitmap_find(&m, 0x7f7d30025400);
    CHECK(e && strncmp(e->name, "JS:~handler", 11) == 0);
    e = jitmap_find(&m, 0x7f7d30025578 + 0xf);
    CHECK(e && strncmp(e->name, "JS:*hot", 7) == 0);
    CHECK(jitmap_find(&m, 0x7f7d30025578 + 0x10) == NULL);
    CHECK(jitmap_find(&m, 0x1000) == NULL);
    jitmap_free(&m);

    parts("JS:~handler /tmp/app/server.js:2:17", "handler", "/tmp/app/server.js", 2);
    parts("JS:*Module._load node:internal/modules/cjs/loader:1003:24", "Module._load",
          "node:internal/modules/cjs/loader", 1003);
    parts("JS:~ /tmp/app/server.js:1:1", "(anonymous)", "/tmp/app/server.js", 1);
    parts("LazyCompile:~f file:///srv/a.mjs:12", "f", "file:///srv/a.mjs", 12);
    parts("RegExp:[a-z]+", "RegExp:[a-z]+", "", 0);
    parts("Stub:CEntry", "Stub:CEntry", "", 0);
    parts("JS:~spawnSync child_process:1108:20", "spawnSync", "child_process", 1108);
    CHECK_DONE();
}
