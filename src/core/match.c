/* match.c: the two questions routing answers.
 *
 *  - An interaction starts waiting (or its step widens): which agent?
 *    Look at the tops of the ready heaps of the steps it has reached; the
 *    best member (by the queue's selection key) that may take it wins.
 *  - An agent frees up: which interaction?  For each queue it serves and
 *    each step it may be eligible for, look at the tops of the waiting
 *    heaps of the channels it has room for; the best by score (priority
 *    with aging at `now`, then arrival, then enqueue order) wins, across
 *    all its queues and the interactions parked for it.
 *
 * A heap top that the other side may not take (excluded after a reject,
 * or failing the interaction-dependent part of a step) is skipped with a
 * best-first walk of the heap, so the cost grows with the skipped ones
 * only.  Everything is deterministic: every order breaks ties on ids or
 * enqueue order. */
#include <stdlib.h>

#include "base/mem.h"
#include "core/core-i.h"

typedef struct agent_ctx {
    const sb_interaction *ix;
} agent_ctx;

static bool agent_may_take(const void *v, void *arg) {
    const agent_ctx *x = arg;
    const sb_member *m = v;
    const sb_agent *a = m->agent;
    return (a->avail_mask & SB_CH_BIT(x->ix->channel)) && !sb__ix_excludes(x->ix, a) &&
           !sb__ix_offered_to(x->ix, a) && sb__member_eligible(m, x->ix, x->ix->step);
}

/* The first agent in a ring that may take ix, or NULL; *key its member's
 * selection key.  A current entry is checked against the dense slot
 * array before its agent is read, and its member only when the queue has
 * steps that depend on the interaction (otherwise being in a ring of a
 * step the interaction has reached makes the member eligible).  The stale
 * entries passed on the way are dropped, so a later search does not pass
 * them again. */
static sb_agent *ring_best(sb_core *c, uint32_t step, uint8_t band, const sb_interaction *ix,
                           sb_hkey *key) {
    sb_ring *r = sb__ring(c, ix->queue->qslot, (uint8_t)step, band);
    uint32_t bit = SB_CH_BIT(ix->channel), i = r->head, stale = 0;
    uint8_t upto = (uint8_t)((2u << ix->step) - 1);
    const sb_queue *q = ix->queue;
    sb_agent *found = NULL;
    for (; i < r->end; i++) {
        const sb_rent *e = &r->v[i];
        const sb_aslot *as = &c->aslots[e->slot];
        if (as->epoch != e->epoch) {
            stale++;
            continue;
        }
        if (!(as->avail & bit)) continue;
        sb_agent *a = c->aptrs[e->slot];
        if (sb__ix_excludes(ix, a) || sb__ix_offered_to(ix, a)) continue;
        if (q->any_mixed) {
            uint32_t k = 0;
            while (a->mrefs[k].qslot != q->qslot) k++;
            if (!(a->mrefs[k].sure_mask & upto) && !sb__member_eligible(a->members[k], ix, ix->step))
                continue;
        }
        *key = (sb_hkey){band, e->k2, a->id};
        found = a;
        break;
    }
    if (stale) {
        /* Pack the current entries of the part passed toward its end. */
        uint32_t w = i < r->end ? i + 1 : r->end;
        for (uint32_t j = w; j-- > r->head;)
            if (c->aslots[r->v[j].slot].epoch == r->v[j].epoch) r->v[--w] = r->v[j];
        r->head = w;
    }
    if (r->head == r->end) { /* empty: start over at the front, say so in the mask */
        r->head = r->end = 0;
        ix->queue->ring_mask &= (uint16_t)~(1u << (step * 2 + band));
    }
    return found;
}

/* The agent of the best member that may take ix now, or NULL. */
static sb_agent *best_agent(sb_core *c, sb_interaction *ix) {
    sb_queue *q = ix->queue;
    agent_ctx x = {ix};
    sb_agent *best = NULL;
    sb_hkey best_key = {0, 0, 0}, key;
    for (uint32_t s = 0; s <= ix->step; s++) {
        sb_agent *a = NULL;
        if (q->fifo) {
            /* Bands in order, each in key order: the first that may take
             * it.  The mask (beside the fields read already) spares the
             * empty rings' headers. */
            uint32_t mask = q->ring_mask >> (s * 2);
            if (mask & 1) a = ring_best(c, s, 0, ix, &key);
            if (a == NULL && (mask & 2)) a = ring_best(c, s, 1, ix, &key);
        } else {
            sb_member *m = sb_ttree_find(&q->ready[s], agent_may_take, &x, &key, &c->scratch);
            a = m ? m->agent : NULL;
        }
        if (a && (best == NULL || sb_hkey_less(&key, &best_key))) {
            best = a;
            best_key = key;
        }
    }
    return best;
}

static void match_ix_now(sb_core *c, sb_interaction *ix) {
    if (ix->state != SB_IX_QUEUED) return;
    sb__settle(c);
    if (ix->parked) {
        sb_agent *a = ix->preferred;
        if (a->routable && (a->avail_mask & SB_CH_BIT(ix->channel))) sb__ix_offer(c, ix, a);
        return;
    }
    const sb_queue *q = ix->queue;
    uint32_t n = q->selection == SB_SEL_BROADCAST ? q->def.broadcast_n : 1;
    for (uint32_t i = 0; i < n; i++) {
        sb_agent *a = best_agent(c, ix);
        if (a == NULL) break;
        sb__ix_offer(c, ix, a);
    }
}

typedef struct ix_ctx {
    const sb_member *m;
    uint8_t step;
} ix_ctx;

static bool ix_may_go(const sb_wq_node *n, void *arg) {
    const ix_ctx *x = arg;
    const sb_interaction *ix = sb_container_of(n, sb_interaction, qnode);
    return !sb__ix_excludes(ix, x->m->agent) && sb__member_eligible(x->m, ix, x->step);
}

/* Is x a better pick than y (y may be NULL) at now? */
static bool better(const sb_interaction *x, const sb_interaction *y, int64_t now) {
    if (y == NULL) return true;
    int64_t sx = sb__ix_score(x, now), sy = sb__ix_score(y, now);
    if (sx != sy) return sx > sy;
    if (x->arrived_at != y->arrived_at) return x->arrived_at < y->arrived_at;
    return x->order < y->order;
}

/* A waiting heap's best, seen through its inline key alone: comparing
 * candidates this way touches no interaction until one has won. */
typedef struct sb_cand {
    int64_t score, arrived;
    uint64_t order;
    const sb_wq *heap;
    const sb_member *m;
    sb_interaction *ix; /* checked against the agent (NULL: not yet) */
    uint8_t step;
    bool lazy; /* arrived not read yet from the heap's top (best_ix) */
} sb_cand;

static bool cand_better(const sb_cand *x, const sb_cand *y) {
    if (x->score != y->score) return x->score > y->score;
    if (x->arrived != y->arrived) return x->arrived < y->arrived;
    return x->order < y->order;
}

static sb_cand *cand_slot(sb_core *c, uint32_t n) {
    if (n == c->cap_cands) {
        c->cap_cands = c->cap_cands ? c->cap_cands * 2 : 64;
        c->cands = sb_realloc(c->cands, c->cap_cands * sizeof(*c->cands));
    }
    return &c->cands[n];
}

static void cand_from(sb_cand *k, const sb_interaction *ix, int64_t now) {
    k->score = sb__ix_score(ix, now);
    k->arrived = ix->arrived_at;
    k->order = ix->order;
}

/* The best interaction the agent may take now, or NULL: every heap top
 * it may reach is a candidate, the best that it may take wins, and a top
 * it may not take gives way to the best of its heap that it may. */
static sb_interaction *best_ix_full(sb_core *c, const sb_agent *a) {
    uint32_t n = 0;
    for (uint32_t i = 0; i < a->nparked; i++) {
        sb_interaction *ix = a->parked[i];
        if (!(a->avail_mask & SB_CH_BIT(ix->channel))) continue;
        sb_cand *k = cand_slot(c, n++);
        cand_from(k, ix, c->now);
        k->heap = NULL;
        k->ix = ix;
    }
    for (uint32_t i = 0; i < a->nmembers; i++) {
        const sb_member *m = a->members[i];
        const sb_queue *q = m->queue;
        if (m->maybe_mask == 0 || q->reach == 0) continue;
        for (uint8_t s = (uint8_t)__builtin_ctz(m->maybe_mask); s < q->nsteps; s++) {
            for (uint32_t chans = a->avail_mask; chans; chans &= chans - 1) {
                const sb_wq *h = &q->waiting[s][__builtin_ctz(chans)];
                if (sb_wq_len(h) == 0) continue;
                sb_hkey key = sb_wq_top_key(h);
                sb_cand *k = cand_slot(c, n++);
                k->score = -key.a + q->aging_milli * c->now;
                k->arrived = key.b;
                k->order = key.c;
                k->heap = h;
                k->m = m;
                k->step = s;
                k->ix = NULL;
            }
        }
    }
    /* Take the best; check it against the agent only now.  A top the agent
     * may not take gives way to the best of its heap that it may. */
    while (n) {
        uint32_t b = 0;
        for (uint32_t i = 1; i < n; i++)
            if (cand_better(&c->cands[i], &c->cands[b])) b = i;
        sb_cand *k = &c->cands[b];
        if (k->ix) return k->ix;
        ix_ctx x = {k->m, k->step};
        sb_wq_node *top = sb_wq_top(k->heap);
        sb_wq_node *node = ix_may_go(top, &x) ? top : sb_wq_find(k->heap, ix_may_go, &x, &c->scratch);
        if (node == top) return sb_container_of(node, sb_interaction, qnode);
        if (node == NULL) {
            c->cands[b] = c->cands[--n];
            continue;
        }
        k->ix = sb_container_of(node, sb_interaction, qnode);
        cand_from(k, k->ix, c->now);
    }
    return NULL;
}

/* The same answer as best_ix_full, read from the queues' summaries: per
 * queue and channel one key, the best top from the member's lowest step
 * on.  The agent's packed membership array and those keys are all it
 * reads until a winner is known; only when the winning top is not one it
 * may take does the full search run. */
/* A summary candidate's arrival is read from its heap only for a tie. */
static void cand_arrival(sb_cand *k) {
    if (k->lazy) k->arrived = sb_wq_top_b(k->heap);
    k->lazy = false;
}

/* Does summary entry e (of queue q, channel ch) beat f (of fq, fch) at
 * an equal score?  Earlier arrival, read from the heaps' tops, then
 * enqueue order. */
static bool entry_tie_better(const sb_queue *q, const sb_qbest *e, const sb_queue *fq,
                             const sb_qbest *f) {
    int64_t ae = sb_wq_top_b(&q->waiting[sb_qbest_step(e)][sb_qbest_ch(e)]);
    int64_t af = sb_wq_top_b(&fq->waiting[sb_qbest_step(f)][sb_qbest_ch(f)]);
    if (ae != af) return ae < af;
    return (e->c >> 8) < (f->c >> 8);
}

/* With interactions parked for the agent: they compete with the queues'
 * summary entries as candidates of their own. */
static sb_interaction *best_ix_parked(sb_core *c, const sb_agent *a) {
    sb_cand best = {0}, k = {0};
    bool have = false;
    for (uint32_t i = 0; i < a->nparked; i++) {
        sb_interaction *ix = a->parked[i];
        if (!(a->avail_mask & SB_CH_BIT(ix->channel))) continue;
        cand_from(&k, ix, c->now);
        k.ix = ix;
        k.lazy = false;
        if (!have || cand_better(&k, &best)) best = k;
        have = true;
    }
    uint32_t wi = 0;
    for (uint32_t i = 0; i < a->nmembers; i++) {
        const sb_mref *r = &a->mrefs[i];
        const sb_queue *q = c->qptrs[r->qslot];
        if (r->hstep == SB_NO_STEP) continue;
        uint32_t chans = a->avail_mask & (uint32_t)(q->reach >> (r->hstep * SB_CH_COUNT)) & 0x3f;
        for (; chans; chans &= chans - 1) {
            int ch = __builtin_ctz(chans);
            const sb_qbest *e = &q->best[r->hstep][ch];
            k.score = -e->a + q->aging_milli * c->now;
            if (have && k.score < best.score) continue;
            k.order = e->c >> 8;
            k.step = sb_qbest_step(e);
            k.heap = &q->waiting[k.step][ch];
            k.ix = NULL;
            k.lazy = true;
            if (have && k.score == best.score) {
                cand_arrival(&k);
                cand_arrival(&best);
                if (!cand_better(&k, &best)) continue;
            }
            best = k;
            have = true;
            wi = i;
        }
    }
    if (!have) return NULL;
    if (best.ix) return best.ix;
    sb_interaction *ix = sb_container_of(sb_wq_top(best.heap), sb_interaction, qnode);
    SB_ASSERT_HOT(ix->order == best.order);
    uint8_t upto = (uint8_t)((2u << best.step) - 1);
    if ((a->mrefs[wi].sure_mask & upto) && !sb__ix_excludes(ix, a)) return ix;
    ix_ctx x = {a->members[wi], best.step};
    return ix_may_go(&ix->qnode, &x) ? ix : best_ix_full(c, a);
}

static sb_interaction *best_ix(sb_core *c, const sb_agent *a) {
    if (c->nwaiting == 0) return NULL; /* none queued, parked or not */
    if (a->nparked) return best_ix_parked(c, a);
    /* The same comparison as best_ix_parked's, on scalars: the winner's
     * score, entry, queue and channel. */
    const int64_t now = c->now;
    const uint32_t avail = a->avail_mask, n = a->nmembers;
    const sb_mref *refs = a->mrefs;
    sb_queue *const *qptrs = c->qptrs;
    const sb_qbest *be = NULL;
    const sb_queue *bq = NULL;
    int64_t bscore = 0;
    uint32_t wi = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t h = refs[i].hstep;
        if (h == SB_NO_STEP) continue;
        const sb_queue *q = qptrs[refs[i].qslot];
        uint32_t row = (uint32_t)(q->reach >> (h * SB_CH_COUNT)) & 0x3f;
        if (row == 0) continue;
        const int64_t aged = q->aging_milli * now;
        /* Room for every channel that has work here: one entry decides. */
        const sb_qbest *one = (row & ~avail) == 0 ? &q->ball[h] : NULL;
        for (uint32_t chans = one ? 1 : row & avail; chans; chans &= chans - 1) {
            const sb_qbest *e = one ? one : &q->best[h][__builtin_ctz(chans)];
            int64_t score = aged - e->a;
            if (be) {
                if (score < bscore) continue;
                if (score == bscore && !entry_tie_better(q, e, bq, be)) continue;
            }
            bscore = score;
            be = e;
            bq = q;
            wi = i;
            /* Read next if it stays the best: fetched while the scan goes on. */
            __builtin_prefetch(&q->waiting[sb_qbest_step(e)][sb_qbest_ch(e)]);
        }
    }
    if (be == NULL) return NULL;
    uint8_t step = sb_qbest_step(be);
    /* The winner is named by its waiting queue's header (fetched during
     * the scan); its slot, which taking it reads, is fetched with it. */
    const sb_wq *w = &bq->waiting[step][sb_qbest_ch(be)];
    sb_wq_prefetch_first(w);
    sb_interaction *ix = sb_container_of(sb_wq_top(w), sb_interaction, qnode);
    SB_ASSERT_HOT(ix->order == be->c >> 8);
    uint8_t upto = (uint8_t)((2u << step) - 1);
    if ((refs[wi].sure_mask & upto) && !sb__ix_excludes(ix, a)) return ix;
    ix_ctx x = {a->members[wi], step};
    return ix_may_go(&ix->qnode, &x) ? ix : best_ix_full(c, a);
}

/* best_ix reads the summary line of each queue the agent is eligible in:
 * a dozen independent misses, fetched together (only when something
 * waits, or best_ix reads none of them). */
void sb__match_prefetch(const sb_core *c, const sb_agent *a) {
    if (c->nwaiting == 0) return;
    for (uint32_t i = 0; i < a->nmembers; i++)
        if (a->mrefs[i].hstep != SB_NO_STEP) __builtin_prefetch(c->qptrs[a->mrefs[i].qslot]);
}

static void match_agent_now(sb_core *c, sb_agent *a) {
    while (a->routable) {
        sb_interaction *ix = best_ix(c, a);
        if (ix == NULL) break;
        sb__ix_offer(c, ix, a);
    }
}

/* ---- batches ---- */

static void pend(sb_id **arr, uint32_t *n, uint32_t *cap, sb_id id) {
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *arr = sb_realloc(*arr, *cap * sizeof(**arr));
    }
    (*arr)[(*n)++] = id;
}

void sb__match_ix(sb_core *c, sb_interaction *ix) {
    if (c->batch) {
        if (c->npend_ix == c->cap_pend_ix) {
            c->cap_pend_ix = c->cap_pend_ix ? c->cap_pend_ix * 2 : 16;
            c->pend_ix = sb_realloc(c->pend_ix, c->cap_pend_ix * sizeof(*c->pend_ix));
        }
        c->pend_ix[c->npend_ix++] = ix;
    } else
        match_ix_now(c, ix);
}

void sb__match_agent(sb_core *c, sb_agent *a) {
    if (c->batch)
        pend(&c->pend_agents, &c->npend_agents, &c->cap_pend_agents, a->id);
    else
        match_agent_now(c, a);
}

void sb__batch_begin(sb_core *c) { c->batch++; }

static int cmp_ix(const void *x, const void *y, void *arg) {
    const sb_interaction *a = *(sb_interaction *const *)x, *b = *(sb_interaction *const *)y;
    if (a == b) return 0;
    return better(a, b, *(const int64_t *)arg) ? -1 : 1;
}

static int cmp_id(const void *x, const void *y) {
    sb_id a = *(const sb_id *)x, b = *(const sb_id *)y;
    return (a > b) - (a < b);
}

/* Sort and deduplicate ids in place; returns the new count. */
static uint32_t unique(sb_id *ids, uint32_t n) {
    if (n <= 1) return n;
    qsort(ids, n, sizeof(*ids), cmp_id);
    uint32_t w = 0;
    for (uint32_t i = 0; i < n; i++)
        if (w == 0 || ids[w - 1] != ids[i]) ids[w++] = ids[i];
    return w;
}

void sb__batch_end(sb_core *c) {
    if (--c->batch) return;
    /* Matching below is immediate (batch is 0), so nothing new is pended.
     * Pending interactions are kept as pointers (no map look-up): one that
     * ended during the batch sits in the pool with its terminal state, and
     * the pool is reused only by sb_interaction_create, never in a batch. */
    sb_interaction **ixs = c->pend_ix;
    uint32_t k = 0;
    for (uint32_t i = 0; i < c->npend_ix; i++)
        if (ixs[i]->state == SB_IX_QUEUED) ixs[k++] = ixs[i];
    c->npend_ix = 0;
    if (k > 1) qsort_r(ixs, k, sizeof(*ixs), cmp_ix, &c->now);
    for (uint32_t i = 0; i < k; i++)
        if (i == 0 || ixs[i] != ixs[i - 1]) match_ix_now(c, ixs[i]);
    uint32_t n = unique(c->pend_agents, c->npend_agents);
    for (uint32_t i = 0; i < n; i++) {
        sb_agent *a = sb_map_get(&c->agents, c->pend_agents[i]);
        if (a) match_agent_now(c, a);
    }
    c->npend_agents = 0;
}
