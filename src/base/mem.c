#include "base/mem.h"

#include <malloc.h>
#include <mimalloc.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static atomic_size_t used;

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

void *sb_calloc_huge(size_t size, bool huge) {
    if (size == 0 || size % SB_HUGE_PAGE) sb_panic("sb_calloc_huge: %zu bytes", size);
    /* Room to align: the unaligned head and tail are given back. */
    size_t span = size + SB_HUGE_PAGE;
    char *m = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) sb_panic("out of memory mapping %zu bytes", size);
    char *p = (char *)(((uintptr_t)m + SB_HUGE_PAGE - 1) & ~(uintptr_t)(SB_HUGE_PAGE - 1));
    if (p > m) munmap(m, (size_t)(p - m));
    if (m + span > p + size) munmap(p + size, (size_t)(m + span - (p + size)));
    if (huge) (void)madvise(p, size, MADV_HUGEPAGE); /* a hint: refused, 4 KiB pages */
    atomic_fetch_add_explicit(&used, size, memory_order_relaxed);
    return p;
}

void sb_free_huge(void *p, size_t size) {
    if (p == NULL) return;
    atomic_fetch_sub_explicit(&used, size, memory_order_relaxed);
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
