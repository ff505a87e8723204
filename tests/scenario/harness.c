#include "scenario/harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "unit/test.h"

sc *sc_new(uint64_t seed) {
    sc *s = sb_calloc(1, sizeof(*s));
    s->c = sb_core_new(seed);
    return s;
}

void sc_free(sc *s) {
    sb_core_free(s->c);
    sb_free(s->log);
    sb_free(s);
}

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
    while ((d = sb_core_next_deadline(s->c)) <= t) sb_core_advance(s->c, d);
    sb_core_advance(s->c, t);
    s->now = t;
    sc_collect(s);
}

void sc_mark(sc *s) {
    sc_collect(s);
    s->mark = s->nlog;
}

sb_queue_def sc_qdef(sb_step_def *steps, uint32_t nsteps) {
    sb_queue_def d = {.steps = steps, .nsteps = nsteps, .offer_timeout_ms = 10000};
    return d;
}

void sc_queue(sc *s, sb_id id, const char *expr) {
    sb_step_def step = {expr, 0};
    sb_queue_def d = sc_qdef(&step, 1);
    sb_expr_error err;
    int rc = sb_queue_set(s->c, s->now, id, &d, &err, NULL);
    if (rc) fail_msg("queue %llu: %s at %u: %s", (unsigned long long)id, sb_status_name(rc), err.pos, err.reason);
    sc_collect(s);
}

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
    for (char *save = NULL, *t = strtok_r(buf, sep, &save); t && n < MAXN; t = strtok_r(NULL, sep, &save))
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
                attrs[d.nattrs++] = (sb_attr){sb_core_sym(s->c, items[k]), parse_value(s, colon + 1)};
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
    assert_int_equal(sb_agent_login(s->c, s->now, id), SB_OK);
    assert_int_equal(sb_agent_ready(s->c, s->now, id), SB_OK);
    sc_collect(s);
}

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
    sb_interaction_def d = {.id = id, .queue = queue, .channel = (uint8_t)channel,
                            .priority = priority, .attrs = attrs, .nattrs = na};
    int rc = sb_interaction_create(s->c, s->now, &d);
    sc_collect(s);
    return rc;
}

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
    for (uint32_t i = s->mark; i < s->nlog; i++) n += match(&s->log[i], type, ix, agent);
    return n;
}

sb_id sc_offered(const sc *s, sb_id ix) {
    sb_id a = 0;
    for (uint32_t i = s->mark; i < s->nlog; i++)
        if (match(&s->log[i], SB_EV_IX_OFFERED, ix, 0)) a = s->log[i].agent;
    return a;
}

int sc_ix_state(const sc *s, sb_id ix) {
    sb_ix_info info;
    return sb_interaction_info(s->c, ix, &info) == SB_OK ? info.state : 0;
}

int sc_agent_state(const sc *s, sb_id agent) {
    sb_agent_info info;
    assert_int_equal(sb_agent_info_get(s->c, agent, &info), SB_OK);
    return info.state;
}
