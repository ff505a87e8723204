/* erlang.h: queueing formulas for the simulator and the staffing commands.
 *
 * Two models, both with Poisson arrivals (rate lambda), exponential
 * handling times (rate mu = 1 / mean handle time), c identical agents and
 * one FCFS queue of unlimited size:
 *
 *   Erlang C  M/M/c     callers wait forever;
 *   Erlang A  M/M/c+M   callers abandon after an exponential patience of
 *                       rate theta = 1 / mean patience.
 *
 * Units: times in seconds, rates per second, everything double.  The
 * offered load is A = lambda / mu Erlangs.  Every function is pure (no I/O,
 * no allocation, no global state) and reentrant.
 *
 * Invalid arguments (c < 1, a negative, NaN or infinite rate, mu <= 0)
 * make the double-valued functions return NaN and the int-valued ones
 * return SB_EINVAL.  Staffing functions return the agent count (>= 1) or a
 * negative sb_status. */
#ifndef SB_SIM_ERLANG_H
#define SB_SIM_ERLANG_H

/* ---- Erlang B / Erlang C ------------------------------------------------ */

/* Erlang B: the probability that an arrival to an M/M/c/c loss system with
 * offered load a Erlangs finds all c agents busy.  Computed with the stable
 * recursion B(k) = a B(k-1) / (k + a B(k-1)), O(c), for any c >= 1. */
double sb_erlang_b(int c, double a);

/* Erlang C: the probability that an arrival must wait (finds all c agents
 * busy) in M/M/c with offered load a Erlangs, C = c B / (c - a (1 - B)).
 * 1 when a >= c (no steady state: everybody waits).  Stable for large c
 * (c = 2000, a = 1900 is fine). */
double sb_erlang_c(int c, double a);

/* Erlang C average speed of answer, the mean wait of all callers (all are
 * answered): C / (c mu - lambda) seconds.  +INFINITY when lambda >= c mu. */
double sb_erlang_c_asa(int c, double lambda, double mu);

/* Erlang C service level: P(wait <= t) = 1 - C exp(-(c mu - lambda) t) for
 * t >= 0 seconds; 0 when lambda >= c mu or t < 0. */
double sb_erlang_c_sl(int c, double lambda, double mu, double t);

/* Agent occupancy a / c, capped at 1 (when a >= c agents are always busy). */
double sb_erlang_c_occupancy(int c, double a);

/* ---- Erlang A ------------------------------------------------------------ */

/* Largest number of birth-death states sb_erlang_a_solve() sums, and
 * largest distance (lambda - c mu) / theta from c to the mode of the
 * distribution; beyond (an enormous queue: overload, or load within ~1e-6
 * of capacity, with nearly infinite patience) it returns SB_ELIMIT. */
#define SB_ERLANG_A_MAX_STATES (1L << 26)

/* A solved M/M/c+M system: the inputs, copied, and the stationary results.
 * Fill it with sb_erlang_a_solve(); then the *_within() functions below
 * answer waiting-time questions from it without re-solving. */
typedef struct sb_erlang_a {
    /* inputs */
    int c;          /* agents, >= 1 */
    double lambda;  /* arrival rate, per second, >= 0 */
    double mu;      /* service rate, per second, > 0 */
    double theta;   /* abandonment rate, per second, >= 0 (0: Erlang C) */
    /* results, for a random arrival (PASTA) or in time average */
    double p_wait;     /* P(arrival finds all c busy) = P(N >= c) */
    double p_abandon;  /* P(arrival abandons) = theta E[(N-c)^+] / lambda */
    double mean_queue; /* E[(N-c)^+], the mean number waiting */
    double mean_wait;  /* mean time in queue of all arrivals, answered or
                        * abandoned (Little): mean_queue / lambda */
    double asa;        /* mean wait of the answered callers:
                        * E[wait; answered] / P(answered) */
    double occupancy;  /* E[min(N, c)] / c = lambda (1 - p_abandon) / (c mu) */
    double log_p_c;    /* ln P(N = c), used by the *_within() functions */
} sb_erlang_a;

/* Solve the Erlang A model exactly from its birth-death chain (state n =
 * number in system, birth rate lambda, death rate min(n,c) mu +
 * max(n-c,0) theta).  The stationary distribution is summed outwards from
 * its mode with every weight relative to the mode (no overflow), and
 * truncated where a geometric bound puts the rest of the tail below 1e-17
 * of the total (and of the first moment).  The asa is the exact integral
 * described at sb_erlang_a_answered_within().
 *
 * theta = 0 is Erlang C (exact closed forms); if also lambda >= c mu there
 * is no steady state: p_wait = 1, occupancy = 1, p_abandon = 0 and the
 * queue and waits are +INFINITY.  lambda = 0 gives an idle system (all 0).
 *
 * Returns SB_OK, SB_EINVAL for bad arguments (*ea is then unchanged) or
 * SB_ELIMIT (see SB_ERLANG_A_MAX_STATES).  Cost O(c + states in the bulk of
 * the distribution) plus one quadrature: about 10-30 microseconds for
 * c = 2000.  Accuracy: about 1e-15 relative for the chain sums (truncation
 * below 1e-17); for P(N = c), and so for the integrals, about 1e-16 times
 * |ln P(N = c)|, which only matters in heavy overload with tiny theta. */
int sb_erlang_a_solve(sb_erlang_a *ea, int c, double lambda, double mu, double theta);

/* P(an arrival is answered after waiting at most t seconds), over all
 * arrivals: those answered at once plus those answered from the queue
 * within t.  0 for t < 0; tends to 1 - p_abandon as t grows.
 *
 * Exact up to quadrature error.  Derivation: an arrival finding j >= 0
 * callers waiting reaches an agent after V_j, a sum of independent
 * exponentials of rates c mu + i theta, i = 0..j (the head leaves for an
 * agent or any of the i ahead abandons); it is answered iff its own
 * patience outlasts V_j.  With P(N = c + j) = P(N = c) prod_{i<=j}
 * lambda / (c mu + i theta) and the closed-form density of V_j, the sum over
 * j collapses to
 *
 *   P(answered from queue within t) = P(N = c) c mu
 *       * int_0^t exp(-(c mu + theta) s + (lambda / theta)(1 - e^{-theta s})) ds,
 *
 * a log-concave integrand, written around its peak so that no large terms
 * cancel, integrated by adaptive Gauss-Kronrod (7/15) on panels placed
 * geometrically around the peak and cut where the rest is below e^-70 of
 * it: relative error about 1e-13 (checked against 40-digit references),
 * plus that of P(N = c) (see sb_erlang_a_solve()).  A few microseconds.
 * With theta = 0 it is the Erlang C service level. */
double sb_erlang_a_answered_within(const sb_erlang_a *ea, double t);

/* P(an arrival abandons after waiting at most t seconds) ("short
 * abandons" when t is the short-abandon threshold); tends to p_abandon as
 * t grows.  Same method and accuracy as sb_erlang_a_answered_within(). */
double sb_erlang_a_abandoned_within(const sb_erlang_a *ea, double t);

/* The product's service level: answered within t / (answered + abandoned
 * - abandoned within short_abandon).  Every arrival is eventually answered
 * or abandons, so this is
 *
 *   answered_within(t) / (1 - abandoned_within(short_abandon)),
 *
 * and with short_abandon = 0 it is plain answered_within(t), the share of
 * ALL arrivals answered within t (abandoned callers count as failures). */
double sb_erlang_a_sl(const sb_erlang_a *ea, double t, double short_abandon);

/* ---- Staffing ------------------------------------------------------------ */

/* Each returns the least c in [1, max_c] meeting the target, found by a
 * galloping then binary search (the criteria are monotone in c), SB_ELIMIT
 * if even max_c does not meet it, or SB_EINVAL for bad arguments (a target
 * out of range, max_c < 1).  An Erlang A c whose solve exceeds the state
 * budget (a hopelessly overloaded c) counts as failing the target. */

/* Least c with lambda < c mu and Erlang C SL(t) >= target (0 < target < 1,
 * t >= 0 seconds), e.g. target 0.8, t 20 for "80 % within 20 s". */
int sb_erlang_c_staff_sl(double lambda, double mu, double t, double target, int max_c);

/* Least c with lambda < c mu and Erlang C ASA <= max_asa seconds (> 0). */
int sb_erlang_c_staff_asa(double lambda, double mu, double max_asa, int max_c);

/* Least c with Erlang A sb_erlang_a_sl(t, 0) >= target (0 < target < 1):
 * answered within t over all arrivals. */
int sb_erlang_a_staff_sl(double lambda, double mu, double theta, double t, double target,
                         int max_c);

/* Least c with Erlang A p_abandon <= max_abandon (0 < max_abandon < 1). */
int sb_erlang_a_staff_abandon(double lambda, double mu, double theta, double max_abandon,
                              int max_c);

/* Least c with Erlang A asa (mean wait of answered callers) <= max_asa
 * seconds (> 0). */
int sb_erlang_a_staff_asa(double lambda, double mu, double theta, double max_asa, int max_c);

#endif
