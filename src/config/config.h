/* config.h: configuration documents (JSON) to core definitions.
 *
 * One format for a tenant's routing configuration: capacity profiles,
 * queues and agents, named by strings.  The server will export and import
 * it; the simulator reads it as it is, so a live configuration can be
 * simulated unchanged.  See docs/config.md for the format.
 *
 * Parsing is strict: an unknown field, a wrong type or a bad value is an
 * error naming the field's path ("queues[2].steps[0].expression") and the
 * reason; an expression error gives the byte position.  Names become ids
 * through the core's symbol table, so a name means the same object in the
 * configuration, the core and the simulator. */
#ifndef SB_CONFIG_CONFIG_H
#define SB_CONFIG_CONFIG_H

#include <jansson.h>

#include "core/core.h"

typedef struct sb_config_error {
    char path[160];
    char reason[200];
} sb_config_error;

typedef struct sb_config_queue {
    sb_id id;
    const char *name;          /* interned: lives as long as the core */
    sb_queue_def def;          /* steps and order_by point into this struct */
    sb_step_def steps[SB_MAX_STEPS];
    double sl_threshold_s;     /* service-level threshold, default 20 s */
    double sl_target;          /* e.g. 0.8 */
} sb_config_queue;

typedef struct sb_config_agent {
    sb_id id;
    const char *name;
    sb_agent_def def;          /* arrays owned by this struct */
} sb_config_agent;

typedef struct sb_config_profile {
    sb_id id;
    sb_profile_def def;
} sb_config_profile;

typedef struct sb_config {
    sb_config_profile *profiles;
    uint32_t nprofiles;
    sb_config_queue *queues;
    uint32_t nqueues;
    sb_config_agent *agents;
    uint32_t nagents;
    json_t *doc;               /* a reference to the parsed document */
} sb_config;

/* Parse the "capacity_profiles", "queues" and "agents" members of doc
 * (other top-level members named in `also_allowed`, a NULL-terminated
 * list, are left to the caller; any other is an error).  Names are
 * interned in the core's table.  SB_OK or SB_EINVAL with *err. */
int sb_config_parse(sb_core *c, json_t *doc, const char *const *also_allowed, sb_config *out,
                    sb_config_error *err);
void sb_config_free(sb_config *cfg);

/* Create the profiles, queues and agents in the core (agents stay logged
 * out).  Returns SB_OK or the core's status with *err naming the object. */
int sb_config_apply(const sb_config *cfg, sb_core *c, int64_t now, sb_config_error *err);

/* Parse one agent object (as in "agents") into def, with arrays owned by
 * the returned struct: for callers that make agents from templates. */
int sb_config_agent_parse(sb_core *c, json_t *obj, const char *path, sb_config_agent *out,
                          sb_config_error *err);
void sb_config_agent_free(sb_config_agent *a);

/* Parse one capacity profile / queue object (as in "capacity_profiles" and
 * "queues"); a queue's step expressions point into `o`, which must live
 * as long as the definition is used.  Overflow targets are not checked. */
int sb_config_profile_parse(sb_core *c, json_t *o, const char *path, sb_config_profile *out,
                            sb_config_error *err);
int sb_config_queue_parse(sb_core *c, json_t *o, const char *path, sb_config_queue *out,
                          sb_config_error *err);

/* Parse an "attributes" object (NULL or null: none) into a new array of
 * *n attributes (free with sb_config_attrs_free, also after an error). */
int sb_config_attrs_parse(sb_core *c, json_t *attrs, const char *path, sb_attr **out,
                          uint32_t *n, sb_config_error *err);
void sb_config_attrs_free(sb_attr *attrs, uint32_t n);

/* Find a queue by name; NULL if absent. */
const sb_config_queue *sb_config_queue_find(const sb_config *cfg, const char *name);

/* Small strict-JSON helpers shared by the readers of documents. */
int sb_json_check_keys(json_t *obj, const char *path, const char *const *allowed,
                       sb_config_error *err);
int sb_json_error(sb_config_error *err, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* A number member (absent -> def); SB_EINVAL if present and not a number. */
int sb_json_number(json_t *obj, const char *key, double def, double *out, const char *path,
                   sb_config_error *err);

#endif
