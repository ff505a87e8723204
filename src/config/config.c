/* config.c: reading configuration documents.  See config.h. */
#include "config/config.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"

int sb_json_error(sb_config_error *err, const char *path, const char *fmt, ...) {
    if (err) {
        snprintf(err->path, sizeof(err->path), "%s", path);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->reason, sizeof(err->reason), fmt, ap);
        va_end(ap);
    }
    return SB_EINVAL;
}

int sb_json_check_keys(json_t *obj, const char *path, const char *const *allowed,
                       sb_config_error *err) {
    if (!json_is_object(obj)) return sb_json_error(err, path, "expected an object");
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        bool ok = false;
        for (const char *const *a = allowed; a && *a && !ok; a++) ok = strcmp(*a, key) == 0;
        if (!ok) return sb_json_error(err, path, "unknown field '%s'", key);
    }
    return SB_OK;
}

int sb_json_number(json_t *obj, const char *key, double def, double *out, const char *path,
                   sb_config_error *err) {
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        *out = def;
        return SB_OK;
    }
    if (!json_is_number(v)) return sb_json_error(err, path, "'%s' must be a number", key);
    *out = json_number_value(v);
    if (!isfinite(*out)) return sb_json_error(err, path, "'%s' must be finite", key);
    return SB_OK;
}

/* A non-negative number of seconds as milliseconds. */
static int json_ms(json_t *obj, const char *key, double def_s, int64_t *out, const char *path,
                   sb_config_error *err) {
    double s = 0;
    int rc = sb_json_number(obj, key, def_s, &s, path, err);
    if (rc) return rc;
    if (s < 0 || s > 1e9) return sb_json_error(err, path, "'%s' must be between 0 and 1e9 seconds", key);
    *out = (int64_t)llround(s * 1000);
    return SB_OK;
}

static int json_uint(json_t *obj, const char *key, uint32_t def, uint32_t max, uint32_t *out,
                     const char *path, sb_config_error *err) {
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        *out = def;
        return SB_OK;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
        return sb_json_error(err, path, "'%s' must be an integer from 0 to %u", key, max);
    *out = (uint32_t)json_integer_value(v);
    return SB_OK;
}

static int json_name(json_t *obj, const char *key, bool required, const char **out,
                     const char *path, sb_config_error *err) {
    json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        if (required) return sb_json_error(err, path, "'%s' is required", key);
        return SB_OK;
    }
    if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 200)
        return sb_json_error(err, path, "'%s' must be a non-empty string of at most 200 bytes", key);
    *out = json_string_value(v);
    return SB_OK;
}

static sb_id name_id(sb_core *c, const char *name) { return sb_core_sym(c, name); }

static int enum_of(const char *s, const char *const *names, int n) {
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0) return i;
    return -1;
}

/* A list of channel names as a bit mask. */
static int channel_mask(json_t *arr, const char *path, uint8_t *out, sb_config_error *err) {
    *out = 0;
    if (arr == NULL) return SB_OK;
    if (!json_is_array(arr)) return sb_json_error(err, path, "expected a list of channel names");
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        int ch = json_is_string(v) ? sb_channel_parse(json_string_value(v)) : -1;
        if (ch < 0) return sb_json_error(err, path, "unknown channel at index %zu", i);
        *out |= (uint8_t)SB_CH_BIT(ch);
    }
    return SB_OK;
}

/* ---- capacity profiles ---- */

int sb_config_profile_parse(sb_core *c, json_t *o, const char *path, sb_config_profile *p,
                            sb_config_error *err) {
    static const char *const keys[] = {"id", "units", "channels", NULL};
    static const char *const ch_keys[] = {"cost", "max", "blocks", "interruptible_by", NULL};
    int rc = sb_json_check_keys(o, path, keys, err);
    const char *name;
    if (rc || (rc = json_name(o, "id", true, &name, path, err))) return rc;
    p->id = name_id(c, name);
    sb_profile_default(&p->def);
    if ((rc = json_uint(o, "units", 100, 1000000, &p->def.units, path, err))) return rc;
    json_t *chans = json_object_get(o, "channels");
    if (chans == NULL) return SB_OK;
    if (!json_is_object(chans)) return sb_json_error(err, path, "'channels' must be an object");
    const char *key;
    json_t *v;
    json_object_foreach(chans, key, v) {
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.channels.%s", path, key);
        int ch = sb_channel_parse(key);
        if (ch < 0) return sb_json_error(err, sub, "unknown channel '%s'", key);
        uint32_t cost = 0, max = 0;
        if ((rc = sb_json_check_keys(v, sub, ch_keys, err)) ||
            (rc = json_uint(v, "cost", p->def.cost[ch], 1000000, &cost, sub, err)) ||
            (rc = json_uint(v, "max", p->def.max[ch], 1000, &max, sub, err)) ||
            (rc = channel_mask(json_object_get(v, "blocks"), sub, &p->def.blocks[ch], err)) ||
            (rc = channel_mask(json_object_get(v, "interruptible_by"), sub,
                               &p->def.interruptible_by[ch], err)))
            return rc;
        p->def.cost[ch] = cost;
        p->def.max[ch] = (uint16_t)max;
    }
    return SB_OK;
}

/* ---- queues ---- */

static const char *const selection_names[] = {"longest_idle", "least_occupied", "most_skilled",
                                              "round_robin",  "random",         "broadcast"};
static const char *const wrapup_names[] = {"none", "optional", "mandatory", "mandatory_timeout"};

static int parse_steps(json_t *arr, const char *path, sb_config_queue *q, sb_config_error *err) {
    static const char *const keys[] = {"expression", "after_seconds", NULL};
    if (!json_is_array(arr) || json_array_size(arr) < 1 || json_array_size(arr) > SB_MAX_STEPS)
        return sb_json_error(err, path, "'steps' must be a list of 1 to %d steps", SB_MAX_STEPS);
    size_t i;
    json_t *s;
    json_array_foreach(arr, i, s) {
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.steps[%zu]", path, i);
        int rc = sb_json_check_keys(s, sub, keys, err);
        if (rc) return rc;
        json_t *e = json_object_get(s, "expression");
        if (e && !json_is_string(e) && !json_is_null(e))
            return sb_json_error(err, sub, "'expression' must be a string");
        q->steps[i].expr = e && json_is_string(e) ? json_string_value(e) : "";
        if ((rc = json_ms(s, "after_seconds", 0, &q->steps[i].after_ms, sub, err))) return rc;
        if (i == 0 && q->steps[i].after_ms != 0)
            return sb_json_error(err, sub, "the first step applies at once: 'after_seconds' must be 0");
        if (i > 0 && q->steps[i].after_ms <= q->steps[i - 1].after_ms)
            return sb_json_error(err, sub, "'after_seconds' must grow from step to step");
    }
    q->def.steps = q->steps;
    q->def.nsteps = (uint32_t)json_array_size(arr);
    return SB_OK;
}

int sb_config_queue_parse(sb_core *c, json_t *o, const char *path, sb_config_queue *q,
                          sb_config_error *err) {
    static const char *const keys[] = {
        "id", "steps", "selection", "order_by", "broadcast_count", "priority_aging_per_second",
        "offer_timeout_seconds", "wrapup", "service_level", "max_length", "max_wait_seconds",
        "overflow", "last_agent_seconds", NULL};
    static const char *const wrap_keys[] = {"mode", "timeout_seconds", NULL};
    static const char *const sl_keys[] = {"threshold_seconds", "target", NULL};
    static const char *const ov_keys[] = {"when_full", "at_max_wait", "when_closed", NULL};
    int rc = sb_json_check_keys(o, path, keys, err);
    if (rc || (rc = json_name(o, "id", true, &q->name, path, err))) return rc;
    q->id = name_id(c, q->name);
    q->name = sb_intern_str(sb_core_syms(c), (sb_sym)q->id);
    if ((rc = parse_steps(json_object_get(o, "steps"), path, q, err))) return rc;

    const char *sel;
    if ((rc = json_name(o, "selection", false, &sel, path, err))) return rc;
    int s = sel ? enum_of(sel, selection_names, 6) : 0;
    if (s < 0) return sb_json_error(err, path, "unknown selection '%s'", sel);
    q->def.selection = (uint8_t)s;
    if ((rc = json_name(o, "order_by", s == SB_SEL_MOST_SKILLED, &q->def.order_by, path, err)))
        return rc;
    if ((rc = json_uint(o, "broadcast_count", 3, 1000, &q->def.broadcast_n, path, err))) return rc;
    if ((rc = sb_json_number(o, "priority_aging_per_second", 0, &q->def.aging_per_s, path, err)))
        return rc;
    if (q->def.aging_per_s < 0 || q->def.aging_per_s > 100)
        return sb_json_error(err, path, "'priority_aging_per_second' must be from 0 to 100");
    if ((rc = json_ms(o, "offer_timeout_seconds", 20, &q->def.offer_timeout_ms, path, err))) return rc;
    if (q->def.offer_timeout_ms <= 0)
        return sb_json_error(err, path, "'offer_timeout_seconds' must be positive");

    json_t *w = json_object_get(o, "wrapup");
    if (w) {
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.wrapup", path);
        const char *mode;
        if ((rc = sb_json_check_keys(w, sub, wrap_keys, err)) ||
            (rc = json_name(w, "mode", true, &mode, sub, err)))
            return rc;
        int m = enum_of(mode, wrapup_names, 4);
        if (m < 0) return sb_json_error(err, sub, "unknown mode '%s'", mode);
        q->def.wrapup = (uint8_t)m;
        if ((rc = json_ms(w, "timeout_seconds", 0, &q->def.wrapup_timeout_ms, sub, err))) return rc;
        if (m == SB_WRAPUP_MANDATORY_TIMEOUT && q->def.wrapup_timeout_ms <= 0)
            return sb_json_error(err, sub, "'timeout_seconds' is required with mandatory_timeout");
    }
    json_t *sl = json_object_get(o, "service_level");
    q->sl_threshold_s = 20;
    q->sl_target = 0.8;
    if (sl) {
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.service_level", path);
        if ((rc = sb_json_check_keys(sl, sub, sl_keys, err)) ||
            (rc = sb_json_number(sl, "threshold_seconds", 20, &q->sl_threshold_s, sub, err)) ||
            (rc = sb_json_number(sl, "target", 0.8, &q->sl_target, sub, err)))
            return rc;
        if (q->sl_threshold_s < 0 || q->sl_target < 0 || q->sl_target > 1)
            return sb_json_error(err, sub, "threshold must be >= 0 and target from 0 to 1");
    }
    if ((rc = json_uint(o, "max_length", 0, 100000000, &q->def.max_length, path, err)) ||
        (rc = json_ms(o, "max_wait_seconds", 0, &q->def.max_wait_ms, path, err)) ||
        (rc = json_ms(o, "last_agent_seconds", 0, &q->def.last_agent_ms, path, err)))
        return rc;
    json_t *ov = json_object_get(o, "overflow");
    if (ov) {
        char sub[160];
        snprintf(sub, sizeof(sub), "%s.overflow", path);
        const char *full, *wait, *closed;
        if ((rc = sb_json_check_keys(ov, sub, ov_keys, err)) ||
            (rc = json_name(ov, "when_full", false, &full, sub, err)) ||
            (rc = json_name(ov, "at_max_wait", false, &wait, sub, err)) ||
            (rc = json_name(ov, "when_closed", false, &closed, sub, err)))
            return rc;
        q->def.full_overflow = full ? name_id(c, full) : 0;
        q->def.max_wait_overflow = wait ? name_id(c, wait) : 0;
        q->def.closed_overflow = closed ? name_id(c, closed) : 0;
    }
    return SB_OK;
}

/* ---- agents ---- */

static sb_sym *sym_list(sb_core *c, json_t *arr, const char *what, const char *path, uint32_t *n,
                        int *rc, sb_config_error *err) {
    *n = 0;
    *rc = SB_OK;
    if (arr == NULL) return NULL;
    if (!json_is_array(arr)) {
        *rc = sb_json_error(err, path, "'%s' must be a list of strings", what);
        return NULL;
    }
    sb_sym *out = sb_malloc((json_array_size(arr) + 1) * sizeof(*out));
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v) {
        if (!json_is_string(v) || json_string_length(v) == 0) {
            *rc = sb_json_error(err, path, "'%s'[%zu] must be a non-empty string", what, i);
            sb_free(out);
            *n = 0;
            return NULL;
        }
        out[(*n)++] = sb_core_sym(c, json_string_value(v));
    }
    return out;
}

static int parse_value(sb_core *c, json_t *v, const char *path, const char *key, sb_value *out,
                       sb_config_error *err) {
    if (json_is_number(v)) {
        *out = sb_val_num(json_number_value(v));
    } else if (json_is_boolean(v)) {
        *out = sb_val_bool(json_is_true(v));
    } else if (json_is_string(v)) {
        *out = sb_val_str(sb_core_sym(c, json_string_value(v)));
    } else if (json_is_array(v)) {
        uint32_t n;
        int rc;
        sb_sym *set = sym_list(c, v, key, path, &n, &rc, err);
        if (rc) return rc;
        *out = sb_val_set(set, n); /* owned by the caller's attribute array */
    } else {
        return sb_json_error(err, path, "attribute '%s' must be a number, boolean, string or list of strings", key);
    }
    return SB_OK;
}

int sb_config_attrs_parse(sb_core *c, json_t *attrs, const char *path, sb_attr **out,
                          uint32_t *n, sb_config_error *err) {
    *out = NULL;
    *n = 0;
    if (attrs == NULL || json_is_null(attrs)) return SB_OK;
    if (!json_is_object(attrs)) return sb_json_error(err, path, "'attributes' must be an object");
    sb_attr *at = sb_calloc(json_object_size(attrs) + 1, sizeof(*at));
    *out = at;
    const char *key;
    json_t *v;
    int rc;
    json_object_foreach(attrs, key, v) {
        if ((rc = parse_value(c, v, path, key, &at[*n].val, err))) return rc;
        at[(*n)++].key = sb_core_sym(c, key);
    }
    return SB_OK;
}

void sb_config_attrs_free(sb_attr *attrs, uint32_t n) {
    for (uint32_t i = 0; i < n; i++)
        if (attrs[i].val.type == SB_VAL_SET) sb_free((void *)attrs[i].val.u.set);
    sb_free(attrs);
}

void sb_config_agent_free(sb_config_agent *a) {
    sb_free((void *)a->def.skills);
    sb_free((void *)a->def.languages);
    sb_free((void *)a->def.teams);
    sb_config_attrs_free((sb_attr *)a->def.attrs, a->def.nattrs);
    sb_free((void *)a->def.queues);
    memset(a, 0, sizeof(*a));
}

int sb_config_agent_parse(sb_core *c, json_t *o, const char *path, sb_config_agent *a,
                          sb_config_error *err) {
    static const char *const keys[] = {"id",         "skills", "languages",        "teams",
                                       "attributes", "queues", "capacity_profile", NULL};
    memset(a, 0, sizeof(*a));
    int rc = sb_json_check_keys(o, path, keys, err);
    if (rc || (rc = json_name(o, "id", true, &a->name, path, err))) return rc;
    a->id = name_id(c, a->name);
    a->name = sb_intern_str(sb_core_syms(c), (sb_sym)a->id);

    json_t *skills = json_object_get(o, "skills");
    if (skills) {
        if (!json_is_object(skills)) return sb_json_error(err, path, "'skills' must map names to levels");
        sb_skill *sk = sb_malloc((json_object_size(skills) + 1) * sizeof(*sk));
        a->def.skills = sk;
        const char *key;
        json_t *v;
        json_object_foreach(skills, key, v) {
            if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 1000000)
                return sb_json_error(err, path, "skill '%s' needs an integer level from 0 to 1000000", key);
            sk[a->def.nskills++] = (sb_skill){sb_core_sym(c, key), (int32_t)json_integer_value(v)};
        }
    }
    a->def.languages = sym_list(c, json_object_get(o, "languages"), "languages", path,
                                &a->def.nlanguages, &rc, err);
    if (rc) return rc;
    a->def.teams = sym_list(c, json_object_get(o, "teams"), "teams", path, &a->def.nteams, &rc, err);
    if (rc) return rc;
    uint32_t nq;
    sb_sym *qs = sym_list(c, json_object_get(o, "queues"), "queues", path, &nq, &rc, err);
    if (rc) return rc;
    sb_id *ids = sb_malloc((nq + 1) * sizeof(*ids));
    for (uint32_t i = 0; i < nq; i++) ids[i] = qs[i];
    sb_free(qs);
    a->def.queues = ids;
    a->def.nqueues = nq;

    sb_attr *at;
    rc = sb_config_attrs_parse(c, json_object_get(o, "attributes"), path, &at, &a->def.nattrs, err);
    a->def.attrs = at;
    if (rc) return rc;
    const char *profile;
    if ((rc = json_name(o, "capacity_profile", false, &profile, path, err))) return rc;
    a->def.profile = profile ? name_id(c, profile) : 0;
    return SB_OK;
}

/* ---- the document ---- */

void sb_config_free(sb_config *cfg) {
    for (uint32_t i = 0; i < cfg->nagents; i++) sb_config_agent_free(&cfg->agents[i]);
    sb_free(cfg->agents);
    sb_free(cfg->queues);
    sb_free(cfg->profiles);
    if (cfg->doc) json_decref(cfg->doc);
    memset(cfg, 0, sizeof(*cfg));
}

static json_t *list(json_t *doc, const char *key, int *rc, sb_config_error *err) {
    json_t *v = json_object_get(doc, key);
    *rc = SB_OK;
    if (v && !json_is_array(v)) *rc = sb_json_error(err, key, "expected a list");
    return v;
}

int sb_config_parse(sb_core *c, json_t *doc, const char *const *also, sb_config *cfg,
                    sb_config_error *err) {
    memset(cfg, 0, sizeof(*cfg));
    const char *keys[16] = {"capacity_profiles", "queues", "agents"};
    int nk = 3;
    for (const char *const *a = also; a && *a && nk < 15; a++) keys[nk++] = *a;
    keys[nk] = NULL;
    int rc = sb_json_check_keys(doc, "", keys, err);
    if (rc) return rc;
    cfg->doc = json_incref(doc);
    json_t *profiles = list(doc, "capacity_profiles", &rc, err), *v;
    if (rc) goto fail;
    json_t *queues = list(doc, "queues", &rc, err);
    if (rc) goto fail;
    json_t *agents = list(doc, "agents", &rc, err);
    if (rc) goto fail;
    size_t i;
    char path[64];
    cfg->profiles = sb_calloc(json_array_size(profiles) + 1, sizeof(*cfg->profiles));
    json_array_foreach(profiles, i, v) {
        snprintf(path, sizeof(path), "capacity_profiles[%zu]", i);
        if ((rc = sb_config_profile_parse(c, v, path, &cfg->profiles[cfg->nprofiles++], err))) goto fail;
    }
    cfg->queues = sb_calloc(json_array_size(queues) + 1, sizeof(*cfg->queues));
    json_array_foreach(queues, i, v) {
        snprintf(path, sizeof(path), "queues[%zu]", i);
        if ((rc = sb_config_queue_parse(c, v, path, &cfg->queues[cfg->nqueues++], err))) goto fail;
        for (uint32_t k = 0; k + 1 < cfg->nqueues; k++)
            if (cfg->queues[k].id == cfg->queues[cfg->nqueues - 1].id) {
                rc = sb_json_error(err, path, "duplicate queue id");
                goto fail;
            }
    }
    cfg->agents = sb_calloc(json_array_size(agents) + 1, sizeof(*cfg->agents));
    json_array_foreach(agents, i, v) {
        snprintf(path, sizeof(path), "agents[%zu]", i);
        rc = sb_config_agent_parse(c, v, path, &cfg->agents[cfg->nagents++], err);
        if (rc) goto fail;
    }
    return SB_OK;
fail:
    sb_config_free(cfg);
    return rc;
}

const sb_config_queue *sb_config_queue_find(const sb_config *cfg, const char *name) {
    for (uint32_t i = 0; i < cfg->nqueues; i++)
        if (strcmp(cfg->queues[i].name, name) == 0) return &cfg->queues[i];
    return NULL;
}

int sb_config_apply(const sb_config *cfg, sb_core *c, int64_t now, sb_config_error *err) {
    int rc;
    char path[64];
    for (uint32_t i = 0; i < cfg->nprofiles; i++)
        if ((rc = sb_profile_set(c, now, cfg->profiles[i].id, &cfg->profiles[i].def))) {
            snprintf(path, sizeof(path), "capacity_profiles[%u]", i);
            sb_json_error(err, path, "%s", sb_status_name(rc));
            return rc;
        }
    /* Two passes: overflow targets must exist before they are named. */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < cfg->nqueues; i++) {
            sb_queue_def d = cfg->queues[i].def;
            if (pass == 0) d.full_overflow = d.max_wait_overflow = d.closed_overflow = 0;
            sb_expr_error ee;
            uint32_t step = 0;
            if ((rc = sb_queue_set(c, now, cfg->queues[i].id, &d, &ee, &step))) {
                if (rc == SB_ESYNTAX && step < d.nsteps)
                    snprintf(path, sizeof(path), "queues[%u].steps[%u].expression", i, step);
                else if (rc == SB_ESYNTAX)
                    snprintf(path, sizeof(path), "queues[%u].order_by", i);
                else
                    snprintf(path, sizeof(path), "queues[%u]", i);
                if (rc == SB_ESYNTAX || rc == SB_ELIMIT)
                    sb_json_error(err, path, "at %u: %s", ee.pos, ee.reason);
                else
                    sb_json_error(err, path, "%s", rc == SB_ENOENT ? "overflow queue not found" : sb_status_name(rc));
                return rc;
            }
        }
    for (uint32_t i = 0; i < cfg->nagents; i++)
        if ((rc = sb_agent_set(c, now, cfg->agents[i].id, &cfg->agents[i].def))) {
            snprintf(path, sizeof(path), "agents[%u]", i);
            sb_json_error(err, path, "%s", rc == SB_ENOENT ? "unknown queue or capacity profile" : sb_status_name(rc));
            return rc;
        }
    return SB_OK;
}
