/* queue.c: queues, their waiting order, and their members' eligibility. */
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "core/core-i.h"

#define PRIO_SCALE 1000000 /* micro-points per priority point */

/* The waiting heaps' key: greater order key first, then earlier
 * arrival, then earlier enqueue. */
static sb_hkey ix_hkey(const sb_interaction *ix) {
    return (sb_hkey){-ix->key, ix->arrived_at, ix->order};
}

bool sb__ix_before(const sb_interaction *x, const sb_interaction *y) {
    sb_hkey a = ix_hkey(x), b = ix_hkey(y);
    return sb_hkey_less(&a, &b);
}

int64_t sb__ix_score(const sb_interaction *ix, int64_t now) {
    return (int64_t)ix->priority * PRIO_SCALE + ix->queue->aging * (now - ix->arrived_at);
}

uint8_t sb__queue_step_at(const sb_queue *q, int64_t queued_at, int64_t now) {
    uint8_t s = 0;
    while (s + 1u < q->nsteps && queued_at + q->after_ms[s + 1] <= now) s++;
    return s;
}

int64_t sb__ix_key(const sb_interaction *ix) {
    return (int64_t)ix->priority * PRIO_SCALE - ix->queue->aging * ix->arrived_at;
}

/* Is summary entry e better than f (both of q)?  By key, then arrival
 * (read from the heaps' tops), then enqueue order. */
static bool qbest_less(const sb_queue *q, const sb_qbest *e, const sb_qbest *f) {
    if (e->a != f->a) return e->a < f->a;
    int64_t ae = sb_wq_top_b(&q->waiting[sb_qbest_step(e)][sb_qbest_ch(e)]);
    int64_t af = sb_wq_top_b(&q->waiting[sb_qbest_step(f)][sb_qbest_ch(f)]);
    if (ae != af) return ae < af;
    return (e->c >> 8) < (f->c >> 8);
}

/* Is x's least key less than y's, when their first parts are equal? */
static bool wq_top_less(const sb_wq *x, const sb_wq *y) {
    int64_t bx = sb_wq_top_b(x), by = sb_wq_top_b(y);
    if (bx != by) return bx < by;
    return sb_wq_top_c(x) < sb_wq_top_c(y);
}

/* The top of waiting[s][ch] changed: redo the summary of channel ch
 * (best top from each step on) for steps s down to 0, and the entry over
 * all channels of those steps.  A step whose entry comes out unchanged
 * leaves the steps below unchanged too. */
static void summarize(sb_queue *q, int s, int ch) {
    for (; s >= 0; s--) {
        const sb_wq *h = &q->waiting[s][ch];
        uint64_t bit = 1ull << (s * SB_CH_COUNT + ch);
        bool above = s + 1 < SB_MAX_STEPS && (q->reach & (bit << SB_CH_COUNT));
        bool had = q->reach & bit;
        sb_qbest old = q->best[s][ch], *e = &q->best[s][ch];
        /* Compared by whole keys; the entry above has the first part, the
         * rest is read from the heap it names only on a tie. */
        const sb_qbest *up = above ? &q->best[s + 1][ch] : NULL;
        if (sb_wq_len(h) &&
            (!above || sb_wq_top_a(h) < up->a ||
             (sb_wq_top_a(h) == up->a &&
              wq_top_less(h, &q->waiting[sb_qbest_step(up)][ch])))) {
            *e = (sb_qbest){sb_wq_top_a(h), sb_wq_top_c(h) << 8 | (uint64_t)ch << 4 | (uint64_t)s};
            q->reach |= bit;
        } else if (above) {
            *e = q->best[s + 1][ch];
            q->reach |= bit;
        } else {
            q->reach &= ~bit;
        }
        bool has = q->reach & bit;
        if (has == had && (!has || (e->a == old.a && e->c == old.c))) break;
        /* ball[s]: the new entry if it beats it, else a new search when
         * it came from this channel (which got worse or went). */
        uint32_t row = (uint32_t)(q->reach >> (s * SB_CH_COUNT)) & 0x3f;
        uint32_t was = row ^ (had != has ? (uint32_t)1 << ch : 0);
        if (row == 0) continue;
        sb_qbest *b = &q->ball[s];
        if (was != 0 && sb_qbest_ch(b) != ch) {
            if (has && qbest_less(q, e, b)) *b = *e;
            continue;
        }
        if (was != 0 && has && e->a < b->a) { /* (a tie would read b's gone top) */
            *b = *e;
            continue;
        }
        const sb_qbest *w = &q->best[s][__builtin_ctz(row)];
        for (row &= row - 1; row; row &= row - 1) {
            const sb_qbest *f = &q->best[s][__builtin_ctz(row)];
            if (qbest_less(q, f, w)) w = f;
        }
        *b = *w;
    }
}

void sb__queue_insert(sb_queue *q, sb_interaction *ix) {
    ix->key = sb__ix_key(ix);
    ix->hstep = ix->step;
    if (sb_wq_push(&q->waiting[ix->step][ix->channel], &ix->qnode, ix_hkey(ix)))
        summarize(q, ix->step, ix->channel);
}

void sb__queue_erase(sb_queue *q, sb_interaction *ix) {
    sb_wq *w = &q->waiting[ix->hstep][ix->channel];
    if (!sb_wq_remove(w, &ix->qnode)) return;
    summarize(q, ix->hstep, ix->channel);
    /* The new top is read only when it wins, usually long after: fetched
     * now, it waits for that in the last-level cache rather than memory
     * (where a large backlog's interactions are). */
    if (sb_wq_len(w)) __builtin_prefetch(sb_container_of(sb_wq_top(w), sb_interaction, qnode));
}

bool sb__member_eligible(const sb_member *m, const sb_interaction *ix, uint8_t step) {
    uint8_t upto = (uint8_t)((2u << step) - 1);
    if (m->sure_mask & upto) return true;
    uint8_t maybe = m->maybe_mask & ~m->sure_mask & upto;
    for (uint8_t s = 0; maybe; s++, maybe >>= 1)
        if ((maybe & 1) &&
            sb_expr_eval(m->queue->steps[s].expr, &m->agent->view, &ix->view) == SB_TRI_TRUE)
            return true;
    return false;
}

sb_hkey sb__member_key(const sb_member *m) { return (sb_hkey){m->k1, m->k2, m->aid}; }

/* ---- longest-idle ready rings ----
 *
 * Invariant: a ring's entries are in k2 order, stale ones included, and
 * among current entries of one k2 in agent id order.  So every current
 * entry is where a key-ordered list would have it, and a stale one is
 * passed over by readers wherever it sits. */

static bool rent_current(const sb_core *c, const sb_rent *e) {
    return c->aslots[e->slot].epoch == e->epoch;
}

/* Make room at the end: drop the stale entries (and the popped head),
 * and grow when the ring stays more than half full.  An entry is written
 * once and moved O(1) times amortized. */
static void ring_room(sb_core *c, sb_ring *r) {
    uint32_t w = 0;
    for (uint32_t i = r->head; i < r->end; i++)
        if (rent_current(c, &r->v[i])) r->v[w++] = r->v[i];
    r->head = 0;
    r->end = w;
    if (w >= r->cap / 2) {
        r->cap = r->cap ? r->cap * 2 : 8;
        r->v = sb_realloc(r->v, r->cap * sizeof(*r->v));
    }
}

void sb__ring_insert(sb_core *c, sb_ring *r, int64_t k2, uint32_t slot) {
    if (r->end == r->cap) ring_room(c, r);
    /* From the end: a new key is nearly always the greatest. */
    uint32_t i = r->end;
    sb_id aid = 0;
    while (i > r->head) {
        const sb_rent *e = &r->v[i - 1];
        if (e->k2 < k2) break;
        if (e->k2 == k2 && rent_current(c, e)) {
            if (aid == 0) aid = c->aptrs[slot]->id;
            if (c->aptrs[e->slot]->id < aid) break;
        }
        i--;
    }
    if (i < r->end) memmove(&r->v[i + 1], &r->v[i], (r->end - i) * sizeof(*r->v));
    else r->last = k2;
    r->v[i] = (sb_rent){k2, slot, c->aslots[slot].epoch};
    r->end++;
}

void sb__ring_clear(sb_ring *r) { r->head = r->end = 0; }

static void ring_free(sb_ring *r) {
    sb_free(r->v);
    *r = (sb_ring){0};
}

/* Link a member of a fifo queue with its agent's ring key. */
static void ring_link(sb_core *c, sb_member *m) {
    const sb_agent *a = m->agent;
    sb__ring_push(c, m->queue->qslot, m->hstep, a->fband, a->fk2, a->slot,
                  c->aslots[a->slot].epoch);
}

void sb__member_setkey(sb_member *m, int64_t k1, int64_t k2) {
    SB_ASSERT_HOT(!m->queue->fifo);
    m->k1 = k1;
    m->k2 = k2;
    sb_ttree_set(&m->queue->ready[m->hstep], m->slot, sb__member_key(m));
}

/* A fifo member is linked with its agent's current ring key (see
 * sb__settle); the caller made sure it has no current entry. */
void sb__member_link(sb_core *c, sb_member *m) {
    if (m->hstep == SB_NO_STEP) return;
    if (m->queue->fifo) {
        ring_link(c, m);
        return;
    }
    sb__member_rekey(c, m);
    sb_ttree_set(&m->queue->ready[m->hstep], m->slot, sb__member_key(m));
}

/* Fifo members leave contention with their agent (its epoch bump): here
 * only tree members do. */
void sb__member_unlink(sb_member *m) {
    if (m->hstep == SB_NO_STEP || m->queue->fifo) return;
    sb_ttree_clear(&m->queue->ready[m->hstep], m->slot);
}

bool sb__member_linked(const sb_member *m) {
    if (m->hstep == SB_NO_STEP) return false;
    return m->queue->fifo ? m->agent->linked : sb_ttree_present(&m->queue->ready[m->hstep], m->slot);
}

/* Copy what best_ix reads of the member into its agent's packed array. */
static void count_tree(sb_agent *a) {
    a->ntree = 0;
    for (uint32_t i = 0; i < a->nmembers; i++) a->ntree += !a->mrefs[i].fifo;
}

static void mref_sync(const sb_member *m) {
    sb_agent *a = m->agent;
    for (uint32_t i = 0; i < a->nmembers; i++)
        if (a->members[i] == m)
            a->mrefs[i] = (sb_mref){m->queue->qslot, m->hstep, m->sure_mask, m->queue->fifo};
    count_tree(a);
}

/* Out of its place in the ready structure.  A fifo member's ring entry,
 * if current, is the caller's to retire: every caller has either taken
 * its agent out of contention (an epoch bump) or is clearing the rings of
 * the whole queue. */
static void release_slot(sb_member *m) {
    if (m->hstep == SB_NO_STEP) return;
    if (!m->queue->fifo) {
        sb_member *moved = sb_ttree_del(&m->queue->ready[m->hstep], m->slot);
        if (moved) moved->slot = m->slot;
    }
    m->hstep = SB_NO_STEP;
    mref_sync(m);
}

/* Give the member the place its masks call for (out of contention). */
static void reslot(sb_member *m) {
    uint8_t h = m->maybe_mask ? (uint8_t)__builtin_ctz(m->maybe_mask) : SB_NO_STEP;
    if (h == m->hstep) return;
    release_slot(m);
    if (h != SB_NO_STEP && !m->queue->fifo) m->slot = sb_ttree_add(&m->queue->ready[h], m);
    m->hstep = h;
}

void sb__member_eval(sb_member *m) {
    sb__member_unlink(m);
    m->maybe_mask = m->sure_mask = 0;
    for (uint32_t s = 0; s < m->queue->nsteps; s++) {
        sb_tri t = sb_expr_eval(m->queue->steps[s].expr, &m->agent->view, NULL);
        if (t != SB_TRI_FALSE) m->maybe_mask |= (uint8_t)(1u << s);
        if (t == SB_TRI_TRUE) m->sure_mask |= (uint8_t)(1u << s);
    }
    reslot(m);
    mref_sync(m);
}

sb_member *sb__member_add(sb_queue *q, sb_agent *a) {
    sb_member *m = sb_calloc(1, sizeof(*m));
    m->agent = a;
    m->aid = a->id;
    m->queue = q;
    m->hstep = SB_NO_STEP;
    if (q->nmembers == q->cap_members) {
        q->cap_members = q->cap_members ? q->cap_members * 2 : 8;
        q->members = sb_realloc(q->members, q->cap_members * sizeof(*q->members));
    }
    m->qpos = q->nmembers;
    q->members[q->nmembers++] = m;
    a->members = sb_realloc(a->members, (a->nmembers + 1) * sizeof(*a->members));
    if (a->cap_mrefs == 0) {
        a->mrefs = a->mref_buf;
        a->cap_mrefs = SB_MREFS_INLINE;
    } else if (a->nmembers == a->cap_mrefs) { /* on a cache line: read whole by best_ix, link_fifo */
        uint32_t cap = a->cap_mrefs * 2;
        sb_mref *v = sb_calloc_aligned(64, cap * sizeof(*v));
        memcpy(v, a->mrefs, a->nmembers * sizeof(*v));
        if (a->mrefs != a->mref_buf) sb_free(a->mrefs);
        a->mrefs = v;
        a->cap_mrefs = cap;
    }
    a->members[a->nmembers++] = m;
    sb__member_eval(m);
    return m;
}

/* Unlink a member from both sides and free it. */
void sb__member_del(sb_member *m) {
    sb_queue *q = m->queue;
    sb_agent *a = m->agent;
    release_slot(m);
    q->members[m->qpos] = q->members[--q->nmembers];
    q->members[m->qpos]->qpos = m->qpos;
    for (uint32_t i = 0; i < a->nmembers; i++)
        if (a->members[i] == m) {
            a->members[i] = a->members[--a->nmembers];
            a->mrefs[i] = a->mrefs[a->nmembers];
            break;
        }
    count_tree(a);
    sb_free(m);
}

static void free_steps(sb_queue *q) {
    for (uint32_t s = 0; s < q->nsteps; s++) sb_expr_free(q->steps[s].expr);
    q->nsteps = 0;
    sb_expr_free(q->order_by);
    q->order_by = NULL;
}

/* What a step's timer adds to queued_at (as in arm(), interaction.c):
 * the next step's time or the maximum wait, the sooner; INT64_MAX if
 * neither. */
static int64_t step_delay(const sb_queue *q, uint8_t s) {
    int64_t d = INT64_MAX;
    if (s + 1u < q->nsteps) d = q->after_ms[s + 1];
    if (q->max_wait_ms && q->max_wait_ms < d) d = q->max_wait_ms;
    return d;
}

/* Each step's timers get their lane (the rules are set): they are armed
 * when the step begins and fire step_delay after queued_at. */
static void lanes_bind(sb_core *c, sb_queue *q) {
    for (uint8_t s = 0; s < SB_MAX_STEPS; s++) {
        int64_t d = s < q->nsteps ? step_delay(q, s) : INT64_MAX;
        q->tlane[s] = d == INT64_MAX ? SB_NO_LANE : sb__lane_bind(c, q->after_ms[s], d);
    }
}

/* Before the rules change or the queue goes: no timer of its waiting
 * interactions is armed. */
static void lanes_unbind(sb_core *c, sb_queue *q) {
    for (uint8_t s = 0; s < SB_MAX_STEPS; s++) {
        if (q->tlane[s] != SB_NO_LANE) sb__lane_unbind(c, q->tlane[s]);
        q->tlane[s] = SB_NO_LANE;
    }
}

void sb__queue_destroy(sb_core *c, sb_queue *q) {
    while (q->nmembers) sb__member_del(q->members[0]);
    free_steps(q);
    for (uint8_t s = 0; s < SB_MAX_STEPS; s++) {
        for (int ch = 0; ch < SB_CH_COUNT; ch++) sb_wq_free(&q->waiting[s][ch]);
        sb_ttree_free(&q->ready[s]);
        ring_free(sb__ring(c, q->qslot, s, 0));
        ring_free(sb__ring(c, q->qslot, s, 1));
    }
    lanes_unbind(c, q);
    sb_free(q->members);
}

static int check_def(sb_core *c, sb_id id, const sb_queue_def *d) {
    if (id == 0 || d->nsteps < 1 || d->nsteps > SB_MAX_STEPS) return SB_EINVAL;
    if (d->steps[0].after_ms != 0) return SB_EINVAL;
    for (uint32_t s = 1; s < d->nsteps; s++)
        if (d->steps[s].after_ms <= d->steps[s - 1].after_ms) return SB_EINVAL;
    if (d->selection > SB_SEL_BROADCAST || d->wrapup > SB_WRAPUP_MANDATORY_TIMEOUT)
        return SB_EINVAL;
    if (d->selection == SB_SEL_BROADCAST && d->broadcast_n < 1) return SB_EINVAL;
    if (d->selection == SB_SEL_MOST_SKILLED && (d->order_by == NULL || !*d->order_by))
        return SB_EINVAL;
    if (!(d->aging_per_s >= 0 && d->aging_per_s <= 100)) return SB_EINVAL;
    if (d->offer_timeout_ms <= 0 || d->max_wait_ms < 0 || d->last_agent_ms < 0) return SB_EINVAL;
    if (d->wrapup == SB_WRAPUP_MANDATORY_TIMEOUT && d->wrapup_timeout_ms <= 0) return SB_EINVAL;
    const sb_id ov[3] = {d->full_overflow, d->max_wait_overflow, d->closed_overflow};
    for (int i = 0; i < 3; i++) {
        if (ov[i] == id) return SB_EINVAL;
        if (ov[i] && sb_map_get(&c->queues, ov[i]) == NULL) return SB_ENOENT;
    }
    return SB_OK;
}

/* A dense slot for a new queue (see sb_core.qptrs), a freed one first. */
static void qslot_new(sb_core *c, sb_queue *q) {
    if (c->nfree_qslots) {
        q->qslot = c->free_qslots[--c->nfree_qslots];
    } else {
        if (c->nqslots == c->cap_qslots) {
            uint32_t old = c->cap_qslots;
            c->cap_qslots = old ? old * 2 : 64;
            c->qptrs = sb_realloc(c->qptrs, c->cap_qslots * sizeof(*c->qptrs));
            for (int s = 0; s < SB_MAX_STEPS; s++)
                for (int b = 0; b < 2; b++) {
                    sb_ring *v = sb_realloc(c->rings[s][b], c->cap_qslots * sizeof(*v));
                    memset(v + old, 0, (c->cap_qslots - old) * sizeof(*v));
                    c->rings[s][b] = v;
                }
        }
        q->qslot = c->nqslots++;
    }
    c->qptrs[q->qslot] = q;
}

/* A removed queue has no members left, so no mref names its slot, and
 * its rings were freed (empty, for the next queue in the slot). */
static void qslot_free(sb_core *c, uint32_t qslot) {
    c->qptrs[qslot] = NULL;
    if (c->nfree_qslots == c->cap_free_qslots) {
        c->cap_free_qslots = c->cap_free_qslots ? c->cap_free_qslots * 2 : 16;
        c->free_qslots = sb_realloc(c->free_qslots, c->cap_free_qslots * sizeof(*c->free_qslots));
    }
    c->free_qslots[c->nfree_qslots++] = qslot;
}

static int compile(sb_core *c, const char *src, sb_expr **out, sb_expr_error *err) {
    if (src == NULL) src = "";
    return sb_expr_compile(&c->syms, src, strlen(src), out, err);
}

int sb_queue_set(sb_core *c, int64_t now, sb_id id, const sb_queue_def *def,
                 sb_expr_error *err, uint32_t *err_step) {
    sb__enter(c, now);
    int rc = check_def(c, id, def);
    if (rc) return rc;
    sb_step steps[SB_MAX_STEPS] = {{0}};
    sb_expr *order_by = NULL;
    sb_expr_error scratch_err;
    if (err == NULL) err = &scratch_err;
    for (uint32_t s = 0; s <= def->nsteps; s++) {
        if (s == def->nsteps) {
            if (def->selection == SB_SEL_MOST_SKILLED) rc = compile(c, def->order_by, &order_by, err);
        } else {
            rc = compile(c, def->steps[s].expr, &steps[s].expr, err);
            steps[s].after_ms = def->steps[s].after_ms;
            if (rc == SB_OK) steps[s].mixed = sb_expr_uses_interaction(steps[s].expr);
        }
        if (rc) {
            if (err_step) *err_step = s;
            for (uint32_t k = 0; k < s; k++) sb_expr_free(steps[k].expr);
            return rc;
        }
    }

    sb__batch_begin(c);
    sb_queue *q = sb_map_get(&c->queues, id);
    sb_interaction **moved = NULL;
    uint32_t nmoved = 0;
    if (q == NULL) {
        q = sb_slab_take(&c->queue_slab);
        q->id = id;
        q->open = true;
        for (int s = 0; s < SB_MAX_STEPS; s++)
            q->tlane[s] = SB_NO_LANE;
        qslot_new(c, q);
        for (int s = 0; s < SB_MAX_STEPS; s++) {
            for (int ch = 0; ch < SB_CH_COUNT; ch++) sb_wq_init(&q->waiting[s][ch]);
            sb_ttree_init(&q->ready[s]);
        }
        sb_map_put(&c->queues, id, q);
    } else {
        /* Take everything out, change the rules, put everything back. */
        moved = sb_malloc((q->nwaiting + 1) * sizeof(*moved));
        for (int s = 0; s < SB_MAX_STEPS; s++)
            for (int ch = 0; ch < SB_CH_COUNT; ch++)
                while (sb_wq_len(&q->waiting[s][ch])) {
                    sb_interaction *ix = sb_container_of(sb_wq_top(&q->waiting[s][ch]),
                                                         sb_interaction, qnode);
                    sb__ix_unwait(c, ix);
                    moved[nmoved++] = ix;
                }
        /* The selection may change how ready members are kept: every
         * member leaves, to be linked again below. */
        for (uint32_t i = 0; i < q->nmembers; i++) release_slot(q->members[i]);
        for (uint8_t s = 0; s < SB_MAX_STEPS; s++) {
            sb__ring_clear(sb__ring(c, q->qslot, s, 0));
            sb__ring_clear(sb__ring(c, q->qslot, s, 1));
        }
        q->ring_mask = 0;
        free_steps(q);
        lanes_unbind(c, q);
    }
    q->def = *def;
    q->selection = def->selection;
    q->wrapup = def->wrapup;
    q->max_length = def->max_length;
    q->max_wait_ms = def->max_wait_ms;
    q->offer_timeout_ms = def->offer_timeout_ms;
    q->fifo = def->selection == SB_SEL_LONGEST_IDLE || def->selection == SB_SEL_BROADCAST;
    q->def.steps = NULL;
    q->def.order_by = NULL;
    memcpy(q->steps, steps, sizeof(steps));
    q->nsteps = (uint8_t)def->nsteps;
    for (uint32_t s = 0; s < q->nsteps; s++) q->after_ms[s] = q->steps[s].after_ms;
    lanes_bind(c, q);
    q->order_by = order_by;
    q->aging_milli = q->aging = (int64_t)(def->aging_per_s * 1000 + 0.5);
    q->any_mixed = false;
    for (uint32_t s = 0; s < q->nsteps; s++) q->any_mixed |= q->steps[s].mixed;

    for (uint32_t i = 0; i < q->nmembers; i++) {
        sb_member *m = q->members[i];
        sb__member_eval(m);
        if (m->agent->linked) sb__member_link(c, m);
    }
    for (uint32_t i = 0; i < nmoved; i++) {
        sb__ix_wait(c, moved[i]);
        sb__match_ix(c, moved[i]);
    }
    sb_free(moved);
    /* Members may now be eligible for work elsewhere too. */
    for (uint32_t i = 0; i < q->nmembers; i++) sb__match_agent(c, q->members[i]->agent);
    sb__batch_end(c);
    return SB_OK;
}

int sb_queue_remove(sb_core *c, int64_t now, sb_id id) {
    sb__enter(c, now);
    sb_queue *q = sb_map_get(&c->queues, id);
    if (q == NULL) return SB_ENOENT;
    if (q->nlive) return SB_EINUSE;
    uint64_t k;
    void *v;
    for (uint32_t i = 0; sb_map_next(&c->queues, &i, &k, &v);) {
        const sb_queue *o = v;
        if (o->def.full_overflow == id || o->def.max_wait_overflow == id ||
            o->def.closed_overflow == id)
            return SB_EINUSE;
    }
    sb_map_del(&c->queues, id);
    uint32_t qslot = q->qslot;
    sb__queue_destroy(c, q);
    sb_slab_put(&c->queue_slab, q);
    qslot_free(c, qslot);
    return SB_OK;
}

int sb_queue_set_open(sb_core *c, int64_t now, sb_id id, bool open) {
    sb__enter(c, now);
    sb_queue *q = sb_map_get(&c->queues, id);
    if (q == NULL) return SB_ENOENT;
    if (q->open == open) return SB_OK;
    q->open = open;
    sb__emit(c, open ? SB_EV_QUEUE_OPEN : SB_EV_QUEUE_CLOSED)->queue = id;
    return SB_OK;
}

int64_t sb_queue_waiting(const sb_core *c, sb_id id) {
    const sb_queue *q = sb_map_get(&c->queues, id);
    return q ? (int64_t)q->nwaiting : -1;
}
