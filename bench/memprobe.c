/* memprobe.c: the host's caches and memory, measured beside a benchmark.
 *
 * These machines are shared: the other guests on the host use the same
 * last-level cache and memory, and the routing benchmark's larger
 * backlogs wait on loads that hit or miss that cache.  A dependent walk
 * (so loads cannot overlap) over a random cycle gives the time of one
 * load as the run sees it, so a run's figures can be read against the
 * state of the machine when they were taken (bench/README.md). */
#include "memprobe.h"

#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#define LINE 64u
#define WORDS (LINE / 4) /* a line's index is in its first 32-bit word */
#define HUGE (2u << 20)
#define LOADS (1u << 20)

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double sb_bench_walk_ns(size_t bytes) {
    uint32_t n = (uint32_t)(bytes / LINE);
    if (n < 2) return 0;
    /* Aligned on 2 MiB, so that every page of it may be a huge one. */
    size_t len = bytes + HUGE;
    char *raw = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED) return 0;
    char *mem = (char *)(((uintptr_t)raw + HUGE - 1) & ~(uintptr_t)(HUGE - 1));
    madvise(mem, bytes, MADV_HUGEPAGE);
    /* Sattolo's shuffle of the identity gives one cycle through all the
     * lines: line i holds the index of the line after it. */
    uint32_t *at = (uint32_t *)(void *)mem;
    for (uint32_t i = 0; i < n; i++)
        at[(size_t)i * WORDS] = i;
    uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift64: fixed, so every run walks the same cycle */
    for (uint32_t i = n - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t j = (uint32_t)(x % i); /* j < i: a single cycle */
        uint32_t t = at[(size_t)i * WORDS];
        at[(size_t)i * WORDS] = at[(size_t)j * WORDS];
        at[(size_t)j * WORDS] = t;
    }
    /* A whole lap first: the shuffle left its last lines in the caches in
     * its own order; after a lap, every line was last touched a lap ago,
     * as in the timed walk that follows. */
    uint32_t p = 0;
    for (uint32_t i = 0; i < n; i++)
        p = at[(size_t)p * WORDS];
    double t0 = now_s();
    for (uint32_t i = 0; i < LOADS; i++)
        p = at[(size_t)p * WORDS];
    double t1 = now_s();
    volatile uint32_t sink = p; /* the walk's result is used: it is not optimised away */
    (void)sink;
    munmap(raw, len);
    return (t1 - t0) * 1e9 / LOADS;
}
