/* SPDX-License-Identifier: MIT */
/*
 * logset.c - finding and loading logs.  An explicit file must be a good
 * log (else one-line error, status 1).  In a directory, a file that is
 * empty or cut inside its header is skipped with a warning: a process can
 * be killed before it wrote its header.
 *
 * Only regular files are read (base/fileopen.h): a FIFO or a device named
 * *.wslog is an error, found without opening it.  A symbolic link named on
 * the command line is followed (the user chose it); one in a directory is
 * not, and is an error: a recorder writes regular files only, and a
 * directory others can write to should not lead whyslow elsewhere.
 */
#include "log/logset.h"

#include "base/text.h"
#include "base/util.h"
#include "log/log_read.h"
#include "log/timeline.h"

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_process(const void *a, const void *b)
{
    const struct ws_process *x = *(struct ws_process *const *)a,
                            *y = *(struct ws_process *const *)b;
    if (x->start_unix_ns != y->start_unix_ns) return x->start_unix_ns < y->start_unix_ns ? -1 : 1;
    if (x->pid != y->pid) return x->pid < y->pid ? -1 : 1;
    return strcmp(x->log, y->log);
}

static void add_process(void *ctx, struct ws_process *p)
{
    struct logset *ls = ctx;
    timeline_finish(p);
    ARRAY_PUSH(ls->procs, ls->n, ls->cap) = p;
}

/* Reads one log, or a pack of them; in_dir says whether it came from a
 * directory scan.  Returns 0 (loaded or skipped) or 1 (error printed). */
static int load_file(struct logset *ls, const char *path, int in_dir)
{
    char err[256];
    enum log_status st = log_read_file(path, in_dir ? OPEN_NOFOLLOW : OPEN_FOLLOW, add_process, ls,
                                       err, sizeof(err));
    if (st == LOG_OK) return 0;
    char safe[4096];
    if (in_dir && (st == LOG_EMPTY || st == LOG_SHORT_HEADER)) {
        fprintf(stderr,
                "whyslow: warning: %s: %s, skipped (its process may have been killed "
                "before writing its header)\n",
                text_safe(path, safe, sizeof(safe)), err);
        return 0;
    }
    struct stat lst;
    if (in_dir && lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode))
        snprintf(err, sizeof(err),
                 "a symbolic link: not followed in a directory (name it to read "
                 "what it leads to)");
    fprintf(stderr, "whyslow: %s: %s\n", text_safe(path, safe, sizeof(safe)), err);
    return 1;
}

/* One member of a pack, named as the report names it: PATH#N. */
struct one_member {
    struct logset *ls;
    unsigned want, seen;
};

static void add_member(void *ctx, struct ws_process *p)
{
    struct one_member *m = ctx;
    if (++m->seen == m->want)
        add_process(m->ls, p);
    else
        process_free(p);
}

/* Loads member N of the pack named by path "PACK#N", when PACK is a
 * file: 0 (loaded), 1 (error printed), or -1 (path is no such name). */
static int load_member(struct logset *ls, const char *path)
{
    const char *hash = strrchr(path, '#');
    char *end;
    if (!hash || hash[1] < '1' || hash[1] > '9') return -1;
    unsigned long n = strtoul(hash + 1, &end, 10);
    if (*end || n > UINT32_MAX) return -1;
    char *file = xstrndup(path, (size_t)(hash - path));
    struct stat st;
    if (stat(file, &st) < 0 || !S_ISREG(st.st_mode)) {
        xfree(file);
        return -1;
    }
    struct one_member m = {ls, (unsigned)n, 0};
    char err[256], safe[4096];
    size_t before = ls->n;
    enum log_status rc = log_read_file(file, OPEN_FOLLOW, add_member, &m, err, sizeof err);
    xfree(file);
    if (rc == LOG_OK && ls->n > before) return 0;
    if (rc == LOG_OK)
        snprintf(err, sizeof err, "no such process in the pack (it holds %u)", m.seen);
    fprintf(stderr, "whyslow: %s: %s\n", text_safe(path, safe, sizeof(safe)), err);
    return 1;
}

/* Loads every *.wslog file of dir, in name order. */
static int load_dir(struct logset *ls, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        char safe[4096];
        fprintf(stderr, "whyslow: %s: %s\n", text_safe(dir, safe, sizeof(safe)), strerror(errno));
        return 1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!ends_with(de->d_name, ".wslog")) continue;
        size_t len = strlen(dir) + strlen(de->d_name) + 2;
        char *path = xmalloc(len);
        snprintf(path, len, "%s/%s", dir, de->d_name);
        ARRAY_PUSH(names, n, cap) = path;
    }
    closedir(d);
    xsort(names, n, sizeof(*names), cmp_name);

    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rc) rc = load_file(ls, names[i], 1);
        xfree(names[i]);
    }
    xfree(names);
    return rc;
}

int logset_load(struct logset *ls, char *const *paths, size_t npaths)
{
    static char *const defaults[] = {LOGSET_DEFAULT_DIR};
    char safe[4096]; /* a path, cleaned for printing (base/text.h) */
    int by_default = npaths == 0;

    memset(ls, 0, sizeof(*ls));
    if (by_default) {
        paths = defaults;
        npaths = 1;
    }
    for (size_t i = 0; i < npaths; i++) {
        struct stat st;
        if (stat(paths[i], &st) < 0) {
            int err = errno;
            int rc = err == ENOENT ? load_member(ls, paths[i]) : -1; /* PACK#N? */
            if (rc == 0) continue;
            if (rc > 0) return rc;
            fprintf(stderr, "whyslow: %s: %s%s\n", text_safe(paths[i], safe, sizeof(safe)),
                    strerror(err),
                    by_default ? " (record first: whyslow record CMD, or name the logs)" : "");
            return 1;
        }
        int rc = S_ISDIR(st.st_mode) ? load_dir(ls, paths[i]) : load_file(ls, paths[i], 0);
        if (rc) return rc;
    }
    if (ls->n == 0) {
        if (npaths == 1)
            fprintf(stderr, "whyslow: %s: no whyslow logs (*.wslog) found\n",
                    text_safe(paths[0], safe, sizeof(safe)));
        else
            fprintf(stderr, "whyslow: no whyslow logs (*.wslog) found in the %zu paths given\n",
                    npaths);
        return 1;
    }
    xsort(ls->procs, ls->n, sizeof(*ls->procs), cmp_process);
    mem_blame(ls->n == 1 ? ls->procs[0]->log : "these logs");
    return 0;
}

size_t logset_keep_pid(struct logset *ls, uint64_t pid)
{
    size_t n = 0;
    for (size_t i = 0; i < ls->n; i++) {
        if (ls->procs[i]->pid == pid)
            ls->procs[n++] = ls->procs[i];
        else
            process_free(ls->procs[i]);
    }
    ls->n = n;
    return n;
}

void logset_free(struct logset *ls)
{
    for (size_t i = 0; i < ls->n; i++)
        process_free(ls->procs[i]);
    xfree(ls->procs);
    memset(ls, 0, sizeof(*ls));
}
