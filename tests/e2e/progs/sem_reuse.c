/* SPDX-License-Identifier: MIT */
/*
 * sem_reuse.c - e2e program: one address, two semaphores in turn, as
 * CPython frees a lock's semaphore and mallocs the next where it was.
 *
 * First a future's: main waits on it, a worker posts it once (a producer,
 * which never waits there).  It is destroyed (unless "nodestroy") and
 * freed, and the next malloc of its size takes its place (glibc gives
 * back the chunk just freed).  Then a lock's: threads A and B take it and
 * give it back, each holding it 30 ms while the other is blocked on it
 * (each waits until the other is seen waiting: the count of waiters in
 * glibc's semaphore), so both waits are certain.  Prints "same=1" when
 * the two semaphores had one address, and the address.
 */
#include <pthread.h>
#include <semaphore.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static sem_t *s;

/* Whether a thread is blocked on sem (glibc x86-64: the high half of its
 * first word counts the waiters). */
static int has_waiter(sem_t *sem)
{
    uint64_t word = __atomic_load_n((uint64_t *)(void *)sem, __ATOMIC_ACQUIRE);
    return (word >> 32) != 0;
}

static void wait_for_waiter(sem_t *sem)
{
    while (!has_waiter(sem))
        usleep(1000);
}

static void *producer(void *arg)
{
    (void)arg;
    wait_for_waiter(s);
    sem_post(s);
    return NULL;
}

static pthread_mutex_t turn_m = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t turn_c = PTHREAD_COND_INITIALIZER;
static int turn; /* 1: A holds it, B may go and block; 2: B holds it, A may */

static void set_turn(int t)
{
    pthread_mutex_lock(&turn_m);
    turn = t;
    pthread_cond_broadcast(&turn_c);
    pthread_mutex_unlock(&turn_m);
}

static void await_turn(int t)
{
    pthread_mutex_lock(&turn_m);
    while (turn < t)
        pthread_cond_wait(&turn_c, &turn_m);
    pthread_mutex_unlock(&turn_m);
}

static void *thread_a(void *arg)
{
    (void)arg;
    sem_wait(s); /* free: A takes it at once */
    set_turn(1); /* B blocks on it */
    wait_for_waiter(s);
    usleep(30000);
    sem_post(s); /* B has it */
    await_turn(2);
    sem_wait(s); /* blocked until B gives it back */
    sem_post(s);
    return NULL;
}

static void *thread_b(void *arg)
{
    (void)arg;
    await_turn(1);
    sem_wait(s); /* blocked until A gives it back */
    set_turn(2);
    wait_for_waiter(s); /* A blocks on it */
    usleep(30000);
    sem_post(s);
    return NULL;
}

int main(int argc, char **argv)
{
    int destroy = !(argc > 1 && strcmp(argv[1], "nodestroy") == 0);
    s = malloc(sizeof *s);
    sem_init(s, 0, 0);
    pthread_t w;
    pthread_create(&w, NULL, producer, NULL);
    sem_wait(s);
    pthread_join(w, NULL);
    uintptr_t first = (uintptr_t)s;
    if (destroy) sem_destroy(s);
    free(s);

    s = malloc(sizeof *s);
    sem_init(s, 0, 1);
    pthread_t a, b;
    pthread_create(&a, NULL, thread_a, NULL);
    pthread_create(&b, NULL, thread_b, NULL);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    printf("same=%d sem=%#lx\n", (uintptr_t)s == first, (unsigned long)(uintptr_t)s);
    sem_destroy(s);
    free(s);
    return 0;
}
