/* net_fixture.h: what the loop-thread tests of src/net share.
 *
 * Each test file runs a uv loop on its own thread and a blocking client
 * on the test thread.  Its fixture type `fx` must have: `uv_async_t
 * async`, `pthread_mutex_t mu`, `pthread_cond_t cv`, `fx_fn fn`, `void
 * *arg`, `int done` and `atomic_int errors`; NET_FIXTURE_CALL() then
 * defines async_cb() (to give the async handle) and fx_call(). */
#ifndef SB_TESTS_UNIT_NET_NET_FIXTURE_H
#define SB_TESTS_UNIT_NET_NET_FIXTURE_H

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <uv.h>

/* cmocka's assertions belong to the test thread; the loop thread counts. */
#define LOOP_CHECK(f, cond)                                                                        \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: loop-thread check failed: %s\n", __FILE__, __LINE__, #cond);   \
            atomic_fetch_add(&(f)->errors, 1);                                                     \
        }                                                                                          \
    } while (0)

static inline struct timespec deadline_in(int ms) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    t.tv_sec += ms / 1000;
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) t.tv_sec++, t.tv_nsec -= 1000000000L;
    return t;
}

static inline uint64_t now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000 + (uint64_t)t.tv_nsec / 1000000;
}

static inline void sleep_ms(int ms) {
    struct timespec t = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&t, NULL);
}


/* async_cb() runs the pending fn on the loop thread; fx_call(f, fn, arg)
 * runs fn(f, arg) there and waits for it (at most TIMEOUT_MS). */
#define NET_FIXTURE_CALL() \
static void async_cb(uv_async_t *a) {                                                             \
    fx *f = a->data;                                                                              \
    pthread_mutex_lock(&f->mu);                                                                   \
    fx_fn fn = f->fn;                                                                             \
    void *arg = f->arg;                                                                           \
    pthread_mutex_unlock(&f->mu);                                                                 \
    if (fn == NULL) return;                                                                       \
    fn(f, arg);                                                                                   \
    pthread_mutex_lock(&f->mu);                                                                   \
    f->fn = NULL;                                                                                 \
    f->done = 1;                                                                                  \
    pthread_cond_broadcast(&f->cv);                                                               \
    pthread_mutex_unlock(&f->mu);                                                                 \
}                                                                                                 \
                                                                                                  \
/* Run fn(f, arg) on the loop thread and wait for it. */                                          \
static void fx_call(fx *f, fx_fn fn, void *arg) {                                                 \
    pthread_mutex_lock(&f->mu);                                                                   \
    f->fn = fn;                                                                                   \
    f->arg = arg;                                                                                 \
    f->done = 0;                                                                                  \
    pthread_mutex_unlock(&f->mu);                                                                 \
    uv_async_send(&f->async);                                                                     \
    struct timespec dl = deadline_in(TIMEOUT_MS);                                                 \
    pthread_mutex_lock(&f->mu);                                                                   \
    while (!f->done)                                                                              \
        if (pthread_cond_timedwait(&f->cv, &f->mu, &dl) == ETIMEDOUT) break;                      \
    int done = f->done;                                                                           \
    pthread_mutex_unlock(&f->mu);                                                                 \
    assert_true(done);                                                                            \
}                                                                                                 

#endif
