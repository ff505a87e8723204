/* memprobe.h: the host's memory latency, measured beside a benchmark. */
#ifndef SB_BENCH_MEMPROBE_H
#define SB_BENCH_MEMPROBE_H

/* The mean time of one load that misses every cache, in ns: a dependent
 * walk over a random cycle through 64 MiB (one load per 64-byte line, in
 * 4 KiB pages: most loads miss the TLB as well).
 * 0 when the memory cannot be had.  Takes under a second. */
double sb_bench_mem_latency_ns(void);

#endif
