/* SPDX-License-Identifier: MIT */
/*
 * programs.c - processes by program, and the longest chain of processes
 * (programs.h).
 */
#include "analysis/programs.h"

#include "analysis/analyze.h"
#include "base/hashmap.h"
#include "base/util.h"

#include <string.h>

const char *process_program(const struct ws_process *p)
{
    const char *exe = p->exe && p->exe[0] ? p->exe : (p->argc ? p->argv[0] : "");
    const char *slash = strrchr(exe, '/');
    return slash ? slash + 1 : exe;
}

const char *program_name(const struct proc_report *pr)
{
    return process_program(pr->p);
}

/* Copies the n bytes at s into buf (ROLE_MAX bytes), cut to fit. */
static char *role_of(char *buf, const char *s, size_t n)
{
    if (n >= ROLE_MAX) n = ROLE_MAX - 1;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return buf;
}

/* The stable part of a title "prog: words...": its words up to the first
 * that names one client, address or file (a digit, '/', '[', '(', '@',
 * ':' or '=' in it): "postgres: app shop [local] idle" -> "app shop". */
static char *title_role(const char *title, char *buf)
{
    const char *colon = strstr(title, ": ");
    if (!colon || colon - title > 32 || memchr(title, '/', (size_t)(colon - title)))
        return role_of(buf, "", 0);
    const char *s = colon + 2, *end = s;
    for (const char *w = s; *w;) {
        while (*w == ' ')
            w++;
        size_t len = strcspn(w, " ");
        if (!len || strcspn(w, "0123456789/[(@:=") < len) break;
        w += len;
        end = w;
    }
    return role_of(buf, s, (size_t)(end - s));
}

/* Programs that run scripts: their names (with a version after:
 * python3.11), the options that give code inline, those that take a
 * value as the next argument (each list " "-separated and ended), and
 * for python the one that names a module.  A shell's inline commands are
 * no role (a build runs thousands); the others' are "-c", "-e"... */
static const struct interpreter {
    const char *name, *inline_code, *with_value;
    int shell;
} interpreters[] = {
    {"python", " -c ", " -X -W --check-hash-based-pycs ", 0},
    {"node", " -e --eval -p --print ",
     " -r --require --import --loader --experimental-loader "
     "-C --conditions ",
     0},
    {"nodejs", " -e --eval -p --print ", " -r --require --import --loader ", 0},
    {"ruby", " -e ", " -I -r -C -E ", 0},
    {"perl", " -e -E ", " -I -M -m -x ", 0},
    {"php", " -r ", " -c -d -z ", 0},
    {"sh", " -c ", " -o +o ", 1},
    {"bash", " -c ", " -o +o -O +O --rcfile --init-file ", 1},
    {"dash", " -c ", " -o +o ", 1},
    {"zsh", " -c ", " -o +o ", 1},
    {"ksh", " -c ", " -o +o ", 1},
};

static const struct interpreter *interpreter(const char *prog)
{
    for (size_t i = 0; i < sizeof(interpreters) / sizeof(*interpreters); i++) {
        size_t n = strlen(interpreters[i].name);
        if (strncmp(prog, interpreters[i].name, n) == 0 &&
            strspn(prog + n, "0123456789.") == strlen(prog + n))
            return &interpreters[i];
    }
    return NULL;
}

/* Whether arg is one of the " "-separated options of list. */
static int one_of(const char *list, const char *arg)
{
    size_t n = strlen(arg);
    if (n == 0) return 0;
    for (const char *p = strstr(list, arg); p; p = strstr(p + 1, arg))
        if (p[-1] == ' ' && p[n] == ' ') return 1;
    return 0;
}

char *process_role(const struct ws_process *p, char *buf)
{
    const char *prog = process_program(p);
    buf[0] = '\0';
    if (p->title && title_role(p->title, buf)[0]) return buf;
    const struct interpreter *in = interpreter(prog);
    int git = strcmp(prog, "git") == 0;
    /* git-upload-pack is git run by that name */
    const char *arg0 = p->argc ? strrchr(p->argv[0], '/') : NULL;
    arg0 = arg0 ? arg0 + 1 : p->argc ? p->argv[0] : "";
    if (git && strncmp(arg0, "git-", 4) == 0) return role_of(buf, arg0 + 4, strlen(arg0 + 4));
    for (size_t i = 1; i < p->argc && (in || git); i++) {
        const char *a = p->argv[i];
        /* python3 -m pytest: the module */
        if (in && !in->shell && strcmp(in->name, "python") == 0 && strcmp(a, "-m") == 0 &&
            i + 1 < p->argc)
            return role_of(buf, p->argv[i + 1], strlen(p->argv[i + 1]));
        if (in && one_of(in->inline_code, a)) return in->shell ? buf : role_of(buf, a, strlen(a));
        /* an option's value is no script (git -C DIR, python -X dev) */
        if ((git && (strcmp(a, "-C") == 0 || strcmp(a, "-c") == 0)) ||
            (in && one_of(in->with_value, a))) {
            i++;
            continue;
        }
        if (a[0] == '-' || a[0] == '+') continue;
        const char *slash = strrchr(a, '/');
        return role_of(buf, slash ? slash + 1 : a, strlen(slash ? slash + 1 : a));
    }
    return buf;
}

static int cmp_program(const void *a, const void *b)
{
    const struct program_sum *x = a, *y = b;
    if (x->total_ns != y->total_ns) return x->total_ns > y->total_ns ? -1 : 1;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->role, y->role);
}

void programs_sum(const struct proc_report *procs, size_t n, struct program_sum **out, size_t *nout)
{
    struct program_sum *v = NULL;
    size_t nv = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        const struct proc_report *pr = &procs[i];
        const char *name = program_name(pr);
        char role[ROLE_MAX];
        process_role(pr->p, role);
        struct program_sum *s = NULL;
        for (size_t k = 0; k < nv && !s; k++)
            if (strcmp(v[k].name, name) == 0 && strcmp(v[k].role, role) == 0) s = &v[k];
        if (!s) {
            ARRAY_PUSH(v, nv, cap) = (struct program_sum){.name = name};
            s = &v[nv - 1];
            memcpy(s->role, role, sizeof(role));
        }
        uint64_t dur = pr->p->duration_ns > 0 ? (uint64_t)pr->p->duration_ns : 0;
        s->runs++;
        s->total_ns += dur;
        if (dur > s->longest_ns) s->longest_ns = dur;
        for (int k = 0; k < TIME_PARTS; k++)
            s->part_ns[k] += pr->time_total.part_ns[k];
        s->thread_ns += pr->time_total.wall_ns;
    }
    xsort(v, nv, sizeof(*v), cmp_program);
    *out = v;
    *nout = nv;
}

static int64_t start_of(const struct proc_report *pr)
{
    return (int64_t)pr->p->start_unix_ns;
}

static int64_t end_of(const struct proc_report *pr)
{
    return start_of(pr) + (pr->p->duration_ns > 0 ? pr->p->duration_ns : 0);
}

/* Whether a ran longer than b (ties: the one that ended later). */
static int longer(const struct proc_report *a, const struct proc_report *b)
{
    if (a->p->duration_ns != b->p->duration_ns) return a->p->duration_ns > b->p->duration_ns;
    return end_of(a) > end_of(b);
}

/* The process whose child (or next image) process i is: the latest image
 * of its parent's pid (or of its own, before an exec) that started
 * before it; n when none.  by_pid: pid -> the first of its processes in
 * `next` order (index + 1), next[k]: the following one of the same pid. */
static size_t parent_of(const struct proc_report *procs, size_t n, size_t i,
                        const struct map *by_pid, const size_t *next)
{
    const struct ws_process *c = procs[i].p;
    size_t best = n;
    uint64_t pids[2] = {c->ppid, c->pid};
    for (int w = 0; w < 2; w++) {
        const uint64_t *first = map_get(by_pid, pids[w], 0);
        for (size_t k = first ? *first - 1 : n; k < n; k = next[k]) {
            if (k == i || start_of(&procs[k]) > start_of(&procs[i])) continue;
            if (procs[k].p->pid == c->pid && start_of(&procs[k]) == start_of(&procs[i])) continue;
            if (best == n || start_of(&procs[k]) > start_of(&procs[best])) best = k;
        }
    }
    return best;
}

void programs_chain(const struct proc_report *procs, size_t n, size_t **chain, size_t *nchain)
{
    *chain = NULL;
    *nchain = 0;
    if (n == 0) return;
    /* The processes of each pid, chained (an exec makes several). */
    struct map by_pid = {0};
    size_t *next = xmalloc(n * sizeof(*next));
    for (size_t i = n; i-- > 0;) {
        uint64_t *first = map_put(&by_pid, procs[i].p->pid, 0, NULL);
        next[i] = *first ? *first - 1 : n;
        *first = i + 1;
    }
    size_t *parent = xmalloc(n * sizeof(*parent));
    for (size_t i = 0; i < n; i++)
        parent[i] = parent_of(procs, n, i, &by_pid, next);
    map_free(&by_pid);
    xfree(next);
    size_t root = n;
    for (size_t i = 0; i < n; i++)
        if (parent[i] == n && (root == n || start_of(&procs[i]) < start_of(&procs[root]))) root = i;
    size_t cap = 0;
    char *seen = xcalloc(n, 1);
    for (size_t at = root; at < n && !seen[at];) {
        seen[at] = 1;
        ARRAY_PUSH(*chain, *nchain, cap) = at;
        size_t next = n;
        for (size_t k = 0; k < n; k++)
            if (parent[k] == at && !seen[k] && (next == n || longer(&procs[k], &procs[next])))
                next = k;
        at = next;
    }
    xfree(seen);
    xfree(parent);
}
