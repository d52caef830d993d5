/* SPDX-License-Identifier: MIT */
/*
 * locks.c - each kind of lock wait, with known counts:
 *   mutex: 4 threads x 25 lock/unlock of `hot`, holding it 200 us
 *   rwlock: a writer waits for main (unless a busy machine runs it only
 *           after main's 50 ms), then holds it 100 ms while main waits
 *   cond: one wait, signalled after 10 ms
 *   sem: one wait, posted after 10 ms
 *   futex: one FUTEX_WAIT through syscall(), woken after 10 ms
 *   uncontended: 1000 lock/unlock of `cold` by the main thread
 */
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

pthread_mutex_t hot = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t cold = PTHREAD_MUTEX_INITIALIZER;
pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
pthread_mutex_t cm = PTHREAD_MUTEX_INITIALIZER;
pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
int ready;
sem_t sem;
_Atomic int fword;

static void *hammer(void *arg)
{
    (void)arg;
    for (int i = 0; i < 25; i++) {
        pthread_mutex_lock(&hot);
        usleep(200);
        pthread_mutex_unlock(&hot);
    }
    return NULL;
}

static void *later(void *arg)
{
    (void)arg;
    usleep(10000);
    pthread_mutex_lock(&cm);
    ready = 1;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&cm);
    usleep(10000);
    sem_post(&sem);
    usleep(10000);
    atomic_store(&fword, 1);
    syscall(SYS_futex, &fword, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    return NULL;
}

static _Atomic int writer_holds;

static void *writer(void *arg)
{
    (void)arg;
    pthread_rwlock_wrlock(&rw);
    atomic_store(&writer_holds, 1);
    usleep(100000);
    pthread_rwlock_unlock(&rw);
    return NULL;
}

int main(void)
{
    pthread_t t[4];
    for (int i = 0; i < 4; i++)
        pthread_create(&t[i], NULL, hammer, NULL);
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);

    pthread_rwlock_wrlock(&rw); /* so the writer thread must wait too */
    pthread_t w;
    pthread_create(&w, NULL, writer, NULL);
    usleep(50000); /* the writer waits, unless the machine keeps it from running that long */
    pthread_rwlock_unlock(&rw);
    while (!atomic_load(&writer_holds))
        usleep(1000);
    pthread_rwlock_rdlock(&rw); /* waits for the writer, whatever the scheduler does */
    pthread_rwlock_unlock(&rw);
    pthread_join(w, NULL);

    sem_init(&sem, 0, 0);
    pthread_t l;
    pthread_create(&l, NULL, later, NULL);
    pthread_mutex_lock(&cm);
    while (!ready)
        pthread_cond_wait(&cv, &cm);
    pthread_mutex_unlock(&cm);
    sem_wait(&sem);
    while (atomic_load(&fword) == 0)
        syscall(SYS_futex, &fword, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
    pthread_join(l, NULL);

    for (int i = 0; i < 1000; i++) {
        pthread_mutex_lock(&cold);
        pthread_mutex_unlock(&cold);
    }
    printf("locks done\n");
    return 0;
}
