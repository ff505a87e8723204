#include "sim/dist.h"

#include <math.h>

#include "base/mem.h"

void sb_dist_lognormal(sb_dist *d, double mean, double sd) {
    d->kind = SB_DIST_LOGNORMAL;
    d->mean = mean;
    d->sd = sd;
    d->sigma = sqrt(log(1 + (sd * sd) / (mean * mean)));
    d->mu = log(mean) - d->sigma * d->sigma / 2;
}

/* A standard normal by Box-Muller (one of the pair; simple, exact). */
static double normal(sb_rand *r) {
    double u1 = 1.0 - sb_rand_double(r), u2 = sb_rand_double(r);
    return sqrt(-2 * log(u1)) * cos(2 * M_PI * u2);
}

double sb_dist_draw(const sb_dist *d, sb_rand *r) {
    switch (d->kind) {
    case SB_DIST_FIXED: return d->mean;
    case SB_DIST_EXPONENTIAL: return -d->mean * log(1.0 - sb_rand_double(r));
    case SB_DIST_LOGNORMAL: return exp(d->mu + d->sigma * normal(r));
    case SB_DIST_EMPIRICAL: return d->sample[sb_rand_next(r) % d->nsample];
    default: return INFINITY;
    }
}

double sb_dist_mean(const sb_dist *d) {
    if (d->kind == SB_DIST_NONE) return INFINITY;
    if (d->kind != SB_DIST_EMPIRICAL) return d->mean;
    double s = 0;
    for (uint32_t i = 0; i < d->nsample; i++) s += d->sample[i];
    return d->nsample ? s / d->nsample : 0;
}

void sb_dist_free(sb_dist *d) {
    sb_free(d->sample);
    d->sample = NULL;
    d->nsample = 0;
}
