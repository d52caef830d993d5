/* SPDX-License-Identifier: MIT */
/*
 * sym_dlopen.c - loads the library argv[1] with dlopen and calls its
 * slow_write() on a pipe of one page that a thread starts draining only
 * after 50 ms, so that the write waits that long.  It then keeps the
 * library 800 ms (the recorder notices new mappings within 500 ms) and
 * unloads it before exiting: the last map of the log no longer has it.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static int pipefd[2];
static char buf[65536];

static void *drain(void *arg)
{
    (void)arg;
    static char sink[65536];
    usleep(50000);
    size_t got = 0;
    while (got < sizeof(buf)) {
        ssize_t n = read(pipefd[0], sink, sizeof(sink));
        if (n <= 0) break;
        got += (size_t)n;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2) return 2;
    void *lib = dlopen(argv[1], RTLD_NOW);
    if (!lib) {
        fprintf(stderr, "sym_dlopen: %s\n", dlerror());
        return 1;
    }
    ssize_t (*slow_write)(int, const void *, size_t) =
        (ssize_t(*)(int, const void *, size_t))dlsym(lib, "slow_write");
    if (!slow_write || pipe(pipefd) != 0) return 1;
    fcntl(pipefd[1], F_SETPIPE_SZ, 4096);
    pthread_t t;
    pthread_create(&t, NULL, drain, NULL);
    ssize_t n = slow_write(pipefd[1], buf, sizeof(buf)); /* SITE:main */
    pthread_join(t, NULL);
    usleep(800000);
    dlclose(lib);
    return n == (ssize_t)sizeof(buf) ? 0 : 1;
}
