/* rand.h: a small seeded PRNG (xoshiro256** seeded by splitmix64).
 * Deterministic across platforms, so seeded runs reproduce exactly. */
#ifndef SB_BASE_RAND_H
#define SB_BASE_RAND_H

#include <stdint.h>

typedef struct sb_rand {
    uint64_t s[4];
} sb_rand;

void sb_rand_seed(sb_rand *r, uint64_t seed);
uint64_t sb_rand_next(sb_rand *r);
/* Uniform double in [0, 1). */
double sb_rand_double(sb_rand *r);

#endif
