/* route.c: the routing benchmark (build/bench-route, `make bench`).
 *
 * Builds a synthetic contact center through the public core API with a
 * fixed seed and drives it with a virtual clock: arrivals, offers (each
 * accepted at once), completions after a handle time, and the core's own
 * timers.  Three phases, each on a fresh core built the same way, hold a
 * backlog of 0, 10,000 and 100,000 waiting interactions while routing a
 * fixed number of interactions (--routed) or for a fixed time (--seconds).
 *
 * The measured steady state of a phase is two passes: a throughput pass
 * of --rounds rounds of --routed each, with no clock read around single
 * calls, then a latency pass of one round that times every core call.
 * Figures per phase:
 *   routed/s      accepted offers / wall time of a round of the throughput
 *                 pass's loop, the median round's (everything the driver
 *                 does, core calls included; set-up and warm-up excluded);
 *                 the whole pass's too, the latency pass's, and its routed
 *                 per second of time inside core calls
 *   decision      (latency pass) wall time of each single core call that
 *                 produced at least one offer (sb_interaction_create,
 *                 sb_interaction_end, or sb_core_advance when a step
 *                 widened), p50/p99/p99.9
 *   memory        sb_mem_used() deltas: creating the agents (per agent) and
 *                 creating the backlog while no agent is ready (per waiting
 *                 interaction)
 *   host          before and after the phases, the time of a load in walks
 *                 over 8 MiB (the last-level cache the host's other guests
 *                 leave) and 64 MiB (memory): bench/memprobe.c
 *
 * This is a program that prints figures, not a test: it exits non-zero only
 * when the core misbehaves (an unexpected status or event), never because a
 * target is missed.  See bench/README.md. */
#include <inttypes.h>
#include <math.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "base/rand.h"
#include "base/status.h"
#include "core/core.h"
#include "memprobe.h"

/* ---- targets ---------------------------------------------------------- */

#define TARGET_ROUTED_PER_S      500000.0
#define TARGET_P99_NS            20000.0
#define TARGET_BYTES_PER_WAITING 2048.0

/* ---- options ---------------------------------------------------------- */

typedef struct opts {
    uint32_t agents, queues, skills;
    uint64_t routed; /* routed interactions per measured round */
    uint32_t rounds; /* rounds of the throughput pass (1 with --seconds) */
    double seconds;  /* > 0: measure each phase for this wall time instead */
    uint64_t seed;
    bool json;
    bool huge; /* 2 MiB pages asked of the allocator (--huge-pages) */
    bool pin;  /* run on one CPU (--no-pin: wherever the scheduler says) */
    int cpu;   /* the CPU it runs on when pinned, else -1 */
    uint64_t huge_bytes; /* in 2 MiB pages, the most at a phase's end (AnonHugePages) */
    double llc_ns[2], mem_ns[2]; /* the host's walks (8 and 64 MiB) before and after the phases */
    uint32_t nphases;
    uint32_t backlogs[3];
} opts;

#define BIG_BACKLOG 100000u

/* ---- small helpers ---------------------------------------------------- */

static inline uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint32_t rnd_below(sb_rand *r, uint32_t n) {
    return (uint32_t)(sb_rand_next(r) % n);
}
static uint32_t rnd_range(sb_rand *r, uint32_t lo, uint32_t hi) {
    return lo + rnd_below(r, hi - lo + 1);
}
/* Exponential inter-arrival time in ms for a rate per second (>= 1 ms). */
static int64_t rnd_exp_ms(sb_rand *r, double per_s) {
    double u = sb_rand_double(r);
    int64_t ms = (int64_t)(-log(1.0 - u) / per_s * 1000.0);
    return ms < 1 ? 1 : ms;
}

static void *xcalloc(size_t n, size_t size) {
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (p == NULL) {
        fprintf(stderr, "bench-route: out of memory\n");
        exit(2);
    }
    return p;
}

static void *xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (p == NULL) {
        fprintf(stderr, "bench-route: out of memory\n");
        exit(2);
    }
    return p;
}

_Noreturn static void die(const char *what, int rc) {
    fprintf(stderr, "bench-route: %s: %s\n", what, sb_status_name(rc));
    exit(1);
}

/* ---- the synthetic center (generated once, applied to each phase) ------ */

#define MAX_SKILLS_PER_AGENT 12 /* 3-8, plus room for fix-ups */
#define MAX_QUEUES_PER_AGENT 24 /* 5-20, plus room for fix-ups */

typedef struct qspec {
    uint32_t skill;
    uint32_t nsteps;
    int32_t thr[3]; /* agent.skills.sK >= thr[s] */
    int64_t after_ms[3];
    double aging_per_s;
} qspec;

typedef struct aspec {
    uint32_t nskills, nqueues;
    uint32_t skill[MAX_SKILLS_PER_AGENT];
    int32_t level[MAX_SKILLS_PER_AGENT];
    uint32_t queue[MAX_QUEUES_PER_AGENT]; /* queue indices */
} aspec;

typedef struct center {
    uint32_t nagents, nqueues, nskills;
    qspec *q;
    aspec *a;
    /* statistics of the generated membership */
    uint32_t fixups, members_min, members_max, elig0_min;
    double members_mean, elig0_mean, queues_per_agent, skills_per_agent;
    double capacity_per_s; /* rough service capacity (interactions per virtual second) */
    double *qcum;          /* cumulative arrival weights of the queues, last = 1 */
    uint32_t *qguide;      /* QGUIDE entries: the pick for u = k / QGUIDE */
} center;

#define QGUIDE 4096

/* Handle times (ms), uniform: voice 2-8 min, chat 5-15 min (up to 4 at
 * once), email 2-8 min. */
static const int64_t HANDLE_LO[3] = {120000, 300000, 120000};
static const int64_t HANDLE_HI[3] = {480000, 900000, 480000};

static int32_t agent_level(const aspec *a, uint32_t skill) {
    for (uint32_t i = 0; i < a->nskills; i++)
        if (a->skill[i] == skill) return a->level[i];
    return 0;
}

static bool agent_serves(const aspec *a, uint32_t q) {
    for (uint32_t i = 0; i < a->nqueues; i++)
        if (a->queue[i] == q) return true;
    return false;
}

static uint32_t center_search_queue(const center *ct, double u);

static void center_build(center *ct, const opts *o) {
    sb_rand r;
    sb_rand_seed(&r, o->seed);
    ct->nagents = o->agents;
    ct->nqueues = o->queues;
    ct->nskills = o->skills;
    ct->q = xcalloc(ct->nqueues, sizeof(*ct->q));
    ct->a = xcalloc(ct->nagents, sizeof(*ct->a));

    /* Queue q asks for skill q mod S: every skill has queues.  Steps:
     *   1 step:  >= 1
     *   2 steps: >= 3..5,            then >= 1 after 20 s
     *   3 steps: >= 6..8, >= 3 after 20 s, >= 1 after 60 s
     * Aging is the same everywhere (1 point per second; a VIP has priority
     * 10): a freed agent then takes the longest-waiting work across its
     * queues.  (Mixed aging rates make the slow-aging queues starve and
     * hold all of the backlog while the others' agents idle.) */
    for (uint32_t q = 0; q < ct->nqueues; q++) {
        qspec *s = &ct->q[q];
        s->skill = q % ct->nskills;
        s->nsteps = rnd_range(&r, 1, 3);
        if (s->nsteps == 1) {
            s->thr[0] = 1;
        } else if (s->nsteps == 2) {
            s->thr[0] = (int32_t)rnd_range(&r, 3, 5);
            s->thr[1] = 1;
            s->after_ms[1] = 20000;
        } else {
            s->thr[0] = (int32_t)rnd_range(&r, 6, 8);
            s->thr[1] = 3;
            s->thr[2] = 1;
            s->after_ms[1] = 20000;
            s->after_ms[2] = 60000;
        }
        s->aging_per_s = 1.0;
    }

    /* Queues by skill, to pick an agent's queues among its skills. */
    uint32_t *by_skill_n = xcalloc(ct->nskills, sizeof(uint32_t));
    uint32_t **by_skill = xcalloc(ct->nskills, sizeof(uint32_t *));
    for (uint32_t q = 0; q < ct->nqueues; q++)
        by_skill_n[ct->q[q].skill]++;
    for (uint32_t k = 0; k < ct->nskills; k++) {
        by_skill[k] = xcalloc(by_skill_n[k], sizeof(uint32_t));
        by_skill_n[k] = 0;
    }
    for (uint32_t q = 0; q < ct->nqueues; q++) {
        uint32_t k = ct->q[q].skill;
        by_skill[k][by_skill_n[k]++] = q;
    }

    /* Agents: 3-8 distinct skills at levels 1-10; 5-20 queues, 90% of the
     * picks among the queues of its skills, 10% any queue (those may be
     * memberships that never match, as in real centers). */
    uint32_t maxsk = ct->nskills < 8 ? ct->nskills : 8;
    for (uint32_t i = 0; i < ct->nagents; i++) {
        aspec *a = &ct->a[i];
        uint32_t nsk = rnd_range(&r, maxsk < 3 ? maxsk : 3, maxsk);
        while (a->nskills < nsk) {
            uint32_t k = rnd_below(&r, ct->nskills);
            if (agent_level(a, k)) continue;
            a->skill[a->nskills] = k;
            a->level[a->nskills++] = (int32_t)rnd_range(&r, 1, 10);
        }
        uint32_t nq = rnd_range(&r, 5, 20);
        if (nq > ct->nqueues) nq = ct->nqueues;
        for (uint32_t tries = 0; a->nqueues < nq && tries < 1000; tries++) {
            uint32_t q;
            if (rnd_below(&r, 10) < 9) {
                uint32_t k = a->skill[rnd_below(&r, a->nskills)];
                if (by_skill_n[k] == 0) continue;
                q = by_skill[k][rnd_below(&r, by_skill_n[k])];
            } else {
                q = rnd_below(&r, ct->nqueues);
            }
            if (!agent_serves(a, q)) a->queue[a->nqueues++] = q;
        }
    }

    /* Every queue needs members eligible at its first step: add the queue
     * to agents that qualify (or make one qualify) where none does. */
    uint32_t *elig0 = xcalloc(ct->nqueues, sizeof(uint32_t));
    uint32_t *members = xcalloc(ct->nqueues, sizeof(uint32_t));
    for (uint32_t i = 0; i < ct->nagents; i++) {
        const aspec *a = &ct->a[i];
        for (uint32_t j = 0; j < a->nqueues; j++) {
            const qspec *s = &ct->q[a->queue[j]];
            members[a->queue[j]]++;
            if (agent_level(a, s->skill) >= s->thr[0]) elig0[a->queue[j]]++;
        }
    }
    for (uint32_t q = 0; q < ct->nqueues; q++) {
        const qspec *s = &ct->q[q];
        for (uint32_t tries = 0; elig0[q] < 1 && tries < 100 * ct->nagents; tries++) {
            aspec *a = &ct->a[rnd_below(&r, ct->nagents)];
            if (agent_serves(a, q) || a->nqueues == MAX_QUEUES_PER_AGENT) continue;
            int32_t lv = agent_level(a, s->skill);
            if (lv < s->thr[0]) {
                if (tries < 10 * ct->nagents) continue; /* prefer agents that qualify */
                if (lv == 0 && a->nskills == MAX_SKILLS_PER_AGENT) continue;
                if (lv == 0) {
                    a->skill[a->nskills] = s->skill;
                    a->level[a->nskills++] = 10;
                } else {
                    for (uint32_t k = 0; k < a->nskills; k++)
                        if (a->skill[k] == s->skill) a->level[k] = 10;
                }
            }
            a->queue[a->nqueues++] = q;
            members[q]++;
            elig0[q]++;
            ct->fixups++;
        }
    }

    ct->members_min = UINT32_MAX;
    ct->elig0_min = UINT32_MAX;
    double msum = 0, esum = 0, qsum = 0, ssum = 0;
    for (uint32_t q = 0; q < ct->nqueues; q++) {
        if (members[q] < ct->members_min) ct->members_min = members[q];
        if (members[q] > ct->members_max) ct->members_max = members[q];
        if (elig0[q] < ct->elig0_min) ct->elig0_min = elig0[q];
        msum += members[q];
        esum += elig0[q];
    }
    for (uint32_t i = 0; i < ct->nagents; i++) {
        qsum += ct->a[i].nqueues;
        ssum += ct->a[i].nskills;
    }
    /* Arrivals go to queue q in proportion to the agent time it is staffed
     * with (each member with the skill gives 1/its queue count), so that
     * the backlog spreads over all queues instead of piling up in the
     * least staffed ones while the others' agents idle. */
    ct->qcum = xcalloc(ct->nqueues, sizeof(double));
    double *w = ct->qcum, total = 0;
    for (uint32_t i = 0; i < ct->nagents; i++) {
        const aspec *a = &ct->a[i];
        for (uint32_t j = 0; j < a->nqueues; j++)
            if (agent_level(a, ct->q[a->queue[j]].skill) > 0) w[a->queue[j]] += 1.0 / a->nqueues;
    }
    for (uint32_t q = 0; q < ct->nqueues; q++) {
        if (w[q] <= 0) w[q] = 1e-9;
        total += w[q];
        w[q] = total;
    }
    for (uint32_t q = 0; q < ct->nqueues; q++)
        w[q] /= total;
    ct->qguide = xcalloc(QGUIDE, sizeof(uint32_t));
    for (uint32_t k = 0; k < QGUIDE; k++)
        ct->qguide[k] = center_search_queue(ct, (double)k / QGUIDE);
    w[ct->nqueues - 1] = 1.0;

    ct->members_mean = msum / ct->nqueues;
    ct->elig0_mean = esum / ct->nqueues;
    ct->queues_per_agent = qsum / ct->nagents;
    ct->skills_per_agent = ssum / ct->nagents;

    /* Mean agent time per interaction: 60% voice, 30% chat (4 at once),
     * 10% email. */
    double hv = (HANDLE_LO[0] + HANDLE_HI[0]) / 2000.0, hc = (HANDLE_LO[1] + HANDLE_HI[1]) / 2000.0,
           he = (HANDLE_LO[2] + HANDLE_HI[2]) / 2000.0;
    ct->capacity_per_s = ct->nagents / (0.6 * hv + 0.3 * hc / 4 + 0.1 * he);

    free(elig0);
    free(members);
    for (uint32_t k = 0; k < ct->nskills; k++)
        free(by_skill[k]);
    free(by_skill);
    free(by_skill_n);
}

/* The first queue whose cumulative weight exceeds u (the last if none). */
static uint32_t center_search_queue(const center *ct, double u) {
    uint32_t lo = 0, hi = ct->nqueues - 1;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (ct->qcum[mid] > u)
            hi = mid;
        else
            lo = mid + 1;
    }
    return lo;
}

/* A queue for an arrival, in proportion to the weights: the same pick as
 * center_search_queue, started from the guide's entry below u (a few
 * steps at most; the search's unpredictable branches cost the driver more
 * than some core calls). */
static uint32_t center_pick_queue(const center *ct, sb_rand *r) {
    double u = sb_rand_double(r);
    uint32_t q = ct->qguide[(uint32_t)(u * QGUIDE)];
    while (q < ct->nqueues - 1 && ct->qcum[q] <= u) q++;
    return q;
}

static void center_free(center *ct) {
    free(ct->qcum);
    free(ct->qguide);
    free(ct->q);
    free(ct->a);
}

/* ---- completions: a calendar queue (virtual time, interaction id) ------ */

/* Completions are taken in (time, id) order.  A binary heap of the
 * ~15,000 connected interactions cost the driver a walk of cold levels
 * per completion; here completions wait in buckets of 16.4 s (about 50
 * in use, so the ends they are appended to stay in cache), unsorted, and
 * a bucket is sorted once when it becomes the current one.  Every handle
 * time is longer than a bucket, so a new completion never lands in the
 * current bucket in this workload (if one did, it would be put in order
 * there).  The order is exactly the heap's.  A bucket's times differ in
 * their low CAL_SHIFT bits only, so it is sorted by two stable counting
 * passes over 7 bits each, then by id within the rare runs of equal
 * times (glibc's qsort had cost the driver 4 % of the loop). */
typedef struct due {
    int64_t at;
    uint64_t ix;
    uint32_t slot; /* where the core keeps it: the end's hint */
} due;

#define CAL_SHIFT 14
#define CAL_BUCKETS 64 /* x 16,384 ms: more than the longest handle time */

typedef struct bucket {
    due *v;
    uint32_t n, cap, pos; /* v[pos..n) are due; sorted when current */
    bool sorted;
} bucket;

typedef struct calendar {
    bucket b[CAL_BUCKETS];
    due *tmp; /* the sort's second array */
    uint32_t cap_tmp;
    int64_t cur; /* bucket number (at >> CAL_SHIFT) of the earliest due, while len > 0 */
    size_t len;
} calendar;

static bool due_less(const due *x, const due *y) {
    return x->at != y->at ? x->at < y->at : x->ix < y->ix;
}

/* One stable counting pass: from src to dst by 7 bits of the time. */
static void cal_pass(const due *src, due *dst, uint32_t n, int shift) {
    uint32_t count[129] = {0};
    for (uint32_t i = 0; i < n; i++)
        count[((src[i].at >> shift) & 127) + 1]++;
    for (int d = 0; d < 128; d++)
        count[d + 1] += count[d];
    for (uint32_t i = 0; i < n; i++)
        dst[count[(src[i].at >> shift) & 127]++] = src[i];
}

/* Sort v[0..n) by (time, id); all times share their bits above CAL_SHIFT. */
static void cal_sort(calendar *c, due *v, uint32_t n) {
    _Static_assert(CAL_SHIFT <= 14, "two passes of 7 bits");
    if (n > c->cap_tmp) {
        c->cap_tmp = n;
        c->tmp = xrealloc(c->tmp, n * sizeof(*c->tmp));
    }
    cal_pass(v, c->tmp, n, 0);
    cal_pass(c->tmp, v, n, 7);
    for (uint32_t i = 1; i < n; i++) /* equal times: by id */
        for (uint32_t j = i; j > 0 && due_less(&v[j], &v[j - 1]); j--) {
            due t = v[j];
            v[j] = v[j - 1];
            v[j - 1] = t;
        }
}

static bucket *cal_bucket(calendar *c, int64_t num) { return &c->b[num & (CAL_BUCKETS - 1)]; }

static void cal_push(calendar *c, due d) {
    int64_t num = d.at >> CAL_SHIFT;
    if (c->len == 0 || num < c->cur) c->cur = num;
    if (num - c->cur >= CAL_BUCKETS) {
        fprintf(stderr, "bench-route: a completion beyond the calendar\n");
        exit(2);
    }
    bucket *b = cal_bucket(c, num);
    if (b->n == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->v = xrealloc(b->v, b->cap * sizeof(*b->v));
    }
    uint32_t i = b->n++;
    if (b->sorted) /* the current bucket: keep it in order */
        for (; i > b->pos && due_less(&d, &b->v[i - 1]); i--) b->v[i] = b->v[i - 1];
    b->v[i] = d;
    c->len++;
}

/* The earliest completion, or NULL when none. */
static const due *cal_peek(calendar *c) {
    if (c->len == 0) return NULL;
    bucket *b;
    for (;;) {
        b = cal_bucket(c, c->cur);
        if (b->pos < b->n) break;
        b->n = b->pos = 0;
        b->sorted = false;
        c->cur++;
    }
    if (!b->sorted) {
        cal_sort(c, b->v + b->pos, b->n - b->pos);
        b->sorted = true;
    }
    return &b->v[b->pos];
}

static due cal_pop(calendar *c) {
    const due *d = cal_peek(c);
    due top = *d;
    cal_bucket(c, c->cur)->pos++;
    c->len--;
    return top;
}

static void cal_free(calendar *c) {
    for (uint32_t i = 0; i < CAL_BUCKETS; i++) free(c->b[i].v);
    free(c->tmp);
}

/* ---- latency samples -------------------------------------------------- */

enum { K_CREATE = 0, K_END, K_TIMER, K_NKINDS };
static const char *const KIND_NAME[K_NKINDS] = {"create", "end", "timer"};

typedef struct samples {
    uint32_t *v;
    size_t n, cap;
} samples;

static void sample_add(samples *s, uint64_t ns) {
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 65536;
        s->v = xrealloc(s->v, s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = ns > UINT32_MAX ? UINT32_MAX : (uint32_t)ns;
}

static int cmp_u32(const void *x, const void *y) {
    uint32_t a = *(const uint32_t *)x, b = *(const uint32_t *)y;
    return (a > b) - (a < b);
}

/* Nearest-rank percentile of a sorted array; 0 when empty. */
static double pct(const samples *s, double p) {
    if (s->n == 0) return 0;
    size_t k = (size_t)ceil(p * (double)s->n);
    if (k < 1) k = 1;
    if (k > s->n) k = s->n;
    return s->v[k - 1];
}

/* ---- one phase -------------------------------------------------------- */

typedef struct symtab {
    sb_sym k_language, k_amount, k_vip, k_segment, k_score;
    sb_sym lang[5], seg[3];
    sb_sym *skill; /* per skill index */
} symtab;

typedef struct pending {
    sb_id agent, ix;
} pending;

#define MAX_ROUNDS 100
#define MIN_ROUND_ROUTED 1000 /* --routed, when there are several rounds */

static int cmp_double(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

/* The median of v[0..n), n > 0 (the mean of the middle two when n is even). */
static double median(const double *v, uint32_t n) {
    double w[MAX_ROUNDS];
    memcpy(w, v, n * sizeof(*w));
    qsort(w, n, sizeof(*w), cmp_double);
    return n % 2 ? w[n / 2] : (w[n / 2 - 1] + w[n / 2]) / 2;
}

typedef struct result {
    uint32_t backlog;
    /* set-up */
    double build_s, backlog_s, fill_s;
    uint64_t bytes_agents, bytes_ready, bytes_backlog, fill_routed;
    /* measured */
    uint64_t routed, creates, ends, timer_calls, decisions_by_kind[K_NKINDS], offers_in_decisions;
    uint64_t queued_at_create; /* creates that did not route at once */
    double loop_s, virtual_s;  /* the throughput pass */
    double rps;                /* its median round's routed/s (the whole pass's with --seconds) */
    double round_rps[MAX_ROUNDS];
    uint32_t nrounds;
    uint64_t timed_routed;     /* the latency pass: */
    double timed_loop_s, core_s;
    double wait_mean;
    int64_t wait_min, wait_max;
    double p50, p99, p999, max, p99_kind[K_NKINDS];
    uint64_t mem_end;
    uint64_t huge_bytes_end; /* AnonHugePages before the core is freed */
    uint32_t queues_empty_end, queue_waiting_max_end; /* spread of the backlog at the end */
} result;

typedef struct sim {
    const opts *o;
    const center *ct;
    sb_core *c;
    symtab sy;
    sb_rand rng;
    int64_t now;
    uint64_t next_seq;
    int64_t waiting; /* created and not yet offered (each is offered exactly once) */
    calendar done;
    pending *pend;
    size_t npend, cap_pend;
    /* counters (reset when measuring starts) */
    uint64_t accepted, creates, ends, timer_calls, queued_at_create, offers_in_decisions;
    uint64_t decisions_by_kind[K_NKINDS];
    uint64_t core_ns;
    bool measuring;
    bool timing; /* clocks around each core call (the latency pass only) */
    samples lat[K_NKINDS];
    uint64_t anomalies;
} sim;

static void anomaly(sim *s, const char *what) {
    if (s->anomalies++ < 10) fprintf(stderr, "bench-route: unexpected: %s\n", what);
}

/* Drain the outbox; queue offers for acceptance, schedule completions.
 * Returns the number of offers seen. */
static uint32_t drain(sim *s) {
    uint32_t n, offers = 0;
    const sb_event *ev = sb_core_events(s->c, &n);
    for (uint32_t i = 0; i < n; i++) {
        const sb_event *e = &ev[i];
        switch (e->type) {
        case SB_EV_IX_OFFERED:
            if (s->npend == s->cap_pend) {
                s->cap_pend = s->cap_pend ? s->cap_pend * 2 : 64;
                s->pend = xrealloc(s->pend, s->cap_pend * sizeof(*s->pend));
            }
            s->pend[s->npend++] = (pending){e->agent, e->ix};
            s->waiting--;
            offers++;
            break;
        case SB_EV_IX_ACCEPTED: {
            int ch = (int)(e->ix & 3); /* the id carries the channel */
            int64_t h = rnd_range(&s->rng, (uint32_t)HANDLE_LO[ch], (uint32_t)HANDLE_HI[ch]);
            cal_push(&s->done, (due){s->now + h, e->ix, e->slot});
            break;
        }
        case SB_EV_IX_REJECTED:
        case SB_EV_IX_TIMED_OUT:
        case SB_EV_IX_WITHDRAWN:
        case SB_EV_IX_ABANDONED:
        case SB_EV_IX_CANCELED:
        case SB_EV_IX_ENDED:
        case SB_EV_IX_OVERFLOWED: anomaly(s, sb_event_type_name(e->type)); break;
        default: break;
        }
    }
    sb_core_events_clear(s->c);
    return offers;
}

/* Accept every pending offer at once (draining after each call). */
static void accept_pending(sim *s) {
    while (s->npend) {
        pending p = s->pend[--s->npend];
        uint64_t t0 = s->timing ? now_ns() : 0;
        int rc = sb_offer_accept(s->c, s->now, p.agent, p.ix);
        if (s->timing) s->core_ns += now_ns() - t0;
        if (rc != SB_OK) die("sb_offer_accept", rc);
        s->accepted++;
        drain(s);
    }
}

/* After a core call of the given kind (ns: its wall time when timing):
 * drain, record the decision if the call routed anything, accept. */
static void after_call(sim *s, int kind, uint64_t ns) {
    s->core_ns += ns;
    uint32_t offers = drain(s);
    if (offers && s->measuring) {
        if (s->timing) sample_add(&s->lat[kind], ns);
        s->decisions_by_kind[kind]++;
        s->offers_in_decisions += offers;
    }
    accept_pending(s);
}

/* A clock reading around a core call, only in the latency pass. */
static inline uint64_t clock_if(const sim *s) { return s->timing ? now_ns() : 0; }

static void create_one(sim *s) {
    sb_rand *r = &s->rng;
    const symtab *y = &s->sy;
    uint32_t u = rnd_below(r, 10);
    int ch = u < 6 ? SB_CH_VOICE : u < 9 ? SB_CH_CHAT : SB_CH_EMAIL;
    bool vip = rnd_below(r, 20) == 0;
    sb_attr attrs[5] = {
        {y->k_language, sb_val_str(y->lang[rnd_below(r, 5)])},
        {y->k_amount, sb_val_num(rnd_below(r, 500000) / 100.0)},
        {y->k_vip, sb_val_bool(vip)},
        {y->k_segment, sb_val_str(y->seg[rnd_below(r, 3)])},
        {y->k_score, sb_val_num(rnd_below(r, 101))},
    };
    sb_interaction_def d = {
        .id = (++s->next_seq << 2) | (sb_id)ch, /* channel in the low bits */
        .queue = 1 + center_pick_queue(s->ct, r),
        .channel = (uint8_t)ch,
        .priority = vip ? 10 : 0,
        .attrs = attrs,
        .nattrs = 5,
    };
    uint64_t t0 = clock_if(s);
    int rc = sb_interaction_create(s->c, s->now, &d);
    uint64_t t1 = clock_if(s);
    if (rc != SB_OK) die("sb_interaction_create", rc);
    s->waiting++;
    s->creates++;
    int64_t before = s->waiting;
    after_call(s, K_CREATE, t1 - t0);
    if (s->waiting == before) s->queued_at_create++;
}

static void end_one(sim *s, const due *d) {
    uint64_t t0 = clock_if(s);
    int rc = sb_interaction_end_hint(s->c, s->now, d->ix, d->slot);
    uint64_t t1 = clock_if(s);
    if (rc != SB_OK) die("sb_interaction_end", rc);
    s->ends++;
    after_call(s, K_END, t1 - t0);
}

static void fire_timers(sim *s, int64_t at) {
    uint64_t t0 = clock_if(s);
    sb_core_advance(s->c, at);
    uint64_t t1 = clock_if(s);
    s->timer_calls++;
    after_call(s, K_TIMER, t1 - t0);
}

static void reset_counters(sim *s) {
    s->accepted = s->creates = s->ends = s->timer_calls = 0;
    s->queued_at_create = s->offers_in_decisions = s->core_ns = 0;
    memset(s->decisions_by_kind, 0, sizeof(s->decisions_by_kind));
    for (int k = 0; k < K_NKINDS; k++)
        s->lat[k].n = 0;
}

typedef enum mode {
    M_POISSON, /* arrivals at a fixed rate */
    M_FILL,    /* arrivals at a fixed rate until the backlog is reached */
    M_HOLD,    /* an arrival whenever the backlog is below target */
} mode;

typedef struct runspec {
    mode m;
    double rate_per_s;   /* M_POISSON, M_FILL */
    int64_t target;      /* M_FILL, M_HOLD: waiting interactions */
    uint64_t min_routed; /* stop when accepted >= this ... */
    int64_t min_vms;     /* ... and at least this much virtual time has passed ... */
    double max_wall_s;   /* ... or (when > 0) on this much wall time instead of routed */
    uint64_t round_routed; /* > 0: timestamp each multiple of it in runstats */
} runspec;

typedef struct runstats {
    double wait_sum;
    uint64_t wait_n;
    int64_t wait_min, wait_max;
    /* Rounds: the wall time (ns) and the accepted count when accepted
     * first reached each multiple of the runspec's round_routed. */
    uint64_t round_ns[MAX_ROUNDS], round_acc[MAX_ROUNDS];
    uint32_t nrounds;
} runstats;

/* The event loop: the earliest of the next core deadline, the next
 * completion and the next arrival happens next. */
static void run(sim *s, const runspec *rs, runstats *st) {
    int64_t t_start = s->now;
    int64_t next_arrival =
        rs->m == M_HOLD ? INT64_MAX : s->now + rnd_exp_ms(&s->rng, rs->rate_per_s);
    uint64_t wall0 = now_ns(), iter = 0;
    if (st) {
        memset(st, 0, sizeof(*st));
        st->wait_min = INT64_MAX;
        st->wait_max = INT64_MIN;
    }
    uint64_t round_next = st ? rs->round_routed : 0; /* rounds are kept in st */
    for (;;) {
        /* One comparison per turn; a clock read only when a round ends. */
        if (round_next && s->accepted >= round_next && st->nrounds < MAX_ROUNDS) {
            st->round_ns[st->nrounds] = now_ns() - wall0;
            st->round_acc[st->nrounds++] = s->accepted;
            round_next += rs->round_routed;
        }
        if (rs->m == M_FILL) {
            if (s->waiting >= rs->target) break;
        } else if (rs->max_wall_s > 0) {
            if ((++iter & 255) == 0 && (now_ns() - wall0) * 1e-9 >= rs->max_wall_s) break;
        } else if (s->accepted >= rs->min_routed && s->now - t_start >= rs->min_vms) {
            break;
        }
        if (rs->m == M_HOLD && s->waiting < rs->target) {
            create_one(s);
            continue;
        }
        int64_t td = sb_core_next_deadline(s->c);
        const due *next_done = cal_peek(&s->done);
        int64_t tc = next_done ? next_done->at : INT64_MAX;
        int64_t ta = next_arrival;
        if (td == INT64_MAX && tc == INT64_MAX && ta == INT64_MAX) {
            fprintf(stderr, "bench-route: nothing left to do (backlog %" PRId64 ")\n", s->waiting);
            exit(1);
        }
        if (td <= tc && td <= ta) {
            s->now = td;
            fire_timers(s, td);
        } else if (tc <= ta) {
            due d = cal_pop(&s->done);
            s->now = d.at;
            end_one(s, &d);
        } else {
            s->now = ta;
            create_one(s);
            next_arrival = s->now + rnd_exp_ms(&s->rng, rs->rate_per_s);
        }
        if (st) {
            st->wait_sum += (double)s->waiting;
            st->wait_n++;
            if (s->waiting < st->wait_min) st->wait_min = s->waiting;
            if (s->waiting > st->wait_max) st->wait_max = s->waiting;
        }
    }
}

static void build_core(sim *s, result *res) {
    const center *ct = s->ct;
    sb_core *c = s->c = sb_core_new(s->o->seed);
    symtab *y = &s->sy;
    y->k_language = sb_core_sym(c, "language");
    y->k_amount = sb_core_sym(c, "amount");
    y->k_vip = sb_core_sym(c, "vip");
    y->k_segment = sb_core_sym(c, "segment");
    y->k_score = sb_core_sym(c, "score");
    static const char *const langs[5] = {"en", "de", "fr", "es", "nl"};
    static const char *const segs[3] = {"consumer", "smb", "enterprise"};
    for (int i = 0; i < 5; i++)
        y->lang[i] = sb_core_sym(c, langs[i]);
    for (int i = 0; i < 3; i++)
        y->seg[i] = sb_core_sym(c, segs[i]);
    y->skill = xcalloc(ct->nskills, sizeof(sb_sym));
    char name[32];
    for (uint32_t k = 0; k < ct->nskills; k++) {
        snprintf(name, sizeof(name), "s%u", k);
        y->skill[k] = sb_core_sym(c, name);
    }

    char src[3][64];
    for (uint32_t q = 0; q < ct->nqueues; q++) {
        const qspec *qs = &ct->q[q];
        sb_step_def steps[3];
        for (uint32_t i = 0; i < qs->nsteps; i++) {
            snprintf(src[i], sizeof(src[i]), "agent.skills.s%u >= %d", qs->skill, qs->thr[i]);
            steps[i] = (sb_step_def){src[i], qs->after_ms[i]};
        }
        sb_queue_def d = {.steps = steps,
                          .nsteps = qs->nsteps,
                          .selection = SB_SEL_LONGEST_IDLE,
                          .aging_per_s = qs->aging_per_s,
                          .offer_timeout_ms = 30000,
                          .wrapup = SB_WRAPUP_NONE};
        sb_expr_error err;
        uint32_t es = 0;
        int rc = sb_queue_set(c, s->now, q + 1, &d, &err, &es);
        if (rc) {
            fprintf(stderr, "bench-route: queue %u step %u: %s\n", q + 1, es, err.reason);
            die("sb_queue_set", rc);
        }
        drain(s);
    }

    size_t mem0 = sb_mem_used();
    for (uint32_t i = 0; i < ct->nagents; i++) {
        const aspec *a = &ct->a[i];
        sb_skill sk[MAX_SKILLS_PER_AGENT];
        sb_id qs[MAX_QUEUES_PER_AGENT];
        for (uint32_t k = 0; k < a->nskills; k++)
            sk[k] = (sb_skill){y->skill[a->skill[k]], a->level[k]};
        for (uint32_t k = 0; k < a->nqueues; k++)
            qs[k] = a->queue[k] + 1;
        sb_agent_def d = {.skills = sk, .nskills = a->nskills, .queues = qs, .nqueues = a->nqueues};
        int rc = sb_agent_set(c, s->now, i + 1, &d);
        if (rc) die("sb_agent_set", rc);
        drain(s);
    }
    res->bytes_agents = sb_mem_used() - mem0;
    for (uint32_t i = 0; i < ct->nagents; i++) {
        int rc = sb_agent_login(c, s->now, i + 1);
        if (rc) die("sb_agent_login", rc);
        drain(s);
    }
}

static void ready_all(sim *s) {
    for (uint32_t i = 0; i < s->ct->nagents; i++) {
        int rc = sb_agent_ready(s->c, s->now, i + 1);
        if (rc) die("sb_agent_ready", rc);
        drain(s);
        accept_pending(s);
    }
}

static uint64_t huge_page_bytes(void);

static void run_phase(const opts *o, const center *ct, uint32_t backlog, result *res) {
    sim S;
    memset(&S, 0, sizeof(S));
    sim *s = &S;
    s->o = o;
    s->ct = ct;
    s->now = 1;
    sb_rand_seed(&s->rng, o->seed * 1000003u + backlog + 1); /* same stream alone or not */
    memset(res, 0, sizeof(*res));
    res->backlog = backlog;

    uint64_t w0 = now_ns();
    build_core(s, res);
    res->build_s = (now_ns() - w0) * 1e-9;

    /* Warm-up: a tenth of a measured round, and at least 20 virtual
     * minutes (so handle times and step timers are in full swing). */
    uint64_t warm = o->routed / 10;
    int64_t warm_vms = 20 * 60 * 1000;
    runspec measure = {.min_routed = o->routed * o->rounds,
                       .max_wall_s = o->seconds,
                       .round_routed = o->seconds > 0 ? 0 : o->routed};

    if (backlog == 0) {
        size_t m0 = sb_mem_used();
        ready_all(s);
        res->bytes_ready = sb_mem_used() - m0;
        /* Arrivals at 30% of the center's capacity: agents mostly idle. */
        runspec rs = {.m = M_POISSON,
                      .rate_per_s = 0.3 * ct->capacity_per_s,
                      .min_routed = warm,
                      .min_vms = warm_vms};
        run(s, &rs, NULL);
        measure.m = M_POISSON;
        measure.rate_per_s = rs.rate_per_s;
    } else {
        /* The backlog arrives over time (at the center's capacity rate)
         * while no agent is ready: only step timers fire. */
        uint64_t b0 = now_ns();
        size_t m0 = sb_mem_used();
        int64_t next = s->now;
        while (s->waiting < (int64_t)backlog) {
            int64_t td;
            while ((td = sb_core_next_deadline(s->c)) <= next) {
                s->now = td;
                fire_timers(s, td);
            }
            s->now = next;
            create_one(s);
            next += rnd_exp_ms(&s->rng, ct->capacity_per_s);
        }
        res->bytes_backlog = sb_mem_used() - m0;
        res->backlog_s = (now_ns() - b0) * 1e-9;

        /* Agents go ready and take work; arrivals at 3x capacity refill
         * the backlog; then a warm-up holding it. */
        uint64_t f0 = now_ns();
        uint64_t acc0 = s->accepted;
        ready_all(s);
        runspec fill = {.m = M_FILL, .rate_per_s = 3 * ct->capacity_per_s, .target = backlog};
        run(s, &fill, NULL);
        res->fill_routed = s->accepted - acc0;
        res->fill_s = (now_ns() - f0) * 1e-9;
        runspec rs = {
            .m = M_HOLD, .target = backlog, .min_routed = s->accepted + warm, .min_vms = warm_vms};
        run(s, &rs, NULL);
        measure.m = M_HOLD;
        measure.target = backlog;
    }

    /* The measured steady state, in two passes over the same workload.
     * The throughput pass reads no clock around single calls (two
     * clock_gettime per call would be a tenth of the loop and keep the
     * calls from overlapping), only when each of its rounds of --routed
     * ends: routed/s is the median round's (the machine's other guests
     * move a round's figure by a fifth, and the median of several is
     * what the figures are quoted as), and its counts are the phase's.
     * The latency pass that follows (one round) times every core call:
     * decision latency and routed per second of time inside core calls. */
    reset_counters(s);
    s->measuring = true;
    int64_t v0 = s->now;
    runstats st;
    uint64_t t0 = now_ns();
    run(s, &measure, &st);
    uint64_t t1 = now_ns();

    res->routed = s->accepted;
    res->creates = s->creates;
    res->ends = s->ends;
    res->timer_calls = s->timer_calls;
    res->queued_at_create = s->queued_at_create;
    res->offers_in_decisions = s->offers_in_decisions;
    memcpy(res->decisions_by_kind, s->decisions_by_kind, sizeof(res->decisions_by_kind));
    res->loop_s = (t1 - t0) * 1e-9;
    res->rps = res->routed / res->loop_s;
    res->nrounds = st.nrounds;
    for (uint32_t k = 0; k < st.nrounds; k++) {
        uint64_t acc = st.round_acc[k] - (k ? st.round_acc[k - 1] : 0);
        uint64_t ns = st.round_ns[k] - (k ? st.round_ns[k - 1] : 0);
        res->round_rps[k] = ns ? acc / (ns * 1e-9) : 0;
    }
    if (st.nrounds) {
        res->rps = median(res->round_rps, st.nrounds);
    } else { /* --seconds: the pass is one round */
        res->nrounds = 1;
        res->round_rps[0] = res->rps;
    }
    res->virtual_s = (s->now - v0) / 1000.0;
    res->wait_mean = st.wait_n ? st.wait_sum / st.wait_n : 0;
    res->wait_min = st.wait_n ? st.wait_min : 0;
    res->wait_max = st.wait_n ? st.wait_max : 0;
    /* The spread of the backlog and live memory at the end of this pass. */
    for (uint32_t q = 0; q < ct->nqueues; q++) {
        int64_t w = sb_queue_waiting(s->c, q + 1);
        if (w == 0) res->queues_empty_end++;
        if (w > (int64_t)res->queue_waiting_max_end) res->queue_waiting_max_end = (uint32_t)w;
    }
    res->mem_end = sb_mem_used();

    reset_counters(s);
    s->timing = true;
    runspec timed = measure;
    timed.min_routed = o->routed;
    timed.round_routed = 0;
    t0 = now_ns();
    run(s, &timed, NULL);
    t1 = now_ns();
    s->timing = false;
    s->measuring = false;
    res->timed_routed = s->accepted;
    res->timed_loop_s = (t1 - t0) * 1e-9;
    res->core_s = s->core_ns * 1e-9;

    samples all = {0};
    for (int k = 0; k < K_NKINDS; k++) {
        qsort(s->lat[k].v, s->lat[k].n, sizeof(uint32_t), cmp_u32);
        res->p99_kind[k] = pct(&s->lat[k], 0.99);
        for (size_t i = 0; i < s->lat[k].n; i++)
            sample_add(&all, s->lat[k].v[i]);
    }
    qsort(all.v, all.n, sizeof(uint32_t), cmp_u32);
    res->p50 = pct(&all, 0.50);
    res->p99 = pct(&all, 0.99);
    res->p999 = pct(&all, 0.999);
    res->max = all.n ? all.v[all.n - 1] : 0;
    free(all.v);

    /* Sanity: the core agrees on what is waiting. */
    sb_core_stats cs;
    sb_core_stats_get(s->c, &cs);
    if ((int64_t)cs.waiting != s->waiting) anomaly(s, "waiting count differs from the core's");
    if (s->anomalies) {
        fprintf(stderr, "bench-route: %" PRIu64 " unexpected events or states\n", s->anomalies);
        exit(1);
    }

    res->huge_bytes_end = huge_page_bytes();
    sb_core_free(s->c);
    for (int k = 0; k < K_NKINDS; k++)
        free(s->lat[k].v);
    cal_free(&s->done);
    free(s->pend);
    free(s->sy.skill);
}

/* ---- output ----------------------------------------------------------- */

static const char *mark(bool ok) {
    return ok ? "ok" : "MISSED";
}
static double per(uint64_t x, uint64_t n) {
    return n ? (double)x / (double)n : 0;
}

static void print_human(const opts *o, const center *ct, const result *r) {
    uint32_t np = o->nphases;
    printf("switchboard routing benchmark: seed %" PRIu64
           ", %u agents, %u queues, %u skills, allocator's pages %s, ",
           o->seed, ct->nagents, ct->nqueues, ct->nskills, o->huge ? "2 MiB" : "4 KiB");
    if (o->cpu >= 0)
        printf("on CPU %d\n", o->cpu);
    else
        printf("not pinned\n");
    printf("center: %.1f skills and %.1f queues per agent; members per queue %u..%u (mean %.1f), "
           "eligible at step 1 min %u (mean %.1f); fix-ups %u\n",
           ct->skills_per_agent, ct->queues_per_agent, ct->members_min, ct->members_max,
           ct->members_mean, ct->elig0_min, ct->elig0_mean, ct->fixups);
    printf("host (bench/memprobe.c), ns per load before / after the phases: walking 8 MiB "
           "%.0f / %.0f (about 20 while the last-level cache holds it), 64 MiB %.0f / %.0f\n",
           o->llc_ns[0], o->llc_ns[1], o->mem_ns[0], o->mem_ns[1]);
    printf("memory: %.0f B per agent (sb_agent_set)", (double)r[0].bytes_agents / ct->nagents);
    if (r[0].backlog == 0)
        printf(", +%.0f B per agent in ready heaps", (double)r[0].bytes_ready / ct->nagents);
    printf("\n");
    for (uint32_t p = 0; p < np; p++) {
        const result *x = &r[p];
        printf("\nphase backlog=%u\n", x->backlog);
        printf("  set-up: build %.2f s", x->build_s);
        if (x->backlog)
            printf(
                ", backlog %.2f s (%.0f B per waiting interaction), ready+refill %.2f s (%" PRIu64
                " routed)",
                x->backlog_s, (double)x->bytes_backlog / x->backlog, x->fill_s, x->fill_routed);
        printf("\n");
        printf("  routed %" PRIu64 " in %.3f s loop wall: %.0f routed/s", x->routed, x->loop_s,
               x->routed / x->loop_s);
        if (o->seconds <= 0) {
            double lo = x->round_rps[0], hi = lo;
            for (uint32_t k = 1; k < x->nrounds; k++) {
                if (x->round_rps[k] < lo) lo = x->round_rps[k];
                if (x->round_rps[k] > hi) hi = x->round_rps[k];
            }
            printf("; %u rounds of %" PRIu64 ": median %.0f routed/s (%.0f-%.0f)", x->nrounds,
                   o->routed, x->rps, lo, hi);
        }
        printf("  [target >= %.0f: %s]\n", TARGET_ROUTED_PER_S, mark(x->rps >= TARGET_ROUTED_PER_S));
        printf("  latency pass (every call timed): routed %" PRIu64 " in %.3f s loop wall, %.3f s "
               "in core calls: %.0f routed/s, %.0f per core second\n",
               x->timed_routed, x->timed_loop_s, x->core_s, x->timed_routed / x->timed_loop_s,
               x->timed_routed / x->core_s);
        printf("  decision latency: p50 %.0f ns, p99 %.0f ns, p99.9 %.0f ns, max %.0f ns", x->p50,
               x->p99, x->p999, x->max);
        if (x->backlog == BIG_BACKLOG)
            printf("  [target p99 <= %.0f ns: %s]", TARGET_P99_NS, mark(x->p99 <= TARGET_P99_NS));
        printf("\n");
        printf("  decisions: %" PRIu64 " create (p99 %.0f ns), %" PRIu64
               " end (p99 %.0f ns), %" PRIu64 " timer (p99 %.0f ns); %.2f offers per decision\n",
               x->decisions_by_kind[K_CREATE], x->p99_kind[K_CREATE], x->decisions_by_kind[K_END],
               x->p99_kind[K_END], x->decisions_by_kind[K_TIMER], x->p99_kind[K_TIMER],
               per(x->offers_in_decisions, x->decisions_by_kind[K_CREATE] +
                                               x->decisions_by_kind[K_END] +
                                               x->decisions_by_kind[K_TIMER]));
        printf("  calls: %" PRIu64 " creates (%" PRIu64 " queued, not routed at once), %" PRIu64
               " ends (%.0f%% took new work), %" PRIu64 " timer advances; %.0f virtual s\n",
               x->creates, x->queued_at_create, x->ends,
               100 * per(x->decisions_by_kind[K_END], x->ends), x->timer_calls, x->virtual_s);
        printf("  waiting: mean %.0f (min %" PRId64 ", max %" PRId64
               "); at the end %u of %u queues empty, "
               "at most %u in one queue\n",
               x->wait_mean, x->wait_min, x->wait_max, x->queues_empty_end, ct->nqueues,
               x->queue_waiting_max_end);
        if (x->backlog == BIG_BACKLOG)
            printf("  memory: %.0f B per waiting interaction  [target <= %.0f: %s]; %.1f MB live "
                   "at end\n",
                   (double)x->bytes_backlog / x->backlog, TARGET_BYTES_PER_WAITING,
                   mark((double)x->bytes_backlog / x->backlog <= TARGET_BYTES_PER_WAITING),
                   x->mem_end / 1048576.0);
    }
    printf("\nin 2 MiB pages at the end of a phase: at most %.1f MiB\n", o->huge_bytes / 1048576.0);
}

static void print_json(const opts *o, const center *ct, const result *r) {
    uint32_t np = o->nphases;
    const result *big = &r[np - 1]; /* phases run in increasing backlog */
    double rps = big->rps;
    double bpw = big->backlog ? (double)big->bytes_backlog / big->backlog : 0;
    uint64_t routed = 0;
    double loop = 0;
    for (uint32_t p = 0; p < np; p++) {
        routed += r[p].routed;
        loop += r[p].loop_s;
    }
    printf("{\"benchmark\":\"route\",\"seed\":%" PRIu64
           ",\"agents\":%u,\"queues\":%u,\"skills\":%u,\"huge_pages\":%s,\"cpu\":%d,",
           o->seed, ct->nagents, ct->nqueues, ct->nskills, o->huge ? "true" : "false", o->cpu);
    if (o->seconds > 0)
        printf("\"seconds_per_phase\":%.3f,\"rounds\":1,", o->seconds);
    else
        printf("\"routed_per_round\":%" PRIu64 ",\"rounds\":%u,", o->routed, o->rounds);
    printf("\"routed_per_s\":%.0f,\"routed_per_s_scope\":\"phase backlog=%u, accepted offers per "
           "second of loop wall time in the throughput pass (no clock read around single "
           "calls), %s\",",
           rps, big->backlog, o->seconds > 0 ? "the whole pass (one round)" : "its median round's");
    printf("\"routed_per_s_all_phases\":%.0f,", routed / loop);
    printf("\"huge_page_bytes\":%" PRIu64 ",", o->huge_bytes);
    printf("\"host_llc_walk_ns\":[%.1f,%.1f],\"host_mem_walk_ns\":[%.1f,%.1f],", o->llc_ns[0],
           o->llc_ns[1], o->mem_ns[0], o->mem_ns[1]);
    printf("\"decision_p99_ns\":%.0f,\"decision_p99_ns_scope\":\"phase backlog=%u\",", big->p99,
           big->backlog);
    printf("\"bytes_per_waiting\":%.1f,\"bytes_per_agent\":%.1f,\"bytes_per_agent_ready\":%.1f,",
           bpw, (double)r[0].bytes_agents / ct->nagents, (double)r[0].bytes_ready / ct->nagents);
    printf("\"targets\":{\"routed_per_s_min\":%.0f,\"decision_p99_ns_max\":%.0f,\"bytes_per_"
           "waiting_max\":%.0f},",
           TARGET_ROUTED_PER_S, TARGET_P99_NS, TARGET_BYTES_PER_WAITING);
    printf("\"meets\":{\"routed_per_s\":%s,\"decision_p99_ns\":%s,\"bytes_per_waiting\":%s},",
           rps >= TARGET_ROUTED_PER_S ? "true" : "false",
           big->p99 <= TARGET_P99_NS ? "true" : "false",
           bpw <= TARGET_BYTES_PER_WAITING ? "true" : "false");
    printf("\"center\":{\"members_per_queue_min\":%u,\"members_per_queue_mean\":%.1f,"
           "\"eligible_step1_min\":%u,\"fixups\":%u},",
           ct->members_min, ct->members_mean, ct->elig0_min, ct->fixups);
    printf("\"phases\":[");
    for (uint32_t p = 0; p < np; p++) {
        const result *x = &r[p];
        printf("%s{\"backlog\":%u,\"routed\":%" PRIu64 ",\"loop_s\":%.6f,\"routed_per_s\":%.0f,"
               "\"routed_per_s_pass\":%.0f,\"routed_per_s_rounds\":[",
               p ? "," : "", x->backlog, x->routed, x->loop_s, x->rps, x->routed / x->loop_s);
        for (uint32_t k = 0; k < x->nrounds; k++)
            printf("%s%.0f", k ? "," : "", x->round_rps[k]);
        printf("],\"timed_routed\":%" PRIu64 ",\"timed_loop_s\":%.6f,\"routed_per_s_timed\":%.0f,"
               "\"core_s\":%.6f,\"routed_per_core_s\":%.0f,"
               "\"decision_p50_ns\":%.0f,\"decision_p99_ns\":%.0f,\"decision_p999_ns\":%.0f,"
               "\"decision_max_ns\":%.0f,",
               x->timed_routed, x->timed_loop_s, x->timed_routed / x->timed_loop_s, x->core_s,
               x->timed_routed / x->core_s, x->p50, x->p99, x->p999, x->max);
        printf("\"decisions\":{");
        for (int k = 0; k < K_NKINDS; k++)
            printf("%s\"%s\":{\"count\":%" PRIu64 ",\"p99_ns\":%.0f}", k ? "," : "", KIND_NAME[k],
                   x->decisions_by_kind[k], x->p99_kind[k]);
        printf("},\"offers_in_decisions\":%" PRIu64 ",", x->offers_in_decisions);
        printf("\"creates\":%" PRIu64 ",\"queued_at_create\":%" PRIu64 ",\"ends\":%" PRIu64
               ",\"timer_calls\":%" PRIu64 ",\"waiting_mean\":%.1f,\"waiting_min\":%" PRId64
               ",\"waiting_max\":%" PRId64 ",\"virtual_s\":%.1f,\"queues_empty_end\":%u,"
               "\"queue_waiting_max_end\":%u,",
               x->creates, x->queued_at_create, x->ends, x->timer_calls, x->wait_mean, x->wait_min,
               x->wait_max, x->virtual_s, x->queues_empty_end, x->queue_waiting_max_end);
        printf("\"bytes_per_waiting\":%s%.1f,\"setup_s\":%.3f,\"mem_end_bytes\":%" PRIu64 "}", "",
               x->backlog ? (double)x->bytes_backlog / x->backlog : 0.0,
               x->build_s + x->backlog_s + x->fill_s, x->mem_end);
    }
    printf("]}\n");
}

/* ---- main ------------------------------------------------------------- */

/* How much of the process's memory is in huge pages (Linux:
 * AnonHugePages of /proc/self/smaps_rollup), to show that asking for
 * them worked; 0 if unknown. */
static uint64_t huge_page_bytes(void) {
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    if (f == NULL) return 0;
    char line[256];
    unsigned long long kb = 0;
    while (fgets(line, sizeof(line), f))
        if (sscanf(line, "AnonHugePages: %llu kB", &kb) == 1) break;
    fclose(f);
    return (uint64_t)kb * 1024;
}

/* The targets are for one core: the benchmark stays on one, so that the
 * scheduler does not move it to the other core (and its empty L2 cache)
 * in mid-run.  The last CPU it may use; -1 if it cannot be pinned. */
static int pin_last_cpu(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) != 0) return -1;
    int cpu = -1;
    for (int i = 0; i < CPU_SETSIZE; i++)
        if (CPU_ISSET(i, &set)) cpu = i;
    if (cpu < 0) return -1;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof(set), &set) == 0 ? cpu : -1;
}

static void usage(FILE *f) {
    fprintf(f, "usage: bench-route [--json] [--agents N] [--queues N] [--skills N]\n"
               "                   [--routed N [--rounds R] | --seconds S] [--seed N]\n"
               "                   [--backlog B]\n"
               "                   [--huge-pages] [--no-pin]\n"
               "  Routing benchmark over the core: phases at backlogs 0, 10000 and 100000.\n"
               "  --backlog B  run only the phase at backlog B (for profiling)\n"
               "  --huge-pages   ask the allocator for 2 MiB pages (sb_mem_huge_pages;\n"
               "               the server does not: see bench/README.md)\n"
               "  --no-pin       do not pin the benchmark to one CPU (by default, the\n"
               "               last one it may use: device interrupts go to the first)\n"
               "  --routed N   routed interactions per measured round (default 300000)\n"
               "  --rounds R   rounds in a phase's throughput pass, 1-100 (default 5):\n"
               "               its routed/s is the median round's (--routed >= 1000\n"
               "               when R > 1)\n"
               "  --seconds S  measure each phase for S seconds of wall time instead\n"
               "               (one round)\n"
               "  defaults: 10000 agents, 1000 queues, 50 skills, seed 1\n");
}

/* The host's state (bench/memprobe.c): a walk over 8 MiB, which the
 * last-level cache holds unless the other guests have taken it, and one
 * over 64 MiB, which it never holds. */
static void probe_host(double llc_ns[2], double mem_ns[2], int when) {
    llc_ns[when] = sb_bench_walk_ns(8u << 20);
    mem_ns[when] = sb_bench_walk_ns(64u << 20);
}

static bool parse_u64(const char *s, uint64_t *out) {
    char *end;
    if (s == NULL || *s == '\0' || *s == '-') return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end != '\0') return false;
    *out = v;
    return true;
}

int main(int argc, char **argv) {
    opts o = {.agents = 10000,
              .queues = 1000,
              .skills = 50,
              .routed = 300000,
              .rounds = 5,
              .seed = 1,
              .pin = true,
              .cpu = -1,
              .nphases = 3,
              .backlogs = {0, 10000, BIG_BACKLOG}};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "--json")) {
            o.json = true;
        } else if (!strcmp(a, "--huge-pages")) {
            o.huge = true;
        } else if (!strcmp(a, "--no-pin")) {
            o.pin = false;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(a, "--seconds")) {
            char *end;
            if (v == NULL || (o.seconds = strtod(v, &end)) <= 0 || *end) goto bad;
            i++;
        } else if (parse_u64(v, &n) && n > 0 && n <= UINT32_MAX &&
                   (!strcmp(a, "--agents") || !strcmp(a, "--queues") || !strcmp(a, "--skills"))) {
            *(a[2] == 'a' ? &o.agents : a[2] == 'q' ? &o.queues : &o.skills) = (uint32_t)n;
            i++;
        } else if (parse_u64(v, &n) && n > 0 && !strcmp(a, "--routed")) {
            o.routed = n;
            i++;
        } else if (parse_u64(v, &n) && n > 0 && n <= MAX_ROUNDS && !strcmp(a, "--rounds")) {
            o.rounds = (uint32_t)n;
            i++;
        } else if (parse_u64(v, &n) && n <= 10000000 && !strcmp(a, "--backlog")) {
            o.nphases = 1;
            o.backlogs[0] = (uint32_t)n;
            i++;
        } else if (parse_u64(v, &n) && !strcmp(a, "--seed")) {
            o.seed = n;
            i++;
        } else {
            goto bad;
        }
        continue;
    bad:
        fprintf(stderr, "bench-route: bad argument: %s%s%s\n", a, v ? " " : "", v ? v : "");
        usage(stderr);
        return 2;
    }

    /* A round must outlast a turn of the loop (a turn accepts an offer or
     * two), or two rounds would end in one turn and merge. */
    if (o.seconds <= 0 && o.rounds > 1 && o.routed < MIN_ROUND_ROUTED) {
        fprintf(stderr, "bench-route: --routed must be at least %d with more than one round\n",
                MIN_ROUND_ROUTED);
        return 2;
    }
    if (o.seconds > 0) o.rounds = 1;
    o.huge = o.huge && sb_mem_huge_pages(); /* before the center is built */
    if (o.pin) o.cpu = pin_last_cpu();
    probe_host(o.llc_ns, o.mem_ns, 0);
    center ct;
    memset(&ct, 0, sizeof(ct));
    center_build(&ct, &o);
    result r[3];
    for (uint32_t p = 0; p < o.nphases; p++)
        run_phase(&o, &ct, o.backlogs[p], &r[p]);
    for (uint32_t p = 0; p < o.nphases; p++)
        if (r[p].huge_bytes_end > o.huge_bytes) o.huge_bytes = r[p].huge_bytes_end;
    probe_host(o.llc_ns, o.mem_ns, 1);
    if (o.json)
        print_json(&o, &ct, r);
    else
        print_human(&o, &ct, r);
    center_free(&ct);
    return 0;
}
