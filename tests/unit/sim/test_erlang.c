/* test_erlang.c: src/sim/erlang.c against textbook values, closed forms,
 * independent direct formulas, high-precision references and seeded
 * Monte Carlo simulations of the M/M/c+M queue. */
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "base/rand.h"
#include "base/status.h"
#include "sim/erlang.h"
#include "unit/test.h"

/* |got - want| <= rel |want| + abs, with a readable failure. */
#define assert_close(got, want, rel, abs_)                                          \
    do {                                                                            \
        double g_ = (got), w_ = (want);                                             \
        if (!(fabs(g_ - w_) <= (rel) * fabs(w_) + (abs_))) {                        \
            print_error("%s = %.17g, want %.17g (rel %g abs %g)\n", #got, g_, w_,   \
                        (double)(rel), (double)(abs_));                             \
            fail();                                                                 \
        }                                                                           \
    } while (0)

#define assert_in01(x)                                                              \
    do {                                                                            \
        double x_ = (x);                                                            \
        if (!(x_ >= 0 && x_ <= 1)) {                                                \
            print_error("%s = %.17g not in [0, 1]\n", #x, x_);                      \
            fail();                                                                 \
        }                                                                           \
    } while (0)

/* ---- Erlang C ------------------------------------------------------------ */

/* Exact values (rational arithmetic, independent of the B recursion). */
static void test_erlang_c_textbook(void **state) {
    (void)state;
    assert_close(sb_erlang_c(3, 2), 4.0 / 9.0, 1e-14, 0);
    assert_close(sb_erlang_c(2, 1), 1.0 / 3.0, 1e-14, 0); /* M/M/2: A^2 / (2 + A) */
    assert_close(sb_erlang_c(1, 0.5), 0.5, 1e-14, 0);     /* M/M/1: rho */
    assert_close(sb_erlang_c(1, 0.9), 0.9, 1e-14, 0);
    assert_close(sb_erlang_b(3, 2), 4.0 / 19.0, 1e-14, 0);
    /* The 10-Erlang table: 100 calls per half hour of 180 s each. */
    static const struct {
        int c;
        double want;
    } ten[] = {{11, 0.6821182046893324}, {12, 0.44938822429827086},
               {13, 0.28527045303649295}, {14, 0.17413193359504983},
               {15, 0.10204236700798801}};
    for (size_t i = 0; i < sizeof ten / sizeof ten[0]; i++)
        assert_close(sb_erlang_c(ten[i].c, 10), ten[i].want, 1e-13, 0);
    assert_close(sb_erlang_c(60, 50), 0.11730205613220741, 1e-13, 0);
    /* ... with 14 agents: 88.8 % answered within 20 s, ASA 7.84 s. */
    double lambda = 100.0 / 1800, mu = 1.0 / 180;
    assert_close(sb_erlang_c_sl(14, lambda, mu, 20), 0.8883500191794669, 1e-12, 0);
    assert_close(sb_erlang_c_asa(14, lambda, mu), 7.835937011777242, 1e-12, 0);
    assert_close(sb_erlang_c_occupancy(14, 10), 10.0 / 14, 1e-15, 0);
    assert_close(sb_erlang_c_sl(14, lambda, mu, 0), 1 - 0.17413193359504983, 1e-13, 0);
}

/* The direct formula in long double: C = T / (sum_{k<c} A^k/k! + T),
 * T = A^c / c! * c / (c - A); B = (A^c/c!) / sum_{k<=c} A^k/k!. */
static void test_erlang_c_vs_direct(void **state) {
    (void)state;
    static const double frac[] = {0.01, 0.3, 0.5, 0.8, 0.95, 0.999};
    for (int c = 1; c <= 60; c++) {
        for (size_t i = 0; i < sizeof frac / sizeof frac[0]; i++) {
            long double a = (long double)(frac[i] * c), term = 1, sum = 0;
            for (int k = 0; k < c; k++) {
                sum += term;
                term = term * a / (k + 1);
            }
            long double top = term * c / (c - a);
            double want_c = (double)(top / (sum + top));
            double want_b = (double)(term / (sum + term));
            assert_close(sb_erlang_c(c, (double)a), want_c, 1e-12, 0);
            assert_close(sb_erlang_b(c, (double)a), want_b, 1e-12, 0);
        }
    }
}

static void test_erlang_c_edges(void **state) {
    (void)state;
    assert_true(sb_erlang_c(3, 3) == 1.0);
    assert_true(sb_erlang_c(3, 7.5) == 1.0);
    assert_true(sb_erlang_c(3, 0) == 0.0);
    assert_true(isinf(sb_erlang_c_asa(3, 3, 1)));
    assert_true(sb_erlang_c_sl(3, 3, 1, 100) == 0.0);
    assert_true(sb_erlang_c_sl(3, 2, 1, -1) == 0.0);
    assert_true(sb_erlang_c_sl(3, 2, 1, INFINITY) == 1.0);
    assert_true(sb_erlang_c_asa(3, 0, 1) == 0.0);
    assert_true(sb_erlang_c_occupancy(3, 4) == 1.0);
    assert_true(isnan(sb_erlang_c(0, 1)));
    assert_true(isnan(sb_erlang_c(2, -1)));
    assert_true(isnan(sb_erlang_c(2, NAN)));
    assert_true(isnan(sb_erlang_b(2, INFINITY)));
    assert_true(isnan(sb_erlang_c_asa(2, 1, 0)));
    assert_true(isnan(sb_erlang_c_sl(2, 1, 1, NAN)));
    /* SL rises with t and with c; ASA falls with c. */
    double prev = -1;
    for (double t = 0; t <= 120; t += 5) {
        double sl = sb_erlang_c_sl(12, 10.0 / 180, 1.0 / 180, t);
        assert_true(sl > prev);
        prev = sl;
    }
    for (int c = 11; c < 30; c++) {
        assert_true(sb_erlang_c_sl(c + 1, 10.0 / 180, 1.0 / 180, 20) >
                    sb_erlang_c_sl(c, 10.0 / 180, 1.0 / 180, 20));
        assert_true(sb_erlang_c_asa(c + 1, 10.0 / 180, 1.0 / 180) <
                    sb_erlang_c_asa(c, 10.0 / 180, 1.0 / 180));
    }
}

/* Large c: finite, in [0, 1], equal to the exact rational value. */
static void test_erlang_c_large(void **state) {
    (void)state;
    double pw = sb_erlang_c(2000, 1900);
    assert_in01(pw);
    assert_close(pw, 0.013406437303190343, 1e-11, 0);
    assert_close(sb_erlang_c(500, 490.5), 0.56486079446295, 1e-11, 0);
    double lambda = 1900.0 / 180, mu = 1.0 / 180;
    double asa = sb_erlang_c_asa(2000, lambda, mu), sl = sb_erlang_c_sl(2000, lambda, mu, 20);
    assert_true(isfinite(asa) && asa > 0);
    assert_in01(sl);
    assert_in01(sb_erlang_c(20000, 19990));
    assert_in01(sb_erlang_b(20000, 19990));
}

/* ---- Erlang A: references ------------------------------------------------ */

static sb_erlang_a solve(int c, double lambda, double mu, double theta) {
    sb_erlang_a ea;
    memset(&ea, 0, sizeof ea);
    int st = sb_erlang_a_solve(&ea, c, lambda, mu, theta);
    if (st != SB_OK) {
        print_error("solve(%d, %g, %g, %g) = %d\n", c, lambda, mu, theta, st);
        fail();
    }
    return ea;
}

/* 40-digit references from mpmath: the chain summed to far past the tail,
 * the waiting-time probabilities from the matrix exponential of the tagged
 * caller's absorbing chain (states "j ahead", "answered", "abandoned"), the
 * asa from that chain's fundamental matrix: all independent of the
 * closed-form integral the code uses. */
static void test_erlang_a_reference(void **state) {
    (void)state;
    static const struct {
        int c;
        double lambda, mu, theta, t;
        double pw, lq, pab, occ, ans, abw, asa;
    } ref[] = {
        {5, 4.5 / 180, 1.0 / 180, 1.0 / 180, 20, 0.46789642362528455, 0.62018608061791758,
         0.13781912902620391, 0.77596278387641648, 0.61877136680610567,
         0.044416276014089602, 21.23589849953469},
        {1, 0.8, 1, 1, 0.7, 0.55067103588277844, 0.24932896411722161, 0.31166120514652701,
         0.55067103588277844, 0.61231257073591205, 0.22488377522904943, NAN},
        {10, 30, 1, 0.5, 0.3, 0.99999999938453521, 40.000000001699931, 0.66666666669499886,
         0.99999999991500355, 1.4915599632301144e-07, 0.13929201928958035,
         2.147641140278005},
        {3, 2, 1, 0.25, 1.5, 0.38277765345789733, 0.44400089510313917,
         0.055500111887892396, 0.62966659207473841, 0.92172348316609898,
         0.052505201815124955, 0.2036719060750963},
    };
    for (size_t i = 0; i < sizeof ref / sizeof ref[0]; i++) {
        sb_erlang_a e = solve(ref[i].c, ref[i].lambda, ref[i].mu, ref[i].theta);
        assert_close(e.p_wait, ref[i].pw, 1e-13, 0);
        assert_close(e.mean_queue, ref[i].lq, 1e-13, 0);
        assert_close(e.p_abandon, ref[i].pab, 1e-13, 0);
        assert_close(e.occupancy, ref[i].occ, 1e-13, 0);
        assert_close(e.mean_wait, ref[i].lq / ref[i].lambda, 1e-13, 0);
        assert_close(sb_erlang_a_answered_within(&e, ref[i].t), ref[i].ans, 1e-12, 1e-15);
        assert_close(sb_erlang_a_abandoned_within(&e, ref[i].t), ref[i].abw, 1e-12, 1e-15);
        if (!isnan(ref[i].asa)) assert_close(e.asa, ref[i].asa, 1e-12, 0);
    }
    /* c = 2000, chain only (exact summation in mpmath). */
    sb_erlang_a e = solve(2000, 1900.0 / 180, 1.0 / 180, 1.0 / 60);
    assert_close(e.p_wait, 0.0099784272973054318, 1e-11, 0);
    assert_close(e.mean_queue, 0.11581973014684986, 1e-11, 0);
    assert_close(e.p_abandon, 0.00018287325812660503, 1e-11, 0);
    e = solve(2000, 2100.0 / 180, 1.0 / 180, 1.0 / 600);
    assert_close(e.p_wait, 0.99997359762068061, 1e-11, 0);
    assert_close(e.mean_queue, 333.33476609820758, 1e-11, 0);
    assert_close(e.p_abandon, 0.047619252299743939, 1e-11, 0);
}

/* theta = mu makes every death rate n mu: N is Poisson(A) whatever c (the
 * M/M/inf chain), which gives closed forms; for c = 1 the answered-within
 * integral is elementary too. */
static void test_erlang_a_poisson_case(void **state) {
    (void)state;
    static const int cs[] = {1, 2, 5, 20};
    static const double loads[] = {0.3, 0.8, 1.0, 2.5, 4.5, 18, 30};
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++) {
        for (size_t j = 0; j < sizeof loads / sizeof loads[0]; j++) {
            int c = cs[i];
            double a = loads[j], mu = 1.0 / 180;
            sb_erlang_a e = solve(c, a * mu, mu, mu);
            /* Poisson pmf by its recursion, summed in long double. */
            long double p = expl(-(long double)a), below = 0, busy = 0, q = 0;
            for (int n = 0; n < 400; n++) {
                if (n < c) {
                    below += p;
                    busy += n * p;
                } else {
                    busy += c * p;
                    q += (n - c) * p;
                }
                p = p * a / (n + 1);
            }
            assert_close(e.p_wait, (double)(1 - below), 1e-12, 1e-16);
            assert_close(e.mean_queue, (double)q, 1e-12, 1e-16);
            assert_close(e.occupancy, (double)(busy / c), 1e-12, 0);
            assert_close(e.p_abandon, (double)(q / a), 1e-12, 1e-16);
        }
    }
    /* c = 1: answered within t = e^-A + pi_1 int_{x0}^1 x e^{A(1-x)} dx,
     * x0 = e^{-mu t}, pi_1 = A e^-A. */
    static const double ts[] = {0, 0.1, 0.7, 2, 10};
    for (size_t j = 0; j < sizeof loads / sizeof loads[0]; j++) {
        double a = loads[j];
        sb_erlang_a e = solve(1, a, 1, 1);
        for (size_t k = 0; k < sizeof ts / sizeof ts[0]; k++) {
            double x0 = exp(-ts[k]);
            double integral = -1 / a - 1 / (a * a) + exp(a * (1 - x0)) * (x0 / a + 1 / (a * a));
            double want = exp(-a) + a * exp(-a) * integral;
            assert_close(sb_erlang_a_answered_within(&e, ts[k]), want, 1e-11, 1e-15);
        }
    }
}

/* theta -> 0 is Erlang C; theta = 0 is Erlang C exactly. */
static void test_erlang_a_tiny_theta(void **state) {
    (void)state;
    static const struct {
        int c;
        double a;
    } cases[] = {{3, 2}, {1, 0.5}, {14, 10}, {50, 45}, {200, 180}};
    double mu = 1.0 / 180;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int c = cases[i].c;
        double a = cases[i].a, lambda = a * mu;
        double pw = sb_erlang_c(c, a), asa = sb_erlang_c_asa(c, lambda, mu);
        sb_erlang_a e = solve(c, lambda, mu, 1e-9 * mu);
        assert_close(e.p_wait, pw, 1e-6, 0);
        assert_close(e.mean_wait, asa, 1e-6, 0);
        assert_close(e.asa, asa, 1e-6, 0);
        assert_close(e.occupancy, a / c, 1e-6, 0);
        assert_true(e.p_abandon < 1e-6);
        for (double t = 0; t <= 60; t += 15)
            assert_close(sb_erlang_a_answered_within(&e, t), sb_erlang_c_sl(c, lambda, mu, t),
                         1e-6, 0);
        e = solve(c, lambda, mu, 0);
        assert_close(e.p_wait, pw, 1e-15, 0);
        assert_close(e.asa, asa, 1e-15, 0);
        assert_true(e.p_abandon == 0);
        assert_close(sb_erlang_a_answered_within(&e, 20), sb_erlang_c_sl(c, lambda, mu, 20),
                     1e-15, 0);
    }
}

/* Identities tying the chain sums to the waiting-time integrals. */
static void check_consistency(int c, double lambda, double mu, double theta) {
    sb_erlang_a e = solve(c, lambda, mu, theta);
    assert_in01(e.p_wait);
    assert_in01(e.p_abandon);
    assert_in01(e.occupancy);
    assert_true(e.p_abandon <= e.p_wait);
    assert_true(isfinite(e.mean_queue) && isfinite(e.asa) && e.asa >= 0);
    /* Served work: lambda (1 - P(ab)) = c mu occupancy. */
    assert_close(e.occupancy, lambda * (1 - e.p_abandon) / (c * mu), 1e-10, 1e-14);
    /* Integrals at infinity against the chain. */
    assert_close(sb_erlang_a_answered_within(&e, INFINITY), 1 - e.p_abandon, 1e-10, 1e-14);
    assert_close(sb_erlang_a_abandoned_within(&e, INFINITY), e.p_abandon, 1e-9, 1e-14);
    assert_close(sb_erlang_a_answered_within(&e, 0), 1 - e.p_wait, 0, 1e-15);
    /* Monotone in t, SL with short abandons at least the plain one. */
    double prev_ans = -1, prev_ab = -1;
    for (double t = 0; t <= 600; t += 7.5) {
        double ans = sb_erlang_a_answered_within(&e, t), ab = sb_erlang_a_abandoned_within(&e, t);
        assert_in01(ans);
        assert_in01(ab);
        assert_true(ans >= prev_ans - 1e-15 && ab >= prev_ab - 1e-15);
        assert_true(ans + ab <= 1 + 1e-12);
        assert_true(sb_erlang_a_sl(&e, t, 5) >= ans);
        assert_close(sb_erlang_a_sl(&e, t, 0), ans, 1e-15, 0);
        prev_ans = ans;
        prev_ab = ab;
    }
}

static void test_erlang_a_consistency(void **state) {
    (void)state;
    static const double rhos[] = {0.2, 0.7, 0.95, 1.0, 1.3, 3};
    static const int cs[] = {1, 3, 10, 57, 300};
    static const double patience[] = {5, 60, 180, 3600};
    double mu = 1.0 / 240;
    for (size_t i = 0; i < sizeof cs / sizeof cs[0]; i++)
        for (size_t j = 0; j < sizeof rhos / sizeof rhos[0]; j++)
            for (size_t k = 0; k < sizeof patience / sizeof patience[0]; k++)
                check_consistency(cs[i], rhos[j] * cs[i] * mu, mu, 1 / patience[k]);
}

/* c = 2000 near and past capacity: finite, in range, consistent. */
static void test_erlang_a_large(void **state) {
    (void)state;
    double mu = 1.0 / 180;
    check_consistency(2000, 1900 * mu, mu, 1.0 / 60);
    check_consistency(2000, 1999 * mu, mu, 1.0 / 600);
    check_consistency(2000, 2400 * mu, mu, 1.0 / 120);
    sb_erlang_a e = solve(2000, 1900 * mu, mu, 1e-6);
    assert_close(e.p_wait, sb_erlang_c(2000, 1900), 1e-3, 0);
}

static void test_erlang_a_edges(void **state) {
    (void)state;
    sb_erlang_a e;
    assert_int_equal(sb_erlang_a_solve(&e, 0, 1, 1, 1), SB_EINVAL);
    assert_int_equal(sb_erlang_a_solve(&e, 2, -1, 1, 1), SB_EINVAL);
    assert_int_equal(sb_erlang_a_solve(&e, 2, 1, 0, 1), SB_EINVAL);
    assert_int_equal(sb_erlang_a_solve(&e, 2, 1, 1, -1), SB_EINVAL);
    assert_int_equal(sb_erlang_a_solve(&e, 2, 1, 1, NAN), SB_EINVAL);
    assert_int_equal(sb_erlang_a_solve(NULL, 2, 1, 1, 1), SB_EINVAL);
    /* Overload with practically infinite patience: beyond the budget. */
    assert_int_equal(sb_erlang_a_solve(&e, 1, 2, 1, 1e-12), SB_ELIMIT);
    /* No arrivals. */
    e = solve(4, 0, 1, 1);
    assert_true(e.p_wait == 0 && e.p_abandon == 0 && e.occupancy == 0 && e.asa == 0);
    assert_true(sb_erlang_a_answered_within(&e, 0) == 1);
    /* No abandonment, overloaded: no steady state. */
    e = solve(4, 5, 1, 0);
    assert_true(e.p_wait == 1 && e.occupancy == 1 && isinf(e.asa) && isinf(e.mean_queue));
    assert_true(sb_erlang_a_answered_within(&e, 1e6) == 0);
    /* Negative and NaN times. */
    e = solve(4, 3, 1, 1);
    assert_true(sb_erlang_a_answered_within(&e, -1) == 0);
    assert_true(sb_erlang_a_abandoned_within(&e, -1) == 0);
    assert_true(isnan(sb_erlang_a_answered_within(&e, NAN)));
    assert_true(isnan(sb_erlang_a_sl(&e, 1, NAN)));
}

/* ---- Erlang A: Monte Carlo ------------------------------------------------ */

/* Per-caller outcomes averaged over BATCHES consecutive batches of
 * arrivals; batch means give standard errors that respect the queue's
 * autocorrelation. */
enum { WAITED, ABANDONED, ANS_T1, ANS_T2, AB_SHORT, WAIT_ANSWERED, WAIT_ALL, NMETRIC };
#define BATCHES 40
#define QCAP 4096

typedef struct mc {
    double mean[NMETRIC], se[NMETRIC];
} mc;

typedef struct waiting {
    double arrived;
    long id; /* -1: warm-up caller, not counted */
} waiting;

/* Event-by-event simulation of M/M/c+M, FCFS: by memorylessness the next
 * event is an arrival, a service end or an abandonment of a uniformly
 * chosen waiting caller, with rates lambda, busy mu, queue theta. */
static mc simulate(int c, double lambda, double mu, double theta, double t1, double t2,
                   double t_short, long n, long warmup, uint64_t seed) {
    static waiting q[QCAP];
    static double sum[BATCHES][NMETRIC];
    memset(sum, 0, sizeof sum);
    sb_rand r;
    sb_rand_seed(&r, seed);
    long arrivals = 0, open = 0; /* counted callers not yet answered or gone */
    int busy = 0, qlen = 0;
    double now = 0;
    long per_batch = n / BATCHES;

#define RECORD(id_, waited_, answered_, wait_)                                      \
    do {                                                                            \
        if ((id_) >= 0) {                                                           \
            double *s_ = sum[(id_) / per_batch];                                    \
            s_[WAITED] += (waited_);                                                \
            s_[ABANDONED] += !(answered_);                                          \
            s_[ANS_T1] += (answered_) && (wait_) <= t1;                             \
            s_[ANS_T2] += (answered_) && (wait_) <= t2;                             \
            s_[AB_SHORT] += !(answered_) && (wait_) <= t_short;                     \
            s_[WAIT_ANSWERED] += (answered_) ? (wait_) : 0;                         \
            s_[WAIT_ALL] += (wait_);                                                \
            open--;                                                                 \
        }                                                                           \
    } while (0)

    while (arrivals < warmup + n || open > 0) {
        double rate = lambda + busy * mu + qlen * theta;
        now += -log1p(-sb_rand_double(&r)) / rate;
        double u = sb_rand_double(&r) * rate;
        if (u < lambda) {
            long id = -1;
            if (arrivals >= warmup && arrivals < warmup + n) {
                id = arrivals - warmup;
                open++;
            }
            arrivals++;
            if (busy < c) {
                busy++;
                RECORD(id, 0, 1, 0.0);
            } else {
                assert_true(qlen < QCAP);
                q[qlen++] = (waiting){now, id};
            }
        } else if (u < lambda + busy * mu) {
            if (qlen > 0) {
                waiting w = q[0];
                memmove(q, q + 1, (size_t)(qlen - 1) * sizeof q[0]);
                qlen--;
                RECORD(w.id, 1, 1, now - w.arrived);
            } else {
                busy--;
            }
        } else {
            int k = (int)(sb_rand_double(&r) * qlen);
            waiting w = q[k];
            memmove(q + k, q + k + 1, (size_t)(qlen - k - 1) * sizeof q[0]);
            qlen--;
            RECORD(w.id, 1, 0, now - w.arrived);
        }
    }
#undef RECORD

    mc out;
    for (int m = 0; m < NMETRIC; m++) {
        double s = 0, ss = 0;
        for (int b = 0; b < BATCHES; b++) {
            double x = sum[b][m] / per_batch;
            s += x;
            ss += x * x;
        }
        double mean = s / BATCHES, var = (ss - BATCHES * mean * mean) / (BATCHES - 1);
        out.mean[m] = mean;
        out.se[m] = sqrt(var > 0 ? var / BATCHES : 0);
    }
    return out;
}

/* |sim - model| within 4 standard errors (plus a hair for SE ~ 0). */
#define assert_mc(sim, m, want)                                                     \
    do {                                                                            \
        double d_ = fabs((sim).mean[m] - (want)), tol_ = 4 * (sim).se[m] + 1e-9;    \
        if (!(d_ <= tol_)) {                                                        \
            print_error("metric %s: simulated %.6g +- %.2g, model %.6g\n", #m,      \
                        (sim).mean[m], (sim).se[m], (double)(want));                \
            fail();                                                                 \
        }                                                                           \
    } while (0)

static void check_mc(int c, double lambda, double mu, double theta, double t1, double t2,
                     double t_short, uint64_t seed) {
    sb_erlang_a e = solve(c, lambda, mu, theta);
    mc s = simulate(c, lambda, mu, theta, t1, t2, t_short, 200000, 10000, seed);
    assert_mc(s, WAITED, e.p_wait);
    assert_mc(s, ABANDONED, e.p_abandon);
    assert_mc(s, ANS_T1, sb_erlang_a_answered_within(&e, t1));
    assert_mc(s, ANS_T2, sb_erlang_a_answered_within(&e, t2));
    assert_mc(s, AB_SHORT, sb_erlang_a_abandoned_within(&e, t_short));
    assert_mc(s, WAIT_ANSWERED, e.asa * (1 - e.p_abandon));
    assert_mc(s, WAIT_ALL, e.mean_wait);
    /* The checks have teeth: the simulated SE is small against the values. */
    assert_true(s.se[ABANDONED] < 0.05 * e.p_abandon);
    assert_true(s.se[ANS_T1] < 0.02 * sb_erlang_a_answered_within(&e, t1));
}

/* The brief's case: c = 5, load 0.9, theta = mu (AHT 180 s). */
static void test_erlang_a_monte_carlo(void **state) {
    (void)state;
    double mu = 1.0 / 180;
    check_mc(5, 0.9 * 5 * mu, mu, mu, 20, 60, 10, 0x5eed0001);
}

/* theta != mu (not the Poisson special case): c = 5 with patient callers,
 * c = 1 overloaded with impatient ones. */
static void test_erlang_a_monte_carlo_general(void **state) {
    (void)state;
    double mu = 1.0 / 180;
    check_mc(5, 0.9 * 5 * mu, mu, 1.0 / 600, 20, 120, 10, 0x5eed0002);
    check_mc(1, 1.2 * mu, mu, 1.0 / 60, 10, 60, 5, 0x5eed0003);
}

/* ---- Staffing ------------------------------------------------------------ */

static void test_staff_erlang_c(void **state) {
    (void)state;
    double mu = 1.0 / 180;
    /* 100 calls per half hour, 80/20: 13 agents give 79.6 %, 14 give 88.8 %. */
    assert_int_equal(sb_erlang_c_staff_sl(100.0 / 1800, mu, 20, 0.8, 1000), 14);
    int prev_sl = 0, prev_asa = 0;
    for (double a = 0.25; a <= 2000; a *= 1.37) {
        double lambda = a * mu;
        int c = sb_erlang_c_staff_sl(lambda, mu, 20, 0.8, 5000);
        assert_true(c > a);
        assert_true(sb_erlang_c_sl(c, lambda, mu, 20) >= 0.8);
        assert_true(c - 1 <= a || sb_erlang_c_sl(c - 1, lambda, mu, 20) < 0.8);
        assert_true(c >= prev_sl);
        prev_sl = c;
        int d = sb_erlang_c_staff_asa(lambda, mu, 15, 5000);
        assert_true(d > a);
        assert_true(sb_erlang_c_asa(d, lambda, mu) <= 15);
        assert_true(d - 1 <= a || sb_erlang_c_asa(d - 1, lambda, mu) > 15);
        assert_true(d >= prev_asa);
        prev_asa = d;
    }
    /* Stricter targets never need fewer agents. */
    assert_true(sb_erlang_c_staff_sl(50 * mu, mu, 20, 0.9, 1000) >=
                sb_erlang_c_staff_sl(50 * mu, mu, 20, 0.8, 1000));
    assert_int_equal(sb_erlang_c_staff_sl(0, mu, 20, 0.8, 10), 1);
    assert_int_equal(sb_erlang_c_staff_sl(100 * mu, mu, 20, 0.8, 50), SB_ELIMIT);
    assert_int_equal(sb_erlang_c_staff_sl(100 * mu, mu, 20, 0.8, 100), SB_ELIMIT);
    assert_int_equal(sb_erlang_c_staff_sl(100 * mu, mu, 20, 1.0, 1000), SB_EINVAL);
    assert_int_equal(sb_erlang_c_staff_sl(100 * mu, 0, 20, 0.8, 1000), SB_EINVAL);
    assert_int_equal(sb_erlang_c_staff_asa(100 * mu, mu, 0, 1000), SB_EINVAL);
    assert_int_equal(sb_erlang_c_staff_asa(100 * mu, mu, 10, 0), SB_EINVAL);
}

static double a_sl(int c, double lambda, double mu, double theta, double t) {
    sb_erlang_a e = solve(c, lambda, mu, theta);
    return sb_erlang_a_sl(&e, t, 0);
}

static void test_staff_erlang_a(void **state) {
    (void)state;
    double mu = 1.0 / 180, theta = 1.0 / 90;
    int prev_sl = 0, prev_ab = 0, prev_asa = 0;
    for (double a = 0.25; a <= 2000; a *= 1.6) {
        double lambda = a * mu;
        int c = sb_erlang_a_staff_sl(lambda, mu, theta, 20, 0.8, 5000);
        assert_true(c >= 1);
        assert_true(a_sl(c, lambda, mu, theta, 20) >= 0.8);
        assert_true(c == 1 || a_sl(c - 1, lambda, mu, theta, 20) < 0.8);
        assert_true(c >= prev_sl);
        prev_sl = c;

        sb_erlang_a e;
        int d = sb_erlang_a_staff_abandon(lambda, mu, theta, 0.05, 5000);
        assert_true(d >= 1);
        assert_int_equal(sb_erlang_a_solve(&e, d, lambda, mu, theta), SB_OK);
        assert_true(e.p_abandon <= 0.05);
        if (d > 1) {
            assert_int_equal(sb_erlang_a_solve(&e, d - 1, lambda, mu, theta), SB_OK);
            assert_true(e.p_abandon > 0.05);
        }
        assert_true(d >= prev_ab);
        prev_ab = d;

        int s = sb_erlang_a_staff_asa(lambda, mu, theta, 10, 5000);
        assert_true(s >= 1);
        assert_int_equal(sb_erlang_a_solve(&e, s, lambda, mu, theta), SB_OK);
        assert_true(e.asa <= 10);
        if (s > 1) {
            assert_int_equal(sb_erlang_a_solve(&e, s - 1, lambda, mu, theta), SB_OK);
            assert_true(e.asa > 10);
        }
        assert_true(s >= prev_asa);
        prev_asa = s;
    }
    /* Nearly infinite patience: Erlang A staffing tends to Erlang C's. */
    assert_int_equal(sb_erlang_a_staff_sl(10 * mu, mu, 1e-9, 20, 0.8, 1000),
                     sb_erlang_c_staff_sl(10 * mu, mu, 20, 0.8, 1000));
    assert_int_equal(sb_erlang_a_staff_sl(1000 * mu, mu, theta, 20, 0.8, 10), SB_ELIMIT);
    assert_int_equal(sb_erlang_a_staff_abandon(10 * mu, mu, 0, 0.05, 100), SB_EINVAL);
    assert_int_equal(sb_erlang_a_staff_sl(10 * mu, mu, theta, -1, 0.8, 100), SB_EINVAL);
    assert_int_equal(sb_erlang_a_staff_asa(10 * mu, mu, theta, 10, 0), SB_EINVAL);
}

SB_TEST_GROUP(erlang, cmocka_unit_test(test_erlang_c_textbook),
              cmocka_unit_test(test_erlang_c_vs_direct), cmocka_unit_test(test_erlang_c_edges),
              cmocka_unit_test(test_erlang_c_large), cmocka_unit_test(test_erlang_a_reference),
              cmocka_unit_test(test_erlang_a_poisson_case),
              cmocka_unit_test(test_erlang_a_tiny_theta),
              cmocka_unit_test(test_erlang_a_consistency), cmocka_unit_test(test_erlang_a_large),
              cmocka_unit_test(test_erlang_a_edges), cmocka_unit_test(test_erlang_a_monte_carlo),
              cmocka_unit_test(test_erlang_a_monte_carlo_general),
              cmocka_unit_test(test_staff_erlang_c), cmocka_unit_test(test_staff_erlang_a))
