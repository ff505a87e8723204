/* test_stats_model.c: src/stats against the core itself.  Seeded random
 * call sequences (arrivals, offers accepted and rejected, timeouts,
 * wrap-up, abandons, cancels, transfers, overflow, agent states, restores)
 * drive a real core; after every call the stats' live figures must match
 * what the core reports object by object, and at the end every interval
 * row, summed, must give back the day's totals. */
#include <string.h>

#include "base/mem.h"
#include "base/rand.h"
#include "base/status.h"
#include "core/core.h"
#include "stats/stats.h"
#include "unit/test.h"

#define NQ 4
#define NAG 6
#define MAXIX 4096
#define MAXOFF 256

typedef struct model {
    sb_core *c;
    sb_stats *st;
    sb_rand rng;
    int64_t now;
    sb_id live[MAXIX];
    uint32_t nlive;
    sb_id next_ix;
    struct {
        sb_id ix, agent;
    } offers[MAXOFF];
    uint32_t noffers;
    sb_stats_interval *rows;
    uint32_t nrows, cap_rows;
} model;

static uint32_t pick(model *m, uint32_t n) { return (uint32_t)(sb_rand_next(&m->rng) % n); }

static void drop_offer(model *m, sb_id ix, sb_id agent) {
    for (uint32_t i = 0; i < m->noffers; i++)
        if (m->offers[i].ix == ix && m->offers[i].agent == agent) {
            m->offers[i] = m->offers[--m->noffers];
            return;
        }
}

/* Drain the core: events to the stats, offers tracked, rows kept. */
static void drain(model *m) {
    uint32_t n;
    const sb_event *ev = sb_core_events(m->c, &n);
    sb_stats_events(m->st, ev, n);
    for (uint32_t i = 0; i < n; i++) {
        const sb_event *e = &ev[i];
        if (e->type == SB_EV_IX_OFFERED && m->noffers < MAXOFF) {
            m->offers[m->noffers].ix = e->ix;
            m->offers[m->noffers++].agent = e->agent;
        } else if (e->type == SB_EV_IX_ACCEPTED || e->type == SB_EV_IX_REJECTED ||
                   e->type == SB_EV_IX_TIMED_OUT || e->type == SB_EV_IX_WITHDRAWN) {
            drop_offer(m, e->ix, e->agent);
        }
    }
    sb_core_events_clear(m->c);
    sb_stats_advance(m->st, m->now);
    const sb_stats_interval *r = sb_stats_intervals(m->st, &n);
    for (uint32_t i = 0; i < n; i++) {
        if (m->nrows == m->cap_rows) {
            m->cap_rows = m->cap_rows ? m->cap_rows * 2 : 64;
            m->rows = sb_realloc(m->rows, m->cap_rows * sizeof(*m->rows));
        }
        m->rows[m->nrows++] = r[i];
    }
    sb_stats_intervals_clear(m->st);
}

static void setup(model *m, uint64_t seed) {
    memset(m, 0, sizeof(*m));
    sb_rand_seed(&m->rng, seed);
    m->c = sb_core_new(seed);
    sb_stats_config cfg;
    sb_stats_config_default(&cfg);
    cfg.interval_ms = 5 * 60000;
    cfg.interval_grace_ms = 7 * 86400000LL; /* every row complete: sums must match */
    cfg.window_min = 5;
    m->st = sb_stats_new(&cfg);
    m->now = 1000;
    sb_step_def all[] = {{"", 0}}, two[] = {{"agent.skills.a >= 2", 0}, {"", 3000}};
    sb_queue_def d[NQ] = {
        {.steps = all, .nsteps = 1, .offer_timeout_ms = 2000, .wrapup = SB_WRAPUP_OPTIONAL},
        {.steps = two, .nsteps = 2, .offer_timeout_ms = 1500, .max_wait_ms = 20000,
         .max_wait_overflow = 1},
        {.steps = all, .nsteps = 1, .offer_timeout_ms = 1000, .selection = SB_SEL_BROADCAST,
         .broadcast_n = 2, .wrapup = SB_WRAPUP_MANDATORY_TIMEOUT, .wrapup_timeout_ms = 4000},
        {.steps = all, .nsteps = 1, .offer_timeout_ms = 1000, .max_wait_ms = 15000,
         .max_length = 3},
    };
    for (sb_id q = 1; q <= NQ; q++) {
        assert_int_equal(sb_queue_set(m->c, m->now, q, &d[q - 1], NULL, NULL), SB_OK);
        assert_int_equal(sb_stats_set_queue(m->st, q, 3000 * q), SB_OK);
    }
    sb_sym a = sb_core_sym(m->c, "a");
    for (sb_id i = 1; i <= NAG; i++) {
        sb_skill sk = {a, (int32_t)(i % 4)};
        sb_id queues[NQ];
        uint32_t nq = 0;
        for (sb_id q = 1; q <= NQ; q++)
            if ((i + q) % 3 != 0) queues[nq++] = q;
        sb_agent_def ad = {.skills = &sk, .nskills = 1, .queues = queues, .nqueues = nq};
        assert_int_equal(sb_agent_set(m->c, m->now, i, &ad), SB_OK);
        sb_id team = 100 + i % 2;
        assert_int_equal(sb_stats_set_agent(m->st, i, &team, 1, queues, nq), SB_OK);
    }
    drain(m);
}

static void teardown(model *m) {
    sb_stats_free(m->st);
    sb_core_free(m->c);
    sb_free(m->rows);
}

static sb_id any_live(model *m) { return m->nlive ? m->live[pick(m, m->nlive)] : 12345; }

static void step(model *m) {
    sb_core *c = m->c;
    sb_id ag = 1 + pick(m, NAG), q = 1 + pick(m, NQ);
    uint32_t op = pick(m, 20);
    if (op < 5) {
        sb_interaction_def d = {.id = ++m->next_ix, .queue = q, .channel = (uint8_t)pick(m, 3)};
        if (sb_interaction_create(c, m->now, &d) == SB_OK && m->nlive < MAXIX)
            m->live[m->nlive++] = d.id;
    } else if (op < 8 && m->noffers) {
        uint32_t k = pick(m, m->noffers);
        if (op < 7)
            sb_offer_accept(c, m->now, m->offers[k].agent, m->offers[k].ix);
        else
            sb_offer_reject(c, m->now, m->offers[k].agent, m->offers[k].ix);
    } else if (op < 10) {
        sb_interaction_end(c, m->now, any_live(m));
        sb_wrapup_complete(c, m->now, any_live(m), 1 + pick(m, 2));
    } else if (op == 10) {
        sb_interaction_abandon(c, m->now, any_live(m));
    } else if (op == 11) {
        sb_interaction_cancel(c, m->now, any_live(m));
    } else if (op == 12) {
        sb_interaction_transfer_queue(c, m->now, any_live(m), q, pick(m, 2));
    } else if (op == 13) {
        sb_interaction_transfer_agent(c, m->now, any_live(m), ag, pick(m, 2) * 3000);
    } else if (op == 14) {
        sb_agent_login(c, m->now, ag);
        sb_agent_ready(c, m->now, ag);
    } else if (op == 15) {
        uint32_t k = pick(m, 3);
        if (k == 0) sb_agent_not_ready(c, m->now, ag, 7);
        if (k == 1) sb_agent_logout(c, m->now, ag);
        if (k == 2) sb_agent_ready(c, m->now, ag);
    } else if (op == 16 && pick(m, 8) == 0) {
        sb_interaction_def d = {.id = ++m->next_ix, .queue = q, .channel = SB_CH_EMAIL};
        int st = pick(m, 2) ? SB_IX_CONNECTED : SB_IX_WRAP_UP;
        if (sb_interaction_restore(c, m->now, &d, (uint8_t)st, ag, 0) == SB_OK && m->nlive < MAXIX)
            m->live[m->nlive++] = d.id;
    } else {
        m->now += pick(m, 4) == 0 ? (int64_t)pick(m, 20000) : (int64_t)pick(m, 1500);
        sb_core_advance(c, m->now);
    }
    drain(m);
}

static uint8_t activity_of(const sb_agent_info *ai) {
    uint32_t held = 0;
    for (int ch = 0; ch < SB_CH_COUNT; ch++) held += ai->count[ch];
    if (ai->state == SB_AGENT_LOGGED_OUT) return SB_STATS_LOGGED_OUT;
    if (held || ai->state == SB_AGENT_WRAP_UP) return SB_STATS_BUSY;
    if (ai->state == SB_AGENT_READY) return SB_STATS_READY;
    if (ai->state == SB_AGENT_NOT_RESPONDING) return SB_STATS_NOT_RESPONDING;
    return SB_STATS_NOT_READY;
}

/* The stats' live figures are the core's. */
static void check(model *m) {
    uint32_t waiting[NQ + 1] = {0}, offering[NQ + 1] = {0}, k = 0;
    for (uint32_t i = 0; i < m->nlive; i++) {
        sb_ix_info info = {0};
        if (sb_interaction_info(m->c, m->live[i], &info) != SB_OK) continue;
        m->live[k++] = m->live[i];
        if (info.state == SB_IX_QUEUED || info.state == SB_IX_OFFERED) waiting[info.queue]++;
        if (info.state == SB_IX_OFFERED) offering[info.queue]++;
    }
    m->nlive = k;
    uint32_t acts[SB_STATS_ACT_COUNT] = {0};
    for (sb_id q = 1; q <= NQ; q++) {
        sb_stats_queue_view v;
        assert_int_equal(sb_stats_queue_view_get(m->st, q, m->now, &v), SB_OK);
        assert_int_equal(v.waiting, waiting[q]);
        assert_int_equal(v.offering, offering[q]);
        const sb_stats_counts *c = &v.today.c;
        assert_int_equal(c->offered, c->answered + c->abandoned + c->canceled + c->ended +
                                         c->moved + v.waiting);
        assert_true(c->short_abandoned <= c->abandoned && c->answered_in_sl <= c->answered);
        uint32_t sum = 0;
        for (int a = 0; a < SB_STATS_ACT_COUNT; a++) sum += v.by_activity[a];
        assert_int_equal(sum, v.agents);
    }
    for (sb_id a = 1; a <= NAG; a++) {
        sb_agent_info ai = {0};
        sb_stats_agent_view v;
        assert_int_equal(sb_agent_info_get(m->c, a, &ai), SB_OK);
        assert_int_equal(sb_stats_agent_view_get(m->st, a, m->now, &v), SB_OK);
        uint32_t held = 0;
        for (int ch = 0; ch < SB_CH_COUNT; ch++) held += ai.count[ch];
        assert_int_equal(v.holding, held);
        assert_int_equal(v.state, ai.state);
        assert_int_equal(v.activity, activity_of(&ai));
        acts[v.activity]++;
    }
    sb_stats_group_view t;
    sb_stats_tenant_view_get(m->st, m->now, &t);
    assert_memory_equal(t.by_activity, acts, sizeof(acts));
    sb_core_stats cs;
    sb_core_stats_get(m->c, &cs);
    sb_stats_sizes z;
    sb_stats_sizes_get(m->st, &z);
    assert_int_equal(z.interactions, cs.interactions);
}

/* Everything ends, the clock moves past every interval: the rows sum to
 * the day. */
static void finish(model *m) {
    for (uint32_t i = 0; i < m->nlive; i++) {
        sb_id ix = m->live[i];
        sb_interaction_abandon(m->c, m->now, ix);
        sb_interaction_end(m->c, m->now, ix);
        sb_wrapup_complete(m->c, m->now, ix, 1);
    }
    for (sb_id a = 1; a <= NAG; a++) sb_agent_logout(m->c, m->now, a);
    drain(m);
    m->now += 86400000;
    sb_core_advance(m->c, m->now);
    drain(m);
    check(m);
    sb_stats_sizes z;
    sb_stats_sizes_get(m->st, &z);
    assert_int_equal(z.interactions, 0);
    assert_int_equal(z.open_intervals, 0);
    for (int kind = SB_STATS_ROW_QUEUE; kind <= SB_STATS_ROW_AGENT; kind++)
        for (sb_id id = 1; id <= (kind == SB_STATS_ROW_QUEUE ? NQ : NAG); id++) {
            sb_stats_counts sum;
            int64_t time_ms[SB_STATS_ACT_COUNT] = {0};
            memset(&sum, 0, sizeof(sum));
            int64_t last_end = 0;
            for (uint32_t i = 0; i < m->nrows; i++) {
                const sb_stats_interval *r = &m->rows[i];
                if (r->kind != kind || r->id != id) continue;
                assert_int_equal(r->unresolved, 0);
                assert_true(r->start >= last_end); /* one row per interval, in order */
                last_end = r->end;
                sb_stats_counts_add(&sum, &r->c);
                for (int a = 0; a < SB_STATS_ACT_COUNT; a++) time_ms[a] += r->time_ms[a];
            }
            if (kind == SB_STATS_ROW_QUEUE) {
                sb_stats_queue_view v;
                assert_int_equal(sb_stats_queue_view_get(m->st, id, m->now, &v), SB_OK);
                assert_memory_equal(&sum, &v.today.c, sizeof(sum));
            } else {
                sb_stats_agent_view v;
                assert_int_equal(sb_stats_agent_view_get(m->st, id, m->now, &v), SB_OK);
                assert_memory_equal(&sum, &v.today.c, sizeof(sum));
                assert_memory_equal(time_ms, v.time_ms, sizeof(time_ms));
            }
        }
}

static void random_runs_match_the_core(void **state) {
    (void)state;
    uint64_t handled = 0, answered = 0, abandoned = 0, moved = 0;
    for (uint64_t seed = 1; seed <= 6; seed++) {
        model *m = sb_malloc(sizeof(*m));
        setup(m, seed);
        for (int i = 0; i < 3000; i++) {
            step(m);
            check(m);
        }
        finish(m);
        sb_stats_group_view t;
        sb_stats_tenant_view_get(m->st, m->now, &t);
        handled += t.today.c.handled;
        answered += t.today.c.answered;
        abandoned += t.today.c.abandoned;
        moved += t.today.c.moved;
        teardown(m);
        sb_free(m);
    }
    /* the runs exercised what they claim to */
    assert_true(handled > 50 && answered > 100 && abandoned > 20 && moved > 20);
}

SB_TEST_GROUP(stats_model, cmocka_unit_test(random_runs_match_the_core))
