/* SPDX-License-Identifier: MIT */
/*
 * cmd_record.c - `whyslow record [-o DIR] [--] CMD [ARGS...]`: runs CMD with
 * libwhyslow.so preloaded (children inherit it), WHYSLOW_DIR telling the
 * library where to write, and exits with CMD's status.
 *
 * The library is looked for beside this executable (the build tree), then
 * in WHYSLOW_LIBDIR (the install).  Before CMD starts, record checks what
 * the library would refuse (its settings, the log directory: it asks the
 * library itself) and says so, rather than run CMD untraced.
 *
 * record serves the flushers of the processes it traces (serve.c), and is
 * a child subreaper: those flushers, and any orphan of CMD's, are its
 * children, reaped as they end.  Signals come through a signalfd: SIGINT,
 * SIGTERM, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to record itself are
 * forwarded to CMD; the terminal's (Ctrl-C) already reach CMD, in the same
 * process group, and are not sent twice.
 *
 * A flusher holds an exclusive flock on its log until it is done: a few
 * ms after its process exits, up to ~100 ms after it was killed or
 * exec'd.  So after CMD exits, record waits until its flushers are done
 * and every log can be locked shared (at most WAIT_MAX_MS: a daemon CMD
 * left running keeps its log locked).
 */
#include "base/fileopen.h"
#include "base/logcount.h"
#include "base/text.h"
#include "cli/cli.h"
#include "cli/serve.h"

#include <whyslow/serve.h>

#include <dirent.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define LIBNAME "libwhyslow.so"

#define WAIT_MAX_MS 10000 /* for the flushers, in all */

/* A path or command for a message, cleaned for the terminal (base/text.h):
 * a directory, a file in it or a command may be named anything. */
static char safe1[PATH_MAX + 64], safe2[PATH_MAX + 64];
#define SAFE(s, buf) text_safe((s), (buf), sizeof(buf))
#define WAIT_STEP_MS 10

extern char **environ;

static const char record_usage[] =
    "usage: whyslow record [-o DIR] [--] CMD [ARGS...]\n"
    "\n"
    "Run CMD, and every process it starts, with the whyslow recorder\n"
    "preloaded.  Each process writes one log, DIR/*.wslog; logs of a previous\n"
    "run in DIR are deleted first.  Exits with CMD's exit status (128+N if a\n"
    "signal N killed it).  After CMD exits, waits (at most 10 s) until no log\n"
    "is still being written.  Then read them with: whyslow report DIR\n"
    "\n"
    "  -o DIR        where the logs go (default ./whyslow.data); it must not\n"
    "                be a symbolic link, belong to another user (root's is\n"
    "                fine) or be writable by others without the sticky bit\n"
    "  -h, --help    this help\n"
    "\n"
    "Statically linked and setuid programs cannot be traced (the dynamic\n"
    "loader does not preload into them).\n";

/* mkdir -p */
static int make_dirs(const char *path)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof(buf)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(buf, path, n + 1);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) < 0 && errno != EEXIST) return -1;
            *p = c;
            if (c == '\0') break;
        }
    }
    struct stat st;
    if (stat(path, &st) < 0) return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

/* Is this directory entry named like a log? */
static int log_name(const char *name)
{
    size_t len = strlen(name);
    return len >= 6 && strcmp(name + len - 6, ".wslog") == 0;
}

/* Whether the entry of the open directory d is a log: a regular file
 * named *.wslog (a link is never followed). */
static int is_log(DIR *d, const struct dirent *de)
{
    struct stat st;
    return log_name(de->d_name) && fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
           S_ISREG(st.st_mode);
}

/* The log directory dirfd, to read: a descriptor of its own, which
 * closedir() closes. */
static DIR *open_logs(int dirfd)
{
    int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
    if (!d && fd >= 0) close(fd);
    return d;
}

/* How many processes' logs the directory holds (a pack holds many). */
static int count_logs(int dirfd)
{
    DIR *d = open_logs(dirfd);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (is_log(d, de)) n += (int)log_processes_at(dirfd, de->d_name);
    closedir(d);
    return n;
}

/* Deletes the logs of an earlier run from the directory, so that the
 * report of this one shows only its own processes. */
static void delete_old_logs(int dirfd, const char *dir)
{
    DIR *d = open_logs(dirfd);
    if (!d) return;
    struct dirent *de;
    while ((de = readdir(d)))
        if (is_log(d, de) && unlinkat(dirfd, de->d_name, 0) < 0)
            fprintf(stderr, "whyslow: warning: %s/%s: cannot delete the old log: %s\n",
                    SAFE(dir, safe1), SAFE(de->d_name, safe2), strerror(errno));
    closedir(d);
}

/* How many logs of the directory a flusher still holds locked. */
static int logs_being_written(int dirfd)
{
    DIR *d = open_logs(dirfd);
    if (!d) return 0;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!log_name(de->d_name)) continue;
        int fd = openat(dirfd, de->d_name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0) continue;
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_SH | LOCK_NB) < 0 &&
            errno == EWOULDBLOCK)
            n++;
        close(fd); /* and with it our shared lock, if we got it */
    }
    closedir(d);
    return n;
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The directory holding the Python package whyslow (the pytest plugin):
 * beside this program (the build tree), else where it is installed; NULL
 * when neither has it. */
static char *find_python(char *buf, size_t len)
{
    char self[PATH_MAX], probe[PATH_MAX + 64];
    if (self_dir(self, sizeof(self)) == 0) {
        snprintf(probe, sizeof(probe), "%s/python/whyslow/pytest.py", self);
        if (access(probe, R_OK) == 0 && snprintf(buf, len, "%s/python", self) < (int)len)
            return buf;
    }
    snprintf(probe, sizeof(probe), "%s/whyslow/pytest.py", WHYSLOW_PYDIR);
    if (access(probe, R_OK) != 0) return NULL;
    snprintf(buf, len, "%s", WHYSLOW_PYDIR);
    return buf;
}

/* CMD resolved through PATH like execvp does, or NULL. */
static char *resolve(const char *cmd, char *buf, size_t len)
{
    if (strchr(cmd, '/')) {
        snprintf(buf, len, "%s", cmd);
        return buf;
    }
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(buf, len, "%.*s%s%s", (int)n, n ? path : ".", "/", cmd);
        struct stat st;
        if (stat(buf, &st) == 0 && S_ISREG(st.st_mode) && access(buf, X_OK) == 0) return buf;
        path += n + (colon != NULL);
    }
    return NULL;
}

/* Whether the ELF file fd is statically linked (no PT_INTERP); -1 when it
 * is not an ELF file or cannot be read. */
static int elf_is_static(int fd)
{
    unsigned char ident[EI_NIDENT];
    if (pread(fd, ident, sizeof(ident), 0) != sizeof(ident) || memcmp(ident, ELFMAG, SELFMAG))
        return -1;
    uint64_t phoff;
    unsigned phnum, phentsize;
    if (ident[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr eh;
        if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh)) return -1;
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
    } else if (ident[EI_CLASS] == ELFCLASS32) {
        Elf32_Ehdr eh;
        if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh)) return -1;
        phoff = eh.e_phoff, phnum = eh.e_phnum, phentsize = eh.e_phentsize;
    } else {
        return -1;
    }
    for (unsigned i = 0; i < phnum && i < 4096; i++) {
        uint32_t type; /* p_type is the first field in both classes */
        if (pread(fd, &type, sizeof(type), (off_t)(phoff + (uint64_t)i * phentsize)) !=
            sizeof(type))
            return -1;
        if (type == PT_INTERP) return 0;
    }
    return 1;
}

static void warn_untraceable(const char *cmd)
{
    char path[PATH_MAX];
    struct stat st;
    if (!resolve(cmd, path, sizeof(path)) || stat(path, &st) < 0) return;
    /* The loader ignores LD_PRELOAD only when the bit changes our ids
     * (root running a setuid-root program is traced fine). */
    if ((st.st_mode & S_ISUID) && st.st_uid != getuid())
        fprintf(stderr, "whyslow: warning: %s is setuid; preloading cannot trace it\n",
                SAFE(cmd, safe1));
    else if ((st.st_mode & S_ISGID) && st.st_gid != getgid())
        fprintf(stderr, "whyslow: warning: %s is setgid; preloading cannot trace it\n",
                SAFE(cmd, safe1));
    char why[128];
    int fd = open_regular(path, OPEN_FOLLOW, &st, why, sizeof(why)); /* not a FIFO: exec says */
    if (fd < 0) return;
    if (elf_is_static(fd) == 1)
        fprintf(stderr, "whyslow: warning: %s is statically linked; preloading cannot trace it\n",
                SAFE(cmd, safe1));
    close(fd);
}

/* The V8 flags that make Node name its JIT code in /tmp/perf-PID.map,
 * interpreted functions included, which the flusher copies into the log
 * (docs/how-it-works.md, "JIT code").  Functions only: --perf-basic-prof
 * also writes a V8 log (isolate-*-v8.log) into the program's directory. */
#define NODE_PERF_FLAGS "--perf-basic-prof-only-functions --interpreted-frames-native-stack"

/* environ with WHYSLOW_DIR=dir, WHYSLOW_SOCK=sock (when serving) and lib
 * added to LD_PRELOAD; unless WHYSLOW_PYTEST=off, our pytest plugin added
 * to PYTEST_PLUGINS and its directory to PYTHONPATH; and, unless
 * WHYSLOW_JIT=off, Node's perf map asked
 * for in NODE_OPTIONS (after what is there), with WHYSLOW_JIT_MAP=record
 * saying the map is ours to remove once copied.  The entries from
 * *first on are allocated (free_env). */
static char **child_env(const char *dir, const char *sock, const char *lib, size_t *first)
{
    size_t n = 0;
    while (environ[n])
        n++;
    char **env = calloc(n + 8, sizeof(*env));
    if (!env) return NULL;
    const char *old = getenv("LD_PRELOAD"), *node = getenv("NODE_OPTIONS"),
               *jit = getenv("WHYSLOW_JIT");
    int perf = !(jit && strcmp(jit, "off") == 0) && !(node && strstr(node, "--perf-basic-prof"));
    /* pytest loads our plugin (python/whyslow/pytest.py) by itself, unless
     * WHYSLOW_PYTEST=off: it and PYTHONPATH get ours after what they have. */
    const char *pyt = getenv("WHYSLOW_PYTEST"), *plugins = getenv("PYTEST_PLUGINS"),
               *pypath = getenv("PYTHONPATH");
    char pydir[PATH_MAX];
    int py = !(pyt && strcmp(pyt, "off") == 0) && find_python(pydir, sizeof(pydir)) != NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "WHYSLOW_DIR=", 12) != 0 &&
            strncmp(environ[i], "WHYSLOW_SOCK=", 13) != 0 &&
            strncmp(environ[i], "WHYSLOW_JIT_MAP=", 16) != 0 &&
            strncmp(environ[i], "LD_PRELOAD=", 11) != 0 &&
            !(perf && strncmp(environ[i], "NODE_OPTIONS=", 13) == 0) &&
            !(py && (strncmp(environ[i], "PYTEST_PLUGINS=", 15) == 0 ||
                     strncmp(environ[i], "PYTHONPATH=", 11) == 0)))
            env[k++] = environ[i];
    *first = k;
    if (asprintf(&env[k++], "WHYSLOW_DIR=%s", dir) < 0) return NULL;
    if (asprintf(&env[k++], "WHYSLOW_SOCK=%s", sock) < 0) return NULL;
    int r;
    if (old && *old && strstr(old, lib))
        r = asprintf(&env[k++], "LD_PRELOAD=%s", old);
    else if (old && *old)
        r = asprintf(&env[k++], "LD_PRELOAD=%s:%s", old, lib);
    else
        r = asprintf(&env[k++], "LD_PRELOAD=%s", lib);
    if (r < 0) return NULL;
    if (py && (asprintf(&env[k++], "PYTEST_PLUGINS=%s%swhyslow.pytest", plugins ? plugins : "",
                        plugins && *plugins ? "," : "") < 0 ||
               asprintf(&env[k++], "PYTHONPATH=%s%s%s", pypath ? pypath : "",
                        pypath && *pypath ? ":" : "", pydir) < 0))
        return NULL;
    if (perf) {
        if (asprintf(&env[k++], "NODE_OPTIONS=%s%s" NODE_PERF_FLAGS, node ? node : "",
                     node && *node ? " " : "") < 0 ||
            (env[k++] = strdup("WHYSLOW_JIT_MAP=record")) == NULL)
            return NULL;
    }
    env[k] = NULL;
    return env;
}

static void free_env(char **env, size_t first)
{
    for (size_t i = first; env[i]; i++)
        free(env[i]);
    free(env);
}

/* One run of record. */
struct recording {
    const char *out;     /* -o DIR, as given */
    char **cmd;          /* CMD and its arguments */
    char lib[PATH_MAX];  /* the library preloaded */
    void *handle;        /* the same, loaded here (serve.c) */
    char dir[PATH_MAX];  /* DIR, absolute */
    int dirfd;           /* DIR, checked */
    struct server *srv;  /* serving the flushers */
    char sock[108];      /* its socket, for WHYSLOW_SOCK */
    pid_t pid;           /* CMD */
    int exited;          /* CMD was reaped */
    int status;          /* CMD's wait status */
    long long exited_ms; /* when */
};

/* Parses the options of record; returns -1 to go on, or the exit status. */
static int parse(int argc, char **argv, struct recording *r)
{
    int i = 1;
    for (; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(record_usage, stdout);
            return 0;
        }
        if (strcmp(a, "-o") == 0) {
            if (i + 1 >= argc) return usage_error("record", "-o needs a directory");
            r->out = argv[++i];
        } else if (strncmp(a, "-o", 2) == 0) {
            r->out = a + 2;
        } else if (a[0] == '-') {
            return usage_error("record", "unknown option '%s'", a);
        } else {
            break;
        }
    }
    if (i >= argc) return usage_error("record", "no command to run");
    if (!*r->out) return usage_error("record", "-o needs a directory");
    r->cmd = argv + i;
    return -1;
}

/* Finds the library to preload, and loads it to serve; 0, or -1 after
 * saying why not. */
static int find_preload(struct recording *r)
{
    if (!find_part(LIBNAME, WHYSLOW_LIBDIR, R_OK, r->lib, sizeof(r->lib))) {
        fprintf(stderr, "whyslow: cannot find %s (looked beside this program and in %s)\n", LIBNAME,
                WHYSLOW_LIBDIR);
        return -1;
    }
    if (strpbrk(r->lib, " :")) {
        fprintf(stderr, "whyslow: %s: cannot be preloaded from a path with ' ' or ':'\n",
                SAFE(r->lib, safe1));
        return -1;
    }
    char msg[512];
    r->handle = server_load(r->lib, msg, sizeof msg);
    if (!r->handle) {
        fprintf(stderr, "whyslow: %s\n", SAFE(msg, safe1));
        return -1;
    }
    return 0;
}

/* The recorder's settings in our environment, which CMD inherits: what
 * the library would take for its default instead is said here, and CMD is
 * not run.  0, or -1 after saying why not. */
static int check_settings(struct recording *r)
{
    int (*settings)(char *, size_t) = (int (*)(char *, size_t))dlsym(r->handle, "whyslow_settings");
    char msg[512];
    if (settings && settings(msg, sizeof msg) != 0) {
        fprintf(stderr, "whyslow: %s\n", SAFE(msg, safe1));
        return -1;
    }
    return 0;
}

/* Makes the directory the logs go to, checks it as the library will, and
 * deletes the logs of an earlier run from it; 0, or -1 after saying why
 * not. */
static int prepare_dir(struct recording *r)
{
    int (*logdir_open)(const char *, int, char *, size_t) =
        (int (*)(const char *, int, char *, size_t))dlsym(r->handle, "whyslow_logdir_open");
    char msg[768];
    if (make_dirs(r->out) < 0 || !realpath(r->out, r->dir)) {
        fprintf(stderr, "whyslow: %s: %s\n", SAFE(r->out, safe1), strerror(errno));
        return -1;
    }
    /* realpath followed any link: check the path as given, which is what
     * a link would be refused for, then use the resolved one. */
    int fd = logdir_open ? logdir_open(r->out, 0, msg, sizeof msg) : -1;
    if (fd < 0) {
        fprintf(stderr, "whyslow: %s\n",
                logdir_open ? SAFE(msg, safe1) : "the recorder library is too old");
        return -1;
    }
    /* Can a log be created in it?  As the library will. */
    char probe[64];
    snprintf(probe, sizeof probe, ".whyslow-probe-%d", (int)getpid());
    int pfd = openat(fd, probe, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (pfd < 0) {
        fprintf(stderr, "whyslow: cannot create a log in %s: %s\n", SAFE(r->dir, safe1),
                strerror(errno));
        close(fd);
        return -1;
    }
    close(pfd);
    unlinkat(fd, probe, 0);
    r->dirfd = fd;
    delete_old_logs(fd, r->dir);
    return 0;
}

/* Reaps every child that ended: CMD, flushers, orphans of CMD's. */
static void reap(struct recording *r)
{
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) > 0) {
        if (pid == r->pid) {
            r->exited = 1;
            r->status = status;
            r->exited_ms = now_ms();
        } else if (r->srv) {
            server_reaped(r->srv, pid, status);
        }
    }
}

/* Signals sent to record: SIGCHLD reaps; the others go to CMD when a
 * process sent them (si_code <= 0), not the terminal, which signals CMD's
 * process group itself. */
static void take_signals(struct recording *r, int sfd)
{
    struct signalfd_siginfo si;
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD)
            reap(r);
        else if (si.ssi_code <= 0 && !r->exited)
            kill(r->pid, (int)si.ssi_signo);
    }
}

/* After CMD exited: is everything written?  When the time is up, says
 * what is not and returns 1 too. */
static int all_written(struct recording *r)
{
    /* A process that ended after it asked for a flusher, without waiting
     * for it (whyslow/serve.h), may still be waiting to be taken. */
    if (r->srv) server_accept(r->srv);
    size_t flushers = r->srv ? server_flushers(r->srv) : 0;
    int busy = flushers ? (int)flushers : logs_being_written(r->dirfd);
    if (busy == 0) return 1;
    if (now_ms() - r->exited_ms < WAIT_MAX_MS) return 0;
    fprintf(stderr,
            "whyslow: warning: %d log%s still being written after %d s (a process left "
            "running?); reading %s now shows what is there so far\n",
            busy, busy == 1 ? " is" : "s are", WAIT_MAX_MS / 1000, busy == 1 ? "it" : "them");
    return 1;
}

/* Runs CMD with the library preloaded, serving its processes' flushers
 * and reaping what ends, until CMD exited and its logs are written;
 * returns 0, or the exit status after saying what failed. */
static int run(struct recording *r)
{
    char msg[512];
    r->srv = server_start(r->handle, r->dirfd, r->dir, r->sock, sizeof r->sock, msg, sizeof msg);
    if (!r->srv) /* the processes start flushers of their own */
        fprintf(stderr, "whyslow: warning: %s\n", SAFE(msg, safe1));
    size_t own;
    char **env = child_env(r->dir, r->srv ? r->sock : "", r->lib, &own);
    if (!env) {
        fprintf(stderr, "whyslow: out of memory\n");
        return 1;
    }
    sigset_t sigs, old;
    sigemptyset(&sigs);
    int forwarded[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2};
    for (size_t i = 0; i < sizeof forwarded / sizeof *forwarded; i++)
        sigaddset(&sigs, forwarded[i]);
    sigprocmask(SIG_BLOCK, &sigs, &old);
    int sfd = signalfd(-1, &sigs, SFD_CLOEXEC | SFD_NONBLOCK);
    /* A subreaper: the flushers and any orphan of CMD's are our children. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);

    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &old); /* CMD gets the mask we had */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    int err = posix_spawnp(&r->pid, r->cmd[0], NULL, &attr, r->cmd, env);
    posix_spawnattr_destroy(&attr);
    free_env(env, own);
    if (err) {
        fprintf(stderr, "whyslow: %s: %s\n", SAFE(r->cmd[0], safe1), strerror(err));
        sigprocmask(SIG_SETMASK, &old, NULL);
        return 127;
    }
    /* CMD runs with the fd limit it was given; we hold two fds for each
     * process waiting for a flusher and one for each flusher, and take
     * no more processes once out of fds (serve.c): as many as we may. */
    struct rlimit nofile;
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur < nofile.rlim_max) {
        nofile.rlim_cur = nofile.rlim_max;
        setrlimit(RLIMIT_NOFILE, &nofile);
    }
    for (;;) {
        int wait = r->srv ? server_wait_ms(r->srv) : -1;
        /* (a flusher free again matters to a process waiting for one, or
         * at the end: else it is seen at the next process's turn) */
        int done = r->srv && (wait >= 0 || r->exited) ? server_done_fd(r->srv) : -1;
        /* (in a burst of processes, the socket is looked at each tick) */
        int tick = r->srv ? server_tick_ms(r->srv) : -1;
        if (tick >= 0 && (wait < 0 || wait > tick)) wait = tick;
        struct pollfd p[3] = {{.fd = sfd, .events = POLLIN},
                              {.fd = r->srv && tick < 0 ? server_fd(r->srv) : -1, .events = POLLIN},
                              {.fd = done, .events = POLLIN}};
        if (r->exited && (wait < 0 || wait > WAIT_STEP_MS)) wait = WAIT_STEP_MS;
        if (poll(p, 3, wait) < 0 && errno != EINTR) break;
        if (p[0].revents) take_signals(r, sfd);
        if (p[1].revents || tick >= 0) server_accept(r->srv);
        if (r->srv) server_take_done(r->srv); /* and hands queued processes over */
        if (sfd < 0) reap(r);                 /* no signalfd: look at each step */
        if (r->exited && all_written(r)) break;
    }
    if (sfd >= 0) close(sfd);
    sigprocmask(SIG_SETMASK, &old, NULL);
    return 0;
}

/* Says how many logs were written, and how to read them. */
static void say_what_was_written(const struct recording *r)
{
    int logs = count_logs(r->dirfd);
    if (logs == 0)
        fprintf(stderr,
                "whyslow: no logs in %s (was %s statically linked or setuid? run with "
                "WHYSLOW_DEBUG=1 to see why a process was not traced)\n",
                SAFE(r->dir, safe1), SAFE(r->cmd[0], safe2));
    else
        fprintf(stderr, "whyslow: %d log%s in %s; run: whyslow report %s\n", logs,
                logs == 1 ? "" : "s", SAFE(r->dir, safe1), SAFE(r->dir, safe1));
}

int cmd_record(int argc, char **argv)
{
    struct recording r = {.out = "whyslow.data", .dirfd = -1};
    int rc = parse(argc, argv, &r);
    if (rc >= 0) return rc;
    if (find_preload(&r) < 0 || check_settings(&r) < 0 || prepare_dir(&r) < 0) return 1;
    warn_untraceable(r.cmd[0]);
    rc = run(&r);
    unsigned unwritten = r.srv ? server_unwritten(r.srv) : 0;
    if (unwritten)
        fprintf(stderr, "whyslow: warning: %u process%s not recorded: cannot create a log in %s\n",
                unwritten, unwritten == 1 ? " was" : "es were", SAFE(r.dir, safe1));
    unsigned untaken = r.srv ? server_untaken(r.srv) : 0;
    if (untaken)
        fprintf(stderr,
                "whyslow: warning: %u process%s not recorded: whyslow record could not take %s "
                "end (out of memory, or a message it could not read)\n",
                untaken, untaken == 1 ? " was" : "es were", untaken == 1 ? "its" : "their");
    unsigned lost = r.srv ? server_lost(r.srv) : 0;
    if (lost)
        fprintf(stderr,
                "whyslow: warning: %u process%s not recorded: %s ended before whyslow record "
                "could serve %s, and then it could not\n",
                lost, lost == 1 ? " was" : "es were", lost == 1 ? "it" : "they",
                lost == 1 ? "it" : "them");
    if (r.srv && server_left_asking(r.srv))
        fprintf(stderr, "whyslow: warning: processes that asked at the end were not recorded: "
                        "whyslow record had no fds left for them (its fd limit, ulimit -n)\n");
    unsigned killed = r.srv ? server_killed(r.srv) : 0;
    if (killed)
        fprintf(stderr,
                "whyslow: warning: the log%s of %u process%s lost or cut: %s flusher was killed\n",
                killed == 1 ? "" : "s", killed, killed == 1 ? " was" : "es were",
                killed == 1 ? "its" : "their");
    server_free(r.srv);
    if (rc) return rc;
    say_what_was_written(&r);
    close(r.dirfd);
    if (WIFSIGNALED(r.status)) return 128 + WTERMSIG(r.status);
    return WIFEXITED(r.status) ? WEXITSTATUS(r.status) : 1;
}
