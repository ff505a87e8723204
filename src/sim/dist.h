/* dist.h: the random distributions of a simulation (times in seconds). */
#ifndef SB_SIM_DIST_H
#define SB_SIM_DIST_H

#include <stdint.h>

#include "base/rand.h"

typedef enum sb_dist_kind {
    SB_DIST_NONE = 0,  /* never (e.g. infinite patience) */
    SB_DIST_FIXED,
    SB_DIST_EXPONENTIAL,
    SB_DIST_LOGNORMAL,
    SB_DIST_EMPIRICAL, /* uniform pick from a sample */
} sb_dist_kind;

typedef struct sb_dist {
    uint8_t kind;
    double mean, sd;      /* seconds (sd: lognormal) */
    double mu, sigma;     /* lognormal parameters of the underlying normal */
    double *sample;       /* empirical, owned */
    uint32_t nsample;
} sb_dist;

/* Set lognormal mu/sigma from mean and sd. */
void sb_dist_lognormal(sb_dist *d, double mean, double sd);
/* A draw in seconds; SB_DIST_NONE gives INFINITY. */
double sb_dist_draw(const sb_dist *d, sb_rand *r);
/* The distribution's mean in seconds (INFINITY for NONE). */
double sb_dist_mean(const sb_dist *d);
void sb_dist_free(sb_dist *d);

#endif
