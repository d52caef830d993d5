/* SPDX-License-Identifier: MIT */
/*
 * harm.c - corner cases where a careless tracer changes what a program
 * sees; the test runs it traced and untraced and compares the output:
 *  - lock and semaphore waits with an invalid timeout or clock (EINVAL,
 *    and the lock or count left alone);
 *  - connect and open given an address the kernel cannot read (EFAULT);
 *  - two private copies of a library that exports sqlite3_step, each
 *    called by its own module: each call must reach its own copy.
 * Usage: harm DIR_WITH_LIBS
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

int main(int argc, char **argv)
{
    struct timespec bad = {0, 2000000000};
    pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
    pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
    sem_t s;
    sem_init(&s, 0, 1);
    printf("rwlock_timedwrlock %d\n", pthread_rwlock_timedwrlock(&rw, &bad));
    printf("rwlock then tryrdlock %d\n", pthread_rwlock_tryrdlock(&rw));
    printf("mutex_clocklock %d\n", pthread_mutex_clocklock(&m, CLOCK_PROCESS_CPUTIME_ID, &bad));
    printf("mutex then trylock %d\n", pthread_mutex_trylock(&m));
    errno = 0;
    int r = sem_timedwait(&s, &bad);
    printf("sem_timedwait %d errno %d\n", r, errno);
    int v = -1;
    sem_getvalue(&s, &v);
    printf("sem value %d\n", v);

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    errno = 0;
    r = connect(fd, (const struct sockaddr *)16, 16);
    printf("connect %d errno %d\n", r, errno);
    errno = 0;
    r = open((const char *)16, O_RDONLY);
    printf("open %d errno %d\n", r, errno);

    char a[4096], b[4096];
    snprintf(a, sizeof a, "%s/libsqlite3_copy_a.so", argc > 1 ? argv[1] : ".");
    snprintf(b, sizeof b, "%s/libsqlite3_copy_b.so", argc > 1 ? argv[1] : ".");
    void *ha = dlopen(a, RTLD_NOW | RTLD_LOCAL), *hb = dlopen(b, RTLD_NOW | RTLD_LOCAL);
    if (!ha || !hb) {
        printf("dlopen failed: %s\n", dlerror());
        return 1;
    }
    int (*call_a)(void *) = (int (*)(void *))dlsym(ha, "call_step");
    int (*call_b)(void *) = (int (*)(void *))dlsym(hb, "call_step");
    for (int i = 0; i < 3; i++)
        printf("copies %d %d\n", call_a(NULL), call_b(NULL));
    return 0;
}
