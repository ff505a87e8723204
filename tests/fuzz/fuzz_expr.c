/* fuzz_expr.c: libFuzzer target for src/core/expr.c.
 *
 * Compiles the input bytes.  A failure must be a syntax or limit error with
 * a position inside the source and a reason.  A success is evaluated
 * against two fixed agents and two fixed interactions, each view also
 * NULL, and checked for:
 *   - results that are sb_tri values;
 *   - soundness of partial evaluation, which the core's eligibility index
 *     relies on: when eval(agent, NULL) is not unknown, every interaction
 *     must give the same answer (and likewise with the agent NULL);
 *   - refs in range and consistent with sb_expr_uses_interaction;
 *   - the source copy and sb_expr_operand not misbehaving.
 * Each input gets a fresh intern table, so nothing outlives it and leaks
 * show up in LeakSanitizer. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/intern.h"
#include "base/mem.h"
#include "base/status.h"
#include "core/expr.h"

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) sb_panic("fuzz_expr: check failed: %s", #cond);       \
    } while (0)

typedef struct world {
    sb_intern syms;
    sb_skill skills[3];
    sb_sym languages[2];
    sb_sym teams[1];
    sb_sym tags[2];
    sb_attrs agent_attrs, ix_attrs;
    sb_expr_agent agents[2]; /* a full one and a bare one */
    sb_expr_ix ixs[2];       /* a full one and an empty one */
} world;

static int cmp_skill(const void *a, const void *b) {
    sb_sym x = ((const sb_skill *)a)->name, y = ((const sb_skill *)b)->name;
    return (x > y) - (x < y);
}

/* Short names, so that random inputs hit present values often. */
static void world_init(world *w) {
    sb_intern *t = &w->syms;
    sb_intern_init(t);
    w->skills[0] = (sb_skill){sb_intern_cstr(t, "s"), 5};
    w->skills[1] = (sb_skill){sb_intern_cstr(t, "a"), 1};
    w->skills[2] = (sb_skill){sb_intern_cstr(t, "x"), 9};
    qsort(w->skills, 3, sizeof(w->skills[0]), cmp_skill);
    w->languages[0] = sb_intern_cstr(t, "en");
    w->languages[1] = sb_intern_cstr(t, "a");
    sb_syms_normalize(w->languages, 2);
    w->teams[0] = sb_intern_cstr(t, "b");
    w->tags[0] = sb_intern_cstr(t, "a");
    w->tags[1] = sb_intern_cstr(t, "x");
    sb_attr agent_attrs[] = {
        {sb_intern_cstr(t, "a"), sb_val_str(sb_intern_cstr(t, "a"))},
        {sb_intern_cstr(t, "b"), sb_val_bool(true)},
        {sb_intern_cstr(t, "n"), sb_val_num(3)},
        {sb_intern_cstr(t, "t"), sb_val_set(w->tags, 2)},
        {sb_intern_cstr(t, "z"), sb_val_num(NAN)},
    };
    CHECK(sb_attrs_copy(&w->agent_attrs, agent_attrs, 5) == SB_OK);
    sb_attr ix_attrs[] = {
        {sb_intern_cstr(t, "a"), sb_val_str(sb_intern_cstr(t, "en"))},
        {sb_intern_cstr(t, "b"), sb_val_bool(false)},
        {sb_intern_cstr(t, "x"), sb_val_set(w->tags, 2)},
    };
    CHECK(sb_attrs_copy(&w->ix_attrs, ix_attrs, 3) == SB_OK);
    w->agents[0] = (sb_expr_agent){w->skills, 3, w->languages, 2, w->teams, 1, &w->agent_attrs};
    w->agents[1] = (sb_expr_agent){0};
    w->ixs[0] = (sb_expr_ix){sb_intern_cstr(t, "chat"), 7, &w->ix_attrs};
    w->ixs[1] = (sb_expr_ix){0};
}

static void world_free(world *w) {
    sb_attrs_free(&w->agent_attrs);
    sb_attrs_free(&w->ix_attrs);
    sb_intern_free(&w->syms);
}

static sb_tri eval(const sb_expr *e, const sb_expr_agent *a, const sb_expr_ix *ix) {
    sb_tri r = sb_expr_eval(e, a, ix);
    CHECK(r == SB_TRI_FALSE || r == SB_TRI_TRUE || r == SB_TRI_UNKNOWN);
    sb_value v = sb_expr_operand(e, a, ix);
    CHECK(v.type <= SB_VAL_SET);
    return r;
}

static void check_eval(const world *w, const sb_expr *e) {
    sb_tri none = eval(e, NULL, NULL);
    sb_tri by_agent[2], by_ix[2];
    for (int i = 0; i < 2; i++) {
        by_agent[i] = eval(e, &w->agents[i], NULL);
        by_ix[i] = eval(e, NULL, &w->ixs[i]);
    }
    for (int a = 0; a < 2; a++)
        for (int i = 0; i < 2; i++) {
            sb_tri full = eval(e, &w->agents[a], &w->ixs[i]);
            CHECK(full != SB_TRI_UNKNOWN);
            CHECK(by_agent[a] == SB_TRI_UNKNOWN || by_agent[a] == full);
            CHECK(by_ix[i] == SB_TRI_UNKNOWN || by_ix[i] == full);
            CHECK(none == SB_TRI_UNKNOWN || none == full);
        }
}

static void check_refs(const sb_expr *e, size_t size) {
    uint32_t n = UINT32_MAX;
    const sb_expr_ref *refs = sb_expr_refs(e, &n);
    CHECK(n <= SB_EXPR_MAX_NODES);
    int uses_ix = 0;
    for (uint32_t i = 0; i < n; i++) {
        CHECK(refs[i].kind >= SB_REF_SKILL && refs[i].kind <= SB_REF_IX_ATTR);
        CHECK(refs[i].pos < size);
        CHECK(i == 0 || refs[i].pos > refs[i - 1].pos); /* source order */
        uses_ix |= refs[i].kind >= SB_REF_CHANNEL;
    }
    CHECK(!sb_expr_uses_interaction(e) == !uses_ix);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    world w;
    world_init(&w);
    sb_expr *e = NULL;
    sb_expr_error err;
    memset(&err, 0xAA, sizeof(err)); /* compile must fill it on failure */
    int rc = sb_expr_compile(&w.syms, (const char *)data, size, &e, &err);
    if (rc == SB_OK) {
        CHECK(e != NULL);
        const char *src = sb_expr_source(e);
        CHECK(strlen(src) == size && memcmp(src, data, size) == 0);
        check_refs(e, size);
        check_eval(&w, e);
        sb_expr_free(e);
    } else {
        CHECK(rc == SB_ESYNTAX || rc == SB_ELIMIT);
        CHECK(e == NULL);
        CHECK(err.pos <= size);
        CHECK(memchr(err.reason, '\0', sizeof(err.reason)) != NULL);
        CHECK(err.reason[0] != '\0');
        CHECK(sb_expr_compile(&w.syms, (const char *)data, size, &e, NULL) == rc);
        CHECK(e == NULL);
    }
    world_free(&w);
    return 0;
}
