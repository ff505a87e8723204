#include "scenario/harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

/* ---- lifetime ----------------------------------------------------------- */

sc *sc_new(uint64_t seed) {
    sc *s = sb_calloc(1, sizeof(*s));
    s->c = sb_core_new(seed);
    return s;
}

static sc *live_sc; /* the sc_fresh() scenario of the running test */

void sc_free(sc *s) {
    if (s == live_sc) live_sc = NULL;
    sb_core_free(s->c);
    sb_free(s->log);
    sb_free(s);
}

sc *sc_fresh(uint64_t seed) {
    assert_null(live_sc);
    return live_sc = sc_new(seed);
}

sc *sc_fresh_simple(void) {
    sc *s = sc_fresh(1);
    sc_queue(s, 1, "");
    sc_agent(s, 10, "queues=1");
    return s;
}

int sc_teardown(void **state) {
    (void)state;
    if (live_sc) sc_free(live_sc);
    live_sc = NULL;
    return 0;
}

/* ---- clock and log ------------------------------------------------------ */

void sc_collect(sc *s) {
    uint32_t n;
    const sb_event *ev = sb_core_events(s->c, &n);
    if (n == 0) return;
    if (s->nlog + n > s->cap) {
        s->cap = (s->nlog + n) * 2;
        s->log = sb_realloc(s->log, s->cap * sizeof(*s->log));
    }
    memcpy(s->log + s->nlog, ev, n * sizeof(*ev));
    s->nlog += n;
    sb_core_events_clear(s->c);
}

void sc_at(sc *s, int64_t t) {
    assert_true(t >= s->now);
    int64_t d;
    while ((d = sb_core_next_deadline(s->c)) <= t)
        sb_core_advance(s->c, d);
    sb_core_advance(s->c, t);
    s->now = t;
    sc_collect(s);
}

void sc_mark(sc *s) {
    sc_collect(s);
    s->mark = s->nlog;
}

/* ---- queues and profiles ------------------------------------------------ */

sb_queue_def sc_qdef(sb_step_def *steps, uint32_t nsteps) {
    sb_queue_def d = {.steps = steps, .nsteps = nsteps, .offer_timeout_ms = 10000};
    return d;
}

sb_queue_def sc_qdef_all(void) {
    static sb_step_def every = {"", 0};
    return sc_qdef(&every, 1);
}

void sc_queue(sc *s, sb_id id, const char *expr) {
    sb_step_def step = {expr, 0};
    sb_queue_def d = sc_qdef(&step, 1);
    sc_queue_set(s, id, &d);
}

void sc_queue_set(sc *s, sb_id id, const sb_queue_def *d) {
    sb_expr_error err = {0};
    uint32_t step = 0;
    int rc = sb_queue_set(s->c, s->now, id, d, &err, &step);
    if (rc)
        fail_msg("queue %llu: %s (step %u at %u: %s)", (unsigned long long)id, sb_status_name(rc),
                 step, err.pos, err.reason);
    sc_collect(s);
}

void sc_queue_sel(sc *s, sb_id id, int selection, const char *expr) {
    sb_step_def step = {expr, 0};
    sb_queue_def d = sc_qdef(&step, 1);
    d.selection = (uint8_t)selection;
    sc_queue_set(s, id, &d);
}

void sc_queue_broadcast(sc *s, sb_id id, uint32_t n) {
    sb_queue_def d = sc_qdef_all();
    d.selection = SB_SEL_BROADCAST;
    d.broadcast_n = n;
    sc_queue_set(s, id, &d);
}

void sc_profile(sc *s, sb_id id, const sb_profile_def *d) {
    SC_OK(s, sb_profile_set(s->c, s->now, id, d));
}

/* ---- agents ------------------------------------------------------------- */

static sb_value parse_value(sc *s, const char *v) {
    char *end;
    double d = strtod(v, &end);
    if (*v && *end == '\0') return sb_val_num(d);
    if (!strcmp(v, "true")) return sb_val_bool(true);
    if (!strcmp(v, "false")) return sb_val_bool(false);
    return sb_val_str(sb_core_sym(s->c, v));
}

#define MAXN 32

/* Split "a,b,c" into up to MAXN tokens (modifies buf). */
static uint32_t split(char *buf, const char *sep, char **out) {
    uint32_t n = 0;
    for (char *save = NULL, *t = strtok_r(buf, sep, &save); t && n < MAXN;
         t = strtok_r(NULL, sep, &save))
        out[n++] = t;
    return n;
}

int sc_agent_spec(sc *s, sb_id id, const char *spec) {
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", spec ? spec : "");
    sb_skill skills[MAXN];
    sb_sym langs[MAXN], teams[MAXN];
    sb_attr attrs[MAXN];
    sb_id queues[MAXN];
    sb_agent_def d = {0};
    char *parts[MAXN];
    uint32_t np = split(buf, " ", parts);
    for (uint32_t i = 0; i < np; i++) {
        char *eq = strchr(parts[i], '=');
        assert_non_null(eq);
        *eq = '\0';
        const char *key = parts[i];
        char *items[MAXN];
        uint32_t n = split(eq + 1, ",", items);
        for (uint32_t k = 0; k < n; k++) {
            char *colon = strchr(items[k], ':');
            if (!strcmp(key, "skills")) {
                assert_non_null(colon);
                *colon = '\0';
                skills[d.nskills++] = (sb_skill){sb_core_sym(s->c, items[k]), atoi(colon + 1)};
            } else if (!strcmp(key, "langs")) {
                langs[d.nlanguages++] = sb_core_sym(s->c, items[k]);
            } else if (!strcmp(key, "teams")) {
                teams[d.nteams++] = sb_core_sym(s->c, items[k]);
            } else if (!strcmp(key, "queues")) {
                queues[d.nqueues++] = strtoull(items[k], NULL, 10);
            } else if (!strcmp(key, "profile")) {
                d.profile = strtoull(items[k], NULL, 10);
            } else if (!strcmp(key, "attrs")) {
                assert_non_null(colon);
                *colon = '\0';
                attrs[d.nattrs++] =
                    (sb_attr){sb_core_sym(s->c, items[k]), parse_value(s, colon + 1)};
            } else {
                fail_msg("unknown agent spec key '%s'", key);
            }
        }
    }
    d.skills = skills;
    d.languages = langs;
    d.teams = teams;
    d.attrs = attrs;
    d.queues = queues;
    int rc = sb_agent_set(s->c, s->now, id, &d);
    sc_collect(s);
    return rc;
}

void sc_agent(sc *s, sb_id id, const char *spec) {
    assert_int_equal(sc_agent_spec(s, id, spec), SB_OK);
    sc_login_ready(s, id);
}

void sc_agent_nr(sc *s, sb_id id, const char *spec) {
    assert_int_equal(sc_agent_spec(s, id, spec), SB_OK);
    sc_login(s, id);
}

void sc_login(sc *s, sb_id agent) {
    SC_OK(s, sb_agent_login(s->c, s->now, agent));
}

void sc_login_ready(sc *s, sb_id agent) {
    assert_int_equal(sb_agent_login(s->c, s->now, agent), SB_OK);
    SC_OK(s, sb_agent_ready(s->c, s->now, agent));
}

void sc_ready(sc *s, sb_id agent) {
    SC_OK(s, sb_agent_ready(s->c, s->now, agent));
}

void sc_not_ready(sc *s, sb_id agent, sb_id reason) {
    SC_OK(s, sb_agent_not_ready(s->c, s->now, agent, reason));
}

void sc_logout(sc *s, sb_id agent) {
    SC_OK(s, sb_agent_logout(s->c, s->now, agent));
}

/* ---- interactions ------------------------------------------------------- */

int sc_ix(sc *s, sb_id id, sb_id queue, int channel, int priority, const char *spec) {
    char buf[1024];
    snprintf(buf, sizeof(buf), "%s", spec ? spec : "");
    sb_attr attrs[MAXN];
    uint32_t na = 0;
    char *parts[MAXN];
    uint32_t np = split(buf, " ", parts);
    for (uint32_t i = 0; i < np; i++) {
        char *eq = strchr(parts[i], '=');
        assert_non_null(eq);
        *eq = '\0';
        attrs[na++] = (sb_attr){sb_core_sym(s->c, parts[i]), parse_value(s, eq + 1)};
    }
    sb_interaction_def d = {.id = id,
                            .queue = queue,
                            .channel = (uint8_t)channel,
                            .priority = priority,
                            .attrs = attrs,
                            .nattrs = na};
    return sc_ix_def(s, &d);
}

int sc_ix_def(sc *s, const sb_interaction_def *d) {
    int rc = sb_interaction_create(s->c, s->now, d);
    sc_collect(s);
    return rc;
}

void sc_arrive(sc *s, sb_id id, sb_id queue, int channel, int priority) {
    assert_int_equal(sc_ix(s, id, queue, channel, priority, NULL), SB_OK);
}

void sc_voice(sc *s, sb_id id, sb_id queue, int priority) {
    sc_arrive(s, id, queue, SB_CH_VOICE, priority);
}

void sc_accept(sc *s, sb_id agent, sb_id ix) {
    SC_OK(s, sb_offer_accept(s->c, s->now, agent, ix));
}

void sc_reject(sc *s, sb_id agent, sb_id ix) {
    SC_OK(s, sb_offer_reject(s->c, s->now, agent, ix));
}

void sc_end(sc *s, sb_id ix) {
    SC_OK(s, sb_interaction_end(s->c, s->now, ix));
}

void sc_wrapup_done(sc *s, sb_id ix, sb_id code) {
    SC_OK(s, sb_wrapup_complete(s->c, s->now, ix, code));
}

void sc_connect(sc *s, sb_id agent, sb_id ix, sb_id queue, int channel) {
    sc_arrive(s, ix, queue, channel, 0);
    assert_int_equal(sc_offered(s, ix), agent);
    sc_accept(s, agent, ix);
}

/* ---- state -------------------------------------------------------------- */

int sc_ix_state(const sc *s, sb_id ix) {
    sb_ix_info info = {0};
    return sb_interaction_info(s->c, ix, &info) == SB_OK ? info.state : 0;
}

int sc_agent_state(const sc *s, sb_id agent) {
    return sc_agent_info(s, agent).state;
}

sb_ix_info sc_ix_info(const sc *s, sb_id ix) {
    sb_ix_info info = {0};
    assert_int_equal(sb_interaction_info(s->c, ix, &info), SB_OK);
    return info;
}

sb_agent_info sc_agent_info(const sc *s, sb_id agent) {
    sb_agent_info info = {0};
    assert_int_equal(sb_agent_info_get(s->c, agent, &info), SB_OK);
    return info;
}

sb_explain sc_explain(sc *s, sb_id ix) {
    sb_explain x;
    assert_int_equal(sb_interaction_explain(s->c, s->now, ix, &x), SB_OK);
    sc_collect(s);
    return x;
}

/* ---- the log ------------------------------------------------------------ */

static bool match(const sb_event *e, int type, sb_id ix, sb_id agent) {
    return e->type == type && (!ix || e->ix == ix) && (!agent || e->agent == agent);
}

const sb_event *sc_find(const sc *s, int type, sb_id ix, sb_id agent) {
    for (uint32_t i = s->mark; i < s->nlog; i++)
        if (match(&s->log[i], type, ix, agent)) return &s->log[i];
    return NULL;
}

uint32_t sc_count(const sc *s, int type, sb_id ix, sb_id agent) {
    uint32_t n = 0;
    for (uint32_t i = s->mark; i < s->nlog; i++)
        n += match(&s->log[i], type, ix, agent);
    return n;
}

sb_id sc_offered(const sc *s, sb_id ix) {
    sb_id a = 0;
    for (uint32_t i = s->mark; i < s->nlog; i++)
        if (match(&s->log[i], SB_EV_IX_OFFERED, ix, 0)) a = s->log[i].agent;
    return a;
}

void sc_assert_offered_at(const sc *s, sb_id ix, sb_id agent, int64_t t) {
    assert_int_equal(sc_offered(s, ix), agent);
    assert_int_equal(sc_find(s, SB_EV_IX_OFFERED, ix, agent)->at, t);
}

bool sc_only_offer(const sc *s, sb_id ix, sb_id agent, const char *fmt, ...) {
    if (sc_count(s, SB_EV_IX_OFFERED, 0, 0) == 1 && sc_offered(s, ix) == agent) return true;
    va_list ap;
    va_start(ap, fmt);
    print_message("wrong pick (");
    vprint_message(fmt, ap);
    va_end(ap);
    print_message("):\n");
    sc_dump(s);
    return false;
}

int sc_index(const sc *s, int type, sb_id ix, sb_id agent) {
    const sb_event *e = sc_find(s, type, ix, agent);
    return e ? (int)(e - s->log) : -1;
}

uint32_t sc_offers(const sc *s, sb_id *out, uint32_t max) {
    uint32_t n = 0;
    for (uint32_t i = s->mark; i < s->nlog && n < max; i++)
        if (s->log[i].type == SB_EV_IX_OFFERED) out[n++] = s->log[i].agent;
    return n;
}

uint32_t sc_offered_ixs(const sc *s, sb_id *out, uint32_t max) {
    uint32_t n = 0;
    for (uint32_t i = s->mark; i < s->nlog && n < max; i++)
        if (s->log[i].type == SB_EV_IX_OFFERED) out[n++] = s->log[i].ix;
    return n;
}

void sc_expect(const sc *s, int64_t t, const sc_ev *e, uint32_t n) {
    uint32_t got = s->nlog - s->mark;
    bool ok = got == n;
    for (uint32_t i = 0; ok && i < n; i++) {
        const sb_event *x = &s->log[s->mark + i];
        ok = match(x, e[i].type, e[i].ix, e[i].agent) && x->at == t;
    }
    if (!ok) {
        sc_dump(s);
        fail_msg("unexpected events (%u, wanted %u)", got, n);
    }
}

void sc_expect_none(sc *s) {
    sc_collect(s);
    if (s->nlog != s->mark) sc_dump(s);
    assert_int_equal(s->nlog, s->mark);
}

void sc_assert_ids(const sb_id *got, uint32_t n, const sb_id *want, uint32_t nwant) {
    bool ok = n == nwant;
    for (uint32_t i = 0; ok && i < n; i++)
        ok = got[i] == want[i];
    if (ok) return;
    print_message("  got:   ");
    for (uint32_t i = 0; i < n; i++)
        print_message(" %llu", (unsigned long long)got[i]);
    print_message("\n  wanted:");
    for (uint32_t i = 0; i < nwant; i++)
        print_message(" %llu", (unsigned long long)want[i]);
    print_message("\n");
    fail_msg("unexpected ids (%u, wanted %u)", n, nwant);
}

size_t sc_log_text(const sc *s, char *buf, size_t size) {
    size_t n = 0;
    buf[0] = '\0';
    for (uint32_t i = 0; i < s->nlog && n + 1 < size; i++) {
        int k = sb_event_format(&s->log[i], buf + n, size - n);
        if (k < 0) break;
        n += (size_t)k;
        if (n + 1 >= size) {
            n = size - 1;
            break;
        }
        buf[n++] = '\n';
        buf[n] = '\0';
    }
    return n;
}

void sc_dump(const sc *s) {
    char line[256];
    for (uint32_t i = s->mark; i < s->nlog; i++) {
        sb_event_format(&s->log[i], line, sizeof(line));
        print_message("  %s\n", line);
    }
}
