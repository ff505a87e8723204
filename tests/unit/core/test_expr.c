/* test_expr.c: src/core/expr.c, the target-expression language.
 *
 * Every test runs against one fixture: an intern table, an agent and an
 * interaction.  Teardown checks that the expressions a test compiled were
 * all freed (sb_mem_used returns to where setup left it). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "core/expr.h"
#include "unit/test.h"

typedef struct fixture {
    sb_intern syms;
    sb_skill skills[3];
    sb_sym languages[2];
    sb_sym teams[1];
    sb_attrs agent_attrs, ix_attrs;
    sb_expr_agent agent;
    sb_expr_ix ix;
    size_t mem_at_setup;
} fixture;

static fixture *F; /* the current test's fixture */

#define SYM(s) sb_intern_cstr(&F->syms, (s))

static int cmp_skill(const void *a, const void *b) {
    sb_sym x = ((const sb_skill *)a)->name, y = ((const sb_skill *)b)->name;
    return (x > y) - (x < y);
}

/* agent: skills sales=5 billing=2 support=8, languages en fr, team blue,
 *        tier='gold' vip=true tenure=3 tags={a,b} nan=NaN
 * interaction: channel chat, priority 7, lang='fr' segment='smb'
 *              urgent=true */
static void make_agent(fixture *f) {
    f->skills[0] = (sb_skill){SYM("sales"), 5};
    f->skills[1] = (sb_skill){SYM("billing"), 2};
    f->skills[2] = (sb_skill){SYM("support"), 8};
    qsort(f->skills, 3, sizeof(f->skills[0]), cmp_skill);
    f->languages[0] = SYM("en");
    f->languages[1] = SYM("fr");
    sb_syms_normalize(f->languages, 2);
    f->teams[0] = SYM("blue");
    sb_sym tags[] = {SYM("a"), SYM("b")};
    sb_attr attrs[] = {
        {SYM("tier"), sb_val_str(SYM("gold"))}, {SYM("vip"), sb_val_bool(true)},
        {SYM("tenure"), sb_val_num(3)},         {SYM("tags"), sb_val_set(tags, 2)},
        {SYM("nan"), sb_val_num(NAN)},
    };
    assert_int_equal(sb_attrs_copy(&f->agent_attrs, attrs, 5), SB_OK);
    f->agent = (sb_expr_agent){.skills = f->skills,
                               .nskills = 3,
                               .languages = f->languages,
                               .nlanguages = 2,
                               .teams = f->teams,
                               .nteams = 1,
                               .attrs = &f->agent_attrs};
}

static void make_ix(fixture *f) {
    sb_attr attrs[] = {
        {SYM("lang"), sb_val_str(SYM("fr"))},
        {SYM("segment"), sb_val_str(SYM("smb"))},
        {SYM("urgent"), sb_val_bool(true)},
    };
    assert_int_equal(sb_attrs_copy(&f->ix_attrs, attrs, 3), SB_OK);
    f->ix = (sb_expr_ix){.channel = SYM("chat"), .priority = 7, .attrs = &f->ix_attrs};
}

static int setup(void **state) {
    size_t before = sb_mem_used();
    F = calloc(1, sizeof(*F));
    F->mem_at_setup = before;
    sb_intern_init(&F->syms);
    make_agent(F);
    make_ix(F);
    *state = F;
    return 0;
}

static int teardown(void **state) {
    fixture *f = *state;
    sb_attrs_free(&f->agent_attrs);
    sb_attrs_free(&f->ix_attrs);
    sb_intern_free(&f->syms);
    size_t leaked = sb_mem_used() - f->mem_at_setup;
    free(f);
    F = NULL;
    assert_int_equal(leaked, 0);
    return 0;
}

static sb_expr *compile_ok(const char *src) {
    sb_expr *e = NULL;
    sb_expr_error err = {0};
    int rc = sb_expr_compile(&F->syms, src, strlen(src), &e, &err);
    if (rc != SB_OK) print_error("compiling \"%s\": %d at %u: %s\n", src, rc, err.pos, err.reason);
    assert_int_equal(rc, SB_OK);
    assert_non_null(e);
    return e;
}

/* Compile, evaluate against the given views, free. */
static sb_tri eval_with(const char *src, const sb_expr_agent *a, const sb_expr_ix *ix) {
    sb_expr *e = compile_ok(src);
    sb_tri r = sb_expr_eval(e, a, ix);
    sb_expr_free(e);
    return r;
}

/* Against the fixture's agent and interaction. */
static sb_tri eval(const char *src) { return eval_with(src, &F->agent, &F->ix); }

#define IS_TRUE(src) assert_int_equal(eval(src), SB_TRI_TRUE)
#define IS_FALSE(src) assert_int_equal(eval(src), SB_TRI_FALSE)
/* Against the given views (NULL = none): want is TRUE, FALSE or UNKNOWN. */
#define IS_WITH(want, src, a, ix) assert_int_equal(eval_with((src), (a), (ix)), SB_TRI_##want)

/* Compile must fail with status at pos, the reason containing `reason`. */
static void check_error(const char *src, size_t len, int status, uint32_t pos,
                        const char *reason) {
    sb_expr *e = (sb_expr *)&e; /* not NULL: compile must clear it */
    sb_expr_error err = {0};
    int rc = sb_expr_compile(&F->syms, src, len, &e, &err);
    if (rc != status || err.pos != pos || strstr(err.reason, reason) == NULL)
        print_error("\"%.*s\": got %d at %u \"%s\"; want %d at %u \"%s\"\n", (int)len, src, rc,
                    err.pos, err.reason, status, pos, reason);
    assert_int_equal(rc, status);
    assert_null(e);
    assert_int_equal(err.pos, pos);
    assert_non_null(strstr(err.reason, reason));
    /* err is optional */
    e = (sb_expr *)&e;
    assert_int_equal(sb_expr_compile(&F->syms, src, len, &e, NULL), status);
    assert_null(e);
}

#define ERR(src, status, pos, reason) check_error((src), strlen(src), (status), (pos), (reason))

static void test_empty_is_true(void **state) {
    (void)state;
    const char *blank[] = {"", "   ", " \t\r\n "};
    for (size_t i = 0; i < sizeof(blank) / sizeof(blank[0]); i++) {
        sb_expr *e = compile_ok(blank[i]);
        assert_int_equal(sb_expr_eval(e, &F->agent, &F->ix), SB_TRI_TRUE);
        assert_int_equal(sb_expr_eval(e, NULL, NULL), SB_TRI_TRUE);
        uint32_t n = 99;
        sb_expr_refs(e, &n);
        assert_int_equal(n, 0);
        assert_false(sb_expr_uses_interaction(e));
        assert_int_equal(sb_expr_operand(e, &F->agent, &F->ix).type, SB_VAL_NULL);
        assert_string_equal(sb_expr_source(e), blank[i]);
        sb_expr_free(e);
    }
    /* NULL source with length 0 is the empty expression too */
    sb_expr *e = NULL;
    assert_int_equal(sb_expr_compile(&F->syms, NULL, 0, &e, NULL), SB_OK);
    assert_int_equal(sb_expr_eval(e, NULL, NULL), SB_TRI_TRUE);
    assert_string_equal(sb_expr_source(e), "");
    sb_expr_free(e);
    sb_expr_free(NULL);
}

static void test_precedence(void **state) {
    (void)state;
    IS_TRUE("true or false and false");  /* (true or false) and false would be false */
    IS_TRUE("false and false or true");  /* false and (false or true) would be false */
    IS_FALSE("not false and false");     /* not (false and false) would be true */
    IS_TRUE("not true or true");         /* not (true or true) would be false */
    IS_FALSE("not not false");
    IS_TRUE("not agent.skills.sales = 4"); /* not binds the whole comparison */
    IS_TRUE("false or false or false or true");
    IS_FALSE("true and true and true and false");
    IS_TRUE("true and true and true and true");
}

static void test_parentheses(void **state) {
    (void)state;
    IS_FALSE("(true or false) and false");
    IS_TRUE("not (false and false)");
    IS_FALSE("not (true or true)");
    IS_TRUE("((((true))))");
    IS_FALSE("(false or (true and (false or false)))");
    IS_TRUE("(agent.skills.sales > 4) and (interaction.channel = 'chat')");
    IS_TRUE("(agent.skills.sales>4)and(interaction.priority>=7)"); /* no blanks needed */
}

static void test_compare_numbers(void **state) {
    (void)state;
    IS_TRUE("agent.skills.sales = 5");
    IS_FALSE("agent.skills.sales = 4");
    IS_TRUE("agent.skills.sales != 4");
    IS_FALSE("agent.skills.sales != 5");
    IS_TRUE("agent.skills.sales < 6");
    IS_FALSE("agent.skills.sales < 5");
    IS_TRUE("agent.skills.sales <= 5");
    IS_FALSE("agent.skills.sales <= 4");
    IS_TRUE("agent.skills.sales > 4");
    IS_FALSE("agent.skills.sales > 5");
    IS_TRUE("agent.skills.sales >= 5");
    IS_FALSE("agent.skills.sales >= 6");
    IS_TRUE("interaction.priority > 6.5");
    IS_FALSE("interaction.priority > 7.25");
    IS_TRUE("agent.tenure = 3.0");
    IS_TRUE("-1 < 0");
    IS_TRUE("-1.5 < -1.25");
    IS_TRUE("-0 = 0");
    IS_TRUE("007 = 7");
    IS_TRUE("0.1 = 0.10");
    IS_TRUE("5 > agent.skills.billing"); /* literal on the left */
    IS_TRUE("agent.skills.support > agent.skills.sales");
    IS_FALSE("agent.nan = agent.nan"); /* NaN equals nothing */
    IS_TRUE("agent.nan != 1");
}

static void test_compare_strings(void **state) {
    (void)state;
    IS_TRUE("interaction.channel = 'chat'");
    IS_FALSE("interaction.channel = 'voice'");
    IS_TRUE("interaction.channel != 'voice'");
    IS_FALSE("interaction.channel != 'chat'");
    IS_TRUE("'apple' < 'banana'");
    IS_FALSE("'banana' < 'apple'");
    IS_FALSE("'abc' < 'abc'");
    IS_TRUE("'abc' <= 'abc'");
    IS_FALSE("'abd' <= 'abc'");
    IS_TRUE("'ab' < 'abc'");
    IS_TRUE("'b' > 'a'");
    IS_FALSE("agent.tier > 'gold'");
    IS_TRUE("agent.tier >= 'gold'");
    IS_FALSE("agent.tier >= 'golf'");
    IS_TRUE("'Z' < 'a'");   /* byte order, not case-folded */
    IS_TRUE("'\xc3\xa9' > 'z'"); /* bytes compare unsigned */
    IS_TRUE("\"chat\" = interaction.channel");
    IS_TRUE("'it\\'s' = \"it's\"");
    IS_TRUE("'a\\\\b' = \"a\\\\b\"");
    IS_TRUE("'say \\\"hi\\\"' = \"say \\\"hi\\\"\"");
    IS_FALSE("'a\\\\b' = 'ab'");
    IS_TRUE("'' = \"\"");
    IS_TRUE("interaction.lang = interaction.lang");
    IS_TRUE("'Chat' != interaction.channel"); /* string values are case-sensitive */
}

static void test_bools_and_bare_operands(void **state) {
    (void)state;
    IS_TRUE("agent.vip = true");
    IS_TRUE("agent.vip != false");
    IS_FALSE("agent.vip = false");
    IS_FALSE("agent.vip < true"); /* bools have no order */
    IS_FALSE("false < true");
    IS_FALSE("true >= true");
    IS_TRUE("true = true");
    IS_TRUE("agent.vip");
    IS_TRUE("interaction.urgent");
    IS_TRUE("true");
    IS_FALSE("false");
    IS_FALSE("'yes'");
    IS_FALSE("1");
    IS_FALSE("agent.tenure");
    IS_FALSE("agent.tier");
    IS_FALSE("agent.missing");
    IS_FALSE("agent.languages");
    IS_FALSE("agent.skills");
    IS_TRUE("not agent.missing");
}

static void test_has_and_in(void **state) {
    (void)state;
    IS_TRUE("agent.skills has 'sales'");
    IS_TRUE("agent.skills has 'billing'");
    IS_TRUE("agent.skills has 'support'");
    IS_FALSE("agent.skills has 'nope'");
    IS_TRUE("agent.languages has 'fr'");
    IS_FALSE("agent.languages has 'de'");
    IS_TRUE("agent.teams has 'blue'");
    IS_FALSE("agent.teams has 'red'");
    IS_TRUE("agent.tags has 'b'");
    IS_TRUE("agent.languages has interaction.lang");
    IS_FALSE("agent.skills has 5");          /* the item must be a string */
    IS_FALSE("agent.tier has 'gold'");       /* the left must be a set */
    IS_FALSE("'x' has 'x'");
    IS_FALSE("agent.languages has interaction.missing");

    IS_TRUE("'fr' in agent.languages");
    IS_FALSE("'de' in agent.languages");
    IS_TRUE("interaction.lang in agent.languages");
    IS_TRUE("'sales' in agent.skills");
    IS_FALSE("'sales' in agent.teams");
    IS_FALSE("'gold' in agent.tier");

    IS_TRUE("interaction.channel in ['voice', 'chat']");
    IS_FALSE("interaction.channel in ['voice', 'email']");
    IS_TRUE("agent.skills.sales in [1, 5, 9]");
    IS_FALSE("agent.skills.sales in [1, 9]");
    IS_FALSE("agent.skills.sales in ['5']"); /* no conversion */
    IS_TRUE("agent.vip in [false, true]");
    IS_FALSE("agent.vip in [false]");
    IS_FALSE("agent.missing in ['x', 1, true]");
    IS_TRUE("interaction.priority in [7]");
    IS_TRUE("not interaction.channel in ['voice']");
}

static void test_keywords_case_insensitive(void **state) {
    (void)state;
    IS_TRUE("TRUE");
    IS_FALSE("False");
    IS_TRUE("true AND NOT false");
    IS_TRUE("false Or tRuE");
    IS_TRUE("agent.skills HAS 'sales'");
    IS_TRUE("'fr' IN agent.languages");
    IS_TRUE("interaction.channel In ['chat']");
    IS_TRUE("AGENT.skills.sales = 5 and Interaction.priority = 7");
    /* names are not keywords: the attribute "AND" is just missing */
    IS_FALSE("agent.AND");
    IS_TRUE("not agent.true");
    /* ...and names are case-sensitive */
    IS_FALSE("agent.skills.SALES = 5");
    IS_FALSE("agent.Tier = 'gold'");
}

static void test_missing_values(void **state) {
    (void)state;
    IS_FALSE("agent.skills.x > 0");
    IS_TRUE("not agent.skills.x > 0");
    IS_FALSE("agent.skills.x = 0");
    IS_FALSE("agent.skills.x != 0");
    IS_FALSE("agent.skills.x < 100");
    IS_FALSE("agent.nope = 'a'");
    IS_FALSE("agent.nope != 'a'");
    IS_FALSE("interaction.nope = interaction.nope");
    IS_FALSE("agent.nope in ['a']");

    /* an agent without attributes, skills, languages or teams */
    sb_expr_agent bare = {0};
    IS_WITH(FALSE, "agent.tier = 'gold'", &bare, &F->ix);
    IS_WITH(FALSE, "agent.tier != 'gold'", &bare, &F->ix);
    IS_WITH(FALSE, "agent.skills.sales >= 0", &bare, &F->ix);
    IS_WITH(FALSE, "agent.skills has 'sales'", &bare, &F->ix);
    IS_WITH(FALSE, "'en' in agent.languages", &bare, &F->ix);
    IS_WITH(TRUE, "not agent.teams has 'blue'", &bare, &F->ix);

    /* an interaction without attributes or channel */
    sb_expr_ix none = {0};
    IS_WITH(FALSE, "interaction.channel = ''", &F->agent, &none);
    IS_WITH(FALSE, "interaction.channel != 'chat'", &F->agent, &none);
    IS_WITH(FALSE, "interaction.lang = 'fr'", &F->agent, &none);
    IS_WITH(TRUE, "interaction.priority = 0", &F->agent, &none);
}

static void test_type_mismatch(void **state) {
    (void)state;
    IS_FALSE("agent.skills.sales = '5'");
    IS_FALSE("agent.skills.sales != '5'");
    IS_FALSE("interaction.channel = 1");
    IS_FALSE("interaction.channel != 1");
    IS_FALSE("agent.vip = 1");
    IS_FALSE("agent.vip != 'true'");
    IS_FALSE("agent.tier < 5");
    IS_FALSE("agent.languages = 'en'");
    IS_FALSE("agent.languages = agent.languages"); /* sets are not comparable */
    IS_FALSE("agent.skills = agent.skills");
    IS_FALSE("agent.tags != 'x'");
    IS_FALSE("1 = true");
}

static void test_three_valued(void **state) {
    (void)state;
    const sb_expr_agent *a = &F->agent;
    const sb_expr_ix *ix = &F->ix;
    /* the brief's pair: the agent half decides what is left */
    const char *mixed = "agent.skills.sales > 1 and interaction.x = 'y'";
    IS_WITH(UNKNOWN, mixed, a, NULL);
    IS_WITH(FALSE, "agent.skills.sales > 9 and interaction.x = 'y'", a, NULL);
    IS_WITH(FALSE, mixed, a, ix); /* x is missing */

    IS_WITH(TRUE, "agent.skills.sales > 1 or interaction.x = 'y'", a, NULL);
    IS_WITH(UNKNOWN, "agent.skills.sales > 9 or interaction.priority > 1", a, NULL);
    IS_WITH(UNKNOWN, "interaction.priority > 1 or agent.skills.sales > 9", a, NULL);
    IS_WITH(UNKNOWN, "not interaction.urgent", a, NULL);
    IS_WITH(UNKNOWN, "interaction.urgent", a, NULL);
    IS_WITH(UNKNOWN, "not (false or interaction.urgent)", a, NULL);
    IS_WITH(FALSE, "not (false or interaction.urgent)", a, ix);
    IS_WITH(UNKNOWN, "interaction.priority in [1, 7]", a, NULL);
    IS_WITH(UNKNOWN, "agent.languages has interaction.lang", a, NULL);
    IS_WITH(UNKNOWN, "interaction.lang in agent.languages", a, NULL);
    /* a missing interaction attribute is unknown too until there is an
     * interaction: another interaction might have it */
    IS_WITH(UNKNOWN, "interaction.nope = 1", a, NULL);

    /* no agent */
    IS_WITH(UNKNOWN, "agent.skills.sales > 1", NULL, ix);
    IS_WITH(UNKNOWN, "'fr' in agent.languages", NULL, ix);
    IS_WITH(UNKNOWN, "agent.skills has 'sales'", NULL, ix);
    IS_WITH(FALSE, "agent.vip and interaction.channel = 'voice'", NULL, ix);
    IS_WITH(TRUE, "agent.vip or interaction.channel = 'chat'", NULL, ix);

    /* neither: only literals decide */
    IS_WITH(TRUE, "true", NULL, NULL);
    IS_WITH(TRUE, "1 < 2 and 'a' = 'a'", NULL, NULL);
    IS_WITH(FALSE, "agent.vip and false", NULL, NULL);
    IS_WITH(UNKNOWN, "agent.vip and interaction.urgent", NULL, NULL);
    IS_WITH(UNKNOWN, "agent.vip = interaction.urgent", NULL, ix);
    IS_WITH(TRUE, "agent.vip = interaction.urgent", a, ix);
}

static void test_refs(void **state) {
    (void)state;
    const char *src = "agent.skills.sales > 1 and interaction.channel = 'chat'\n"
                      " or 'en' in agent.languages and agent.tier = 'x'\n"
                      " or interaction.lang in ['fr'] or agent.skills has 'x'\n"
                      " or agent.teams has 'y' or interaction.priority > 1\n"
                      " or agent.skills.sales < 9";
    static const struct {
        sb_ref_kind kind;
        const char *name; /* NULL for fixed paths */
        const char *at;   /* the path's text, found in src after the previous */
    } want[] = {
        {SB_REF_SKILL, "sales", "agent.skills.sales"},
        {SB_REF_CHANNEL, NULL, "interaction.channel"},
        {SB_REF_LANGUAGES, NULL, "agent.languages"},
        {SB_REF_AGENT_ATTR, "tier", "agent.tier"},
        {SB_REF_IX_ATTR, "lang", "interaction.lang"},
        {SB_REF_SKILLS, NULL, "agent.skills has"},
        {SB_REF_TEAMS, NULL, "agent.teams"},
        {SB_REF_PRIORITY, NULL, "interaction.priority"},
        {SB_REF_SKILL, "sales", "agent.skills.sales < 9"},
    };
    sb_expr *e = compile_ok(src);
    uint32_t n = 0;
    const sb_expr_ref *refs = sb_expr_refs(e, &n);
    assert_int_equal(n, sizeof(want) / sizeof(want[0]));
    const char *from = src;
    for (uint32_t i = 0; i < n; i++) {
        const char *at = strstr(from, want[i].at);
        assert_non_null(at);
        assert_int_equal(refs[i].kind, want[i].kind);
        assert_int_equal(refs[i].pos, (uint32_t)(at - src));
        if (want[i].name)
            assert_string_equal(sb_intern_str(&F->syms, refs[i].name), want[i].name);
        else
            assert_int_equal(refs[i].name, 0);
        from = at + 1;
    }
    assert_true(sb_expr_uses_interaction(e));
    sb_expr_free(e);

    e = compile_ok("  agent.skills.sales > 1 and 'en' in agent.languages");
    refs = sb_expr_refs(e, &n);
    assert_int_equal(n, 2);
    assert_int_equal(refs[0].pos, 2);
    assert_int_equal(refs[1].pos, 37);
    assert_false(sb_expr_uses_interaction(e));
    sb_expr_free(e);

    /* each of the three interaction paths alone counts */
    const char *ix_only[] = {"interaction.channel", "interaction.priority", "interaction.x"};
    for (size_t i = 0; i < 3; i++) {
        e = compile_ok(ix_only[i]);
        assert_true(sb_expr_uses_interaction(e));
        sb_expr_free(e);
    }
    e = compile_ok("1 = 1 and 'interaction.x' = 'a'");
    assert_false(sb_expr_uses_interaction(e));
    sb_expr_refs(e, &n);
    assert_int_equal(n, 0);
    sb_expr_free(e);
}

static void test_syntax_errors(void **state) {
    (void)state;
    ERR("(true", SB_ESYNTAX, 5, "expected ')'");
    ERR("((true) or false", SB_ESYNTAX, 16, "expected ')'");
    ERR("agent = 1", SB_ESYNTAX, 0, "unknown path 'agent'");
    ERR("a = 1", SB_ESYNTAX, 0, "unknown path 'a'");
    ERR("true and foo.bar", SB_ESYNTAX, 9, "unknown path 'foo.bar'");
    ERR("agent.foo.bar = 1", SB_ESYNTAX, 10, "unknown path 'agent.foo.bar'");
    ERR("agent.skills.a.b", SB_ESYNTAX, 15, "unknown path 'agent.skills.a.b'");
    ERR("agent.languages.en", SB_ESYNTAX, 16, "unknown path");
    ERR("interaction.channel.x = 1", SB_ESYNTAX, 20, "unknown path");
    ERR("agent.", SB_ESYNTAX, 6, "expected a name after '.'");
    ERR("agent.9 = 1", SB_ESYNTAX, 6, "expected a name after '.'");
    ERR("agent . skills", SB_ESYNTAX, 0, "unknown path 'agent'");
    ERR("'abc", SB_ESYNTAX, 0, "unterminated string");
    ERR("agent.x = \"ab\\\"", SB_ESYNTAX, 10, "unterminated string");
    ERR("'a\\nb'", SB_ESYNTAX, 2, "unknown escape '\\n'");
    ERR("agent.x = ", SB_ESYNTAX, 10, "expected operand");
    ERR("1 = = 2", SB_ESYNTAX, 4, "expected operand");
    ERR("()", SB_ESYNTAX, 1, "expected operand");
    ERR("not", SB_ESYNTAX, 3, "expected operand");
    ERR("true and or false", SB_ESYNTAX, 9, "expected operand");
    ERR("true xyz", SB_ESYNTAX, 5, "unexpected 'xyz' after expression");
    ERR("1 < 2 < 3", SB_ESYNTAX, 6, "unexpected '<' after expression");
    ERR("true)", SB_ESYNTAX, 4, "unexpected ')' after expression");
    ERR("agent.x ! 1", SB_ESYNTAX, 8, "unexpected '!'");
    ERR("agent.x == 1", SB_ESYNTAX, 9, "expected operand");
    ERR("agent.x @ 1", SB_ESYNTAX, 8, "unexpected '@'");
    ERR("agent.x = 1 \x01", SB_ESYNTAX, 12, "unexpected byte 0x01");
    ERR("5. > 1", SB_ESYNTAX, 2, "expected a digit after '.'");
    ERR("1.2.3 = 1", SB_ESYNTAX, 0, "malformed number");
    ERR("1e5 = 1", SB_ESYNTAX, 0, "malformed number");
    ERR("- 1 = 1", SB_ESYNTAX, 0, "unexpected '-'");
    ERR("agent.x in [1, ]", SB_ESYNTAX, 15, "expected a literal");
    ERR("agent.x in []", SB_ESYNTAX, 12, "expected a literal");
    ERR("agent.x in [agent.y]", SB_ESYNTAX, 12, "expected a literal");
    ERR("agent.x in [1 2]", SB_ESYNTAX, 14, "expected ',' or ']'");
    ERR("agent.x in [1", SB_ESYNTAX, 13, "expected ',' or ']'");
    ERR("agent.x in 5", SB_ESYNTAX, 11, "expected '[' or a path after 'in'");
    ERR("agent.x in foo", SB_ESYNTAX, 11, "unknown path 'foo'");
    ERR("agent.skills has", SB_ESYNTAX, 16, "expected operand");

    /* a long offending token is quoted, but cut short */
    char src[200];
    snprintf(src, sizeof(src), "true %0150d", 0);
    memset(src + 5, 'x', 150);
    ERR(src, SB_ESYNTAX, 5, "unexpected 'xxxx");
    sb_expr_error err;
    sb_expr *e;
    assert_int_equal(sb_expr_compile(&F->syms, src, strlen(src), &e, &err), SB_ESYNTAX);
    assert_true(strlen(err.reason) < sizeof(err.reason));
    assert_non_null(strstr(err.reason, "...' after expression"));
}

static void test_nul_bytes(void **state) {
    (void)state;
    check_error("true\0", 5, SB_ESYNTAX, 4, "NUL");
    check_error("\0true", 5, SB_ESYNTAX, 0, "NUL");
    check_error("agent.x = 'a\0b'", 15, SB_ESYNTAX, 12, "NUL");
    /* the length, not a terminator, bounds the source */
    sb_expr *e = NULL;
    assert_int_equal(sb_expr_compile(&F->syms, "false or true", 5, &e, NULL), SB_OK);
    assert_int_equal(sb_expr_eval(e, NULL, NULL), SB_TRI_FALSE);
    assert_string_equal(sb_expr_source(e), "false");
    sb_expr_free(e);
}

/* A source of `n` copies of `unit` between `head` and `tail`. */
static char *repeat(const char *head, const char *unit, size_t n, const char *tail) {
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1);
    memcpy(s, head, hl);
    for (size_t i = 0; i < n; i++) memcpy(s + hl + i * ul, unit, ul);
    memcpy(s + hl + ul * n, tail, tl + 1);
    return s;
}

static void test_depth_limit(void **state) {
    (void)state;
    /* SB_EXPR_MAX_DEPTH levels are fine... */
    char *s = repeat("", "(", SB_EXPR_MAX_DEPTH, "");
    char *ok = repeat(s, "", 0, "true");
    char *t = repeat(ok, ")", SB_EXPR_MAX_DEPTH, "");
    IS_TRUE(t);
    free(t);
    free(ok);
    free(s);
    s = repeat("", "not ", SB_EXPR_MAX_DEPTH, "false"); /* 64 is even */
    IS_FALSE(s);
    free(s);
    s = repeat("", "not (", SB_EXPR_MAX_DEPTH / 2, "false");
    t = repeat(s, ")", SB_EXPR_MAX_DEPTH / 2, "");
    IS_FALSE(t);
    free(t);
    free(s);

    /* ...one more is not, reported at the token that went too deep */
    s = repeat("", "(", SB_EXPR_MAX_DEPTH + 1, "true");
    ERR(s, SB_ELIMIT, SB_EXPR_MAX_DEPTH, "nesting deeper than");
    free(s);
    s = repeat("", "not ", SB_EXPR_MAX_DEPTH + 1, "true");
    ERR(s, SB_ELIMIT, SB_EXPR_MAX_DEPTH * 4, "nesting deeper than");
    free(s);
    s = repeat("", "(", SB_EXPR_MAX_LEN, ""); /* as long as allowed */
    ERR(s, SB_ELIMIT, SB_EXPR_MAX_DEPTH, "nesting deeper than");
    free(s);
    s = repeat("", "(", 100000, ""); /* too long before too deep */
    ERR(s, SB_ELIMIT, SB_EXPR_MAX_LEN, "longer than");
    free(s);
}

static void test_size_limits(void **state) {
    (void)state;
    /* source length */
    char *s = repeat("true", " ", SB_EXPR_MAX_LEN - 4, "");
    IS_TRUE(s);
    free(s);
    s = repeat("true", " ", SB_EXPR_MAX_LEN - 3, "");
    ERR(s, SB_ELIMIT, SB_EXPR_MAX_LEN, "longer than 4096 bytes");
    free(s);

    /* nodes: each "1=1 or " is three nodes; one "or" node on top */
    s = repeat("", "1=1 or ", 170, "true"); /* 511 + 1 */
    IS_TRUE(s);
    free(s);
    s = repeat("", "1=1 or ", 170, "1=1"); /* 513 */
    ERR(s, SB_ELIMIT, 170 * 7 + 3, "more than 512 nodes"); /* at the end */
    free(s);

    /* list items */
    s = repeat("1 in [", "0, ", SB_EXPR_MAX_LIST - 1, "1]");
    IS_TRUE(s);
    free(s);
    s = repeat("1 in [", "0, ", SB_EXPR_MAX_LIST, "1]");
    ERR(s, SB_ELIMIT, 6 + SB_EXPR_MAX_LIST * 3, "more than 128 items");
    free(s);
}

/* Compile src, take its value as a single operand against a and ix, free. */
static sb_value operand(const char *src, const sb_expr_agent *a, const sb_expr_ix *ix) {
    sb_expr *e = compile_ok(src);
    sb_value v = sb_expr_operand(e, a, ix);
    sb_expr_free(e);
    return v;
}

static void assert_num(sb_value v, double want) {
    assert_int_equal(v.type, SB_VAL_NUM);
    assert_true(v.u.num == want);
}

static void assert_str(sb_value v, const char *want) {
    assert_int_equal(v.type, SB_VAL_STR);
    assert_int_equal(v.u.str, SYM(want));
}

static void test_operand(void **state) {
    (void)state;
    sb_expr *e = compile_ok("agent.skills.sales");
    assert_num(sb_expr_operand(e, &F->agent, &F->ix), 5);
    assert_int_equal(sb_expr_operand(e, NULL, &F->ix).type, SB_VAL_NULL); /* unknown */
    sb_expr_agent bare = {0};
    assert_int_equal(sb_expr_operand(e, &bare, &F->ix).type, SB_VAL_NULL); /* missing */
    sb_expr_free(e);

    /* parentheses add nothing */
    assert_num(operand(" ( agent.skills.support ) ", &F->agent, NULL), 8);
    assert_str(operand("interaction.channel", &F->agent, &F->ix), "chat");
    assert_num(operand("interaction.priority", NULL, &F->ix), 7);

    sb_value v = operand("agent.languages", &F->agent, NULL);
    assert_int_equal(v.type, SB_VAL_SET);
    assert_int_equal(v.set_len, 2);
    assert_ptr_equal(v.u.set, F->languages);

    assert_str(operand("agent.tier", &F->agent, NULL), "gold");
    assert_num(operand("-2.5", NULL, NULL), -2.5);
    assert_str(operand("'x'", NULL, NULL), "x");
    v = operand("true", NULL, NULL);
    assert_int_equal(v.type, SB_VAL_BOOL);
    assert_true(v.u.b);

    /* not a single operand */
    const char *not_operand[] = {"agent.skills.sales > 1", "not agent.vip",
                                 "agent.vip and agent.vip", "agent.skills", ""};
    for (size_t i = 0; i < sizeof(not_operand) / sizeof(not_operand[0]); i++)
        assert_int_equal(operand(not_operand[i], &F->agent, &F->ix).type, SB_VAL_NULL);
}

static void test_source_and_interning(void **state) {
    (void)state;
    char *src = strdup("  agent.newattr = 'newval'  ");
    sb_expr *e = compile_ok(src);
    const char *copy = sb_expr_source(e);
    assert_ptr_not_equal(copy, src);
    memset(src, 'x', strlen(src));
    free(src);
    assert_string_equal(copy, "  agent.newattr = 'newval'  ");

    /* names and literals were interned in the table at compile time */
    sb_sym key = sb_intern_find(&F->syms, "newattr", 7);
    sb_sym val = sb_intern_find(&F->syms, "newval", 6);
    assert_int_not_equal(key, 0);
    assert_int_not_equal(val, 0);

    /* so an agent created later with those symbols matches */
    sb_attrs attrs;
    sb_attr a = {key, sb_val_str(val)};
    assert_int_equal(sb_attrs_copy(&attrs, &a, 1), SB_OK);
    sb_expr_agent agent = {.attrs = &attrs};
    assert_int_equal(sb_expr_eval(e, &agent, NULL), SB_TRI_TRUE);
    sb_attrs_free(&attrs);
    sb_expr_free(e);

    e = compile_ok("agent.skills.brandnew > 0 and 'fr' in ['fr']");
    assert_int_not_equal(sb_intern_find(&F->syms, "brandnew", 8), 0);
    sb_expr_free(e);
}

/* Binary search over many skills: every present one is found with its
 * level, absent ones between them are not. */
static void test_skill_lookup(void **state) {
    (void)state;
    enum { N = 41 };
    sb_skill skills[N];
    for (int i = 0; i < N; i++) {
        char name[16];
        snprintf(name, sizeof(name), "s%02d", i * 2); /* s00 s02 ... */
        skills[i] = (sb_skill){SYM(name), i};
    }
    qsort(skills, N, sizeof(skills[0]), cmp_skill);
    sb_expr_agent agent = {.skills = skills, .nskills = N};
    for (int i = 0; i < N * 2; i++) {
        char src[64];
        snprintf(src, sizeof(src), "agent.skills.s%02d = %d", i, i / 2);
        assert_int_equal(eval_with(src, &agent, NULL), i % 2 ? SB_TRI_FALSE : SB_TRI_TRUE);
        snprintf(src, sizeof(src), "agent.skills has 's%02d'", i);
        assert_int_equal(eval_with(src, &agent, NULL), i % 2 ? SB_TRI_FALSE : SB_TRI_TRUE);
    }
}

/* Compiled expressions are independent of the source buffer and reusable
 * across many evaluations with different views. */
static void test_reuse(void **state) {
    (void)state;
    sb_expr *e = compile_ok("agent.skills.sales >= interaction.priority or agent.vip");
    assert_int_equal(sb_expr_eval(e, &F->agent, &F->ix), SB_TRI_TRUE);
    sb_expr_ix ix = F->ix;
    sb_expr_agent a = F->agent;
    a.attrs = NULL;
    assert_int_equal(sb_expr_eval(e, &a, &ix), SB_TRI_FALSE); /* 5 >= 7 */
    ix.priority = 5;
    assert_int_equal(sb_expr_eval(e, &a, &ix), SB_TRI_TRUE);
    assert_int_equal(sb_expr_eval(e, &a, NULL), SB_TRI_UNKNOWN);
    size_t before = sb_mem_used();
    for (int i = 0; i < 1000; i++) sb_expr_eval(e, &F->agent, &F->ix);
    assert_int_equal(sb_mem_used(), before);
    sb_expr_free(e);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

SB_TEST_GROUP(expr,
              T(test_empty_is_true),
              T(test_precedence),
              T(test_parentheses),
              T(test_compare_numbers),
              T(test_compare_strings),
              T(test_bools_and_bare_operands),
              T(test_has_and_in),
              T(test_keywords_case_insensitive),
              T(test_missing_values),
              T(test_type_mismatch),
              T(test_three_valued),
              T(test_refs),
              T(test_syntax_errors),
              T(test_nul_bytes),
              T(test_depth_limit),
              T(test_size_limits),
              T(test_operand),
              T(test_source_and_interning),
              T(test_skill_lookup),
              T(test_reuse))
