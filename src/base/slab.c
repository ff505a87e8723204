#include "base/slab.h"

#include <string.h>

#include "base/mem.h"

/* Under AddressSanitizer an object given back is poisoned until it is
 * taken again, so that a use after sb_slab_put is reported: its memory
 * stays in the slab, where the sanitizer could not tell it from a live
 * object otherwise. */
#ifdef SB_ASAN
#include <sanitizer/asan_interface.h>
#define poison(p, n)   ASAN_POISON_MEMORY_REGION((p), (n))
#define unpoison(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define poison(p, n)   ((void)0)
#define unpoison(p, n) ((void)0)
#endif

void sb_slab_init(sb_slab *s, size_t size) {
    SB_ASSERT(size > 0 && size % 64 == 0 && size <= SB_HUGE_PAGE / 2);
    *s = (sb_slab){.size = (uint32_t)size};
    while (((size_t)2 << s->shift) * size <= SB_HUGE_PAGE)
        s->shift++;
}

void sb_slab_free(sb_slab *s) {
    for (uint32_t i = 0; i < s->nblocks; i++) {
        unpoison(s->blocks[i], SB_HUGE_PAGE);
        sb_free_huge(s->blocks[i], SB_HUGE_PAGE);
    }
    sb_free(s->blocks);
    sb_free(s->free);
    size_t size = s->size;
    sb_slab_init(s, size);
}

void *sb_slab_carve(sb_slab *s, uint32_t *index) {
    uint32_t per = 1u << s->shift;
    if (s->count == s->nblocks * per) {
        SB_ASSERT(s->count <= UINT32_MAX - per);
        if (s->nblocks == s->cap_blocks) {
            s->cap_blocks = s->cap_blocks ? s->cap_blocks * 2 : 8;
            s->blocks = sb_realloc(s->blocks, s->cap_blocks * sizeof(*s->blocks));
        }
        s->blocks[s->nblocks] = sb_calloc_huge(SB_HUGE_PAGE, s->nblocks > 0);
        s->nblocks++;
    }
    if (index) *index = s->count;
    return sb_slab_at(s, s->count++);
}

void *sb_slab_take(sb_slab *s) {
    if (s->nfree == 0) return sb_slab_carve(s, NULL);
    void *p = s->free[--s->nfree];
    unpoison(p, s->size);
    memset(p, 0, s->size);
    return p;
}

void sb_slab_put(sb_slab *s, void *p) {
    if (s->nfree == s->cap_free) {
        s->cap_free = s->cap_free ? s->cap_free * 2 : 8;
        s->free = sb_realloc(s->free, s->cap_free * sizeof(*s->free));
    }
    s->free[s->nfree++] = p;
    poison(p, s->size);
}
