/* expr.h: target expressions, the language that decides which agents may
 * take an interaction.
 *
 *   expr    := or
 *   or      := and ("or" and)*
 *   and     := unary ("and" unary)*
 *   unary   := "not" unary | "(" expr ")" | cond
 *   cond    := operand [ cmpop operand
 *                      | "has" operand
 *                      | "in" "[" literal ("," literal)* "]"
 *                      | "in" path ]
 *   cmpop   := "=" | "!=" | "<" | "<=" | ">" | ">="
 *   operand := path | number | string | "true" | "false"
 *   path    := ("agent" | "interaction") ("." ident)+
 *   string  := '...' or "..." with \\ \' \" escapes
 *   number  := ["-"] digits ["." digits]
 *
 * Keywords, the roots "agent" and "interaction" included, are
 * case-insensitive; the names after them are not.  Paths:
 *   agent.skills          set of skill names      agent.skills.NAME  skill level
 *   agent.languages       set                     agent.teams        set
 *   agent.NAME            typed agent attribute
 *   interaction.channel   channel name string     interaction.priority number
 *   interaction.NAME      typed interaction attribute
 *
 * Semantics: comparisons of a missing value or of mismatched types are
 * false; strings order by byte value; "has" wants a set on the left and a
 * string on the right; a bare operand as a condition is true only for the
 * boolean true.  Evaluation is three-valued: when the agent or interaction
 * view is NULL, paths into it are "unknown" and the result may be
 * SB_TRI_UNKNOWN (Kleene logic).  The core uses this to index eligibility
 * on agent-only parts and to re-check the rest per interaction.
 *
 * Compilation interns names in the given table; the compiled expression is
 * immutable and evaluation allocates nothing.  The expression keeps a
 * pointer to the table (string ordering reads the interned text), so the
 * table must outlive it and the views' symbols must come from it. */
#ifndef SB_CORE_EXPR_H
#define SB_CORE_EXPR_H

#include <stddef.h>
#include <stdint.h>

#include "base/intern.h"
#include "core/value.h"

#define SB_EXPR_MAX_LEN 4096   /* bytes of source */
#define SB_EXPR_MAX_NODES 512  /* compiled nodes */
#define SB_EXPR_MAX_DEPTH 64   /* nesting */
#define SB_EXPR_MAX_LIST 128   /* items in an in [...] list */

typedef struct sb_expr sb_expr;

typedef enum sb_tri { SB_TRI_FALSE = 0, SB_TRI_TRUE = 1, SB_TRI_UNKNOWN = 2 } sb_tri;

/* What an expression sees of an agent.  Arrays sorted by symbol. */
typedef struct sb_expr_agent {
    const sb_skill *skills; /* sorted by name */
    uint32_t nskills;
    const sb_sym *languages;
    uint32_t nlanguages;
    const sb_sym *teams;
    uint32_t nteams;
    const sb_attrs *attrs; /* may be NULL */
} sb_expr_agent;

/* What an expression sees of an interaction. */
typedef struct sb_expr_ix {
    sb_sym channel; /* interned channel name, e.g. "chat" */
    double priority;
    const sb_attrs *attrs; /* may be NULL */
} sb_expr_ix;

typedef struct sb_expr_error {
    uint32_t pos;     /* byte offset in the source where the error was found */
    char reason[112]; /* human-readable, e.g. "expected ']'" */
} sb_expr_error;

typedef enum sb_ref_kind {
    SB_REF_SKILL = 1, /* agent.skills.NAME */
    SB_REF_SKILLS,    /* agent.skills */
    SB_REF_LANGUAGES, /* agent.languages */
    SB_REF_TEAMS,     /* agent.teams */
    SB_REF_AGENT_ATTR,
    SB_REF_CHANNEL,   /* interaction.channel */
    SB_REF_PRIORITY,  /* interaction.priority */
    SB_REF_IX_ATTR,
} sb_ref_kind;

/* A path named by an expression, for validation against a schema. */
typedef struct sb_expr_ref {
    uint8_t kind;  /* sb_ref_kind */
    sb_sym name;   /* skill or attribute name; 0 for the fixed paths */
    uint32_t pos;  /* byte offset of the path in the source */
} sb_expr_ref;

/* Compile src[0..len).  An empty or all-blank source compiles to "true".
 * On success returns SB_OK and *out; on failure SB_ESYNTAX (or SB_ELIMIT
 * for a source over the limits) with err filled, *out NULL. */
int sb_expr_compile(sb_intern *syms, const char *src, size_t len, sb_expr **out,
                    sb_expr_error *err);
void sb_expr_free(sb_expr *e);

/* Evaluate; either view may be NULL (its paths are then unknown). */
sb_tri sb_expr_eval(const sb_expr *e, const sb_expr_agent *agent, const sb_expr_ix *ix);

/* True if the expression names any interaction.* path. */
int sb_expr_uses_interaction(const sb_expr *e);

/* The paths named, in source order. */
const sb_expr_ref *sb_expr_refs(const sb_expr *e, uint32_t *count);

/* If the whole expression is a single operand (e.g. "agent.skills.sales"),
 * its value for this agent/interaction; otherwise a NULL value.  Used for
 * "most skilled" ordering. */
sb_value sb_expr_operand(const sb_expr *e, const sb_expr_agent *agent, const sb_expr_ix *ix);

/* The source text the expression was compiled from. */
const char *sb_expr_source(const sb_expr *e);

#endif
