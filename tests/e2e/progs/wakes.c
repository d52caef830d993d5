/* SPDX-License-Identifier: MIT */
/*
 * wakes.c - e2e program: wake-ups and stacks the recorder must see.
 *
 * Each part makes sure its waiter is blocked before it is woken (a 20 ms
 * pause, or a count of waiters kept under the mutex), so the number of
 * wake-up records is exact: 5 cond signals, 1 broadcast, 3 sem_posts,
 * 1 unlock of a mutex with a waiter, 1 FUTEX_WAKE that woke a thread (and
 * 1 that woke nobody, not recorded), 1 unlock of an rwlock with a reader
 * blocked (and 2 with none, not recorded).  Then 3 sleeps of 5 ms two frames
 * below main (kept with their stacks) and 100 writes to /dev/null (too
 * fast for a stack).  Prints the addresses the test looks for.
 */
#include <fcntl.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t all = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;
static sem_t sem;
static int flag, waiting, go;
static _Atomic int word;

static void *signaller(void *arg)
{
    (void)arg;
    for (int i = 0; i < 5; i++) {
        usleep(20000);
        pthread_mutex_lock(&m);
        flag++;
        pthread_cond_signal(&cond);
        pthread_mutex_unlock(&m);
    }
    for (int i = 0; i < 3; i++) {
        usleep(20000);
        sem_post(&sem);
    }
    return NULL;
}

static void *broadcast_waiter(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&m);
    waiting++;
    while (!go)
        pthread_cond_wait(&all, &m);
    pthread_mutex_unlock(&m);
    return NULL;
}

static void *blocked_locker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&held); /* held by main for 20 ms */
    pthread_mutex_unlock(&held);
    return NULL;
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;

static void *blocked_reader(void *arg)
{
    (void)arg;
    pthread_rwlock_rdlock(&rw); /* write-locked by main for 20 ms */
    pthread_rwlock_unlock(&rw);
    return NULL;
}

static void *futex_waiter(void *arg)
{
    (void)arg;
    syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

__attribute__((noinline)) static void slow_inner(void)
{
    usleep(5000);
    __asm__ __volatile__("" ::: "memory"); /* keep the frame */
}

__attribute__((noinline)) static void slow_outer(void)
{
    slow_inner();
    __asm__ __volatile__("" ::: "memory");
}

int main(void)
{
    pthread_t t[5];
    sem_init(&sem, 0, 0);

    pthread_create(&t[0], NULL, signaller, NULL);
    for (int i = 0; i < 5; i++) {
        pthread_mutex_lock(&m);
        while (flag < i + 1)
            pthread_cond_wait(&cond, &m);
        pthread_mutex_unlock(&m);
    }
    for (int i = 0; i < 3; i++)
        sem_wait(&sem);
    pthread_join(t[0], NULL);

    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, broadcast_waiter, NULL);
    for (;;) { /* all three inside pthread_cond_wait */
        pthread_mutex_lock(&m);
        int n = waiting;
        if (n == 3) break;
        pthread_mutex_unlock(&m);
        usleep(1000);
    }
    go = 1;
    pthread_cond_broadcast(&all);
    pthread_mutex_unlock(&m);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);

    pthread_mutex_lock(&held);
    pthread_create(&t[3], NULL, blocked_locker, NULL);
    usleep(20000);
    pthread_mutex_unlock(&held);
    pthread_join(t[3], NULL);

    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0); /* nobody */
    pthread_create(&t[4], NULL, futex_waiter, NULL);
    usleep(20000);
    word = 1;
    syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    pthread_join(t[4], NULL);

    pthread_rwlock_rdlock(&rw); /* no one waits */
    pthread_rwlock_unlock(&rw);
    pthread_rwlock_wrlock(&rw);
    pthread_create(&t[4], NULL, blocked_reader, NULL);
    usleep(20000);
    pthread_rwlock_unlock(&rw);
    pthread_join(t[4], NULL);

    for (int i = 0; i < 3; i++)
        slow_outer();
    int fd = open("/dev/null", O_WRONLY);
    for (int i = 0; i < 100; i++)
        write(fd, "x", 1);
    close(fd);
    printf("cond=%p all=%p sem=%p held=%p word=%p rw=%p slow_inner=%p slow_outer=%p main=%p\n",
           (void *)&cond, (void *)&all, (void *)&sem, (void *)&held, (void *)&word, (void *)&rw,
           (void *)slow_inner, (void *)slow_outer, (void *)main);
    return 0;
}
