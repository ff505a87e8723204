/* erlang.c: Erlang B, C and A formulas and staffing searches. */
#include "sim/erlang.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/status.h"

static bool finite_nonneg(double x) { return isfinite(x) && x >= 0; }
static bool finite_pos(double x) { return isfinite(x) && x > 0; }
static double clamp01(double x) { return x < 0 ? 0 : x > 1 ? 1 : x; }

/* ---- Erlang B / Erlang C ------------------------------------------------ */

double sb_erlang_b(int c, double a) {
    if (c < 1 || !finite_nonneg(a)) return NAN;
    double b = 1.0;
    for (int k = 1; k <= c; k++) b = a * b / (k + a * b);
    return b;
}

double sb_erlang_c(int c, double a) {
    if (c < 1 || !finite_nonneg(a)) return NAN;
    if (a >= c) return 1.0;
    double b = sb_erlang_b(c, a);
    return clamp01(c * b / (c - a * (1 - b)));
}

static bool rates_ok(int c, double lambda, double mu) {
    return c >= 1 && finite_nonneg(lambda) && finite_pos(mu);
}

double sb_erlang_c_asa(int c, double lambda, double mu) {
    if (!rates_ok(c, lambda, mu)) return NAN;
    double a = lambda / mu;
    if (a >= c) return INFINITY;
    /* mu (c - a) rather than c mu - lambda: the same sign test as a < c. */
    return sb_erlang_c(c, a) / (mu * (c - a));
}

double sb_erlang_c_sl(int c, double lambda, double mu, double t) {
    if (!rates_ok(c, lambda, mu) || isnan(t)) return NAN;
    double a = lambda / mu;
    if (t < 0 || a >= c) return 0;
    return clamp01(1 - sb_erlang_c(c, a) * exp(-mu * (c - a) * t));
}

double sb_erlang_c_occupancy(int c, double a) {
    if (c < 1 || !finite_nonneg(a)) return NAN;
    return a >= c ? 1.0 : a / c;
}

/* ---- Erlang A: the stationary distribution ------------------------------ */

/* Truncation: the neglected tail is below EPS of what was summed. */
#define EPS 1e-17

/* Neumaier compensated sum: the chain may have millions of terms. */
typedef struct ksum {
    double s, comp;
} ksum;

static void ks_add(ksum *k, double x) {
    double t = k->s + x;
    if (fabs(k->s) >= fabs(x))
        k->comp += (k->s - t) + x;
    else
        k->comp += (x - t) + k->s;
    k->s = t;
}

static double ks_val(const ksum *k) { return k->s + k->comp; }

typedef struct chain {
    int c;
    double lambda, mu, theta;
    ksum s0, sq, sb, sw; /* sums of w_n, (n-c)^+ w_n, min(n,c) w_n, [n>=c] w_n */
    double wc;           /* w_c, or -1 when not visited */
} chain;

static double death(const chain *ch, int64_t n) {
    return n <= ch->c ? (double)n * ch->mu
                      : ch->c * ch->mu + (double)(n - ch->c) * ch->theta;
}

/* Add state n with weight w (relative to the mode). */
static void chain_add(chain *ch, int64_t n, double w) {
    ks_add(&ch->s0, w);
    if (n >= ch->c) {
        ks_add(&ch->sq, (double)(n - ch->c) * w);
        ks_add(&ch->sb, (double)ch->c * w);
        ks_add(&ch->sw, w);
    } else {
        ks_add(&ch->sb, (double)n * w);
    }
    if (n == ch->c) ch->wc = w;
}

/* Sum the birth-death weights w_n / w_m outwards from the mode m.  Each
 * step multiplies by a ratio: lambda / death(n) upwards, death(n) /
 * lambda downwards, both decreasing away from the mode, so once a ratio r
 * is below 1 the rest of that side is bounded by a geometric series. */
static int chain_sum(chain *ch, int64_t m, int64_t *budget) {
    const double lambda = ch->lambda;
    const int c = ch->c;
    chain_add(ch, m, 1.0);
    /* Upwards; always reach c, whose weight the waiting times need. */
    double w = 1.0;
    for (int64_t n = m;; n++) {
        if (n >= c) {
            double r = lambda / death(ch, n + 1);
            if (w == 0) break;
            if (r < 1) {
                double g = r / (1 - r), s0 = ks_val(&ch->s0), sq = ks_val(&ch->sq);
                double tail0 = w * g, tail1 = w * ((double)(n - c) * g + g / (1 - r));
                if (tail0 <= EPS * s0 && tail1 <= EPS * (s0 + sq)) break;
            }
        }
        if (--*budget <= 0) return SB_ELIMIT;
        w *= lambda / death(ch, n + 1);
        chain_add(ch, n + 1, w);
    }
    /* Downwards. */
    w = 1.0;
    for (int64_t n = m; n > 0; n--) {
        double q = death(ch, n) / lambda;
        if (q < 1) {
            double g = q / (1 - q), s0 = ks_val(&ch->s0), sq = ks_val(&ch->sq);
            double above = n - 1 > c ? (double)(n - 1 - c) : 0;
            if (w * g <= EPS * s0 && w * g * above <= EPS * (s0 + sq)) break;
        }
        if (--*budget <= 0) return SB_ELIMIT;
        w *= q;
        chain_add(ch, n - 1, w);
    }
    return SB_OK;
}

/* Stirling's series for lgamma(z) - ((z - 1/2) ln z - z + ln(2 pi) / 2),
 * error below 1e-16 for z >= 30. */
static double stirling_tail(double z) {
    double r = 1 / z, r2 = r * r;
    return r * (1.0 / 12 - r2 * (1.0 / 360 - r2 * (1.0 / 1260 - r2 / 1680)));
}

/* ln(w_c / w_m) for c < m: the sum over j = 1..n, n = m - c, of
 * ln((c mu + j theta) / lambda), all <= 0 (the downward sum may stop long
 * before reaching c, and w_c may underflow).  Short runs: a product of
 * ratios rescaled before it can underflow.  Long runs (tiny theta): the
 * sum is ln of a ratio of gamma functions; the first terms are summed
 * until the argument x = c mu / theta + j reaches 30, the rest comes
 * from Stirling's series (truncation error < 1e-16), arranged so that the
 * big terms are products with log1p: O(1) instead of O(n). */
static double log_wc_below_mode(const chain *ch, int64_t m) {
    const double lambda = ch->lambda, theta = ch->theta, cmu = ch->c * ch->mu;
    const int64_t n = m - ch->c;
    const bool closed = n > 2048;
    double acc = 0, p = 1;
    int64_t j = 1;
    for (; j <= n; j++) {
        if (closed && cmu / theta + (double)j >= 30) break;
        p *= (cmu + (double)j * theta) / lambda;
        if (p < 0x1p-900) {
            acc += log(p);
            p = 1;
        }
    }
    acc += log(p);
    if (j > n) return acc;
    /* Terms j..n: sum_{i<k} ln(theta (x + i) / lambda), x = c mu / theta + j,
     * k = n - j + 1, = k ln(theta x / lambda) + lgamma(x + k) - lgamma(x)
     * - k ln x, and with y = x + k the last three are
     * (y - 1/2) log1p(k / x) - k + tail(y) - tail(x). */
    double x = cmu / theta + (double)j, k = (double)(n - j + 1), y = x + k;
    return acc + k * log((cmu + (double)j * theta) / lambda) + ((y - 0.5) * log1p(k / x) - k) +
           (stirling_tail(y) - stirling_tail(x));
}

/* ---- Erlang A: waiting-time integrals ----------------------------------- */

/* expm1(x) - x without cancellation for small |x|. */
static double em1mx(double x) {
    if (fabs(x) >= 0.5) return expm1(x) - x;
    double term = x * x / 2, sum = term;
    for (int k = 3; k < 40 && fabs(term) > 1e-18 * fabs(sum); k++) {
        term *= x / k;
        sum += term;
    }
    return sum;
}

/* The integrand s^moment exp(phi(s)), phi(s) = L + lambda (1 - e^{-theta s})
 * / theta - b s, L = ln(P(N=c) c mu).  With b = c mu + theta it is the
 * density of "answered from the queue after waiting s"; with b = c mu, that
 * of "would reach an agent after s if infinitely patient" (the offered
 * wait, for arrivals who wait).  phi is concave with its peak at s* =
 * ln(lambda / b) / theta, or 0 when lambda <= b.  It is evaluated as a
 * function of u = s - s*, as
 *
 *   phi(s* + u) = phi(s*) - (lb / theta) em1mx(-theta u) - (b - lb) u,
 *   lb = lambda e^{-theta s*} = min(lambda, b),
 *
 * whose terms are all <= 0: no cancellation between large terms. */
typedef struct integrand {
    double sp;       /* s* */
    double phi_star; /* phi(s*) */
    double lb, b, theta;
    int moment;
} integrand;

static double log_f(const integrand *g, double u) {
    double v = g->phi_star - g->lb / g->theta * em1mx(-g->theta * u) - (g->b - g->lb) * u;
    return g->moment ? v + log(g->sp + u) : v;
}

static double f(const integrand *g, double u) {
    double v = exp(g->phi_star - g->lb / g->theta * em1mx(-g->theta * u) - (g->b - g->lb) * u);
    return g->moment ? (g->sp + u) * v : v;
}

/* Gauss-Kronrod 7/15 nodes and weights (QUADPACK qk15). */
static const double XGK[8] = {
    0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
    0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
    0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
    0.207784955007898467600689403773245, 0.000000000000000000000000000000000};
static const double WGK[8] = {
    0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
    0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
    0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
    0.204432940075298892414161999234649, 0.209482141084727828012999174891714};
static const double WG[4] = {
    0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
    0.381830050505118944950369775488975, 0.417959183673469387755102040816327};

static double gk15(const integrand *g, double a, double b, double *err) {
    double h = 0.5 * (b - a), mid = 0.5 * (a + b), fc = f(g, mid);
    double rk = WGK[7] * fc, rg = WG[3] * fc;
    for (int j = 0; j < 7; j++) {
        double dx = h * XGK[j], sum = f(g, mid - dx) + f(g, mid + dx);
        rk += WGK[j] * sum;
        if (j & 1) rg += WG[j / 2] * sum;
    }
    *err = fabs((rk - rg) * h);
    return rk * h;
}

/* Accept a piece when the Gauss/Kronrod difference (a pessimistic bound on
 * the Kronrod error) is below REL of it or below its share tol of the
 * absolute tolerance; at most 48 bisections deep and MAX_PIECES rule
 * applications per integral. */
#define REL 1e-11
#define MAX_PIECES 20000

static double adapt(const integrand *g, double a, double b, double whole, double err, double tol,
                    int depth, int *pieces) {
    if (err <= tol || err <= REL * fabs(whole) || depth == 0 || *pieces <= 0) return whole;
    double m = 0.5 * (a + b), e1, e2;
    double l = gk15(g, a, m, &e1), r = gk15(g, m, b, &e2);
    *pieces -= 2;
    return adapt(g, a, m, l, e1, tol / 2, depth - 1, pieces) +
           adapt(g, m, b, r, e2, tol / 2, depth - 1, pieces);
}

/* int_{-s*}^{t - s*} f du, t possibly +INFINITY.  Panels start at
 * +- sigma 2^k around the peak (sigma its curvature scale), so no panel can
 * hide it; the range is cut where the integrand has fallen e^-70 below its
 * peak, and concavity bounds what is left by e^-70 of the integral. */
static double integrate(const integrand *g, double t) {
    if (!(t > 0) || g->phi_star == -INFINITY) return 0;
    const double lo = -g->sp, hi = t - g->sp;
    double d1 = g->lb - g->b, d2 = g->lb * g->theta;
    double sigma = 1 / sqrt(d1 * d1 + d2);
    if (!(sigma > 0) || !isfinite(sigma)) return NAN;

    double end = hi, ref = log_f(g, 0), d = sigma;
    for (int k = 0; k < 4000; k++, d *= 2) {
        if (d >= hi) break;
        if (!isfinite(d)) return NAN;
        double v = log_f(g, d);
        if (v > ref) ref = v;
        if (v <= ref - 70) {
            end = d;
            break;
        }
    }
    if (!isfinite(end)) return NAN;

    double pts[2 * 64 + 3];
    int np = 0;
    pts[np++] = lo;
    int kmax = 0;
    while (kmax < 62 && -ldexp(sigma, kmax) > lo) kmax++;
    for (int k = kmax - 1; k >= 0; k--) {
        double u = -ldexp(sigma, k);
        if (u > pts[np - 1] && u < end) pts[np++] = u;
    }
    if (0 > pts[np - 1] && 0 < end) pts[np++] = 0;
    for (int k = 0; k < 62; k++) {
        double u = ldexp(sigma, k);
        if (u >= end) break;
        if (u > pts[np - 1]) pts[np++] = u;
    }
    pts[np++] = end;

    double total = 0;
    int pieces = MAX_PIECES;
    for (int i = 0; i + 1 < np; i++) {
        double err, whole = gk15(g, pts[i], pts[i + 1], &err);
        total += adapt(g, pts[i], pts[i + 1], whole, err, 1e-17, 48, &pieces);
    }
    return total;
}

/* The queue integral of ea with b = c mu + extra. */
static double queue_integral(const sb_erlang_a *ea, double extra, int moment, double t) {
    const double lambda = ea->lambda, theta = ea->theta, b = ea->c * ea->mu + extra;
    double L = ea->log_p_c + log(ea->c * ea->mu);
    integrand g = {.b = b, .theta = theta, .moment = moment};
    if (lambda > b) {
        g.sp = log(lambda / b) / theta;
        g.lb = b;
        g.phi_star = L + (lambda - b) / theta - b * g.sp;
    } else {
        g.sp = 0;
        g.lb = lambda;
        g.phi_star = L;
    }
    return integrate(&g, t);
}

/* ---- Erlang A: public -------------------------------------------------- */

int sb_erlang_a_solve(sb_erlang_a *ea, int c, double lambda, double mu, double theta) {
    if (!ea || !rates_ok(c, lambda, mu) || !finite_nonneg(theta)) return SB_EINVAL;
    sb_erlang_a r = {.c = c, .lambda = lambda, .mu = mu, .theta = theta};
    double a = lambda / mu;

    if (lambda == 0) {
        r.log_p_c = -INFINITY;
        *ea = r;
        return SB_OK;
    }
    if (theta == 0) {
        if (a >= c) {
            r.p_wait = 1;
            r.occupancy = 1;
            r.mean_queue = r.mean_wait = r.asa = INFINITY;
            r.log_p_c = -INFINITY;
        } else {
            double pw = sb_erlang_c(c, a);
            r.p_wait = pw;
            r.mean_queue = pw * a / (c - a);
            r.mean_wait = r.asa = pw / (mu * (c - a));
            r.occupancy = a / c;
            r.log_p_c = log(pw * (c - a) / c); /* P(N=c) = C (1 - a/c) */
        }
        *ea = r;
        return SB_OK;
    }

    /* The mode: the last state whose birth ratio lambda / death(n) >= 1. */
    int64_t m;
    if (a < c) {
        m = (int64_t)floor(a);
    } else {
        double x = fmax(0, floor((lambda - c * mu) / theta));
        if (x >= (double)SB_ERLANG_A_MAX_STATES) return SB_ELIMIT;
        m = c + (int64_t)x;
    }
    chain ch = {.c = c, .lambda = lambda, .mu = mu, .theta = theta, .wc = -1};
    int64_t budget = SB_ERLANG_A_MAX_STATES;
    int st = chain_sum(&ch, m, &budget);
    if (st != SB_OK) return st;

    double s0 = ks_val(&ch.s0);
    double log_wc = ch.wc > 0 ? log(ch.wc) : c < m ? log_wc_below_mode(&ch, m) : -INFINITY;
    r.log_p_c = log_wc - log(s0);
    r.p_wait = clamp01(ks_val(&ch.sw) / s0);
    r.mean_queue = ks_val(&ch.sq) / s0;
    r.mean_wait = r.mean_queue / lambda;
    r.p_abandon = clamp01(theta * r.mean_queue / lambda);
    r.occupancy = clamp01(ks_val(&ch.sb) / (c * s0));
    /* E[wait; answered] = int_0^inf s h(s) ds, h the answered density. */
    double answered = 1 - r.p_abandon;
    r.asa = answered > 0 ? queue_integral(&r, theta, 1, INFINITY) / answered : INFINITY;
    if (isnan(r.asa)) return SB_ELIMIT;
    *ea = r;
    return SB_OK;
}

double sb_erlang_a_answered_within(const sb_erlang_a *ea, double t) {
    if (!ea || isnan(t)) return NAN;
    if (t < 0) return 0;
    if (ea->lambda == 0) return 1;
    if (ea->theta == 0) return sb_erlang_c_sl(ea->c, ea->lambda, ea->mu, t);
    return clamp01(1 - ea->p_wait + queue_integral(ea, ea->theta, 0, t));
}

/* A waiting arrival is still waiting at s with probability
 * W(s) = e^{-theta s} (p_wait - G(s)), G(s) = P(wait, offered wait <= s);
 * abandoned by t: theta int_0^t W, which integrates by parts to
 * (1 - e^{-theta t}) p_wait + e^{-theta t} G(t) - H(t), H(t) = P(answered
 * from the queue within t). */
double sb_erlang_a_abandoned_within(const sb_erlang_a *ea, double t) {
    if (!ea || isnan(t)) return NAN;
    if (t <= 0 || ea->lambda == 0 || ea->theta == 0) return 0;
    double e = exp(-ea->theta * t);
    double v = -expm1(-ea->theta * t) * ea->p_wait - queue_integral(ea, ea->theta, 0, t);
    if (e > 0) v += e * queue_integral(ea, 0, 0, t);
    return v < 0 ? 0 : v > ea->p_abandon ? ea->p_abandon : v;
}

double sb_erlang_a_sl(const sb_erlang_a *ea, double t, double short_abandon) {
    if (!ea || isnan(t) || isnan(short_abandon)) return NAN;
    double den = 1 - sb_erlang_a_abandoned_within(ea, short_abandon);
    return den > 0 ? clamp01(sb_erlang_a_answered_within(ea, t) / den) : 0;
}

/* ---- Staffing ------------------------------------------------------------ */

typedef enum { C_SL, C_ASA, A_SL, A_ABANDON, A_ASA } staff_kind;

typedef struct staff {
    staff_kind kind;
    double lambda, mu, theta, t, target;
} staff;

static bool meets(const staff *x, int c) {
    double a = x->lambda / x->mu;
    switch (x->kind) {
    case C_SL: return a < c && sb_erlang_c_sl(c, x->lambda, x->mu, x->t) >= x->target;
    case C_ASA: return a < c && sb_erlang_c_asa(c, x->lambda, x->mu) <= x->target;
    default: break;
    }
    sb_erlang_a ea;
    if (sb_erlang_a_solve(&ea, c, x->lambda, x->mu, x->theta) != SB_OK) return false;
    switch (x->kind) {
    case A_SL: return sb_erlang_a_sl(&ea, x->t, 0) >= x->target;
    case A_ABANDON: return ea.p_abandon <= x->target;
    default: return ea.asa <= x->target;
    }
}

/* The least c in (fail, max_c] that meets x, given that fail does not
 * (fail = 0 stands for "no agents"): gallop, then bisect. */
static int staff_search(const staff *x, double fail, int max_c) {
    if (fail >= max_c) return SB_ELIMIT;
    int lo = (int)fail, hi;
    int64_t step = 1;
    for (;;) {
        int64_t cand = lo + step;
        if (cand > max_c) cand = max_c;
        if (meets(x, (int)cand)) {
            hi = (int)cand;
            break;
        }
        if (cand == max_c) return SB_ELIMIT;
        lo = (int)cand;
        step *= 2;
    }
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        if (meets(x, mid))
            hi = mid;
        else
            lo = mid;
    }
    return hi;
}

static bool staff_args_ok(double lambda, double mu, double theta, int max_c) {
    return finite_nonneg(lambda) && finite_pos(mu) && finite_nonneg(theta) && max_c >= 1;
}

static bool fraction_ok(double p) { return p > 0 && p < 1; }

int sb_erlang_c_staff_sl(double lambda, double mu, double t, double target, int max_c) {
    if (!staff_args_ok(lambda, mu, 0, max_c) || !finite_nonneg(t) || !fraction_ok(target))
        return SB_EINVAL;
    staff x = {.kind = C_SL, .lambda = lambda, .mu = mu, .t = t, .target = target};
    return staff_search(&x, floor(lambda / mu), max_c);
}

int sb_erlang_c_staff_asa(double lambda, double mu, double max_asa, int max_c) {
    if (!staff_args_ok(lambda, mu, 0, max_c) || !finite_pos(max_asa)) return SB_EINVAL;
    staff x = {.kind = C_ASA, .lambda = lambda, .mu = mu, .target = max_asa};
    return staff_search(&x, floor(lambda / mu), max_c);
}

int sb_erlang_a_staff_sl(double lambda, double mu, double theta, double t, double target,
                         int max_c) {
    if (!staff_args_ok(lambda, mu, theta, max_c) || !finite_nonneg(t) || !fraction_ok(target))
        return SB_EINVAL;
    staff x = {.kind = A_SL, .lambda = lambda, .mu = mu, .theta = theta, .t = t,
               .target = target};
    return staff_search(&x, 0, max_c);
}

int sb_erlang_a_staff_abandon(double lambda, double mu, double theta, double max_abandon,
                              int max_c) {
    /* theta = 0 never abandons, however few the agents: not a question. */
    if (!staff_args_ok(lambda, mu, theta, max_c) || !(theta > 0) || !fraction_ok(max_abandon))
        return SB_EINVAL;
    staff x = {.kind = A_ABANDON, .lambda = lambda, .mu = mu, .theta = theta,
               .target = max_abandon};
    return staff_search(&x, 0, max_c);
}

int sb_erlang_a_staff_asa(double lambda, double mu, double theta, double max_asa, int max_c) {
    if (!staff_args_ok(lambda, mu, theta, max_c) || !finite_pos(max_asa)) return SB_EINVAL;
    staff x = {.kind = A_ASA, .lambda = lambda, .mu = mu, .theta = theta, .target = max_asa};
    return staff_search(&x, 0, max_c);
}
