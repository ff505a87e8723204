/* expr.c: compiling and evaluating target expressions (see expr.h).
 *
 * The file reads top to bottom in four parts:
 *
 *   1. The compiled form.  A compiled expression is one allocation: a
 *      header, a flat array of nodes in postfix order, the refs, and a copy
 *      of the source.  Postfix suits a recursive-descent parser (children
 *      are emitted before their parent) and needs no child pointers: every
 *      node records its span (the size of its subtree), so the children of
 *      node i are found by walking left from i - 1, each step skipping one
 *      subtree.  Operands are leaves and conditions have fixed arity, so a
 *      comparison at i reads its operands at i - 2 and i - 1.  "and" and
 *      "or" chains become one n-ary node, so evaluation recursion is bounded
 *      by the nesting of parentheses and "not" (SB_EXPR_MAX_DEPTH), not by
 *      the length of a chain.
 *
 *   2. The lexer: one token of lookahead, scanned on demand.  A path is one
 *      token (names joined by '.' without blanks); string literals are
 *      decoded and interned as they are scanned.
 *
 *   3. The parser: recursive descent over the grammar in expr.h.  It counts
 *      the nesting of '(' and "not" and refuses to go deeper than
 *      SB_EXPR_MAX_DEPTH, which bounds both its own stack and that of
 *      evaluation.  The first error wins and stops the parse.
 *
 *   4. Evaluation: a recursive walk of the node array that allocates
 *      nothing.  Operands load into a small struct that can also say
 *      "unknown" (a path into a NULL view) or "the agent's skills" (a set
 *      that sb_value cannot express without allocating).  Any condition
 *      with an unknown operand is unknown; "and", "or" and "not" follow
 *      Kleene logic.  So whenever a partial evaluation is not unknown, it is
 *      what the full evaluation would be, which is what lets the core index
 *      eligibility on the agent alone.
 *
 * The expression keeps a pointer to the intern table it was compiled with:
 * string ordering compares the interned texts.  The table must outlive the
 * expression, and the symbols in the views must come from the same table. */
#include "core/expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"

/* ---- 1. The compiled form ---------------------------------------------- */

typedef enum node_kind {
    N_CONST,   /* op: sb_tri.  Only the empty expression compiles to one. */
    N_LIT,     /* val: a literal operand */
    N_PATH,    /* op: sb_ref_kind, arg: name symbol (0 for fixed paths) */
    N_NOT,     /* child at i - 1 */
    N_AND,     /* arg: number of children */
    N_OR,      /* arg: number of children */
    N_CMP,     /* op: cmp_op; left at i - 2, right at i - 1 */
    N_HAS,     /* set at i - 2, item at i - 1 */
    N_IN_SET,  /* item at i - 2, set path at i - 1 */
    N_IN_LIST, /* arg: number of literals at i - arg .. i - 1; item before */
} node_kind;

typedef enum cmp_op { OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE } cmp_op;

typedef struct node {
    uint8_t kind;
    uint8_t op;
    uint16_t span; /* nodes in this subtree, itself included */
    uint32_t arg;
    sb_value val;
} node;

_Static_assert(SB_EXPR_MAX_NODES <= UINT16_MAX, "span must fit in 16 bits");
_Static_assert(sizeof(node) % _Alignof(sb_expr_ref) == 0, "refs follow nodes");

struct sb_expr {
    const sb_intern *syms;
    const sb_expr_ref *refs; /* in this allocation, after the nodes */
    const char *src;         /* in this allocation, after the refs */
    uint32_t nnodes, nrefs;
    bool uses_ix;
    node nodes[]; /* postfix; the root is the last */
};

static bool is_leaf(const node *n) { return n->kind == N_LIT || n->kind == N_PATH; }

static bool is_ix_ref(uint8_t kind) { return kind >= SB_REF_CHANNEL; }

/* ---- 2. The lexer ------------------------------------------------------ */

typedef enum tok_kind {
    T_END,
    T_LPAREN,
    T_RPAREN,
    T_LBRACK,
    T_RBRACK,
    T_COMMA,
    T_CMP, /* op: cmp_op */
    T_NUM, /* num */
    T_STR, /* str: interned contents */
    T_WORD, /* an identifier or a dotted path that is not a keyword */
    T_AND,
    T_OR,
    T_NOT,
    T_HAS,
    T_IN,
    T_TRUE,
    T_FALSE,
} tok_kind;

typedef struct token {
    uint8_t kind;
    uint8_t op;
    uint32_t pos, len; /* the token's bytes in the source */
    double num;
    sb_sym str;
} token;

typedef struct parser {
    sb_intern *syms;
    const char *src;
    uint32_t len;
    uint32_t at; /* where the lexer resumes */
    token tok;   /* the current token */
    uint32_t depth;
    node *nodes;
    uint32_t nnodes, nodes_cap;
    sb_expr_ref *refs;
    uint32_t nrefs, refs_cap;
    char *scratch; /* len + 1 bytes, for decoding literals */
    sb_expr_error *err;
} parser;

/* Record the error (the first one; callers stop on it) and return status. */
__attribute__((format(printf, 4, 5))) static int fail(parser *p, int status, uint32_t pos,
                                                      const char *fmt, ...) {
    if (p->err) {
        p->err->pos = pos;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->reason, sizeof(p->err->reason), fmt, ap);
        va_end(ap);
    }
    return status;
}

/* Source text quoted in messages is cut short so the reason stays whole. */
#define QUOTE_MAX 48
static int quote_len(uint32_t len) { return (int)(len < QUOTE_MAX ? len : QUOTE_MAX); }
static const char *quote_more(uint32_t len) { return len > QUOTE_MAX ? "..." : ""; }

static bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
static bool is_ident(char c) { return is_ident_start(c) || is_digit(c); }

/* ASCII only: keywords must not depend on the process locale. */
static bool word_eq_ci(const char *s, uint32_t n, const char *kw) {
    for (uint32_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
        if (kw[i] == '\0' || c != kw[i]) return false;
    }
    return kw[n] == '\0';
}

static bool word_eq(const char *s, uint32_t n, const char *w) {
    return strlen(w) == n && memcmp(s, w, n) == 0;
}

static int unexpected_char(parser *p, uint32_t pos) {
    unsigned char c = (unsigned char)p->src[pos];
    if (c == '\0') return fail(p, SB_ESYNTAX, pos, "unexpected NUL byte");
    if (c > ' ' && c < 0x7f) return fail(p, SB_ESYNTAX, pos, "unexpected '%c'", c);
    return fail(p, SB_ESYNTAX, pos, "unexpected byte 0x%02x", c);
}

static void set_tok(parser *p, tok_kind kind, uint32_t len) {
    p->tok.kind = (uint8_t)kind;
    p->tok.len = len;
    p->at += len;
}

static int lex_cmp(parser *p) {
    const char *s = p->src + p->at;
    bool eq_next = p->at + 1 < p->len && s[1] == '=';
    switch (s[0]) {
    case '=': p->tok.op = OP_EQ; set_tok(p, T_CMP, 1); return SB_OK;
    case '<': p->tok.op = eq_next ? OP_LE : OP_LT; break;
    case '>': p->tok.op = eq_next ? OP_GE : OP_GT; break;
    default: /* '!' */
        if (!eq_next) return unexpected_char(p, p->at);
        p->tok.op = OP_NE;
    }
    set_tok(p, T_CMP, eq_next ? 2 : 1);
    return SB_OK;
}

/* number := ["-"] digits ["." digits], and nothing glued to its end. */
static int lex_number(parser *p) {
    uint32_t start = p->at, i = p->at;
    if (p->src[i] == '-') i++;
    while (i < p->len && is_digit(p->src[i])) i++;
    if (i < p->len && p->src[i] == '.') {
        i++;
        if (i == p->len || !is_digit(p->src[i]))
            return fail(p, SB_ESYNTAX, i, "expected a digit after '.'");
        while (i < p->len && is_digit(p->src[i])) i++;
    }
    if (i < p->len && (is_ident(p->src[i]) || p->src[i] == '.'))
        return fail(p, SB_ESYNTAX, start, "malformed number");
    /* strtod accepts more than the grammar (exponents, hex, inf), so it only
     * ever sees the validated digits.  It assumes the "C" numeric locale. */
    uint32_t n = i - start;
    memcpy(p->scratch, p->src + start, n);
    p->scratch[n] = '\0';
    double v = strtod(p->scratch, NULL);
    if (!isfinite(v)) return fail(p, SB_ESYNTAX, start, "number out of range");
    p->tok.num = v;
    set_tok(p, T_NUM, n);
    return SB_OK;
}

static int lex_string(parser *p) {
    uint32_t start = p->at, i = p->at + 1, w = 0;
    char quote = p->src[start];
    for (;;) {
        if (i >= p->len) return fail(p, SB_ESYNTAX, start, "unterminated string");
        char c = p->src[i];
        if (c == quote) break;
        if (c == '\0') return unexpected_char(p, i);
        if (c == '\\') {
            if (i + 1 >= p->len) return fail(p, SB_ESYNTAX, start, "unterminated string");
            c = p->src[i + 1];
            if (c != '\\' && c != '\'' && c != '"') {
                if (c > ' ' && c < 0x7f)
                    return fail(p, SB_ESYNTAX, i, "unknown escape '\\%c'", c);
                return fail(p, SB_ESYNTAX, i, "unknown escape");
            }
            i++;
        }
        p->scratch[w++] = c;
        i++;
    }
    p->tok.str = sb_intern_n(p->syms, p->scratch, w);
    set_tok(p, T_STR, i + 1 - start);
    return SB_OK;
}

static tok_kind keyword(const char *s, uint32_t n) {
    static const struct {
        const char *word;
        tok_kind kind;
    } kws[] = {{"and", T_AND}, {"or", T_OR},     {"not", T_NOT},     {"has", T_HAS},
               {"in", T_IN},   {"true", T_TRUE}, {"false", T_FALSE}};
    for (size_t k = 0; k < sizeof(kws) / sizeof(kws[0]); k++)
        if (word_eq_ci(s, n, kws[k].word)) return kws[k].kind;
    return T_WORD;
}

/* ident ("." ident)*: a keyword when it is one undotted word. */
static int lex_word(parser *p) {
    uint32_t i = p->at;
    bool dotted = false;
    for (;;) {
        while (i < p->len && is_ident(p->src[i])) i++;
        if (i >= p->len || p->src[i] != '.') break;
        i++;
        if (i >= p->len || !is_ident_start(p->src[i]))
            return fail(p, SB_ESYNTAX, i, "expected a name after '.'");
        dotted = true;
    }
    uint32_t n = i - p->at;
    set_tok(p, dotted ? T_WORD : keyword(p->src + p->at, n), n);
    return SB_OK;
}

/* Scan the next token into p->tok. */
static int lex(parser *p) {
    while (p->at < p->len && is_blank(p->src[p->at])) p->at++;
    memset(&p->tok, 0, sizeof(p->tok));
    p->tok.pos = p->at;
    if (p->at == p->len) {
        p->tok.kind = T_END;
        return SB_OK;
    }
    char c = p->src[p->at];
    switch (c) {
    case '(': set_tok(p, T_LPAREN, 1); return SB_OK;
    case ')': set_tok(p, T_RPAREN, 1); return SB_OK;
    case '[': set_tok(p, T_LBRACK, 1); return SB_OK;
    case ']': set_tok(p, T_RBRACK, 1); return SB_OK;
    case ',': set_tok(p, T_COMMA, 1); return SB_OK;
    case '=':
    case '!':
    case '<':
    case '>': return lex_cmp(p);
    case '\'':
    case '"': return lex_string(p);
    }
    if (is_digit(c) || (c == '-' && p->at + 1 < p->len && is_digit(p->src[p->at + 1])))
        return lex_number(p);
    if (is_ident_start(c)) return lex_word(p);
    return unexpected_char(p, p->at);
}

/* ---- 3. The parser ----------------------------------------------------- */

static int parse_or(parser *p);

static void *grow(void *arr, uint32_t *cap, size_t elem) {
    *cap = *cap ? *cap * 2 : 16;
    return sb_realloc(arr, *cap * elem);
}

/* Append a node whose subtree started at index `start`. */
static int emit(parser *p, node n, uint32_t start) {
    if (p->nnodes == SB_EXPR_MAX_NODES)
        return fail(p, SB_ELIMIT, p->tok.pos, "expression has more than %d nodes",
                    SB_EXPR_MAX_NODES);
    if (p->nnodes == p->nodes_cap) p->nodes = grow(p->nodes, &p->nodes_cap, sizeof(node));
    n.span = (uint16_t)(p->nnodes - start + 1);
    p->nodes[p->nnodes++] = n;
    return SB_OK;
}

static void add_ref(parser *p, uint8_t kind, sb_sym name, uint32_t pos) {
    if (p->nrefs == p->refs_cap) p->refs = grow(p->refs, &p->refs_cap, sizeof(sb_expr_ref));
    p->refs[p->nrefs++] = (sb_expr_ref){.kind = kind, .name = name, .pos = pos};
}

typedef struct segment {
    uint32_t pos, len;
} segment;

/* Split a path token at its dots; returns the number of names, storing at
 * most `max` of them. */
static uint32_t split_path(const parser *p, const token *t, segment *segs, uint32_t max) {
    uint32_t n = 0, end = t->pos + t->len;
    for (uint32_t i = t->pos; i <= end;) {
        uint32_t j = i;
        while (j < end && p->src[j] != '.') j++;
        if (n < max) segs[n] = (segment){.pos = i, .len = j - i};
        n++;
        i = j + 1;
    }
    return n;
}

static int unknown_path(parser *p, const token *t, uint32_t pos) {
    return fail(p, SB_ESYNTAX, pos, "unknown path '%.*s%s'", quote_len(t->len), p->src + t->pos,
                quote_more(t->len));
}

/* Resolve the path token into a path leaf and a ref. */
static int parse_path(parser *p) {
    const token *t = &p->tok;
    segment s[4] = {{0}};
    uint32_t nseg = split_path(p, t, s, 4);
    const char *src = p->src;
    bool agent = word_eq_ci(src + s[0].pos, s[0].len, "agent");
    if ((!agent && !word_eq_ci(src + s[0].pos, s[0].len, "interaction")) || nseg < 2)
        return unknown_path(p, t, t->pos);

    const char *second = src + s[1].pos;
    uint32_t second_len = s[1].len, max_seg = 2, named = 1; /* segment holding the name */
    sb_ref_kind kind;
    if (agent) {
        if (word_eq(second, second_len, "skills")) {
            kind = nseg == 2 ? SB_REF_SKILLS : SB_REF_SKILL;
            max_seg = 3;
            named = 2;
        } else if (word_eq(second, second_len, "languages")) {
            kind = SB_REF_LANGUAGES;
        } else if (word_eq(second, second_len, "teams")) {
            kind = SB_REF_TEAMS;
        } else {
            kind = SB_REF_AGENT_ATTR;
        }
    } else if (word_eq(second, second_len, "channel")) {
        kind = SB_REF_CHANNEL;
    } else if (word_eq(second, second_len, "priority")) {
        kind = SB_REF_PRIORITY;
    } else {
        kind = SB_REF_IX_ATTR;
    }
    if (nseg > max_seg) return unknown_path(p, t, s[max_seg].pos);

    bool has_name = kind == SB_REF_SKILL || kind == SB_REF_AGENT_ATTR || kind == SB_REF_IX_ATTR;
    sb_sym name = has_name ? sb_intern_n(p->syms, src + s[named].pos, s[named].len) : 0;
    add_ref(p, (uint8_t)kind, name, t->pos);
    return emit(p, (node){.kind = N_PATH, .op = (uint8_t)kind, .arg = name}, p->nnodes);
}

static bool is_literal(const token *t) {
    return t->kind == T_NUM || t->kind == T_STR || t->kind == T_TRUE || t->kind == T_FALSE;
}

static int parse_literal(parser *p) {
    sb_value v;
    switch (p->tok.kind) {
    case T_NUM: v = sb_val_num(p->tok.num); break;
    case T_STR: v = sb_val_str(p->tok.str); break;
    default: v = sb_val_bool(p->tok.kind == T_TRUE);
    }
    int rc = emit(p, (node){.kind = N_LIT, .val = v}, p->nnodes);
    return rc ? rc : lex(p);
}

static int parse_operand(parser *p) {
    if (is_literal(&p->tok)) return parse_literal(p);
    if (p->tok.kind != T_WORD) return fail(p, SB_ESYNTAX, p->tok.pos, "expected operand");
    int rc = parse_path(p);
    return rc ? rc : lex(p);
}

/* "[" literal ("," literal)* "]", the '[' being current. */
static int parse_list(parser *p, uint32_t *count) {
    int rc;
    *count = 0;
    do {
        if ((rc = lex(p))) return rc; /* past '[' or ',' */
        if (!is_literal(&p->tok))
            return fail(p, SB_ESYNTAX, p->tok.pos, "expected a literal");
        if (*count == SB_EXPR_MAX_LIST)
            return fail(p, SB_ELIMIT, p->tok.pos, "list has more than %d items",
                        SB_EXPR_MAX_LIST);
        if ((rc = parse_literal(p))) return rc;
        ++*count;
    } while (p->tok.kind == T_COMMA);
    if (p->tok.kind != T_RBRACK) return fail(p, SB_ESYNTAX, p->tok.pos, "expected ',' or ']'");
    return lex(p);
}

/* The part of a condition after "in". */
static int parse_in(parser *p, uint32_t start) {
    int rc;
    if (p->tok.kind == T_WORD) {
        if ((rc = parse_operand(p))) return rc;
        return emit(p, (node){.kind = N_IN_SET}, start);
    }
    if (p->tok.kind != T_LBRACK)
        return fail(p, SB_ESYNTAX, p->tok.pos, "expected '[' or a path after 'in'");
    uint32_t count;
    if ((rc = parse_list(p, &count))) return rc;
    return emit(p, (node){.kind = N_IN_LIST, .arg = count}, start);
}

static int parse_cond(parser *p) {
    uint32_t start = p->nnodes;
    int rc = parse_operand(p);
    if (rc) return rc;
    token op = p->tok;
    switch (op.kind) {
    case T_CMP:
    case T_HAS:
        if ((rc = lex(p)) || (rc = parse_operand(p))) return rc;
        return emit(p, (node){.kind = op.kind == T_HAS ? N_HAS : N_CMP, .op = op.op}, start);
    case T_IN:
        if ((rc = lex(p))) return rc;
        return parse_in(p, start);
    default:
        return SB_OK; /* a bare operand */
    }
}

static int enter(parser *p) {
    if (++p->depth > SB_EXPR_MAX_DEPTH)
        return fail(p, SB_ELIMIT, p->tok.pos, "nesting deeper than %d levels",
                    SB_EXPR_MAX_DEPTH);
    return lex(p);
}

static int parse_unary(parser *p) {
    uint32_t start = p->nnodes;
    int rc;
    switch (p->tok.kind) {
    case T_NOT:
        if ((rc = enter(p)) || (rc = parse_unary(p))) return rc;
        p->depth--;
        return emit(p, (node){.kind = N_NOT}, start);
    case T_LPAREN:
        if ((rc = enter(p)) || (rc = parse_or(p))) return rc;
        if (p->tok.kind != T_RPAREN) return fail(p, SB_ESYNTAX, p->tok.pos, "expected ')'");
        p->depth--;
        return lex(p);
    default:
        return parse_cond(p);
    }
}

/* sub ("kw" sub)*, emitting one n-ary node when there are several. */
static int parse_chain(parser *p, tok_kind kw, node_kind kind, int (*sub)(parser *)) {
    uint32_t start = p->nnodes, count = 1;
    int rc = sub(p);
    while (rc == SB_OK && p->tok.kind == kw) {
        if ((rc = lex(p)) || (rc = sub(p))) return rc;
        count++;
    }
    if (rc || count == 1) return rc;
    return emit(p, (node){.kind = (uint8_t)kind, .arg = count}, start);
}

static int parse_and(parser *p) { return parse_chain(p, T_AND, N_AND, parse_unary); }
static int parse_or(parser *p) { return parse_chain(p, T_OR, N_OR, parse_and); }

static int parse(parser *p) {
    int rc = lex(p);
    if (rc) return rc;
    if (p->tok.kind == T_END) return emit(p, (node){.kind = N_CONST, .op = SB_TRI_TRUE}, 0);
    if ((rc = parse_or(p))) return rc;
    if (p->tok.kind != T_END)
        return fail(p, SB_ESYNTAX, p->tok.pos, "unexpected '%.*s%s' after expression",
                    quote_len(p->tok.len), p->src + p->tok.pos, quote_more(p->tok.len));
    return SB_OK;
}

/* Pack the parse into the single allocation described at the top. */
static sb_expr *build(const parser *p) {
    size_t nodes_sz = p->nnodes * sizeof(node), refs_sz = p->nrefs * sizeof(sb_expr_ref);
    sb_expr *e = sb_malloc(sizeof(*e) + nodes_sz + refs_sz + p->len + 1);
    char *refs = (char *)e->nodes + nodes_sz, *src = refs + refs_sz;
    memcpy(e->nodes, p->nodes, nodes_sz);
    if (refs_sz) memcpy(refs, p->refs, refs_sz);
    if (p->len) memcpy(src, p->src, p->len);
    src[p->len] = '\0';
    e->syms = p->syms;
    e->refs = (const sb_expr_ref *)refs;
    e->src = src;
    e->nnodes = p->nnodes;
    e->nrefs = p->nrefs;
    e->uses_ix = false;
    for (uint32_t i = 0; i < p->nrefs; i++) e->uses_ix |= is_ix_ref(p->refs[i].kind);
    return e;
}

int sb_expr_compile(sb_intern *syms, const char *src, size_t len, sb_expr **out,
                    sb_expr_error *err) {
    SB_ASSERT(syms != NULL && out != NULL && (src != NULL || len == 0));
    *out = NULL;
    parser p = {.syms = syms, .src = src, .err = err};
    if (len > SB_EXPR_MAX_LEN)
        return fail(&p, SB_ELIMIT, SB_EXPR_MAX_LEN, "expression longer than %d bytes",
                    SB_EXPR_MAX_LEN);
    p.len = (uint32_t)len;
    p.scratch = sb_malloc(len + 1);
    int rc = parse(&p);
    if (rc == SB_OK) *out = build(&p);
    sb_free(p.scratch);
    sb_free(p.nodes);
    sb_free(p.refs);
    return rc;
}

void sb_expr_free(sb_expr *e) { sb_free(e); }

/* ---- 4. Evaluation ----------------------------------------------------- */

/* Operand types beyond sb_val_type, for evaluation only. */
enum { VAL_UNKNOWN = 0x80, VAL_SKILLS };

typedef struct operand {
    sb_value v;             /* for VAL_SKILLS, v.set_len is the skill count */
    const sb_skill *skills; /* VAL_SKILLS only */
} operand;

typedef struct view {
    const sb_intern *syms;
    const sb_expr_agent *agent;
    const sb_expr_ix *ix;
} view;

static const operand unknown_operand = {.v = {.type = VAL_UNKNOWN}};
static const operand null_operand = {.v = {.type = SB_VAL_NULL}};

static sb_tri tri(bool b) { return b ? SB_TRI_TRUE : SB_TRI_FALSE; }

static const sb_skill *find_skill(const sb_skill *skills, uint32_t n, sb_sym name) {
    uint32_t lo = 0, hi = n;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (skills[mid].name < name)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && skills[lo].name == name ? &skills[lo] : NULL;
}

static operand attr_operand(const sb_attrs *attrs, sb_sym key) {
    const sb_value *v = attrs ? sb_attrs_get(attrs, key) : NULL;
    return v ? (operand){.v = *v} : null_operand;
}

static operand load_agent(const node *n, const sb_expr_agent *a) {
    if (a == NULL) return unknown_operand;
    switch (n->op) {
    case SB_REF_SKILL: {
        const sb_skill *s = find_skill(a->skills, a->nskills, n->arg);
        return s ? (operand){.v = sb_val_num(s->level)} : null_operand;
    }
    case SB_REF_SKILLS:
        return (operand){.v = {.type = VAL_SKILLS, .set_len = a->nskills}, .skills = a->skills};
    case SB_REF_LANGUAGES: return (operand){.v = sb_val_set(a->languages, a->nlanguages)};
    case SB_REF_TEAMS: return (operand){.v = sb_val_set(a->teams, a->nteams)};
    default: return attr_operand(a->attrs, n->arg);
    }
}

static operand load_ix(const node *n, const sb_expr_ix *ix) {
    if (ix == NULL) return unknown_operand;
    switch (n->op) {
    case SB_REF_CHANNEL: /* symbol 0 means no channel */
        return ix->channel ? (operand){.v = sb_val_str(ix->channel)} : null_operand;
    case SB_REF_PRIORITY: return (operand){.v = sb_val_num(ix->priority)};
    default: return attr_operand(ix->attrs, n->arg);
    }
}

static operand load(const node *n, const view *w) {
    if (n->kind == N_LIT) return (operand){.v = n->val};
    return is_ix_ref(n->op) ? load_ix(n, w->ix) : load_agent(n, w->agent);
}

static bool holds(uint8_t op, int c) {
    switch (op) {
    case OP_EQ: return c == 0;
    case OP_NE: return c != 0;
    case OP_LT: return c < 0;
    case OP_LE: return c <= 0;
    case OP_GT: return c > 0;
    default: return c >= 0;
    }
}

/* Direct double comparisons, so that a NaN attribute is unequal to all. */
static bool num_holds(uint8_t op, double a, double b) {
    switch (op) {
    case OP_EQ: return a == b;
    case OP_NE: return a != b;
    case OP_LT: return a < b;
    case OP_LE: return a <= b;
    case OP_GT: return a > b;
    default: return a >= b;
    }
}

static sb_tri compare(const view *w, uint8_t op, const operand *l, const operand *r) {
    if (l->v.type == VAL_UNKNOWN || r->v.type == VAL_UNKNOWN) return SB_TRI_UNKNOWN;
    if (l->v.type != r->v.type) return SB_TRI_FALSE;
    switch (l->v.type) {
    case SB_VAL_NUM: return tri(num_holds(op, l->v.u.num, r->v.u.num));
    case SB_VAL_STR:
        if (op == OP_EQ || op == OP_NE) return tri(holds(op, l->v.u.str != r->v.u.str));
        return tri(holds(op, strcmp(sb_intern_str(w->syms, l->v.u.str),
                                    sb_intern_str(w->syms, r->v.u.str))));
    case SB_VAL_BOOL:
        if (op != OP_EQ && op != OP_NE) return SB_TRI_FALSE; /* bools have no order */
        return tri(holds(op, l->v.u.b != r->v.u.b));
    default: return SB_TRI_FALSE; /* missing values and sets compare false */
    }
}

static sb_tri has(const operand *set, const operand *item) {
    if (set->v.type == VAL_UNKNOWN || item->v.type == VAL_UNKNOWN) return SB_TRI_UNKNOWN;
    if (item->v.type != SB_VAL_STR) return SB_TRI_FALSE;
    sb_sym s = item->v.u.str;
    if (set->v.type == SB_VAL_SET) return tri(sb_syms_has(set->v.u.set, set->v.set_len, s));
    if (set->v.type == VAL_SKILLS) return tri(find_skill(set->skills, set->v.set_len, s));
    return SB_TRI_FALSE;
}

static sb_tri in_list(const sb_expr *e, uint32_t i, const view *w) {
    uint32_t count = e->nodes[i].arg;
    operand item = load(&e->nodes[i - count - 1], w);
    if (item.v.type == VAL_UNKNOWN) return SB_TRI_UNKNOWN;
    for (uint32_t k = i - count; k < i; k++) {
        operand lit = {.v = e->nodes[k].val};
        if (compare(w, OP_EQ, &item, &lit) == SB_TRI_TRUE) return SB_TRI_TRUE;
    }
    return SB_TRI_FALSE;
}

static sb_tri eval_node(const sb_expr *e, uint32_t i, const view *w);

/* Kleene and/or: `dominant` (FALSE for and, TRUE for or) decides at once;
 * otherwise any unknown child makes the result unknown. */
static sb_tri eval_chain(const sb_expr *e, uint32_t i, const view *w, sb_tri dominant) {
    sb_tri result = dominant == SB_TRI_FALSE ? SB_TRI_TRUE : SB_TRI_FALSE;
    uint32_t child = i - 1;
    for (uint32_t k = 0; k < e->nodes[i].arg; k++) {
        sb_tri r = eval_node(e, child, w);
        if (r == dominant) return dominant;
        if (r == SB_TRI_UNKNOWN) result = SB_TRI_UNKNOWN;
        child -= e->nodes[child].span;
    }
    return result;
}

/* A bare operand as a condition: true only for the boolean true. */
static sb_tri truth(const operand *o) {
    if (o->v.type == VAL_UNKNOWN) return SB_TRI_UNKNOWN;
    return tri(o->v.type == SB_VAL_BOOL && o->v.u.b);
}

static sb_tri eval_node(const sb_expr *e, uint32_t i, const view *w) {
    const node *n = &e->nodes[i];
    switch (n->kind) {
    case N_CONST: return (sb_tri)n->op;
    case N_LIT:
    case N_PATH: {
        operand o = load(n, w);
        return truth(&o);
    }
    case N_NOT: {
        sb_tri r = eval_node(e, i - 1, w);
        return r == SB_TRI_UNKNOWN ? r : tri(r == SB_TRI_FALSE);
    }
    case N_AND: return eval_chain(e, i, w, SB_TRI_FALSE);
    case N_OR: return eval_chain(e, i, w, SB_TRI_TRUE);
    case N_IN_LIST: return in_list(e, i, w);
    default: break;
    }
    operand l = load(n - 2, w), r = load(n - 1, w);
    switch (n->kind) {
    case N_CMP: return compare(w, n->op, &l, &r);
    case N_HAS: return has(&l, &r);
    default: return has(&r, &l); /* N_IN_SET */
    }
}

/* ---- Public queries ---------------------------------------------------- */

sb_tri sb_expr_eval(const sb_expr *e, const sb_expr_agent *agent, const sb_expr_ix *ix) {
    SB_ASSERT_HOT(e != NULL && e->nnodes > 0);
    view w = {.syms = e->syms, .agent = agent, .ix = ix};
    return eval_node(e, e->nnodes - 1, &w);
}

int sb_expr_uses_interaction(const sb_expr *e) { return e->uses_ix; }

const sb_expr_ref *sb_expr_refs(const sb_expr *e, uint32_t *count) {
    if (count) *count = e->nrefs;
    return e->refs;
}

sb_value sb_expr_operand(const sb_expr *e, const sb_expr_agent *agent, const sb_expr_ix *ix) {
    sb_value none = {.type = SB_VAL_NULL};
    if (e->nnodes != 1 || !is_leaf(&e->nodes[0])) return none;
    view w = {.syms = e->syms, .agent = agent, .ix = ix};
    operand o = load(&e->nodes[0], &w);
    /* Neither "unknown" nor the skill set is an sb_value. */
    return o.v.type == VAL_UNKNOWN || o.v.type == VAL_SKILLS ? none : o.v;
}

const char *sb_expr_source(const sb_expr *e) { return e->src; }
