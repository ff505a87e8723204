/* memprobe.h: the host's caches and memory, measured beside a benchmark. */
#ifndef SB_BENCH_MEMPROBE_H
#define SB_BENCH_MEMPROBE_H

#include <stddef.h>

/* The mean time of one load, in ns, in a walk where each load's address
 * comes from the one before, over a random cycle through `bytes` (one
 * load per 64-byte line), in 2 MiB pages where the kernel gives them (so
 * that it times the caches and memory, not the TLB).  Over 8 MiB it shows
 * how much of the last-level cache the host's other guests leave; over
 * 64 MiB, memory itself.  0 when the memory cannot be had.  Takes well
 * under a second. */
double sb_bench_walk_ns(size_t bytes);

#endif
