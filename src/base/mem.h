/* mem.h: the allocator wrapper.
 *
 * Policy: every allocation in Switchboard goes through these functions.
 * They abort the process on out-of-memory, so callers carry no NULL
 * branches.  They also keep a count of live bytes, which benchmarks read
 * to report memory per object (the count is approximate under threads:
 * it is updated with relaxed atomics). */
#ifndef SB_BASE_MEM_H
#define SB_BASE_MEM_H

#include <stdbool.h>
#include <stddef.h>

/* SB_ASAN: defined in AddressSanitizer builds (gcc's or clang's), where
 * memory the code keeps for reuse is marked for the sanitizer by hand. */
#if defined(__SANITIZE_ADDRESS__)
#define SB_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SB_ASAN 1
#endif
#endif

void *sb_malloc(size_t n);
void *sb_calloc(size_t count, size_t size);
/* Zeroed, aligned on `align` (a power of two, at least sizeof(void *));
 * freed with sb_free. */
void *sb_calloc_aligned(size_t align, size_t size);
void *sb_realloc(void *p, size_t n);
void sb_free(void *p);
char *sb_strdup(const char *s);
char *sb_strndup(const char *s, size_t n);

/* Bytes currently allocated through this wrapper (usable sizes). */
size_t sb_mem_used(void);

/* Asks the allocator to back what it takes from the system from now on
 * with 2 MiB pages (Linux transparent huge pages, "madvise" mode); true
 * if it can.  Only mimalloc can (the server and the routing benchmark
 * link it: SERVER_MALLOC in the Makefile); with glibc's malloc (tests,
 * sanitizer builds) this does nothing.  The routing core's working set
 * is tens of MiB read in no order: with 4 KiB pages nearly every cold
 * line is also a TLB miss.  Its largest parts (interactions, agents,
 * queues) come in 2 MiB pages anyway (base/slab, sb_calloc_huge); this
 * would add the rest (maps, heaps, arrays).  But while memory grows, each
 * new 2 MiB page is a fault that zeroes (and may compact) in the caller's
 * thread: the server's creation p99 went from 5-6 ms to 17-19 ms with
 * them.  So only the routing benchmark calls this, when asked
 * (--huge-pages); see bench/README.md. */
bool sb_mem_huge_pages(void);

/* A zeroed block of `size` bytes, a multiple of SB_HUGE_PAGE, aligned on
 * SB_HUGE_PAGE and taken straight from the kernel.  With `huge`, the
 * kernel is asked to back it with 2 MiB pages (madvise: transparent huge
 * pages in "madvise" or "always" mode; else 4 KiB pages, nothing else
 * changes): for a large array read in no order, such as the core's
 * interactions, a cold line then costs no page walk.  Each such page is
 * one fault on first touch that zeroes 2 MiB, so a caller takes them
 * rarely (the core: once per 8192 interactions).  Without `huge`, 4 KiB
 * pages come as they are first touched: a block that may stay mostly
 * unused costs little.  Counted in sb_mem_used (all of it); freed with
 * sb_free_huge. */
#define SB_HUGE_PAGE ((size_t)2 << 20)
void *sb_calloc_huge(size_t size, bool huge);
void sb_free_huge(void *p, size_t size);
/* Keep up to n (at most 8) blocks of one 2 MiB page faulted in ahead by
 * a thread of its own, for sb_calloc_huge(SB_HUGE_PAGE, true) to hand
 * out at once: the server's loop then never waits for that fault (in a
 * virtual machine, milliseconds).  n = 0 stops the thread and unmaps the
 * blocks kept.  Without it, or with none ready, sb_calloc_huge maps one
 * itself. */
void sb_mem_huge_reserve(unsigned n);
/* Blocks kept ready now (for tests). */
unsigned sb_mem_huge_reserved(void);

/* Print a message to stderr and abort: for broken invariants only,
 * never for bad input. */
_Noreturn void sb_panic(const char *fmt, ...);

#define SB_ASSERT(cond)                                                    \
    do {                                                                   \
        if (!(cond)) sb_panic("%s:%d: assertion failed: %s", __FILE__,     \
                              __LINE__, #cond);                            \
    } while (0)

/* Hot-path assertion: compiled in for debug and sanitizer builds only. */
#ifdef SB_DEBUG
#define SB_ASSERT_HOT(cond) SB_ASSERT(cond)
#else
#define SB_ASSERT_HOT(cond) ((void)0)
#endif

/* For a helper made only of prefetch hints: such a function has no
 * effect GCC can see, so it is found "const" and its calls deleted
 * before they are inlined (the hint is lost, silently).  Inlined always,
 * its hints stay. */
#define SB_HINT_FN static inline __attribute__((always_inline))

#define sb_container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

#endif
