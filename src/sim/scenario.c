/* scenario.c: reading simulation scenarios (JSON).  See sim.h. */
#include <errno.h>
#include <libgen.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "sim/sim.h"

#define MAX_AGENTS 200000

static int parse_dist(json_t *v, const char *path, sb_dist *d, bool allow_none,
                      sb_config_error *err) {
    memset(d, 0, sizeof(*d));
    if (v == NULL || json_is_null(v)) {
        if (allow_none) return SB_OK;
        return sb_json_error(err, path, "a distribution is required");
    }
    static const char *const kinds[] = {"fixed", "exponential", "lognormal", "empirical", NULL};
    int rc = sb_json_check_keys(v, path, kinds, err);
    if (rc) return rc;
    if (json_object_size(v) != 1)
        return sb_json_error(err, path, "give exactly one of fixed, exponential, lognormal, empirical");
    const char *kind = json_object_iter_key(json_object_iter(v));
    json_t *p = json_object_get(v, kind);
    char sub[200];
    snprintf(sub, sizeof(sub), "%s.%s", path, kind);
    if (!strcmp(kind, "empirical")) {
        static const char *const keys[] = {"seconds", NULL};
        json_t *arr = json_object_get(p, "seconds");
        if ((rc = sb_json_check_keys(p, sub, keys, err))) return rc;
        if (!json_is_array(arr) || json_array_size(arr) == 0)
            return sb_json_error(err, sub, "'seconds' must be a non-empty list");
        d->kind = SB_DIST_EMPIRICAL;
        d->sample = sb_malloc(json_array_size(arr) * sizeof(double));
        size_t i;
        json_t *x;
        json_array_foreach(arr, i, x) {
            if (!json_is_number(x) || json_number_value(x) < 0) {
                sb_dist_free(d);
                return sb_json_error(err, sub, "'seconds'[%zu] must be a number >= 0", i);
            }
            d->sample[d->nsample++] = json_number_value(x);
        }
        return SB_OK;
    }
    static const char *const fixed_keys[] = {"seconds", NULL};
    static const char *const mean_keys[] = {"mean_seconds", NULL};
    static const char *const ln_keys[] = {"mean_seconds", "sd_seconds", NULL};
    bool fixed = !strcmp(kind, "fixed"), ln = !strcmp(kind, "lognormal");
    if ((rc = sb_json_check_keys(p, sub, fixed ? fixed_keys : ln ? ln_keys : mean_keys, err)))
        return rc;
    double mean = 0, sd = 0;
    if ((rc = sb_json_number(p, fixed ? "seconds" : "mean_seconds", NAN, &mean, sub, err)) ||
        (ln && (rc = sb_json_number(p, "sd_seconds", NAN, &sd, sub, err))))
        return rc;
    if (!(mean >= 0) || (!fixed && !(mean > 0)) || (ln && !(sd > 0)))
        return sb_json_error(err, sub, "needs positive %s", fixed ? "seconds" : ln ? "mean_seconds and sd_seconds" : "mean_seconds");
    if (ln) {
        sb_dist_lognormal(d, mean, sd);
    } else {
        d->kind = fixed ? SB_DIST_FIXED : SB_DIST_EXPONENTIAL;
        d->mean = mean;
    }
    return SB_OK;
}

static int read_replay(const char *file, const char *base_dir, const char *path, sb_sim_traffic *t,
                       sb_config_error *err) {
    char full[1024];
    if (file[0] == '/' || base_dir == NULL)
        snprintf(full, sizeof(full), "%s", file);
    else
        snprintf(full, sizeof(full), "%s/%s", base_dir, file);
    FILE *f = fopen(full, "r");
    if (f == NULL) return sb_json_error(err, path, "cannot read '%s': %s", full, strerror(errno));
    char line[256];
    uint32_t cap = 0, lineno = 0;
    while (fgets(line, sizeof(line), f)) {
        lineno++;
        char *end;
        double v = strtod(line, &end);
        if (end == line) {
            if (lineno == 1) continue; /* a header */
            fclose(f);
            return sb_json_error(err, path, "%s:%u: expected seconds since the start", full, lineno);
        }
        if (!(v >= 0) || (t->nreplay && v < t->replay[t->nreplay - 1])) {
            fclose(f);
            return sb_json_error(err, path, "%s:%u: times must be >= 0 and sorted", full, lineno);
        }
        if (t->nreplay == cap) {
            cap = cap ? cap * 2 : 1024;
            t->replay = sb_realloc(t->replay, cap * sizeof(double));
        }
        t->replay[t->nreplay++] = v;
    }
    fclose(f);
    return SB_OK;
}

static int parse_traffic(const sb_sim_scenario *s, json_t *o, const char *path, const char *base_dir,
                         sb_sim_traffic *t, sb_config_error *err) {
    static const char *const keys[] = {"queue", "channel", "priority", "arrivals",
                                       "handle", "patience", "wrapup", NULL};
    static const char *const arr_keys[] = {"per_interval", "per_hour", "replay_csv", NULL};
    int rc = sb_json_check_keys(o, path, keys, err);
    if (rc) return rc;
    json_t *q = json_object_get(o, "queue");
    const sb_config_queue *cq = json_is_string(q) ? sb_config_queue_find(&s->cfg, json_string_value(q)) : NULL;
    if (cq == NULL) return sb_json_error(err, path, "'queue' must name a queue of the scenario");
    t->queue = (uint32_t)(cq - s->cfg.queues);
    json_t *ch = json_object_get(o, "channel");
    int c = json_is_string(ch) ? sb_channel_parse(json_string_value(ch)) : ch ? -1 : 0;
    if (c < 0) return sb_json_error(err, path, "unknown 'channel'");
    t->channel = (uint8_t)c;
    double prio = 0;
    if ((rc = sb_json_number(o, "priority", 0, &prio, path, err))) return rc;
    t->priority = (int32_t)prio;
    char sub[200];
    snprintf(sub, sizeof(sub), "%s.arrivals", path);
    json_t *a = json_object_get(o, "arrivals");
    if ((rc = sb_json_check_keys(a, sub, arr_keys, err))) return rc;
    json_t *per = json_object_get(a, "per_interval");
    json_t *replay = json_object_get(a, "replay_csv");
    double per_hour = NAN;
    if ((rc = sb_json_number(a, "per_hour", NAN, &per_hour, sub, err))) return rc;
    if ((per != NULL) + (replay != NULL) + !isnan(per_hour) != 1)
        return sb_json_error(err, sub, "give exactly one of per_interval, per_hour, replay_csv");
    if (per) {
        if (!json_is_array(per) || json_array_size(per) == 0)
            return sb_json_error(err, sub, "'per_interval' must be a non-empty list");
        t->per_interval = sb_malloc(json_array_size(per) * sizeof(double));
        size_t i;
        json_t *x;
        json_array_foreach(per, i, x) {
            if (!json_is_number(x) || json_number_value(x) < 0)
                return sb_json_error(err, sub, "'per_interval'[%zu] must be a number >= 0", i);
            t->per_interval[t->nper_interval++] = json_number_value(x);
        }
    } else if (replay) {
        if (!json_is_string(replay)) return sb_json_error(err, sub, "'replay_csv' must be a path");
        if ((rc = read_replay(json_string_value(replay), base_dir, sub, t, err))) return rc;
    } else {
        if (!(per_hour >= 0)) return sb_json_error(err, sub, "'per_hour' must be >= 0");
        t->per_interval = sb_malloc(sizeof(double));
        t->per_interval[0] = per_hour * (double)s->interval_ms / 3600000.0;
        t->nper_interval = 1;
    }
    snprintf(sub, sizeof(sub), "%s.handle", path);
    if ((rc = parse_dist(json_object_get(o, "handle"), sub, &t->handle, false, err))) return rc;
    snprintf(sub, sizeof(sub), "%s.patience", path);
    if ((rc = parse_dist(json_object_get(o, "patience"), sub, &t->patience, true, err))) return rc;
    snprintf(sub, sizeof(sub), "%s.wrapup", path);
    return parse_dist(json_object_get(o, "wrapup"), sub, &t->wrapup, true, err);
}

/* agent_groups: [{"name": "g", "count": 50, "template": {...}}] -> g-1 .. g-50 */
static int parse_groups(sb_sim_scenario *s, json_t *groups, sb_config_error *err) {
    static const char *const keys[] = {"name", "count", "template", NULL};
    size_t i;
    json_t *g;
    json_array_foreach(groups, i, g) {
        char path[64];
        snprintf(path, sizeof(path), "simulation.agent_groups[%zu]", i);
        int rc = sb_json_check_keys(g, path, keys, err);
        if (rc) return rc;
        json_t *name = json_object_get(g, "name"), *count = json_object_get(g, "count");
        json_t *tmpl = json_object_get(g, "template");
        if (!json_is_string(name) || !json_is_integer(count) || json_integer_value(count) < 1 ||
            json_integer_value(count) > MAX_AGENTS || (tmpl && !json_is_object(tmpl)))
            return sb_json_error(err, path, "needs 'name', 'count' (1..%d) and an object 'template'", MAX_AGENTS);
        uint32_t n = (uint32_t)json_integer_value(count);
        if (s->nagents + n > MAX_AGENTS) return sb_json_error(err, path, "more than %d agents", MAX_AGENTS);
        s->agents = sb_realloc(s->agents, (s->nagents + n) * sizeof(*s->agents));
        json_t *obj = tmpl ? json_deep_copy(tmpl) : json_object();
        for (uint32_t k = 1; k <= n; k++) {
            char id[256];
            snprintf(id, sizeof(id), "%s-%u", json_string_value(name), k);
            json_object_set_new(obj, "id", json_string(id));
            rc = sb_config_agent_parse(s->names, obj, path, &s->agents[s->nagents], err);
            if (rc) {
                sb_config_agent_free(&s->agents[s->nagents]);
                json_decref(obj);
                return rc;
            }
            s->nagents++;
        }
        json_decref(obj);
    }
    return SB_OK;
}

static int agent_index(const sb_sim_scenario *s, const char *name) {
    sb_sym id = sb_intern_find(sb_core_syms(s->names), name, strlen(name));
    for (uint32_t i = 0; id && i < s->nagents; i++)
        if (s->agents[i].id == id) return (int)i;
    return -1;
}

static int parse_shift(sb_sim_scenario *s, json_t *o, const char *path, sb_sim_shift *sh,
                       sb_config_error *err) {
    static const char *const keys[] = {"agents", "group", "start_minutes", "end_minutes", NULL};
    int rc = sb_json_check_keys(o, path, keys, err);
    if (rc) return rc;
    double start = 0, end = 0;
    if ((rc = sb_json_number(o, "start_minutes", 0, &start, path, err)) ||
        (rc = sb_json_number(o, "end_minutes", (double)s->duration_ms / 60000, &end, path, err)))
        return rc;
    if (!(start >= 0 && end > start)) return sb_json_error(err, path, "needs 0 <= start_minutes < end_minutes");
    sh->start_ms = (int64_t)llround(start * 60000);
    sh->end_ms = (int64_t)llround(end * 60000);
    json_t *agents = json_object_get(o, "agents"), *group = json_object_get(o, "group");
    sh->agents = sb_malloc((s->nagents + 1) * sizeof(uint32_t));
    if (agents && json_is_array(agents)) {
        size_t i;
        json_t *a;
        json_array_foreach(agents, i, a) {
            int k = json_is_string(a) ? agent_index(s, json_string_value(a)) : -1;
            if (k < 0) return sb_json_error(err, path, "'agents'[%zu] is not an agent of the scenario", i);
            sh->agents[sh->nagents++] = (uint32_t)k;
        }
    } else if (group && json_is_string(group)) {
        size_t len = strlen(json_string_value(group));
        for (uint32_t i = 0; i < s->nagents; i++) {
            const char *n = s->agents[i].name;
            if (!strncmp(n, json_string_value(group), len) && n[len] == '-')
                sh->agents[sh->nagents++] = i;
        }
        if (sh->nagents == 0) return sb_json_error(err, path, "group '%s' has no agents", json_string_value(group));
    } else {
        return sb_json_error(err, path, "give 'agents' (a list of ids) or 'group' (a group name)");
    }
    return SB_OK;
}

void sb_sim_scenario_free(sb_sim_scenario *s) {
    for (uint32_t i = s->cfg.nagents; i < s->nagents; i++) sb_config_agent_free(&s->agents[i]);
    if (s->agents != s->cfg.agents) sb_free(s->agents);
    for (uint32_t i = 0; i < s->nshifts; i++) sb_free(s->shifts[i].agents);
    sb_free(s->shifts);
    for (uint32_t i = 0; i < s->ntraffic; i++) {
        sb_sim_traffic *t = &s->traffic[i];
        sb_free(t->per_interval);
        sb_free(t->replay);
        sb_dist_free(&t->handle);
        sb_dist_free(&t->patience);
        sb_dist_free(&t->wrapup);
    }
    sb_free(s->traffic);
    sb_config_free(&s->cfg);
    sb_core_free(s->names);
    memset(s, 0, sizeof(*s));
}

int sb_sim_parse(json_t *doc, const char *base_dir, sb_sim_scenario *s, sb_config_error *err) {
    static const char *const also[] = {"simulation", NULL};
    static const char *const keys[] = {"duration_hours", "interval_minutes", "warmup_minutes",
                                       "seed", "short_abandon_seconds", "agent_groups", "shifts",
                                       "traffic", NULL};
    memset(s, 0, sizeof(*s));
    s->names = sb_core_new(0);
    int rc = sb_config_parse(s->names, doc, also, &s->cfg, err);
    if (rc) goto fail;
    json_t *sim = json_object_get(doc, "simulation");
    if ((rc = sb_json_check_keys(sim, "simulation", keys, err))) goto fail;
    double hours = 0, minutes = 0, warmup = 0, seed = 0;
    if ((rc = sb_json_number(sim, "duration_hours", 24, &hours, "simulation", err)) ||
        (rc = sb_json_number(sim, "interval_minutes", 15, &minutes, "simulation", err)) ||
        (rc = sb_json_number(sim, "warmup_minutes", 0, &warmup, "simulation", err)) ||
        (rc = sb_json_number(sim, "seed", 1, &seed, "simulation", err)) ||
        (rc = sb_json_number(sim, "short_abandon_seconds", 5, &s->short_abandon_s, "simulation", err)))
        goto fail;
    if (!(hours > 0 && hours <= 24 * 366) || !(minutes >= 1 && minutes <= 1440) || !(warmup >= 0) ||
        !(s->short_abandon_s >= 0)) {
        rc = sb_json_error(err, "simulation", "needs 0 < duration_hours <= 8784, 1 <= interval_minutes <= 1440, warmup_minutes >= 0");
        goto fail;
    }
    s->duration_ms = (int64_t)llround(hours * 3600000);
    s->interval_ms = (int64_t)llround(minutes * 60000);
    s->warmup_ms = (int64_t)llround(warmup * 60000);
    s->seed = (uint64_t)seed;

    s->agents = s->cfg.agents;
    s->nagents = s->cfg.nagents;
    json_t *groups = json_object_get(sim, "agent_groups");
    if (groups) {
        /* From here on the scenario owns a separate agents array. */
        s->agents = sb_malloc((s->nagents + 1) * sizeof(*s->agents));
        memcpy(s->agents, s->cfg.agents, s->nagents * sizeof(*s->agents));
        if (!json_is_array(groups)) {
            rc = sb_json_error(err, "simulation.agent_groups", "expected a list");
            goto fail;
        }
        if ((rc = parse_groups(s, groups, err))) goto fail;
    }
    json_t *shifts = json_object_get(sim, "shifts"), *v;
    size_t i;
    if (shifts && !json_is_array(shifts)) {
        rc = sb_json_error(err, "simulation.shifts", "expected a list");
        goto fail;
    }
    s->shifts = sb_calloc(json_array_size(shifts) + 1, sizeof(*s->shifts));
    json_array_foreach(shifts, i, v) {
        char path[64];
        snprintf(path, sizeof(path), "simulation.shifts[%zu]", i);
        if ((rc = parse_shift(s, v, path, &s->shifts[s->nshifts++], err))) goto fail;
    }
    json_t *traffic = json_object_get(sim, "traffic");
    if (!json_is_array(traffic) || json_array_size(traffic) == 0) {
        rc = sb_json_error(err, "simulation.traffic", "a non-empty list is required");
        goto fail;
    }
    s->traffic = sb_calloc(json_array_size(traffic), sizeof(*s->traffic));
    json_array_foreach(traffic, i, v) {
        char path[64];
        snprintf(path, sizeof(path), "simulation.traffic[%zu]", i);
        if ((rc = parse_traffic(s, v, path, base_dir, &s->traffic[s->ntraffic++], err))) goto fail;
    }
    return SB_OK;
fail:
    sb_sim_scenario_free(s);
    return rc;
}

int sb_sim_load(const char *path, sb_sim_scenario *out, sb_config_error *err) {
    json_error_t je;
    json_t *doc = json_load_file(path, JSON_REJECT_DUPLICATES, &je);
    if (doc == NULL) {
        snprintf(err->path, sizeof(err->path), "%s:%d:%d", path, je.line, je.column);
        snprintf(err->reason, sizeof(err->reason), "%s", je.text);
        memset(out, 0, sizeof(*out));
        return SB_EINVAL;
    }
    char *copy = sb_strdup(path);
    int rc = sb_sim_parse(doc, dirname(copy), out, err);
    sb_free(copy);
    json_decref(doc);
    return rc;
}
