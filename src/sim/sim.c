/* sim.c: the simulation engine.  See sim.h.
 *
 * Two clocks meet here: the simulator's own events (arrivals, patience
 * running out, handling and wrap-up ending, shifts) in a heap, and the
 * core's timers (sb_core_next_deadline).  The loop always takes the
 * earliest, so the core sees exactly the calls a server would make. */
#include <math.h>
#include <string.h>

#include "base/map.h"
#include "base/mem.h"
#include "base/status.h"
#include "sim/sim.h"

enum { EV_ARRIVAL = 1, EV_ABANDON, EV_END, EV_WRAP_END, EV_SHIFT_START, EV_SHIFT_END };

typedef struct sim_ev {
    int64_t t;
    uint64_t seq;
    uint32_t kind, idx;
} sim_ev;

typedef struct ix_rec {
    int64_t arrived, answered;
    uint32_t traffic;
    uint32_t agent; /* agent index + 1 while working */
    uint8_t done;
} ix_rec;

typedef struct run {
    const sb_sim_scenario *s;
    sb_core *c;
    sb_rand rng;
    sim_ev *heap;
    uint32_t nheap, cap_heap;
    uint64_t seq;
    ix_rec *ix;
    uint64_t nix, cap_ix;
    int64_t now;
    double *next_arrival_work; /* unused work per traffic source (Poisson) */
    uint32_t *replay_pos;
    uint32_t *work;            /* per agent: interactions held */
    uint8_t *leaving;          /* per agent: log out when work is done */
    uint32_t *on_shift;        /* per agent: shifts currently covering it */
    sb_map agent_idx;          /* agent id -> index + 1 */
    uint32_t busy, logged;
    sb_event *evbuf;
    uint32_t cap_evbuf;
    sb_sim_result *r;
} run;

/* ---- the event heap (values, ordered by time then sequence) ---- */

static bool ev_less(const sim_ev *a, const sim_ev *b) {
    return a->t != b->t ? a->t < b->t : a->seq < b->seq;
}

static void push(run *x, int64_t t, uint32_t kind, uint32_t idx) {
    if (x->nheap == x->cap_heap) {
        x->cap_heap = x->cap_heap ? x->cap_heap * 2 : 1024;
        x->heap = sb_realloc(x->heap, x->cap_heap * sizeof(*x->heap));
    }
    sim_ev e = {t, ++x->seq, kind, idx};
    uint32_t i = x->nheap++;
    while (i > 0 && ev_less(&e, &x->heap[(i - 1) / 2])) {
        x->heap[i] = x->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    x->heap[i] = e;
}

static sim_ev pop(run *x) {
    sim_ev top = x->heap[0], last = x->heap[--x->nheap];
    uint32_t i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= x->nheap) break;
        if (c + 1 < x->nheap && ev_less(&x->heap[c + 1], &x->heap[c])) c++;
        if (!ev_less(&x->heap[c], &last)) break;
        x->heap[i] = x->heap[c];
        i = c;
    }
    if (x->nheap) x->heap[i] = last;
    return top;
}

/* ---- figures ---- */

static uint32_t interval_of(const run *x, int64_t t) {
    int64_t i = t / x->s->interval_ms;
    return (uint32_t)(i < x->r->nintervals ? i : x->r->nintervals - 1);
}

static sb_sim_figures *fig_interval(run *x, int64_t t) { return &x->r->intervals[interval_of(x, t)]; }

/* Count an outcome for the interaction's arrival interval, and after the
 * warm-up for its queue and the total. */
static sb_sim_figures *fig_queue_interval(run *x, const ix_rec *rec) {
    uint32_t q = x->s->traffic[rec->traffic].queue;
    return &x->r->queue_intervals[q * x->r->nintervals + interval_of(x, rec->arrived)];
}

#define COUNT(x, rec, field, v)                                                     \
    do {                                                                            \
        double v_ = (v);                                                            \
        fig_interval((x), (rec)->arrived)->field += v_;                             \
        fig_queue_interval((x), (rec))->field += v_;                                \
        if ((rec)->arrived >= (x)->s->warmup_ms) {                                  \
            (x)->r->queues[(x)->s->traffic[(rec)->traffic].queue].field += v_;      \
            (x)->r->total.field += v_;                                              \
        }                                                                           \
    } while (0)

#define COUNT_MAX(x, rec, field, v)                                                 \
    do {                                                                            \
        double v_ = (v);                                                            \
        sb_sim_figures *f_ = fig_interval((x), (rec)->arrived);                     \
        if (v_ > f_->field) f_->field = v_;                                         \
        f_ = fig_queue_interval((x), (rec));                                        \
        if (v_ > f_->field) f_->field = v_;                                         \
        if ((rec)->arrived >= (x)->s->warmup_ms) {                                  \
            sb_sim_figures *q_ = &(x)->r->queues[(x)->s->traffic[(rec)->traffic].queue]; \
            if (v_ > q_->field) q_->field = v_;                                     \
            if (v_ > (x)->r->total.field) (x)->r->total.field = v_;                 \
        }                                                                           \
    } while (0)

/* Time-weighted figures: spread [now, t) over the intervals it covers. */
static void pass_time(run *x, int64_t t) {
    sb_core_stats st;
    sb_core_stats_get(x->c, &st);
    while (x->now < t) {
        int64_t end = (x->now / x->s->interval_ms + 1) * x->s->interval_ms;
        if (end > t) end = t;
        double dt = (double)(end - x->now) / 1000;
        sb_sim_figures *f = fig_interval(x, x->now);
        f->busy_agent_s += x->busy * dt;
        f->logged_agent_s += x->logged * dt;
        f->waiting_s += st.waiting * dt;
        f->span_s += dt;
        if (x->now >= x->s->warmup_ms) {
            x->r->total.busy_agent_s += x->busy * dt;
            x->r->total.logged_agent_s += x->logged * dt;
            x->r->total.waiting_s += st.waiting * dt;
            x->r->total.span_s += dt;
        }
        x->now = end;
    }
}

/* ---- arrivals ---- */

static int64_t ms(double s) { return (int64_t)llround(s * 1000); }

/* The next Poisson arrival after now for a piecewise-constant rate:
 * spend an exponential amount of "work" across the intervals. */
static void schedule_arrival(run *x, uint32_t ti) {
    const sb_sim_traffic *t = &x->s->traffic[ti];
    if (t->nreplay) {
        uint32_t p = x->replay_pos[ti]++;
        if (p < t->nreplay) push(x, ms(t->replay[p]), EV_ARRIVAL, ti);
        return;
    }
    double work = -log(1.0 - sb_rand_double(&x->rng));
    int64_t at = x->now;
    for (int guard = 0; guard < 1000000 && at < x->s->duration_ms; guard++) {
        int64_t k = at / x->s->interval_ms;
        double rate = t->per_interval[k % t->nper_interval] / (double)x->s->interval_ms; /* per ms */
        int64_t end = (k + 1) * x->s->interval_ms;
        double span = (double)(end - at);
        if (rate * span >= work) {
            push(x, at + (int64_t)ceil(work / rate), EV_ARRIVAL, ti);
            return;
        }
        work -= rate * span;
        at = end;
    }
}

static void arrive(run *x, uint32_t ti) {
    const sb_sim_traffic *t = &x->s->traffic[ti];
    if (x->nix + 1 >= x->cap_ix) {
        x->cap_ix = x->cap_ix ? x->cap_ix * 2 : 4096;
        x->ix = sb_realloc(x->ix, x->cap_ix * sizeof(*x->ix));
    }
    uint64_t id = ++x->nix;
    ix_rec *rec = &x->ix[id];
    memset(rec, 0, sizeof(*rec));
    rec->arrived = x->now;
    rec->traffic = ti;
    COUNT(x, rec, offered, 1);
    double patience = sb_dist_draw(&t->patience, &x->rng);
    sb_interaction_def d = {.id = id, .queue = x->s->cfg.queues[t->queue].id,
                            .channel = t->channel, .priority = t->priority};
    int rc = sb_interaction_create(x->c, x->now, &d);
    if (rc) { /* refused: full or closed */
        rec->done = 1;
        COUNT(x, rec, ended, 1);
    } else if (isfinite(patience)) {
        push(x, x->now + ms(patience), EV_ABANDON, (uint32_t)id);
    }
    schedule_arrival(x, ti);
}

/* ---- reacting to the core ---- */

static uint32_t agent_of(run *x, sb_id id) {
    return (uint32_t)(uintptr_t)sb_map_get(&x->agent_idx, id) - 1;
}

static void try_leave(run *x, uint32_t a) {
    if (!x->leaving[a] || x->work[a]) return;
    if (sb_agent_logout(x->c, x->now, x->s->agents[a].id) == SB_OK) {
        x->leaving[a] = 0;
        x->logged--;
    }
}

static void on_event(run *x, const sb_event *e) {
    ix_rec *rec = e->ix && e->ix <= x->nix ? &x->ix[e->ix] : NULL;
    switch (e->type) {
    case SB_EV_IX_OFFERED:
        sb_offer_accept(x->c, x->now, e->agent, e->ix);
        break;
    case SB_EV_IX_ACCEPTED: {
        uint32_t a = agent_of(x, e->agent);
        if (x->work[a]++ == 0) x->busy++;
        rec->agent = a + 1;
        rec->answered = x->now;
        double wait = (double)(x->now - rec->arrived) / 1000;
        const sb_sim_traffic *t = &x->s->traffic[rec->traffic];
        COUNT(x, rec, answered, 1);
        COUNT(x, rec, wait_answered_s, wait);
        COUNT(x, rec, answered_in_sl, wait <= x->s->cfg.queues[t->queue].sl_threshold_s);
        COUNT_MAX(x, rec, wait_max_s, wait);
        push(x, x->now + ms(sb_dist_draw(&t->handle, &x->rng)), EV_END, (uint32_t)e->ix);
        x->r->routed++;
        break;
    }
    case SB_EV_IX_WRAP_UP: {
        const sb_sim_traffic *t = &x->s->traffic[rec->traffic];
        double w = t->wrapup.kind ? sb_dist_draw(&t->wrapup, &x->rng) : 0;
        push(x, x->now + ms(w), EV_WRAP_END, (uint32_t)e->ix);
        break;
    }
    case SB_EV_IX_COMPLETED: {
        uint32_t a = rec->agent - 1;
        COUNT(x, rec, handle_s, (double)(x->now - rec->answered) / 1000);
        rec->done = 1;
        rec->agent = 0;
        if (--x->work[a] == 0) x->busy--;
        try_leave(x, a);
        break;
    }
    case SB_EV_IX_ABANDONED:
        rec->done = 1;
        COUNT(x, rec, abandoned, 1);
        COUNT(x, rec, short_abandoned, (double)(x->now - rec->arrived) / 1000 <= x->s->short_abandon_s);
        break;
    case SB_EV_IX_ENDED:
        rec->done = 1;
        COUNT(x, rec, ended, 1);
        break;
    }
}

/* Drain the outbox, reacting to each event.  Reactions (accepting an
 * offer) add events, so the batch is copied out first. */
static void drain(run *x) {
    for (;;) {
        uint32_t n;
        const sb_event *ev = sb_core_events(x->c, &n);
        if (n == 0) return;
        if (n > x->cap_evbuf) {
            x->cap_evbuf = n * 2;
            x->evbuf = sb_realloc(x->evbuf, x->cap_evbuf * sizeof(*x->evbuf));
        }
        memcpy(x->evbuf, ev, n * sizeof(*ev));
        sb_core_events_clear(x->c);
        x->r->core_events += n;
        for (uint32_t i = 0; i < n; i++) on_event(x, &x->evbuf[i]);
    }
}

static void handle(run *x, const sim_ev *e) {
    switch (e->kind) {
    case EV_ARRIVAL: arrive(x, e->idx); break;
    case EV_ABANDON:
        if (!x->ix[e->idx].done && x->ix[e->idx].answered == 0 && x->ix[e->idx].agent == 0)
            sb_interaction_abandon(x->c, x->now, e->idx);
        break;
    case EV_END: sb_interaction_end(x->c, x->now, e->idx); break;
    case EV_WRAP_END: sb_wrapup_complete(x->c, x->now, e->idx, 1); break;
    case EV_SHIFT_START:
    case EV_SHIFT_END: {
        const sb_sim_shift *sh = &x->s->shifts[e->idx];
        for (uint32_t i = 0; i < sh->nagents; i++) {
            uint32_t a = sh->agents[i];
            sb_id id = x->s->agents[a].id;
            if (e->kind == EV_SHIFT_START) {
                x->leaving[a] = 0;
                if (x->on_shift[a]++ == 0 && sb_agent_login(x->c, x->now, id) == SB_OK) x->logged++;
                sb_agent_ready(x->c, x->now, id);
            } else if (--x->on_shift[a] == 0) {
                x->leaving[a] = 1;
                sb_agent_not_ready(x->c, x->now, id, 0);
                try_leave(x, a);
            }
        }
        break;
    }
    }
    drain(x);
}

int sb_sim_run(const sb_sim_scenario *s, uint64_t seed, sb_sim_result *r) {
    memset(r, 0, sizeof(*r));
    run x = {.s = s};
    x.r = r;
    r->nintervals = (uint32_t)((s->duration_ms + s->interval_ms - 1) / s->interval_ms);
    r->nqueues = s->cfg.nqueues;
    r->intervals = sb_calloc(r->nintervals, sizeof(*r->intervals));
    r->queues = sb_calloc(r->nqueues + 1, sizeof(*r->queues));
    r->queue_intervals = sb_calloc((size_t)r->nqueues * r->nintervals + 1, sizeof(*r->queue_intervals));
    x.c = sb_core_new(seed);
    sb_core_copy_syms(x.c, s->names);
    sb_rand_seed(&x.rng, seed);
    sb_config base = s->cfg;
    base.agents = s->agents;
    base.nagents = s->nagents;
    sb_config_error err;
    int rc = sb_config_apply(&base, x.c, 0, &err);
    if (rc) {
        sb_core_free(x.c);
        sb_sim_result_free(r);
        return rc;
    }
    x.work = sb_calloc(s->nagents + 1, sizeof(*x.work));
    x.leaving = sb_calloc(s->nagents + 1, 1);
    x.on_shift = sb_calloc(s->nagents + 1, sizeof(*x.on_shift));
    x.replay_pos = sb_calloc(s->ntraffic, sizeof(*x.replay_pos));
    sb_map_init(&x.agent_idx);
    for (uint32_t i = 0; i < s->nagents; i++)
        sb_map_put(&x.agent_idx, s->agents[i].id, (void *)(uintptr_t)(i + 1));

    if (s->nshifts == 0) {
        for (uint32_t i = 0; i < s->nagents; i++) {
            sb_agent_login(x.c, 0, s->agents[i].id);
            sb_agent_ready(x.c, 0, s->agents[i].id);
            x.on_shift[i] = 1;
        }
        x.logged = s->nagents;
    }
    /* All starts before all ends: at an instant where one shift ends and
     * the next begins, the agent stays logged in. */
    for (uint32_t i = 0; i < s->nshifts; i++) push(&x, s->shifts[i].start_ms, EV_SHIFT_START, i);
    for (uint32_t i = 0; i < s->nshifts; i++) push(&x, s->shifts[i].end_ms, EV_SHIFT_END, i);
    for (uint32_t i = 0; i < s->ntraffic; i++) schedule_arrival(&x, i);
    drain(&x);

    for (;;) {
        int64_t core_t = sb_core_next_deadline(x.c);
        int64_t sim_t = x.nheap ? x.heap[0].t : INT64_MAX;
        int64_t t = core_t < sim_t ? core_t : sim_t;
        if (t >= s->duration_ms) break;
        pass_time(&x, t);
        if (core_t <= sim_t) {
            sb_core_advance(x.c, t);
            drain(&x);
        } else {
            sim_ev e = pop(&x);
            handle(&x, &e);
        }
    }
    pass_time(&x, s->duration_ms);

    sb_map_free(&x.agent_idx);
    sb_free(x.heap);
    sb_free(x.evbuf);
    sb_free(x.ix);
    sb_free(x.work);
    sb_free(x.leaving);
    sb_free(x.on_shift);
    sb_free(x.replay_pos);
    sb_core_free(x.c);
    return SB_OK;
}

void sb_sim_result_free(sb_sim_result *r) {
    sb_free(r->intervals);
    sb_free(r->queues);
    sb_free(r->queue_intervals);
    memset(r, 0, sizeof(*r));
}

/* ---- derived figures ---- */

static double ratio(double a, double b) { return b > 0 ? a / b : NAN; }

double sb_sim_service_level(const sb_sim_figures *f) {
    return ratio(f->answered_in_sl, f->answered + f->abandoned - f->short_abandoned);
}
double sb_sim_asa(const sb_sim_figures *f) { return ratio(f->wait_answered_s, f->answered); }
double sb_sim_abandon_rate(const sb_sim_figures *f) { return ratio(f->abandoned, f->offered); }
double sb_sim_occupancy(const sb_sim_figures *f) { return ratio(f->busy_agent_s, f->logged_agent_s); }
double sb_sim_queue_length(const sb_sim_figures *f) { return ratio(f->waiting_s, f->span_s); }
double sb_sim_aht(const sb_sim_figures *f) { return ratio(f->handle_s, f->answered); }

/* Two-sided 95 % Student t quantiles for 1..30 degrees of freedom. */
static const double t95[] = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                             2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                             2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};

void sb_sim_ci95(const double *v, uint32_t n, double *mean, double *half) {
    double sum = 0, sq = 0;
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(v[i])) {
            sum += v[i];
            k++;
        }
    *mean = k ? sum / k : NAN;
    *half = NAN;
    if (k < 2) return;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(v[i])) sq += (v[i] - *mean) * (v[i] - *mean);
    double sd = sqrt(sq / (k - 1)), t = k - 1 <= 30 ? t95[k - 2] : 1.96;
    *half = t * sd / sqrt((double)k);
}
