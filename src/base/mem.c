#include "base/mem.h"

#include <malloc.h>
#include <pthread.h>
#include <mimalloc.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static atomic_size_t used;

/* Under AddressSanitizer, LeakSanitizer scans the heap for pointers but
 * not memory mapped by hand: blocks from sb_calloc_huge are registered
 * as roots, or what only they point to (an agent's arrays, say) would be
 * reported as leaked while still in use. */
#ifdef SB_ASAN
#include <sanitizer/lsan_interface.h>
#define lsan_root(p, n) __lsan_register_root_region((p), (n))
#define lsan_unroot(p, n) __lsan_unregister_root_region((p), (n))
#else
#define lsan_root(p, n) ((void)0)
#define lsan_unroot(p, n) ((void)0)
#endif

/* Present only when mimalloc is linked (weak: null otherwise). */
#pragma weak mi_option_set_enabled

bool sb_mem_huge_pages(void) {
    if (mi_option_set_enabled == NULL) return false;
    mi_option_set_enabled(mi_option_large_os_pages, true);
    return true;
}

_Noreturn void sb_panic(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fputs("switchboard: panic: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static void *track(void *p, size_t n) {
    if (p == NULL && n != 0) sb_panic("out of memory allocating %zu bytes", n);
    if (p != NULL)
        atomic_fetch_add_explicit(&used, malloc_usable_size(p),
                                  memory_order_relaxed);
    return p;
}

void *sb_malloc(size_t n) { return track(malloc(n ? n : 1), n); }

void *sb_calloc(size_t count, size_t size) {
    /* count * size below must not wrap to 0, or a failed calloc would
     * come back as NULL instead of panicking */
    if (size != 0 && count > SIZE_MAX / size)
        sb_panic("out of memory allocating %zu x %zu bytes", count, size);
    return track(calloc(count ? count : 1, size ? size : 1), count * size);
}

void *sb_calloc_aligned(size_t align, size_t size) {
    void *p = NULL;
    if (posix_memalign(&p, align, size ? size : 1) != 0) p = NULL;
    track(p, size ? size : 1);
    memset(p, 0, size);
    return p;
}

static char *map_aligned(size_t size, bool huge) {
    /* Room to align: the unaligned head and tail are given back. */
    size_t span = size + SB_HUGE_PAGE;
    char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) sb_panic("out of memory mapping %zu bytes", size);
    char *p = (char *)(((uintptr_t)m + SB_HUGE_PAGE - 1) & ~(uintptr_t)(SB_HUGE_PAGE - 1));
    if (p > m) munmap(m, (size_t)(p - m));
    if (m + span > p + size) munmap(p + size, (size_t)(m + span - (p + size)));
    if (huge) (void)madvise(p, size, MADV_HUGEPAGE); /* a hint: refused, 4 KiB pages */
    return p;
}

/* ---- the reserve of faulted 2 MiB pages (sb_mem_huge_reserve) ---- */

enum { RESERVE_MAX = 8 };

static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    char *blocks[RESERVE_MAX];
    unsigned n, want;
    bool running;
} rsv = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *reserve_main(void *arg) {
    (void)arg;
    pthread_mutex_lock(&rsv.mu);
    while (rsv.want) {
        if (rsv.n >= rsv.want) {
            pthread_cond_wait(&rsv.cv, &rsv.mu);
            continue;
        }
        pthread_mutex_unlock(&rsv.mu);
        char *p = map_aligned(SB_HUGE_PAGE, true);
        *(volatile char *)p = 0; /* the fault, here: the page stays zeroed */
        pthread_mutex_lock(&rsv.mu);
        if (rsv.n < rsv.want) rsv.blocks[rsv.n++] = p;
        else munmap(p, SB_HUGE_PAGE);
    }
    pthread_mutex_unlock(&rsv.mu);
    return NULL;
}

void sb_mem_huge_reserve(unsigned n) {
    if (n > RESERVE_MAX) n = RESERVE_MAX;
    pthread_mutex_lock(&rsv.mu);
    rsv.want = n;
    bool start = n && !rsv.running, stop = !n && rsv.running;
    if (start) rsv.running = pthread_create(&rsv.thread, NULL, reserve_main, NULL) == 0;
    pthread_cond_signal(&rsv.cv);
    pthread_mutex_unlock(&rsv.mu);
    if (!stop) return;
    pthread_join(rsv.thread, NULL);
    pthread_mutex_lock(&rsv.mu);
    rsv.running = false;
    while (rsv.n) munmap(rsv.blocks[--rsv.n], SB_HUGE_PAGE);
    pthread_mutex_unlock(&rsv.mu);
}

unsigned sb_mem_huge_reserved(void) {
    pthread_mutex_lock(&rsv.mu);
    unsigned n = rsv.n;
    pthread_mutex_unlock(&rsv.mu);
    return n;
}

static char *reserve_take(void) {
    char *p = NULL;
    pthread_mutex_lock(&rsv.mu);
    if (rsv.n) {
        p = rsv.blocks[--rsv.n];
        pthread_cond_signal(&rsv.cv);
    }
    pthread_mutex_unlock(&rsv.mu);
    return p;
}

void *sb_calloc_huge(size_t size, bool huge) {
    if (size == 0 || size % SB_HUGE_PAGE) sb_panic("sb_calloc_huge: %zu bytes", size);
    char *p = huge && size == SB_HUGE_PAGE ? reserve_take() : NULL;
    if (p == NULL) p = map_aligned(size, huge);
    atomic_fetch_add_explicit(&used, size, memory_order_relaxed);
    lsan_root(p, size);
    return p;
}

void sb_free_huge(void *p, size_t size) {
    if (p == NULL) return;
    atomic_fetch_sub_explicit(&used, size, memory_order_relaxed);
    lsan_unroot(p, size);
    munmap(p, size);
}

void *sb_realloc(void *p, size_t n) {
    if (p != NULL)
        atomic_fetch_sub_explicit(&used, malloc_usable_size(p),
                                  memory_order_relaxed);
    return track(realloc(p, n ? n : 1), n);
}

void sb_free(void *p) {
    if (p == NULL) return;
    atomic_fetch_sub_explicit(&used, malloc_usable_size(p),
                              memory_order_relaxed);
    free(p);
}

char *sb_strndup(const char *s, size_t n) {
    char *d = sb_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *sb_strdup(const char *s) { return sb_strndup(s, strlen(s)); }

size_t sb_mem_used(void) {
    return atomic_load_explicit(&used, memory_order_relaxed);
}
