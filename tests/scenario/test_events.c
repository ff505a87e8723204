/* Scenarios: the event log.  A randomized but seeded script (arrivals,
 * accepts, rejects, ends, wrap-ups, transfers, agents coming and going,
 * timers) checks that
 *   (a) the same script yields a byte-identical event log;
 *   (b) the events alone rebuild the state: a model folded from them
 *       agrees with sb_interaction_info / sb_agent_info for every id, at
 *       many points of the script, and what the core has dropped is
 *       terminal in the model;
 *   (c) sequence numbers go up by exactly one. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/harness.h"

#define NAG   8    /* agents 1..NAG */
#define NQ    5    /* queues 1..NQ */
#define MAXIX 2048 /* interaction ids 1..MAXIX-1 */
#define NOPS  3000

/* ---- the model: folded from events only ---- */

typedef struct mix {
    bool known, live;
    uint8_t state, channel, step;
    sb_id queue, agent;
    sb_id offers[NAG];
    uint32_t noffers;
} mix;

typedef struct model {
    mix ix[MAXIX];
    uint8_t astate[NAG + 1];
    sb_id areason[NAG + 1];
    uint32_t folded;
} model;

static const char *describe(const sb_event *e) {
    static char buf[256];
    sb_event_format(e, buf, sizeof(buf));
    return buf;
}

static void offer_del(mix *x, const sb_event *e) {
    for (uint32_t i = 0; i < x->noffers; i++)
        if (x->offers[i] == e->agent) {
            x->offers[i] = x->offers[--x->noffers];
            return;
        }
    fail_msg("no offer to take back: %s", describe(e));
}

static void finish(mix *x, const sb_event *e, int state) {
    if (x->noffers) fail_msg("offers left at the end: %s", describe(e));
    x->state = (uint8_t)state;
    x->live = false;
    x->agent = 0;
}

static void fold(model *m, const sc *s) {
    for (; m->folded < s->nlog; m->folded++) {
        const sb_event *e = &s->log[m->folded];
        if (e->type == SB_EV_AGENT_STATE) {
            assert_true(e->agent >= 1 && e->agent <= NAG);
            m->astate[e->agent] = e->state;
            m->areason[e->agent] = e->code;
            continue;
        }
        if (e->type == SB_EV_QUEUE_OPEN || e->type == SB_EV_QUEUE_CLOSED) continue;
        assert_true(e->ix >= 1 && e->ix < MAXIX);
        mix *x = &m->ix[e->ix];
        if (e->type != SB_EV_IX_CREATED && !x->live)
            fail_msg("event for a dead interaction: %s", describe(e));
        switch (e->type) {
        case SB_EV_IX_CREATED:
            if (x->known) fail_msg("created twice: %s", describe(e));
            memset(x, 0, sizeof(*x));
            x->known = x->live = true;
            x->channel = e->channel;
            x->queue = e->queue;
            break;
        case SB_EV_IX_QUEUED:
            x->state = SB_IX_QUEUED;
            x->queue = e->queue;
            x->step = e->step;
            x->agent = 0;
            break;
        case SB_EV_IX_STEP:
            assert_int_equal(x->state, SB_IX_QUEUED);
            x->step = e->step;
            break;
        case SB_EV_IX_OFFERED:
            for (uint32_t i = 0; i < x->noffers; i++)
                if (x->offers[i] == e->agent) fail_msg("offered twice: %s", describe(e));
            x->offers[x->noffers++] = e->agent;
            x->state = SB_IX_OFFERED;
            break;
        case SB_EV_IX_ACCEPTED:
            offer_del(x, e);
            x->state = SB_IX_CONNECTED;
            x->agent = e->agent;
            break;
        case SB_EV_IX_REJECTED:
        case SB_EV_IX_TIMED_OUT:
        case SB_EV_IX_WITHDRAWN: offer_del(x, e); break;
        case SB_EV_IX_WRAP_UP:
            assert_int_equal(x->agent, e->agent);
            x->state = SB_IX_WRAP_UP;
            break;
        case SB_EV_IX_COMPLETED:
            assert_int_equal(x->agent, e->agent);
            finish(x, e, SB_IX_COMPLETED);
            break;
        case SB_EV_IX_ABANDONED: finish(x, e, SB_IX_ABANDONED); break;
        case SB_EV_IX_CANCELED: finish(x, e, SB_IX_CANCELED); break;
        case SB_EV_IX_ENDED: finish(x, e, SB_IX_ENDED); break;
        case SB_EV_IX_TRANSFERRED:
            x->queue = e->queue;
            x->agent = 0;
            break;
        case SB_EV_IX_OVERFLOWED: x->queue = e->queue; break;
        case SB_EV_IX_PREFERRED:
        case SB_EV_IX_ATTRS: break;
        default: fail_msg("unknown event: %s", describe(e));
        }
    }
}

static bool terminal(int state) {
    return state >= SB_IX_COMPLETED && state <= SB_IX_ENDED;
}

static uint64_t cur_seed; /* for messages */

/* The model against the core, for every id handed out so far. */
static void check(const model *m, const sc *s, sb_id next_ix) {
    uint16_t cnt[NAG + 1][SB_CH_COUNT];
    memset(cnt, 0, sizeof(cnt));
    for (sb_id id = 1; id < next_ix; id++) {
        const mix *x = &m->ix[id];
        sb_ix_info ii = {0};
        int rc = sb_interaction_info(s->c, id, &ii);
        if (!x->live) {
            if (rc != SB_ENOENT)
                fail_msg("ix %llu: core has it (state %s), model not", (unsigned long long)id,
                         sb_ix_state_name(ii.state));
            if (x->known && !terminal(x->state))
                fail_msg("ix %llu gone but not terminal in the model", (unsigned long long)id);
            continue;
        }
        if (rc != SB_OK)
            fail_msg("ix %llu: live in the model (%s), gone from the core", (unsigned long long)id,
                     sb_ix_state_name(x->state));
        if (ii.state != x->state || ii.queue != x->queue || ii.agent != x->agent ||
            ii.offers != x->noffers || ii.channel != x->channel ||
            (x->state == SB_IX_QUEUED && ii.step != x->step))
            fail_msg(
                "seed %llu ix %llu: core %s q=%llu agent=%llu offers=%u step=%u; model %s q=%llu "
                "agent=%llu offers=%u step=%u",
                (unsigned long long)cur_seed, (unsigned long long)id, sb_ix_state_name(ii.state),
                (unsigned long long)ii.queue, (unsigned long long)ii.agent, ii.offers, ii.step,
                sb_ix_state_name(x->state), (unsigned long long)x->queue,
                (unsigned long long)x->agent, x->noffers, x->step);
        for (uint32_t i = 0; i < x->noffers; i++)
            cnt[x->offers[i]][x->channel]++;
        if (x->agent) cnt[x->agent][x->channel]++;
    }
    for (sb_id a = 1; a <= NAG; a++) {
        sb_agent_info ai = sc_agent_info(s, a);
        if (ai.state != m->astate[a] || ai.reason != m->areason[a])
            fail_msg("agent %llu: core %s/%llu, model %s/%llu", (unsigned long long)a,
                     sb_agent_state_name(ai.state), (unsigned long long)ai.reason,
                     sb_agent_state_name(m->astate[a]), (unsigned long long)m->areason[a]);
        for (int ch = 0; ch < SB_CH_COUNT; ch++)
            if (ai.count[ch] != cnt[a][ch])
                fail_msg("agent %llu: %s count core %u, model %u", (unsigned long long)a,
                         sb_channel_name(ch), ai.count[ch], cnt[a][ch]);
    }
}

/* ---- the script ---- */

typedef struct rng {
    uint64_t s;
} rng;

static uint64_t rnext(rng *r) { /* splitmix64 */
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static uint32_t pick(rng *r, uint32_t n) {
    return (uint32_t)(rnext(r) % n);
}

/* A random live interaction in one of the states in mask (bit = state). */
static sb_id pick_ix(const model *m, rng *r, sb_id next_ix, unsigned mask) {
    static sb_id cand[MAXIX];
    uint32_t n = 0;
    for (sb_id id = 1; id < next_ix; id++)
        if (m->ix[id].live && (mask & (1u << m->ix[id].state))) cand[n++] = id;
    return n ? cand[pick(r, n)] : 0;
}

static void setup(sc *s) {
    sb_profile_def p;
    memset(&p, 0, sizeof(p));
    p.units = 100;
    p.cost[SB_CH_VOICE] = 100;
    p.max[SB_CH_VOICE] = 1;
    p.blocks[SB_CH_VOICE] = 0x3f;
    p.cost[SB_CH_CHAT] = 34;
    p.max[SB_CH_CHAT] = 3;
    p.cost[SB_CH_EMAIL] = 50;
    p.max[SB_CH_EMAIL] = 2;
    p.interruptible_by[SB_CH_EMAIL] = SB_CH_BIT(SB_CH_VOICE);
    sc_profile(s, 1, &p);

    sb_step_def one = {"", 0};
    sb_queue_def d = sc_qdef(&one, 1);
    d.offer_timeout_ms = 8000;
    sc_queue_set(s, 1, &d);

    sb_step_def two[2] = {{"agent.skills.s >= 3", 0}, {"", 5000}};
    d = sc_qdef(two, 2);
    d.selection = SB_SEL_LEAST_OCCUPIED;
    d.wrapup = SB_WRAPUP_MANDATORY_TIMEOUT;
    d.wrapup_timeout_ms = 7000;
    d.max_wait_ms = 40000;
    d.max_wait_overflow = 1;
    d.aging_per_s = 1;
    sc_queue_set(s, 2, &d);

    d = sc_qdef(&one, 1);
    d.selection = SB_SEL_RANDOM;
    d.wrapup = SB_WRAPUP_OPTIONAL;
    d.max_length = 2;
    d.full_overflow = 1;
    d.max_wait_ms = 30000;
    sc_queue_set(s, 3, &d);

    d = sc_qdef(&one, 1);
    d.selection = SB_SEL_BROADCAST;
    d.broadcast_n = 2;
    d.wrapup = SB_WRAPUP_MANDATORY;
    d.offer_timeout_ms = 6000;
    sc_queue_set(s, 4, &d);

    sb_step_def five = {"agent.skills.s >= 4 or interaction.vip = true", 0};
    d = sc_qdef(&five, 1);
    d.selection = SB_SEL_ROUND_ROBIN;
    d.closed_overflow = 3;
    sc_queue_set(s, 5, &d);

    static const char *const specs[NAG + 1] = {
        NULL,
        "skills=s:1 queues=1,3,5",
        "skills=s:2 queues=2,3,4 profile=1",
        "skills=s:3 queues=1,2,4,5",
        "skills=s:4 queues=3,4,5 profile=1",
        "skills=s:5 queues=1,2,3",
        "skills=s:3 queues=2,4,5",
        "skills=s:1 queues=1,4 profile=1",
        "skills=s:4 queues=1,2,3,4,5",
    };
    for (sb_id a = 1; a <= NAG; a++) {
        if (a % 2)
            sc_agent(s, a, specs[a]);
        else
            sc_agent_nr(s, a, specs[a]);
    }
}

#define M(st) (1u << (st))

/* One random operation; returns the core's status. */
static int step(sc *s, model *m, rng *r, sb_id *next_ix) {
    sb_core *c = s->c;
    int64_t now = s->now;
    sb_id ix, a = 1 + pick(r, NAG);
    switch (pick(r, 22)) {
    case 0:
    case 1:
    case 2:
    case 3: {
        if (*next_ix >= MAXIX) return SB_OK;
        static const uint8_t chans[4] = {SB_CH_VOICE, SB_CH_CHAT, SB_CH_CHAT, SB_CH_EMAIL};
        sb_interaction_def d = {.id = (*next_ix)++,
                                .queue = 1 + pick(r, NQ),
                                .channel = chans[pick(r, 4)],
                                .priority = (int32_t)pick(r, 4)};
        if (pick(r, 8) == 0) {
            d.preferred_agent = a;
            d.preferred_wait_ms = pick(r, 3) * 5000;
        }
        return sb_interaction_create(c, now, &d);
    }
    case 4:
    case 5:
    case 6:
    case 7:
        if ((ix = pick_ix(m, r, *next_ix, M(SB_IX_OFFERED))) == 0) return SB_OK;
        return sb_offer_accept(c, now, m->ix[ix].offers[pick(r, m->ix[ix].noffers)], ix);
    case 8:
        if ((ix = pick_ix(m, r, *next_ix, M(SB_IX_OFFERED))) == 0) return SB_OK;
        return sb_offer_reject(c, now, m->ix[ix].offers[pick(r, m->ix[ix].noffers)], ix);
    case 9:
    case 10:
        if ((ix = pick_ix(m, r, *next_ix, M(SB_IX_CONNECTED))) == 0) return SB_OK;
        return sb_interaction_end(c, now, ix);
    case 11:
        if ((ix = pick_ix(m, r, *next_ix, M(SB_IX_WRAP_UP))) == 0) return SB_OK;
        return sb_wrapup_complete(c, now, ix, pick(r, 3));
    case 12: return sb_agent_ready(c, now, a);
    case 13: return sb_agent_not_ready(c, now, a, pick(r, 3));
    case 14: return pick(r, 2) ? sb_agent_login(c, now, a) : sb_agent_logout(c, now, a);
    case 15:
        if ((ix = pick_ix(m, r, *next_ix, M(SB_IX_QUEUED) | M(SB_IX_OFFERED))) == 0) return SB_OK;
        return pick(r, 2) ? sb_interaction_abandon(c, now, ix) : sb_interaction_cancel(c, now, ix);
    case 16:
        if ((ix = pick_ix(m, r, *next_ix, M(SB_IX_QUEUED) | M(SB_IX_CONNECTED))) == 0) return SB_OK;
        return sb_interaction_transfer_queue(c, now, ix, 1 + pick(r, NQ), pick(r, 2));
    case 17:
        if ((ix = pick_ix(m, r, *next_ix, M(SB_IX_QUEUED) | M(SB_IX_CONNECTED))) == 0) return SB_OK;
        return sb_interaction_transfer_agent(c, now, ix, a, pick(r, 3) * 4000);
    case 18: {
        sb_explain x;
        sb_queue_set_open(c, now, 5, pick(r, 3) != 0);
        if ((ix = pick_ix(m, r, *next_ix, ~0u)) == 0) return SB_OK;
        return sb_interaction_explain(c, now, ix, &x);
    }
    case 19: {
        if ((ix = pick_ix(m, r, *next_ix, ~0u)) == 0) return SB_OK;
        sb_attr at = {sb_core_sym(c, "vip"), sb_val_bool(pick(r, 2))};
        return sb_interaction_set_attrs(c, now, ix, &at, 1);
    }
    default: return sb_agent_ready(c, now, a);
    }
}

typedef struct run {
    sc *s;
    model *m;
    int codes[NOPS];
    uint32_t checks;
} run;

/* The runs of the running test, freed by the teardown even when the test
 * fails half-way (its own scenario, if any, comes from sc_fresh). */
static run *live_runs[4];

/* Run the script for seed; with check_every, compare model and core every
 * that many operations and at the end. */
static run *run_script(uint64_t seed, uint32_t check_every) {
    run *R = calloc(1, sizeof(*R));
    uint32_t slot = 0;
    while (slot < 4 && live_runs[slot])
        slot++;
    assert_true(slot < 4);
    live_runs[slot] = R;
    R->m = calloc(1, sizeof(*R->m));
    R->s = sc_new(seed);
    cur_seed = seed;
    sc *s = R->s;
    setup(s);
    rng r = {seed};
    sb_id next_ix = 1;
    for (uint32_t op = 0; op < NOPS; op++) {
        sc_at(s, s->now + pick(&r, 2500));
        fold(R->m, s);
        R->codes[op] = step(s, R->m, &r, &next_ix);
        sc_collect(s);
        fold(R->m, s);
        if (check_every && (op % check_every == check_every - 1 || op == NOPS - 1)) {
            check(R->m, s, next_ix);
            R->checks++;
        }
    }
    return R;
}

static void run_free(run *R) {
    for (uint32_t i = 0; i < 4; i++)
        if (live_runs[i] == R) live_runs[i] = NULL;
    sc_free(R->s);
    free(R->m);
    free(R);
}

static int cleanup(void **state) {
    for (uint32_t i = 0; i < 4; i++)
        if (live_runs[i]) run_free(live_runs[i]);
    return sc_teardown(state);
}
#define RUNS_TEST(f) cmocka_unit_test_teardown(f, cleanup)

static uint32_t count_type(const sc *s, int type, int reason) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < s->nlog; i++)
        n += s->log[i].type == type && (reason < 0 || s->log[i].reason == reason);
    return n;
}

/* (a) The same seed yields the same log, byte for byte (and the same
 * return codes); another seed does not. */
static void deterministic(void **state) {
    (void)state;
    run *x = run_script(42, 0), *y = run_script(42, 0), *z = run_script(43, 0);
    assert_int_equal(x->s->nlog, y->s->nlog);
    assert_true(x->s->nlog > 2000);
    assert_memory_equal(x->s->log, y->s->log, x->s->nlog * sizeof(sb_event));
    assert_memory_equal(x->codes, y->codes, sizeof(x->codes));
    char a[256], b[256];
    for (uint32_t i = 0; i < x->s->nlog; i++) {
        sb_event_format(&x->s->log[i], a, sizeof(a));
        sb_event_format(&y->s->log[i], b, sizeof(b));
        assert_string_equal(a, b);
    }
    assert_true(z->s->nlog != x->s->nlog ||
                memcmp(z->s->log, x->s->log, x->s->nlog * sizeof(sb_event)) != 0);
    run_free(x);
    run_free(y);
    run_free(z);
}

/* The script reaches every kind of event worth checking. */
static void script_covers_the_lifecycle(void **state) {
    (void)state;
    run *R = run_script(42, 0);
    const sc *s = R->s;
    static const int types[] = {
        SB_EV_IX_CREATED,   SB_EV_IX_QUEUED,      SB_EV_IX_STEP,       SB_EV_IX_OFFERED,
        SB_EV_IX_ACCEPTED,  SB_EV_IX_REJECTED,    SB_EV_IX_TIMED_OUT,  SB_EV_IX_WITHDRAWN,
        SB_EV_IX_WRAP_UP,   SB_EV_IX_COMPLETED,   SB_EV_IX_ABANDONED,  SB_EV_IX_CANCELED,
        SB_EV_IX_ENDED,     SB_EV_IX_TRANSFERRED, SB_EV_IX_OVERFLOWED, SB_EV_IX_PREFERRED,
        SB_EV_QUEUE_CLOSED, SB_EV_AGENT_STATE,    SB_EV_IX_ATTRS};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (count_type(s, types[i], -1) == 0) fail_msg("no %s event", sb_event_type_name(types[i]));
    if (getenv("SB_EVENTS_HISTOGRAM"))
        for (int t = 1; t < SB_EV_COUNT; t++)
            fprintf(stderr, "%s %u\n", sb_event_type_name(t), count_type(s, t, -1));
    assert_true(count_type(s, SB_EV_IX_COMPLETED, SB_REASON_WRAPUP_TIMEOUT) > 0);
    assert_true(count_type(s, SB_EV_IX_OVERFLOWED, SB_REASON_MAX_WAIT) > 0);
    assert_true(count_type(s, SB_EV_IX_OVERFLOWED, SB_REASON_FULL) > 0);
    assert_true(count_type(s, SB_EV_IX_OVERFLOWED, SB_REASON_CLOSED) > 0);
    assert_true(count_type(s, SB_EV_IX_QUEUED, SB_REASON_PREFERRED_EXPIRED) > 0);
    run_free(R);
}

/* (b) The events rebuild the state, checked every 25 operations, over
 * many seeds. */
static void events_rebuild_state(void **state) {
    (void)state;
    for (uint64_t seed = 1; seed <= 100; seed++) {
        run *R = run_script(seed, 25);
        assert_int_equal(R->checks, NOPS / 25);
        run_free(R);
    }
}

/* (b), one case by hand: an interaction waiting for its preferred agent
 * goes back to normal routing when that agent logs out; its step has
 * widened meanwhile (5 s step, 19 s waiting).  The log must say so: a
 * reader of the events would otherwise still see it at step 0, waiting
 * for the agent. */
static void preferred_agent_logout_is_logged(void **state) {
    (void)state;
    sc *s = sc_fresh(1);
    sb_step_def steps[2] = {{"agent.skills.s >= 3", 0}, {"", 5000}};
    sb_queue_def d = sc_qdef(steps, 2);
    sc_queue_set(s, 1, &d);
    sc_agent_nr(s, 1, "skills=s:5 queues=1");
    sc_at(s, 1000);
    sb_interaction_def ix = {.id = 7, .queue = 1, .channel = SB_CH_VOICE, .preferred_agent = 1};
    assert_int_equal(sc_ix_def(s, &ix), SB_OK);
    sc_at(s, 20000);
    sc_mark(s);
    sc_logout(s, 1);
    sb_ix_info ii = sc_ix_info(s, 7);
    assert_int_equal(ii.state, SB_IX_QUEUED);
    assert_int_equal(ii.step, 1);
    /* the last event about 7 tells its step */
    const sb_event *last = NULL;
    for (uint32_t i = s->mark; i < s->nlog; i++)
        if (s->log[i].ix == 7) last = &s->log[i];
    assert_non_null(last);
    assert_true(last->type == SB_EV_IX_QUEUED || last->type == SB_EV_IX_STEP);
    assert_int_equal(last->step, ii.step);
    assert_int_equal(last->at, 20000);
}

/* (c) Sequence numbers start at 1 and go up by one; time never goes back. */
static void sequence_numbers(void **state) {
    (void)state;
    run *R = run_script(7, 0);
    const sc *s = R->s;
    for (uint32_t i = 0; i < s->nlog; i++) {
        assert_int_equal(s->log[i].seq, i + 1);
        if (i) assert_true(s->log[i].at >= s->log[i - 1].at);
    }
    assert_int_equal(sb_core_next_seq(s->c), s->nlog + 1);
    run_free(R);
}

SB_TEST_GROUP(scenario_events, RUNS_TEST(deterministic), RUNS_TEST(script_covers_the_lifecycle),
              RUNS_TEST(events_rebuild_state), RUNS_TEST(preferred_agent_logout_is_logged),
              RUNS_TEST(sequence_numbers))
