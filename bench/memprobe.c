/* memprobe.c: the host's memory latency, measured beside a benchmark.
 *
 * These machines are shared: other guests' traffic moves the time of a
 * miss to memory by a fifth or more within minutes, and the routing
 * benchmark's largest backlog waits on such misses.  A walk where each
 * load's address comes from the load before (so misses cannot overlap)
 * over a random cycle much larger than the last-level cache gives that
 * time as the run sees it, so a run's figures can be read against the
 * state of the machine when they were taken (bench/README.md). */
#include "memprobe.h"

#include <stdint.h>
#include <sys/mman.h>
#include <time.h>

#define PROBE_BYTES (64u << 20)
#define LINE 64u
#define LOADS (1u << 20)

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

double sb_bench_mem_latency_ns(void) {
    uint32_t n = PROBE_BYTES / LINE;
    char *mem = mmap(NULL, PROBE_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mem == MAP_FAILED) return 0;
    /* 4 KiB pages, as promised, even where huge pages are the default. */
    madvise(mem, PROBE_BYTES, MADV_NOHUGEPAGE);
    /* Sattolo's shuffle of the lines gives one cycle through all of them:
     * line i holds the index of the line after it, kept in its first word.
     * The order is built in place, each line first holding its own index. */
    uint32_t *at = (uint32_t *)(void *)mem;
    for (uint32_t i = 0; i < n; i++)
        at[(size_t)i * (LINE / 4)] = i;
    uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift64: fixed, so every run walks the same cycle */
    for (uint32_t i = n - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint32_t j = (uint32_t)(x % i); /* j < i: a single cycle */
        uint32_t t = at[(size_t)i * (LINE / 4)];
        at[(size_t)i * (LINE / 4)] = at[(size_t)j * (LINE / 4)];
        at[(size_t)j * (LINE / 4)] = t;
    }
    volatile uint32_t sink;
    uint32_t p = 0;
    /* A whole lap first: the shuffle left a random part of the lines in
     * the last-level cache, a lap evicts them (64 MiB walked since any
     * line's last touch), and the timed walk starts the cycle over. */
    for (uint32_t i = 0; i < n; i++)
        p = at[(size_t)p * (LINE / 4)];
    double t0 = now_s();
    for (uint32_t i = 0; i < LOADS; i++)
        p = at[(size_t)p * (LINE / 4)];
    double t1 = now_s();
    sink = p;
    (void)sink;
    munmap(mem, PROBE_BYTES);
    return (t1 - t0) * 1e9 / LOADS;
}
