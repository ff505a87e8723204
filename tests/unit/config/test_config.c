/* Tests for src/config/config.c: strict reading of configuration documents. */
#include <string.h>

#include "base/status.h"
#include "config/config.h"
#include "unit/test.h"

static int parse(const char *text, sb_core **core, sb_config *cfg, sb_config_error *err) {
    json_error_t je;
    json_t *doc = json_loads(text, 0, &je);
    assert_non_null(doc);
    *core = sb_core_new(1);
    int rc = sb_config_parse(*core, doc, NULL, cfg, err);
    json_decref(doc);
    return rc;
}

static void expect_error(const char *text, const char *path, const char *reason_part) {
    sb_core *c;
    sb_config cfg;
    sb_config_error err = {{0}, {0}};
    assert_int_equal(parse(text, &c, &cfg, &err), SB_EINVAL);
    assert_string_equal(err.path, path);
    if (strstr(err.reason, reason_part) == NULL)
        fail_msg("reason '%s' lacks '%s'", err.reason, reason_part);
    sb_core_free(c);
}

static void full_document_applies(void **state) {
    (void)state;
    const char *text =
        "{\"capacity_profiles\": [{\"id\": \"p\", \"units\": 100, \"channels\": {\"chat\": "
        "{\"cost\": 20, \"max\": 5}, \"email\": {\"interruptible_by\": [\"voice\"]}}}],"
        " \"queues\": [{\"id\": \"b\", \"steps\": [{\"expression\": \"agent.skills.x >= 2\"},"
        " {\"expression\": \"\", \"after_seconds\": 30}], \"selection\": \"most_skilled\","
        " \"order_by\": \"agent.skills.x\", \"wrapup\": {\"mode\": \"mandatory_timeout\","
        " \"timeout_seconds\": 9}, \"overflow\": {\"at_max_wait\": \"o\"}, \"max_wait_seconds\": 60},"
        " {\"id\": \"o\", \"steps\": [{}]}],"
        " \"agents\": [{\"id\": \"a\", \"skills\": {\"x\": 3}, \"languages\": [\"en\"],"
        " \"attributes\": {\"vip\": true, \"n\": 2, \"tags\": [\"t1\", \"t2\"]},"
        " \"queues\": [\"b\", \"o\"], \"capacity_profile\": \"p\"}]}";
    sb_core *c;
    sb_config cfg;
    sb_config_error err;
    assert_int_equal(parse(text, &c, &cfg, &err), SB_OK);
    assert_int_equal(cfg.nqueues, 2);
    assert_int_equal(cfg.queues[0].def.nsteps, 2);
    assert_int_equal(cfg.queues[0].def.steps[1].after_ms, 30000);
    assert_int_equal(cfg.queues[0].def.wrapup_timeout_ms, 9000);
    assert_int_equal(cfg.queues[0].def.max_wait_overflow, cfg.queues[1].id);
    assert_int_equal(cfg.profiles[0].def.cost[SB_CH_CHAT], 20);
    assert_int_equal(cfg.profiles[0].def.interruptible_by[SB_CH_EMAIL], SB_CH_BIT(SB_CH_VOICE));
    assert_int_equal(sb_config_apply(&cfg, c, 0, &err), SB_OK);
    /* The agent really serves queue b: an interaction there is offered to it. */
    assert_int_equal(sb_agent_login(c, 0, cfg.agents[0].id), SB_OK);
    assert_int_equal(sb_agent_ready(c, 0, cfg.agents[0].id), SB_OK);
    sb_interaction_def d = {.id = 1, .queue = cfg.queues[0].id, .channel = SB_CH_CHAT};
    assert_int_equal(sb_interaction_create(c, 0, &d), SB_OK);
    sb_ix_info info = {0};
    assert_int_equal(sb_interaction_info(c, 1, &info), SB_OK);
    assert_int_equal(info.state, SB_IX_OFFERED);
    sb_config_free(&cfg);
    sb_core_free(c);
}

static void errors_name_the_field(void **state) {
    (void)state;
    expect_error("{\"queues\": [{\"id\": \"q\", \"steps\": [{}], \"colour\": 1}]}", "queues[0]",
                 "unknown field 'colour'");
    expect_error("{\"queuez\": []}", "", "unknown field 'queuez'");
    expect_error("{\"queues\": [{\"id\": \"q\", \"steps\": []}]}", "queues[0]", "steps");
    expect_error("{\"queues\": [{\"id\": \"q\", \"steps\": [{\"after_seconds\": 5}]}]}",
                 "queues[0].steps[0]", "after_seconds");
    expect_error("{\"queues\": [{\"id\": \"q\", \"steps\": [{}], \"selection\": \"best\"}]}",
                 "queues[0]", "unknown selection 'best'");
    expect_error("{\"queues\": [{\"id\": \"q\", \"steps\": [{}]}, {\"id\": \"q\", \"steps\": [{}]}]}",
                 "queues[1]", "duplicate");
    expect_error("{\"agents\": [{\"id\": \"a\", \"skills\": {\"x\": \"high\"}}]}", "agents[0]",
                 "skill 'x'");
    expect_error("{\"capacity_profiles\": [{\"id\": \"p\", \"channels\": {\"fax\": {}}}]}",
                 "capacity_profiles[0].channels.fax", "unknown channel");
    expect_error("{\"queues\": [{\"id\": \"q\", \"steps\": [{}], \"offer_timeout_seconds\": -1}]}",
                 "queues[0]", "offer_timeout_seconds");
}

static void apply_reports_expression_position(void **state) {
    (void)state;
    sb_core *c;
    sb_config cfg;
    sb_config_error err;
    assert_int_equal(parse("{\"queues\": [{\"id\": \"q\", \"steps\": [{}, {\"expression\": "
                           "\"agent.skills.x >> 2\", \"after_seconds\": 5}]}]}",
                           &c, &cfg, &err),
                     SB_OK);
    assert_int_equal(sb_config_apply(&cfg, c, 0, &err), SB_ESYNTAX);
    assert_string_equal(err.path, "queues[0].steps[1].expression");
    assert_non_null(strstr(err.reason, "at 16"));
    sb_config_free(&cfg);
    sb_core_free(c);
}

static void unknown_references_refused_on_apply(void **state) {
    (void)state;
    sb_core *c;
    sb_config cfg;
    sb_config_error err;
    assert_int_equal(parse("{\"queues\": [{\"id\": \"q\", \"steps\": [{}]}], \"agents\": [{\"id\": "
                           "\"a\", \"queues\": [\"nope\"]}]}",
                           &c, &cfg, &err),
                     SB_OK);
    assert_int_equal(sb_config_apply(&cfg, c, 0, &err), SB_ENOENT);
    assert_string_equal(err.path, "agents[0]");
    sb_config_free(&cfg);
    sb_core_free(c);
}

SB_TEST_GROUP(config, cmocka_unit_test(full_document_applies), cmocka_unit_test(errors_name_the_field),
              cmocka_unit_test(apply_reports_expression_position),
              cmocka_unit_test(unknown_references_refused_on_apply))
