/* slab.h: objects of one size carved from blocks of 2 MiB.
 *
 * For the routing core's objects that are many and read in no order
 * (interactions, agents, queues).  Every block after the first is one
 * 2 MiB page (sb_calloc_huge), so reading a cold object costs no page
 * walk; the first is in 4 KiB pages touched only as it fills, so a small
 * center stays small.  Objects are named by index, in carving order, and
 * never move.  Objects given back (sb_slab_put) are handed out again,
 * zeroed, by sb_slab_take; a caller that keeps parts of a freed object
 * for its next use carves and keeps a free list of its own instead.
 * Every object goes with the slab. */
#ifndef SB_BASE_SLAB_H
#define SB_BASE_SLAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct sb_slab {
    char **blocks;
    uint32_t nblocks, cap_blocks;
    uint32_t size;  /* of an object: a multiple of 64 */
    uint32_t shift; /* 2^shift objects per block */
    uint32_t count; /* objects carved */
    void **free;    /* given back, for sb_slab_take */
    uint32_t nfree, cap_free;
} sb_slab;

/* size: a multiple of 64, at most 1 MiB. */
void sb_slab_init(sb_slab *s, size_t size);
/* Frees every block (the caller has let go of every object). */
void sb_slab_free(sb_slab *s);
/* A new object, zeroed, on a cache line; *index (if not NULL) names it. */
void *sb_slab_carve(sb_slab *s, uint32_t *index);
/* A zeroed object: one given back, or a new one. */
void *sb_slab_take(sb_slab *s);
/* Give object p back (the caller has let go of everything it owns). */
void sb_slab_put(sb_slab *s, void *p);
static inline uint32_t sb_slab_count(const sb_slab *s) {
    return s->count;
}
/* Object `index`, or NULL when none was carved with it. */
static inline void *sb_slab_at(const sb_slab *s, uint32_t index) {
    if (index >= s->count) return NULL;
    uint32_t mask = (1u << s->shift) - 1;
    return s->blocks[index >> s->shift] + (size_t)(index & mask) * s->size;
}

#endif
