/* resources.c: the configuration resources (skills, teams, wrap-up codes,
 * not-ready reasons, custom fields, capacity profiles, queues, agents,
 * users): strict validation, referential integrity, the core kept in step,
 * and their generic CRUD routes.  A resource is a JSON object stored as a
 * document (kind, id); the tenant keeps them all in memory. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"
#include "config/config.h"

static const struct {
    const char *collection, *kind, *what;
} types[SB__RES_COUNT] = {
    [SB__RES_SKILL] = {"skills", "skill", "skill"},
    [SB__RES_TEAM] = {"teams", "team", "team"},
    [SB__RES_WRAPUP] = {"wrapup-codes", "wrapup_code", "wrap-up code"},
    [SB__RES_REASON] = {"not-ready-reasons", "not_ready_reason", "not-ready reason"},
    [SB__RES_FIELD] = {"custom-fields", "custom_field", "custom field"},
    [SB__RES_PROFILE] = {"capacity-profiles", "capacity_profile", "capacity profile"},
    [SB__RES_QUEUE] = {"queues", "queue", "queue"},
    [SB__RES_AGENT] = {"agents", "agent", "agent"},
    [SB__RES_USER] = {"users", "user", "user"},
};

const char *sb__res_collection(int res) { return types[res].collection; }
const char *sb__res_kind(int res) { return types[res].kind; }

/* A refusal, before it becomes a problem document. */
typedef struct prob {
    int status;
    const char *code;
    char field[160];
    long position; /* -1: none */
    char detail[300];
    json_t *used_by;
} prob;

static int fail(prob *p, int status, const char *code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static int fail(prob *p, int status, const char *code, const char *field, const char *fmt, ...) {
    p->status = status;
    p->code = code;
    snprintf(p->field, sizeof(p->field), "%s", field ? field : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->detail, sizeof(p->detail), fmt, ap);
    va_end(ap);
    return SB_EINVAL;
}

static void send_prob(sb_http_request *req, prob *p) {
    json_t *extra = json_object();
    if (p->field[0]) json_object_set_new(extra, "field", json_string(p->field));
    if (p->position >= 0) json_object_set_new(extra, "position", json_integer(p->position));
    if (p->used_by) json_object_set_new(extra, "used_by", p->used_by);
    p->used_by = NULL;
    sb__problem(req, p->status, p->code, extra, "%s", p->detail);
}

/* ---- validation ------------------------------------------------------------ */

static bool has(const sb__tenant *t, int res, const char *id) {
    return id && json_object_get(t->res[res], id) != NULL;
}

static int check_keys(json_t *o, const char *const *allowed, prob *p) {
    const char *key;
    json_t *v;
    json_object_foreach(o, key, v) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key)) a++;
        if (*a == NULL) return fail(p, 400, "unknown_field", key, "unknown field '%s'", key);
    }
    return SB_OK;
}

static int opt_string(json_t *o, const char *key, size_t max, prob *p) {
    json_t *v = json_object_get(o, key);
    if (v && !json_is_null(v) && (!json_is_string(v) || json_string_length(v) > max))
        return fail(p, 400, "invalid_field", key, "%s: a string of at most %zu bytes", key, max);
    return SB_OK;
}

static int check_named(sb__tenant *t, json_t *o, prob *p) {
    static const char *const keys[] = {"id", "name", "description", NULL};
    (void)t;
    int rc = check_keys(o, keys, p);
    if (!rc) rc = opt_string(o, "name", 200, p);
    if (!rc) rc = opt_string(o, "description", 2000, p);
    return rc;
}

static int check_field(sb__tenant *t, json_t *o, prob *p) {
    static const char *const keys[] = {"id", "entity", "type", "required", "max_length",
                                       "min", "max", "values", "name", NULL};
    (void)t;
    int rc = check_keys(o, keys, p);
    if (rc || (rc = opt_string(o, "name", 200, p))) return rc;
    const char *entity = json_string_value(json_object_get(o, "entity"));
    const char *type = json_string_value(json_object_get(o, "type"));
    if (!entity || (strcmp(entity, "interaction") && strcmp(entity, "agent")))
        return fail(p, 400, "invalid_field", "entity", "entity: \"interaction\" or \"agent\"");
    if (!type || (strcmp(type, "string") && strcmp(type, "number") && strcmp(type, "boolean") &&
                  strcmp(type, "enum")))
        return fail(p, 400, "invalid_field", "type", "type: string, number, boolean or enum");
    json_t *req = json_object_get(o, "required"), *ml = json_object_get(o, "max_length"),
           *mn = json_object_get(o, "min"), *mx = json_object_get(o, "max"),
           *vals = json_object_get(o, "values");
    if (req && !json_is_boolean(req)) return fail(p, 400, "invalid_field", "required", "required: a boolean");
    if (ml && (strcmp(type, "string") || !json_is_integer(ml) || json_integer_value(ml) < 1))
        return fail(p, 400, "invalid_field", "max_length", "max_length: a positive integer, for strings");
    if ((mn && (strcmp(type, "number") || !json_is_number(mn))) ||
        (mx && (strcmp(type, "number") || !json_is_number(mx))))
        return fail(p, 400, "invalid_field", mn ? "min" : "max", "min and max: numbers, for numbers");
    if (mn && mx && json_number_value(mn) > json_number_value(mx))
        return fail(p, 400, "invalid_field", "min", "min is above max");
    if (!strcmp(type, "enum") != (vals != NULL))
        return fail(p, 400, "invalid_field", "values", "values: required for enum, only for enum");
    if (vals) {
        size_t i;
        json_t *v;
        if (!json_is_array(vals) || json_array_size(vals) == 0)
            return fail(p, 400, "invalid_field", "values", "values: a non-empty list of strings");
        json_array_foreach(vals, i, v) if (!json_is_string(v))
            return fail(p, 400, "invalid_field", "values", "values: a non-empty list of strings");
    }
    return SB_OK;
}

/* The custom field `name` of entity, or NULL. */
static json_t *field_def(const sb__tenant *t, const char *entity, const char *name) {
    json_t *f = json_object_get(t->res[SB__RES_FIELD], name);
    const char *e = json_string_value(json_object_get(f, "entity"));
    return e && !strcmp(e, entity) ? f : NULL;
}

/* Attributes against the custom fields of entity. */
static int check_attrs(const sb__tenant *t, json_t *attrs, const char *entity, const char *path,
                       prob *p) {
    char field[160];
    if (attrs && !json_is_null(attrs) && !json_is_object(attrs))
        return fail(p, 400, "invalid_field", path, "%s: an object", path);
    const char *key;
    json_t *v;
    json_object_foreach(attrs, key, v) {
        snprintf(field, sizeof(field), "%s.%s", path, key);
        json_t *f = field_def(t, entity, key);
        if (f == NULL)
            return fail(p, 400, "unknown_field", field, "%s: no %s custom field '%s'", field, entity, key);
        const char *type = json_string_value(json_object_get(f, "type"));
        if (!strcmp(type, "number")) {
            json_t *mn = json_object_get(f, "min"), *mx = json_object_get(f, "max");
            if (!json_is_number(v)) return fail(p, 400, "invalid_field", field, "%s: a number", field);
            double d = json_number_value(v);
            if ((mn && d < json_number_value(mn)) || (mx && d > json_number_value(mx)))
                return fail(p, 400, "invalid_field", field, "%s: out of range", field);
        } else if (!strcmp(type, "boolean")) {
            if (!json_is_boolean(v)) return fail(p, 400, "invalid_field", field, "%s: a boolean", field);
        } else {
            if (!json_is_string(v)) return fail(p, 400, "invalid_field", field, "%s: a string", field);
            json_t *ml = json_object_get(f, "max_length"), *vals = json_object_get(f, "values");
            if (ml && json_string_length(v) > (size_t)json_integer_value(ml))
                return fail(p, 400, "invalid_field", field, "%s: longer than %lld", field,
                            (long long)json_integer_value(ml));
            if (vals) {
                size_t i;
                json_t *allowed;
                bool ok = false;
                json_array_foreach(vals, i, allowed) ok |= json_equal(allowed, v);
                if (!ok) return fail(p, 400, "invalid_field", field, "%s: not one of the values", field);
            }
        }
    }
    json_object_foreach(t->res[SB__RES_FIELD], key, v) {
        const char *e = json_string_value(json_object_get(v, "entity"));
        if (!strcmp(e, entity) && json_is_true(json_object_get(v, "required")) &&
            json_object_get(attrs, key) == NULL) {
            snprintf(field, sizeof(field), "%s.%s", path, key);
            return fail(p, 400, "invalid_field", field, "%s: required", field);
        }
    }
    return SB_OK;
}

bool sb__check_attrs(sb__req *r, json_t *attrs, const char *entity, const char *path) {
    prob p = {.position = -1};
    if (check_attrs(r->t, attrs, entity, path, &p) == SB_OK) return true;
    send_prob(r->http, &p);
    return false;
}

/* Every path an expression names must be known: skills, custom fields. */
static int check_expr(const sb__tenant *t, const char *src, const char *field, prob *p) {
    sb_expr *e;
    sb_expr_error ee;
    int rc = sb_expr_compile(sb_core_syms(t->core), src, strlen(src), &e, &ee);
    if (rc) {
        fail(p, 400, "invalid_expression", field, "%s at %u: %s", field, ee.pos, ee.reason);
        p->position = ee.pos;
        return rc;
    }
    uint32_t n;
    const sb_expr_ref *refs = sb_expr_refs(e, &n);
    for (uint32_t i = 0; i < n && !rc; i++) {
        const char *name = refs[i].name ? sb__name(t, refs[i].name) : NULL;
        bool ok = refs[i].kind == SB_REF_SKILL ? has(t, SB__RES_SKILL, name)
                  : refs[i].kind == SB_REF_AGENT_ATTR ? field_def(t, "agent", name) != NULL
                  : refs[i].kind == SB_REF_IX_ATTR ? field_def(t, "interaction", name) != NULL
                                                   : true;
        if (!ok) {
            rc = fail(p, 400, "invalid_expression", field, "%s at %u: unknown %s '%s'", field,
                      refs[i].pos, refs[i].kind == SB_REF_SKILL ? "skill" : "custom field", name);
            p->position = refs[i].pos;
        }
    }
    sb_expr_free(e);
    return rc;
}

/* Does the expression name skill / field `name`? (for in-use checks) */
static bool expr_names(const sb__tenant *t, const char *src, sb_sym name) {
    sb_expr *e;
    sb_expr_error ee;
    if (name == 0 || sb_expr_compile(sb_core_syms(t->core), src, strlen(src), &e, &ee)) return false;
    uint32_t n;
    const sb_expr_ref *refs = sb_expr_refs(e, &n);
    bool found = false;
    for (uint32_t i = 0; i < n; i++) found |= refs[i].name == name;
    sb_expr_free(e);
    return found;
}

/* A refusal of the configuration reader.  Its paths start with a dot when
 * nested (".steps[0]", the document root being ""): the dot goes.  The
 * member a reason names ("'max_length' must be ...", "skill 'x' ...",
 * "unknown field 'x'") completes the field; unknown fields keep their code. */
static int config_fail(prob *p, const sb_config_error *err) {
    static const struct {
        const char *prefix, *member;
    } named[] = {{"unknown field '", ""}, {"'", ""}, {"skill '", "skills."}, {"attribute '", "attributes."}};
    const char *path = err->path[0] == '.' ? err->path + 1 : err->path;
    char field[200];
    snprintf(field, sizeof(field), "%s", path);
    size_t k = 0;
    while (k < 4 && strncmp(err->reason, named[k].prefix, strlen(named[k].prefix))) k++;
    if (k < 4) {
        const char *name = err->reason + strlen(named[k].prefix);
        snprintf(field, sizeof(field), "%s%s%s%.*s", path, path[0] ? "." : "", named[k].member,
                 (int)strcspn(name, "'"), name);
    }
    if (k == 0) return fail(p, 400, "unknown_field", field, "unknown field '%s'", field);
    return fail(p, 400, "invalid_field", field, "%s%s%s", path, path[0] ? ": " : "", err->reason);
}

static int check_profile(sb__tenant *t, json_t *o, prob *p) {
    sb_config_profile prof = {0};
    sb_config_error err;
    if (sb_config_profile_parse(t->core, o, "", &prof, &err)) return config_fail(p, &err);
    return SB_OK;
}

static int check_queue(sb__tenant *t, json_t *o, prob *p) {
    sb_config_queue q = {0};
    sb_config_error err;
    if (sb_config_queue_parse(t->core, o, "", &q, &err)) return config_fail(p, &err);
    char field[64];
    for (uint32_t i = 0; i < q.def.nsteps; i++) {
        snprintf(field, sizeof(field), "steps[%u].expression", i);
        if (q.def.steps[i].expr && check_expr(t, q.def.steps[i].expr, field, p)) return SB_EINVAL;
    }
    if (q.def.order_by && check_expr(t, q.def.order_by, "order_by", p)) return SB_EINVAL;
    json_t *ov = json_object_get(o, "overflow");
    const char *key;
    json_t *v;
    const char *self = json_string_value(json_object_get(o, "id"));
    json_object_foreach(ov, key, v) {
        const char *target = json_string_value(v);
        snprintf(field, sizeof(field), "overflow.%s", key);
        if (target && self && !strcmp(target, self)) /* the core refuses a loop */
            return fail(p, 400, "invalid_field", field, "%s: a queue cannot overflow into itself", field);
        if (target && !has(t, SB__RES_QUEUE, target))
            return fail(p, 400, "invalid_field", field, "%s: no such queue '%s'", field, target);
    }
    return SB_OK;
}

static int check_list(const sb__tenant *t, json_t *list, int res, const char *field, prob *p) {
    size_t i;
    json_t *v;
    json_array_foreach(list, i, v) if (!has(t, res, json_string_value(v)))
        return fail(p, 400, "invalid_field", field, "%s: no such %s '%s'", field, types[res].what,
                    json_string_value(v));
    return SB_OK;
}

static int check_agent(sb__tenant *t, json_t *o, prob *p) {
    sb_config_agent a;
    sb_config_error err;
    json_t *copy = json_deep_copy(o);
    json_object_del(copy, "display_name");
    int rc = sb_config_agent_parse(t->core, copy, "", &a, &err);
    sb_config_agent_free(&a);
    json_decref(copy);
    if (rc) return config_fail(p, &err);
    if ((rc = opt_string(o, "display_name", 200, p))) return rc;
    const char *key;
    json_t *v;
    json_object_foreach(json_object_get(o, "skills"), key, v) if (!has(t, SB__RES_SKILL, key))
        return fail(p, 400, "invalid_field", "skills", "skills: no such skill '%s'", key);
    if ((rc = check_list(t, json_object_get(o, "teams"), SB__RES_TEAM, "teams", p)) ||
        (rc = check_list(t, json_object_get(o, "queues"), SB__RES_QUEUE, "queues", p)))
        return rc;
    const char *prof = json_string_value(json_object_get(o, "capacity_profile"));
    if (prof && !has(t, SB__RES_PROFILE, prof))
        return fail(p, 400, "invalid_field", "capacity_profile", "capacity_profile: no such profile '%s'", prof);
    return check_attrs(t, json_object_get(o, "attributes"), "agent", "attributes", p);
}

static int check_user(sb__tenant *t, json_t *o, prob *p) {
    static const char *const keys[] = {"id", "display_name", "email", "role", "agent", "teams", "queues", NULL};
    int rc = check_keys(o, keys, p);
    if (rc || (rc = opt_string(o, "display_name", 200, p)) || (rc = opt_string(o, "email", 320, p)))
        return rc;
    const char *role = json_string_value(json_object_get(o, "role"));
    if (!role || (strcmp(role, "admin") && strcmp(role, "supervisor") && strcmp(role, "agent") &&
                  strcmp(role, "integration")))
        return fail(p, 400, "invalid_field", "role", "role: admin, supervisor, agent or integration");
    json_t *agent = json_object_get(o, "agent");
    if (agent && !json_is_null(agent) && !has(t, SB__RES_AGENT, json_string_value(agent)))
        return fail(p, 400, "invalid_field", "agent", "agent: no such agent");
    json_t *teams = json_object_get(o, "teams"), *queues = json_object_get(o, "queues");
    if ((teams && !json_is_array(teams)) || (queues && !json_is_array(queues)))
        return fail(p, 400, "invalid_field", teams && !json_is_array(teams) ? "teams" : "queues",
                    "teams and queues: lists of ids (what a supervisor oversees)");
    int rc2 = check_list(t, teams, SB__RES_TEAM, "teams", p);
    if (!rc2) rc2 = check_list(t, queues, SB__RES_QUEUE, "queues", p);
    return rc2;
}

static int check(sb__tenant *t, int res, json_t *o, prob *p) {
    switch (res) {
    case SB__RES_FIELD: return check_field(t, o, p);
    case SB__RES_PROFILE: return check_profile(t, o, p);
    case SB__RES_QUEUE: return check_queue(t, o, p);
    case SB__RES_AGENT: return check_agent(t, o, p);
    case SB__RES_USER: return check_user(t, o, p);
    default: return check_named(t, o, p);
    }
}

/* ---- the core in step ---------------------------------------------------------- */

/* Give the core resource o (NULL: remove id).  Queues may be applied
 * without their overflow (start-up's first pass). */
static int apply(sb__tenant *t, int res, const char *id, json_t *o, bool overflow, prob *p) {
    int64_t now = sb__now(t->api);
    sb_config_error err;
    memset(&err, 0, sizeof(err));
    sb_id cid = sb_core_sym(t->core, id);
    int rc = SB_OK;
    /* The configuration reader takes the object without the members only
     * the API has. */
    json_t *copy = o ? json_deep_copy(o) : NULL;
    json_object_del(copy, "version");
    json_object_del(copy, "display_name");
    if (res == SB__RES_PROFILE) {
        sb_config_profile prof = {0};
        rc = o ? sb_config_profile_parse(t->core, copy, "", &prof, &err) : SB_OK;
        if (!rc) rc = o ? sb_profile_set(t->core, now, cid, &prof.def) : sb_profile_remove(t->core, cid);
    } else if (res == SB__RES_QUEUE) {
        sb_config_queue q = {0};
        rc = o ? sb_config_queue_parse(t->core, copy, "", &q, &err) : SB_OK;
        if (!rc && o && !overflow) q.def.full_overflow = q.def.max_wait_overflow = q.def.closed_overflow = 0;
        sb_expr_error ee;
        uint32_t step;
        if (!rc) rc = o ? sb_queue_set(t->core, now, cid, &q.def, &ee, &step) : sb_queue_remove(t->core, now, cid);
    } else if (res == SB__RES_AGENT) {
        sb_config_agent a = {0};
        rc = o ? sb_config_agent_parse(t->core, copy, "", &a, &err) : SB_OK;
        if (!rc) rc = o ? sb_agent_set(t->core, now, cid, &a.def) : sb_agent_remove(t->core, now, cid);
        sb_config_agent_free(&a);
    }
    json_decref(copy);
    if (rc == SB_OK) sb__tstats_config(t, res, id, o); /* the figures follow the core */
    if (rc == SB_EINUSE || rc == SB_ESTATE)
        return fail(p, 409, "in_use", NULL, "the %s %s is in use (%s)", types[res].what, id,
                    rc == SB_ESTATE ? "logged in" : "interactions or overflow");
    if (rc) return fail(p, 400, "invalid_field", err.path, "%s", err.reason[0] ? err.reason : sb_status_name(rc));
    return SB_OK;
}

/* Who uses resource (res, id)?  A list of "collection/id", empty if none. */
static json_t *used_by(sb__tenant *t, int res, const char *id) {
    json_t *out = json_array(), *o;
    const char *oid;
    char ref[160];
    sb_sym sym = sb__id_of(t, id);
#define USED(coll)                                                    \
    do {                                                              \
        snprintf(ref, sizeof(ref), "%s/%s", coll, oid);               \
        json_array_append_new(out, json_string(ref));                 \
    } while (0)
    json_object_foreach(t->res[SB__RES_AGENT], oid, o) {
        json_t *v;
        size_t i;
        bool uses = false;
        if (res == SB__RES_SKILL) uses = json_object_get(json_object_get(o, "skills"), id) != NULL;
        if (res == SB__RES_FIELD) uses = json_object_get(json_object_get(o, "attributes"), id) != NULL;
        if (res == SB__RES_PROFILE)
            uses = json_is_string(json_object_get(o, "capacity_profile")) &&
                   !strcmp(json_string_value(json_object_get(o, "capacity_profile")), id);
        if (res == SB__RES_TEAM || res == SB__RES_QUEUE)
            json_array_foreach(json_object_get(o, res == SB__RES_TEAM ? "teams" : "queues"), i, v)
                uses |= !strcmp(json_string_value(v), id);
        if (uses) USED("agents");
    }
    if (res == SB__RES_SKILL || res == SB__RES_FIELD || res == SB__RES_QUEUE) {
        json_object_foreach(t->res[SB__RES_QUEUE], oid, o) {
            json_t *v, *s;
            size_t i;
            const char *k;
            bool uses = false;
            if (res == SB__RES_QUEUE) {
                json_object_foreach(json_object_get(o, "overflow"), k, v)
                    uses |= strcmp(oid, id) && json_is_string(v) && !strcmp(json_string_value(v), id);
            } else {
                json_array_foreach(json_object_get(o, "steps"), i, s) {
                    const char *src = json_string_value(json_object_get(s, "expression"));
                    uses |= src && expr_names(t, src, sym);
                }
                const char *ob = json_string_value(json_object_get(o, "order_by"));
                uses |= ob && expr_names(t, ob, sym);
            }
            if (uses) USED("queues");
        }
    }
    json_object_foreach(t->res[SB__RES_USER], oid, o) {
        const char *a = json_string_value(json_object_get(o, "agent"));
        json_t *v;
        size_t i;
        bool uses = res == SB__RES_AGENT && a && !strcmp(a, id);
        if (res == SB__RES_TEAM || res == SB__RES_QUEUE)
            json_array_foreach(json_object_get(o, res == SB__RES_TEAM ? "teams" : "queues"), i, v)
                uses |= json_is_string(v) && !strcmp(json_string_value(v), id);
        if (uses) USED("users");
    }
    if (res == SB__RES_QUEUE && sym) { /* live interactions in the queue */
        uint32_t it = 0;
        uint64_t key;
        void *val;
        char num[24];
        while (sb_map_next(&t->live, &it, &key, &val)) {
            if (((const sb__rec *)val)->queue != sym) continue;
            snprintf(num, sizeof(num), "%llu", (unsigned long long)key);
            oid = num;
            USED("interactions");
        }
    }
#undef USED
    return out;
}

/* ---- writes --------------------------------------------------------------------- */

/* Validate, apply and stage resource o (a new reference is taken) as
 * (res, id) in transaction x; its version becomes the previous plus 1. */
static int write_res(sb__tenant *t, sb__txn *x, int res, const char *id, json_t *o,
                     const char *actor, prob *p) {
    json_t *prev = json_object_get(t->res[res], id);
    json_object_set_new(o, "id", json_string(id));
    json_object_del(o, "version");
    int rc = check(t, res, o, p);
    if (!rc) rc = apply(t, res, id, o, true, p);
    if (rc) return rc;
    int64_t version = prev ? json_integer_value(json_object_get(prev, "version")) + 1 : 1;
    sb__txn_put_doc(x, types[res].kind, id, o);
    sb__audit(x, actor, prev ? "update" : "create", types[res].collection, id, prev, o);
    json_t *mem = json_deep_copy(o);
    json_object_set_new(mem, "version", json_integer(version));
    json_object_set_new(t->res[res], id, mem);
    return SB_OK;
}

static int64_t version_of(json_t *o) { return json_integer_value(json_object_get(o, "version")); }

/* A custom field in use keeps its entity and type, and every agent's value
 * must still be valid under the new definition (interactions are checked
 * as they are written). */
static bool field_change_breaks(sb__tenant *t, const char *id, json_t *prev, json_t *def, prob *p) {
    json_t *users = used_by(t, SB__RES_FIELD, id);
    bool breaks = false;
    if (json_array_size(users) &&
        (!json_equal(json_object_get(prev, "entity"), json_object_get(def, "entity")) ||
         !json_equal(json_object_get(prev, "type"), json_object_get(def, "type")))) {
        fail(p, 409, "in_use", "type", "the custom field %s is in use: its entity and type stay", id);
        p->used_by = json_incref(users);
        breaks = true;
    } else if (json_array_size(users) && check_field(t, def, p) == SB_OK) {
        json_t *keep = json_incref(prev), *trial = json_deep_copy(def);
        json_object_set_new(t->res[SB__RES_FIELD], id, trial); /* judge agents by the new one */
        const char *aid;
        json_t *a;
        json_object_foreach(t->res[SB__RES_AGENT], aid, a) {
            if (check_attrs(t, json_object_get(a, "attributes"), "agent", "attributes", p) != SB_OK) {
                fail(p, 409, "in_use", NULL, "agent %s holds a value the new definition of %s refuses", aid, id);
                p->used_by = json_pack("[s]", aid);
                breaks = true;
                break;
            }
        }
        json_object_set_new(t->res[SB__RES_FIELD], id, keep);
    }
    json_decref(users);
    return breaks;
}

static void respond_res(sb__req *r, sb__txn *x, int res, const char *id, int status) {
    json_t *o = json_object_get(r->t->res[res], id);
    sb__txn_respond(x, status, json_deep_copy(o), version_of(o));
    sb__txn_commit(x);
}

void sb__res_create(sb__req *r) {
    int res = *(const int *)r->arg;
    json_t *body = sb__body(r);
    if (body == NULL) return;
    const char *id = json_string_value(json_object_get(body, "id"));
    prob p = {.position = -1};
    if (id == NULL || !sb__valid_id(id)) {
        fail(&p, 400, "invalid_field", "id", "id: 1 to 64 of A-Z a-z 0-9 _ . -");
    } else if (json_object_get(r->t->res[res], id)) {
        fail(&p, 409, "already_exists", "id", "%s %s already exists", types[res].what, id);
    } else {
        char idc[72];
        snprintf(idc, sizeof(idc), "%s", id);
        sb__txn *x = sb__txn_begin(r->t, r->http);
        if (write_res(r->t, x, res, idc, body, r->who.user, &p) == SB_OK) {
            char loc[128];
            snprintf(loc, sizeof(loc), "/v1/%s/%s", types[res].collection, idc);
            sb_http_response_header(r->http, "Location", loc);
            respond_res(r, x, res, idc, 201);
            json_decref(body);
            return;
        }
        sb__txn_abandon(x);
    }
    json_decref(body);
    send_prob(r->http, &p);
}

void sb__res_put(sb__req *r) {
    int res = *(const int *)r->arg;
    prob p = {.position = -1};
    json_t *body = sb__body(r);
    if (body == NULL) return;
    int64_t want = sb__if_match(r);
    json_t *prev = json_object_get(r->t->res[res], r->id);
    const char *bid = json_string_value(json_object_get(body, "id"));
    if (want < 0) {
        json_decref(body);
        return;
    }
    if (!sb__valid_id(r->id)) {
        fail(&p, 404, "not_found", NULL, "no such %s", types[res].what);
    } else if (json_object_get(body, "id") && (!bid || strcmp(bid, r->id))) {
        fail(&p, 400, "invalid_field", "id", "id: must be the id of the path");
    } else if (want && (!prev || version_of(prev) != want)) {
        fail(&p, 412, "precondition_failed", NULL, "the %s is at version %lld", types[res].what,
             prev ? (long long)version_of(prev) : 0LL);
    } else if (res == SB__RES_FIELD && prev && field_change_breaks(r->t, r->id, prev, body, &p)) {
        /* refused: p says why */
    } else {
        sb__txn *x = sb__txn_begin(r->t, r->http);
        if (write_res(r->t, x, res, r->id, body, r->who.user, &p) == SB_OK) {
            respond_res(r, x, res, r->id, prev ? 200 : 201);
            json_decref(body);
            return;
        }
        sb__txn_abandon(x);
    }
    json_decref(body);
    send_prob(r->http, &p);
}

void sb__res_delete(sb__req *r) {
    int res = *(const int *)r->arg;
    prob p = {.position = -1};
    int64_t want = sb__if_match(r);
    if (want < 0) return;
    json_t *prev = json_object_get(r->t->res[res], r->id);
    json_t *users = prev ? used_by(r->t, res, r->id) : NULL;
    if (prev == NULL) {
        fail(&p, 404, "not_found", NULL, "no such %s", types[res].what);
    } else if (want && version_of(prev) != want) {
        fail(&p, 412, "precondition_failed", NULL, "the %s is at version %lld", types[res].what,
             (long long)version_of(prev));
    } else if (json_array_size(users)) {
        fail(&p, 409, "in_use", NULL, "the %s %s is in use", types[res].what, r->id);
        p.used_by = json_incref(users);
    } else if (apply(r->t, res, r->id, NULL, true, &p) == SB_OK) {
        sb__txn *x = sb__txn_begin(r->t, r->http);
        sb_store_batch_delete(sb__txn_batch(x), r->t->id, types[res].kind, r->id, SB_STORE_ANY_VERSION);
        sb__audit(x, r->who.user, "delete", types[res].collection, r->id, prev, NULL);
        if (res == SB__RES_USER) { /* its password and sessions go with it */
            sb_store_batch_delete(sb__txn_batch(x), r->t->id, "password", r->id, SB_STORE_ANY_VERSION);
            json_object_del(r->t->passwords, r->id);
            sb__sessions_revoke(x, r->id);
        }
        json_object_del(r->t->res[res], r->id);
        sb__txn_respond(x, 204, NULL, 0);
        sb__txn_commit(x);
        json_decref(users);
        return;
    }
    json_decref(users);
    send_prob(r->http, &p);
}

void sb__res_get(sb__req *r) {
    int res = *(const int *)r->arg;
    json_t *o = json_object_get(r->t->res[res], r->id);
    if (o == NULL || !sb__see_resource(r->t, &r->who, res, r->id)) {
        sb__problem(r->http, 404, "not_found", NULL, "no such %s", types[res].what);
        return;
    }
    sb__send(r->http, 200, json_deep_copy(o), version_of(o));
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

void sb__res_list(sb__req *r) {
    int res = *(const int *)r->arg;
    char cursor[80];
    size_t lim = 100;
    if (!sb__limit(r, &lim)) return;
    bool after = sb__query(r, "cursor", cursor, sizeof(cursor));
    json_t *all = r->t->res[res];
    size_t n = json_object_size(all), k = 0;
    const char **ids = sb_malloc((n + 1) * sizeof(*ids));
    const char *id;
    json_t *o;
    json_object_foreach(all, id, o) if (sb__see_resource(r->t, &r->who, res, id)) ids[k++] = id;
    n = k;
    qsort(ids, n, sizeof(*ids), cmp_str);
    json_t *items = json_array();
    size_t i = 0;
    while (i < n && after && strcmp(ids[i], cursor) <= 0) i++;
    for (; i < n && json_array_size(items) < lim; i++)
        json_array_append_new(items, json_deep_copy(json_object_get(all, ids[i])));
    json_t *next = i < n ? json_string(ids[i - 1]) : json_null();
    sb_free(ids);
    sb__send(r->http, 200, json_pack("{s:o, s:o}", "items", items, "next_cursor", next), 0);
}

/* ---- start-up and seeding ---------------------------------------------------------- */

typedef struct load_ctx {
    sb__tenant *t;
    int res;
} load_ctx;

static int load_doc(void *data, const sb_store_doc *d) {
    load_ctx *l = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    if (o == NULL) return SB_EINVAL;
    json_object_set_new(o, "version", json_integer(d->version));
    json_object_set_new(l->t->res[l->res], d->id, o);
    sb_core_sym(l->t->core, d->id); /* as a write does: codes and reasons are named by symbol */
    return 0;
}

int sb__res_load(sb__tenant *t, char *err, size_t errlen) {
    for (int res = 0; res < SB__RES_COUNT; res++) {
        load_ctx l = {t, res};
        if (sb_store_doc_list(t->api->env.store, t->id, types[res].kind, NULL, 0, load_doc, &l, NULL)) {
            snprintf(err, errlen, "tenant %s: cannot read the %s", t->name, types[res].collection);
            return SB_EIO;
        }
    }
    /* Dependencies first: profiles, queues (twice: overflow targets must
     * exist before they are named), agents. */
    static const int order[] = {SB__RES_PROFILE, SB__RES_QUEUE, SB__RES_QUEUE, SB__RES_AGENT};
    for (int k = 0; k < 4; k++) {
        const char *id;
        json_t *o;
        json_object_foreach(t->res[order[k]], id, o) {
            prob p = {.position = -1};
            if (apply(t, order[k], id, o, k != 1, &p)) {
                snprintf(err, errlen, "tenant %s: stored %s %s: %s", t->name, types[order[k]].what, id,
                         p.detail);
                return SB_EINVAL;
            }
        }
    }
    return SB_OK;
}

int sb_api_seed(sb_api *api, const char *tenant, json_t *doc, char *err, size_t errlen) {
    static const struct {
        const char *key;
        int res;
    } lists[] = {{"skills", SB__RES_SKILL},        {"teams", SB__RES_TEAM},
                 {"wrapup_codes", SB__RES_WRAPUP}, {"not_ready_reasons", SB__RES_REASON},
                 {"custom_fields", SB__RES_FIELD}, {"capacity_profiles", SB__RES_PROFILE},
                 {"queues", SB__RES_QUEUE},        {"agents", SB__RES_AGENT},
                 {"users", SB__RES_USER}};
    sb__tenant *t = sb__tenant_find(api, tenant);
    if (t == NULL) {
        snprintf(err, errlen, "no tenant %s", tenant);
        return SB_ENOENT;
    }
    if (json_object_size(t->res[SB__RES_QUEUE]) || json_object_size(t->res[SB__RES_USER])) return SB_OK;
    sb__txn *x = sb__txn_begin(t, NULL);
    for (size_t k = 0; k < sizeof(lists) / sizeof(lists[0]); k++) {
        size_t i;
        json_t *o;
        json_array_foreach(json_object_get(doc, lists[k].key), i, o) {
            prob p = {.position = -1};
            const char *id = json_string_value(json_object_get(o, "id"));
            json_t *copy = json_deep_copy(o);
            const char *pw = json_string_value(json_object_get(copy, "password"));
            char hash[256] = "";
            if (lists[k].res == SB__RES_USER && pw) {
                sb__password_hash(pw, hash); /* start-up: the loop may wait */
                json_object_del(copy, "password");
            }
            int rc = id && sb__valid_id(id) ? write_res(t, x, lists[k].res, id, copy, "seed", &p) : SB_EINVAL;
            if (rc == SB_OK && hash[0]) sb__password_stage(x, id, hash);
            json_decref(copy);
            if (rc) {
                snprintf(err, errlen, "%s[%zu]: %s", lists[k].key, i, id ? p.detail : "no id");
                sb__txn_commit(x); /* what was applied is kept */
                return SB_EINVAL;
            }
        }
    }
    return sb__txn_wait(x, err, errlen);
}

/* POST /v1/expressions/check {expression}: what a queue's step editor
 * asks as the administrator types; the same checks as a queue's save. */
void sb__expr_check(sb__req *r) {
    static const char *const fields[] = {"expression", NULL};
    json_t *body = sb__body(r);
    if (body == NULL || !sb__check_fields(r, body, "", fields)) goto out;
    json_t *e = json_object_get(body, "expression");
    if (!json_is_string(e) || json_string_length(e) == 0 || json_string_length(e) > 4096) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "expression"),
                    "expression: a string of 1 to 4096 bytes");
        goto out;
    }
    prob p = {.position = -1};
    if (check_expr(r->t, json_string_value(e), "expression", &p)) {
        send_prob(r->http, &p);
        goto out;
    }
    sb__send(r->http, 200, json_pack("{s:b}", "ok", 1), 0);
out:
    json_decref(body);
}
