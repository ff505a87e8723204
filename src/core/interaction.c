/* interaction.c: the life of an interaction: arrival, waiting, offers,
 * connection, wrap-up, the end, transfers and queue limits. */
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "core/core-i.h"

#define MAX_OVERFLOW_HOPS 8

static sb_interaction *find_ix(sb_core *c, sb_id id) { return sb_map_get(&c->interactions, id); }

static bool ix_live(const sb_interaction *ix) { return ix->state && ix->state < SB_IX_COMPLETED; }

/* Interaction `id`, reached through its slot when the slot still holds
 * it (a recycled one keeps its last id, but not a live state). */
static sb_interaction *find_ix_hint(sb_core *c, sb_id id, uint32_t slot) {
    sb_interaction *ix = sb_slab_at(&c->ix_slab, slot);
    if (ix == NULL) return find_ix(c, id);
    /* Line 1 (its slot for events, its timer) is read next: fetched with
     * line 0, not after it. */
    __builtin_prefetch((const char *)ix + 64);
    if (ix->id == id && ix_live(ix)) return ix;
    return find_ix(c, id);
}

bool sb__ix_excludes(const sb_interaction *ix, const sb_agent *a) {
    for (uint32_t i = 0; i < ix->nexcluded; i++)
        if (ix->excluded[i] == a->id) return true;
    return false;
}

bool sb__ix_offered_to(const sb_interaction *ix, const sb_agent *a) {
    for (uint32_t i = 0; i < ix->noffers; i++)
        if (ix->offers[i]->agent == a) return true;
    return false;
}

static void exclude(sb_interaction *ix, const sb_agent *a) {
    if (sb__ix_excludes(ix, a)) return;
    if (ix->nexcluded == ix->cap_excluded) {
        ix->cap_excluded = ix->cap_excluded ? ix->cap_excluded * 2 : 4;
        ix->excluded = sb_realloc(ix->excluded, ix->cap_excluded * sizeof(*ix->excluded));
    }
    ix->excluded[ix->nexcluded++] = a->id;
}

static void unexclude(sb_interaction *ix, const sb_agent *a) {
    for (uint32_t i = 0; i < ix->nexcluded; i++)
        if (ix->excluded[i] == a->id) ix->excluded[i] = ix->excluded[--ix->nexcluded];
}

/* Frees every interaction, live or recycled; the caller has unlinked
 * the live ones. */
void sb__ix_slab_free(sb_core *c) {
    for (uint32_t i = 0; i < sb_slab_count(&c->ix_slab); i++) {
        sb_interaction *ix = sb_slab_at(&c->ix_slab, i);
        for (uint32_t k = 0; k < ix->noffers; k++) sb_free(ix->offers[k]);
        if (ix->offers != ix->offer_buf) sb_free(ix->offers);
        sb_free(ix->excluded);
        sb_attrs_free(&ix->attrs);
    }
    sb_slab_free(&c->ix_slab);
    c->free_ix = NULL;
}

/* The pool hands out the interaction freed last, usually to the next
 * creation, which writes all its lines and its attribute array (found on
 * line 2).  Destroying touched lines 0 and 1 only: the others are fetched
 * now, while the rest of this call runs, and the array once line 2 is in
 * (fetch_attrs_of_next: at the end of the call, and again when the
 * creation starts). */
_Static_assert(sizeof(sb_interaction) == 256, "fetch_for_reuse: lines 2 and 3 are the last");
SB_HINT_FN void fetch_for_reuse(const sb_interaction *ix) {
    __builtin_prefetch((const char *)ix + 128, 1);
    __builtin_prefetch((const char *)ix + 192, 1);
}

SB_HINT_FN void fetch_attrs_of_next(const sb_core *c) {
    const sb_interaction *next = c->free_ix;
    if (next == NULL || next->attrs.items == NULL) return;
    const char *p = (const char *)next->attrs.items;
    __builtin_prefetch(p, 1);
    if (next->cap_attrs * sizeof(sb_attr) > 64) __builtin_prefetch(p + 64, 1);
}

/* A terminal interaction leaves the core: its events are its record.
 * Its memory goes to the core's pool, arrays kept for the next one. */
static void destroy(sb_core *c, sb_interaction *ix) {
    SB_ASSERT(ix->noffers == 0 && !ix->parked && !sb_wq_node_linked(&ix->qnode));
    sb__timer_disarm(c, &ix->timer);
    sb_map_del(&c->interactions, ix->id);
    ix->queue->nlive--;
    /* The array stays for the next one; without sets in it, it need not
     * even be read (it is usually cold by now). */
    if (ix->attr_sets) sb_attrs_clear(&ix->attrs); /* (len is reset by ix_new) */
    ix->next_free = c->free_ix;
    c->free_ix = ix;
    fetch_for_reuse(ix);
}

static sb_interaction *ix_new(sb_core *c) {
    sb_interaction *ix = c->free_ix;
    if (ix == NULL) {
        uint32_t slot;
        ix = sb_slab_carve(&c->ix_slab, &slot);
        ix->slot = slot;
        return ix;
    }
    c->free_ix = ix->next_free;
    sb_offer **offers = ix->offers;
    sb_id *excluded = ix->excluded;
    sb_attr *attrs = ix->attrs.items;
    uint32_t cap_offers = ix->cap_offers, cap_excluded = ix->cap_excluded, cap_attrs = ix->cap_attrs;
    uint32_t slot = ix->slot;
    memset(ix, 0, sizeof(*ix));
    ix->slot = slot;
    ix->offers = offers;
    ix->excluded = excluded;
    ix->attrs.items = attrs;
    ix->cap_offers = cap_offers;
    ix->cap_excluded = cap_excluded;
    ix->cap_attrs = cap_attrs;
    return ix;
}

static sb_offer *offer_new(sb_core *c) {
    sb_offer *o = c->free_offers;
    if (o == NULL) return sb_calloc(1, sizeof(*o));
    c->free_offers = o->next_free;
    memset(o, 0, sizeof(*o));
    return o;
}

void sb__pools_free(sb_core *c) {
    while (c->free_offers) {
        sb_offer *o = c->free_offers;
        c->free_offers = o->next_free;
        sb_free(o);
    }
}

/* ---- waiting ---- */

static void arm(sb_core *c, sb_interaction *ix) {
    const sb_queue *q = ix->queue;
    int64_t d = INT64_MAX;
    if (!ix->parked && ix->step + 1u < q->nsteps) d = ix->queued_at + q->after_ms[ix->step + 1];
    if (q->max_wait_ms && ix->queued_at + q->max_wait_ms < d) d = ix->queued_at + q->max_wait_ms;
    if (ix->parked && ix->preferred_until && ix->preferred_until < d) d = ix->preferred_until;
    if (d == INT64_MAX)
        sb__timer_disarm(c, &ix->timer);
    else if (ix->parked)
        sb__timer_arm(c, &ix->timer, d);
    else /* usually armed as its step begins: see sb__lane_bind */
        sb__timer_arm_lane(c, &ix->timer, d, q->tlane[ix->step]);
}

/* The interaction is queued: step, order key, parked for its preferred
 * agent or not, counted; wait_place puts it in its heap and arms it. */
static void wait_begin(sb_core *c, sb_interaction *ix) {
    sb_agent *p = ix->preferred;
    ix->state = SB_IX_QUEUED;
    ix->step = sb__queue_step_at(ix->queue, ix->queued_at, c->now);
    ix->key = sb__ix_key(ix);
    if (p && p->state != SB_AGENT_LOGGED_OUT && !sb__ix_excludes(ix, p) &&
        (ix->preferred_until == 0 || c->now < ix->preferred_until))
        sb__agent_park(p, ix);
    else
        ix->preferred = NULL;
    ix->queue->nwaiting++;
    c->nwaiting++;
}

static void wait_place(sb_core *c, sb_interaction *ix) {
    if (!ix->parked) sb__queue_insert(ix->queue, ix);
    arm(c, ix);
}

void sb__ix_wait(sb_core *c, sb_interaction *ix) {
    wait_begin(c, ix);
    wait_place(c, ix);
}

void sb__ix_unwait(sb_core *c, sb_interaction *ix) {
    if (ix->parked)
        sb__agent_unpark(ix->preferred, ix);
    else if (sb_wq_node_linked(&ix->qnode)) /* not placed: see sb__ix_enqueue */
        sb__queue_erase(ix->queue, ix);
    ix->queue->nwaiting--;
    c->nwaiting--;
    sb__timer_disarm(c, &ix->timer);
}

/* Outside a batch the match is immediate, and the interaction enters its
 * heap and arms its timer only if the match leaves it waiting: one that
 * an agent takes at once (nearly every arrival while agents are idle)
 * would only leave them again. */
void sb__ix_enqueue(sb_core *c, sb_interaction *ix, int reason) {
    bool direct = c->batch == 0;
    wait_begin(c, ix);
    if (!direct) wait_place(c, ix);
    sb_event *e = sb__emit(c, SB_EV_IX_QUEUED);
    sb__ev_ix(e, ix);
    e->queue = ix->queue->id;
    e->reason = (uint8_t)reason;
    e->value = ix->arrived_at;
    e->step = ix->step;
    sb__match_ix(c, ix);
    if (direct && ix->state == SB_IX_QUEUED) wait_place(c, ix);
}

/* Which queue takes an arrival for q, following closed and full rules.
 * NULL with *rc set when refused; *why the first rule that moved it. */
static sb_queue *admit(sb_core *c, sb_queue *q, int *rc, int *why) {
    *why = SB_REASON_NONE;
    for (int hop = 0; hop <= MAX_OVERFLOW_HOPS; hop++) {
        sb_id next;
        int reason;
        if (!q->open) {
            next = q->def.closed_overflow;
            reason = SB_REASON_CLOSED;
            *rc = SB_ECLOSED;
        } else if (q->max_length && q->nwaiting >= q->max_length) {
            next = q->def.full_overflow;
            reason = SB_REASON_FULL;
            *rc = SB_EFULL;
        } else {
            return q;
        }
        if (*why == SB_REASON_NONE) *why = reason;
        if (next == 0 || (q = sb_map_get(&c->queues, next)) == NULL) return NULL;
    }
    *rc = SB_EFULL; /* an overflow loop */
    return NULL;
}

static void move_queue(sb_interaction *ix, sb_queue *to) {
    ix->queue->nlive--;
    to->nlive++;
    ix->queue = to;
}

static void emit_overflow(sb_core *c, sb_interaction *ix, sb_id from, int reason) {
    sb_event *e = sb__emit(c, SB_EV_IX_OVERFLOWED);
    sb__ev_ix(e, ix);
    e->queue = ix->queue->id;
    e->queue2 = from;
    e->reason = (uint8_t)reason;
}

static void emit_preferred(sb_core *c, sb_interaction *ix) {
    sb_event *e = sb__emit(c, SB_EV_IX_PREFERRED);
    sb__ev_ix(e, ix);
    e->target = ix->preferred->id;
    e->value = ix->preferred_until;
}

static sb_member *member_of(const sb_agent *a, const sb_queue *q) {
    for (uint32_t i = 0; i < a->nmembers; i++)
        if (a->members[i]->queue == q) return a->members[i];
    return NULL;
}

sb_interaction *sb__ix_new(sb_core *c, const sb_interaction_def *d, sb_queue *q,
                           const sb_queue *asked, sb_attrs attrs) {
    sb_interaction *ix = ix_new(c);
    if (attrs.items == NULL) { /* none: its array stays for a later one */
        attrs.items = ix->attrs.items;
    } else if (attrs.items != ix->attrs.items) { /* not copied into its array */
        sb_free(ix->attrs.items);
        ix->cap_attrs = attrs.len;
    }
    ix->id = d->id;
    ix->queue = q;
    q->nlive++;
    ix->channel = d->channel;
    ix->priority = d->priority;
    ix->customer = d->customer;
    ix->attrs = attrs;
    ix->attr_sets = sb_attrs_has_sets(&attrs);
    ix->view.channel = c->ch_sym[d->channel];
    ix->view.priority = d->priority;
    ix->view.attrs = &ix->attrs;
    ix->arrived_at = d->arrived_at ? d->arrived_at : c->now;
    ix->queued_at = c->now;
    ix->order = ++c->order_seq;
    sb_wq_node_init(&ix->qnode);
    sb__timer_init(&ix->timer, SB_TIMER_IX);
    sb_map_put(&c->interactions, ix->id, ix);
    if (ix->id > c->ix_id_max) c->ix_id_max = ix->id;

    sb_event *e = sb__emit(c, SB_EV_IX_CREATED);
    sb__ev_ix(e, ix);
    e->queue = asked->id;
    e->channel = ix->channel;
    e->priority = ix->priority;
    e->value = ix->arrived_at;
    return ix;
}

int sb_interaction_create(sb_core *c, int64_t now, const sb_interaction_def *d) {
    sb__enter(c, now);
    if (d->id == 0 || d->channel >= SB_CH_COUNT) return SB_EINVAL;
    /* The map's slot for the id is usually cold: its fetch overlaps with
     * the queue's, whose rules are read first (what they decide is told
     * after the id's check, as always; reading them changes nothing). */
    sb_map_prefetch(&c->interactions, d->id);
    fetch_attrs_of_next(c);
    sb_queue *asked = sb_map_get(&c->queues, d->queue);
    int arc = SB_OK, why;
    sb_queue *q = asked ? admit(c, asked, &arc, &why) : NULL;
    /* Ids usually grow (the server's are sequence numbers): one above
     * every id the map has held cannot be in it, and its slot, cold in a
     * large map, is then only read by the insertion, fetched by now. */
    if (d->id <= c->ix_id_max && find_ix(c, d->id)) return SB_EEXIST;
    if (asked == NULL) return SB_ENOENT;
    /* When its steps apply (read to place it), and where it will wait
     * unless an agent takes it at once: hints. */
    if (q) __builtin_prefetch(q->after_ms);
    if (q && (!q->fifo || q->ring_mask == 0)) __builtin_prefetch(&q->waiting[0][d->channel]);
    sb_agent *pref = NULL;
    if (d->preferred_agent && (pref = sb_map_get(&c->agents, d->preferred_agent)) == NULL)
        return SB_ENOENT;
    if (d->preferred_wait_ms < 0) return SB_EINVAL;
    /* The attributes go into the array of the interaction the pool will
     * hand out next (sb__ix_new), when it has room. */
    sb_attrs attrs;
    sb_interaction *next = c->free_ix;
    sb_attr *buf = next && next->attrs.items && d->nattrs && d->nattrs <= next->cap_attrs
                       ? next->attrs.items
                       : NULL;
    int rc = sb_attrs_copy_into(&attrs, d->attrs, d->nattrs, buf);
    if (rc) return rc;
    if (q == NULL) {
        if (buf == NULL) sb_attrs_free(&attrs);
        else sb_attrs_clear(&attrs);
        return arc;
    }

    sb_interaction *ix = sb__ix_new(c, d, q, asked, attrs);
    if (pref) {
        ix->preferred = pref;
        ix->preferred_until = d->preferred_wait_ms ? c->now + d->preferred_wait_ms : 0;
    } else if (ix->customer && q->def.last_agent_ms) {
        /* The last agent is preferred only where the queue's rules allow
         * it: a member, eligible at some step.  An explicit preferred
         * agent (above) is the caller's decision and skips the rules. */
        sb_id last = (sb_id)(uintptr_t)sb_map_get(&c->last_agent, ix->customer);
        sb_agent *a = last ? sb_map_get(&c->agents, last) : NULL;
        sb_member *m = a ? member_of(a, q) : NULL;
        if (m && sb__member_eligible(m, ix, (uint8_t)(q->nsteps - 1))) {
            ix->preferred = a;
            ix->preferred_until = c->now + q->def.last_agent_ms;
        }
    }
    if (ix->preferred && ix->preferred->state == SB_AGENT_LOGGED_OUT) ix->preferred = NULL;
    if (q != asked) emit_overflow(c, ix, asked->id, why);
    if (ix->preferred) emit_preferred(c, ix);
    sb__ix_enqueue(c, ix, SB_REASON_NEW);
    return SB_OK;
}

/* ---- offers ---- */

void sb__ix_offer(sb_core *c, sb_interaction *ix, sb_agent *a) {
    if (ix->state == SB_IX_QUEUED) {
        sb__ix_unwait(c, ix);
        ix->state = SB_IX_OFFERED;
    }
    sb_offer *o = offer_new(c);
    o->ix = ix;
    o->agent = a;
    sb__timer_init(&o->timer, SB_TIMER_OFFER);
    sb__timer_arm(c, &o->timer, c->now + ix->queue->offer_timeout_ms);
    /* two inline; a broadcast may need more */
    if (sb__offers_push(&ix->offers, &ix->noffers, &ix->cap_offers, ix->offer_buf, o) == 0)
        sb_map_put(&c->offered, ix->id, ix);
    sb__agent_add_offer(a, o);
    c->noffers++;

    sb_queue *q = ix->queue;
    /* Only these selections key on offers; the others need not look up
     * the member (a walk over the agent's cold member objects). */
    sb_member *m = q->selection == SB_SEL_ROUND_ROBIN || q->selection == SB_SEL_RANDOM
                       ? member_of(a, q)
                       : NULL;
    if (m) {
        m->rr_stamp = ++q->rr_clock;
        sb__member_rekey(c, m);
        if (sb__member_linked(m)) sb__member_setkey(m, m->k1, m->k2);
    }
    sb__agent_take(c, a, ix->channel);

    sb_event *e = sb__emit(c, SB_EV_IX_OFFERED);
    sb__ev_ix(e, ix);
    e->agent = a->id;
    e->queue = q->id;
    e->value = o->timer.deadline;
}

/* Take the offer out of both sides and free it; capacity stays taken. */
static void offer_unlink(sb_core *c, sb_offer *o) {
    sb_interaction *ix = o->ix;
    for (uint32_t i = 0; i < ix->noffers; i++)
        if (ix->offers[i] == o) {
            ix->offers[i] = ix->offers[--ix->noffers];
            break;
        }
    if (ix->noffers == 0) sb_map_del(&c->offered, ix->id);
    sb__agent_del_offer(o->agent, o);
    sb__timer_disarm(c, &o->timer);
    c->noffers--;
    o->next_free = c->free_offers;
    c->free_offers = o;
}

static void emit_ix_agent(sb_core *c, int type, const sb_interaction *ix, const sb_agent *a) {
    sb_event *e = sb__emit(c, type);
    sb__ev_ix(e, ix);
    e->agent = a->id;
    e->queue = ix->queue->id;
}

/* Take an offer back.  With requeue, an interaction left without offers
 * goes back to its place and is matched again.  The agent is not
 * re-matched here: the caller does it when the moment is right. */
void sb__offer_withdraw(sb_core *c, sb_offer *o, bool requeue) {
    sb_interaction *ix = o->ix;
    sb_agent *a = o->agent;
    emit_ix_agent(c, SB_EV_IX_WITHDRAWN, ix, a);
    offer_unlink(c, o);
    sb__agent_release(c, a, ix->channel);
    if (requeue && ix->noffers == 0) sb__ix_enqueue(c, ix, SB_REASON_REQUEUE);
}

/* Withdraw every offer of ix (no requeue); returns the agents to re-match
 * (caller frees the array), *n their count. */
static sb_agent **drop_offers(sb_core *c, sb_interaction *ix, uint32_t *n) {
    *n = ix->noffers;
    if (*n == 0) return NULL;
    sb_agent **agents = sb_malloc(*n * sizeof(*agents));
    for (uint32_t i = 0; i < *n; i++) {
        agents[i] = ix->offers[0]->agent;
        sb__offer_withdraw(c, ix->offers[0], false);
    }
    return agents;
}

/* Agents let go together are matched as one batch. */
static void rematch(sb_core *c, sb_agent **agents, uint32_t n) {
    sb__batch_begin(c);
    for (uint32_t i = 0; i < n; i++) sb__match_agent(c, agents[i]);
    sb__batch_end(c);
    sb_free(agents);
}

/* The offer of interaction `id` to `agent`, or NULL with *rc set.  The
 * small map of interactions with offers leads to it: the maps of agents
 * and interactions are large and cold, and are only needed to tell the
 * two errors apart. */
static sb_offer *find_offer(sb_core *c, sb_id agent, sb_id id, int *rc) {
    const sb_interaction *ix = sb_map_get(&c->offered, id);
    for (uint32_t i = 0; ix && i < ix->noffers; i++)
        if (ix->offers[i]->agent->id == agent) {
            *rc = SB_OK;
            return ix->offers[i];
        }
    *rc = sb_map_get(&c->agents, agent) == NULL || find_ix(c, id) == NULL ? SB_ENOENT : SB_ESTATE;
    return NULL;
}

void sb__ix_connect(sb_core *c, sb_interaction *ix, sb_agent *a) {
    ix->state = SB_IX_CONNECTED;
    ix->agent = a;
    a->nwork++;
    if (ix->customer) sb_map_put(&c->last_agent, ix->customer, (void *)(uintptr_t)a->id);
    emit_ix_agent(c, SB_EV_IX_ACCEPTED, ix, a);
}

int sb_offer_accept(sb_core *c, int64_t now, sb_id agent, sb_id id) {
    sb__enter(c, now);
    int rc;
    sb_offer *o = find_offer(c, agent, id, &rc);
    if (o == NULL) return rc;
    sb_interaction *ix = o->ix;
    sb_agent *a = o->agent;
    offer_unlink(c, o);
    sb__ix_connect(c, ix, a);
    uint32_t n;
    sb_agent **others = drop_offers(c, ix, &n);
    if (others) rematch(c, others, n);
    return SB_OK;
}

/* The agent turned the offer down, by word (reject) or by silence
 * (timeout): it is excluded and the interaction goes back to its place. */
static void decline(sb_core *c, sb_offer *o, int type) {
    sb_interaction *ix = o->ix;
    sb_agent *a = o->agent;
    offer_unlink(c, o);
    exclude(ix, a);
    emit_ix_agent(c, type, ix, a);
    if (type == SB_EV_IX_TIMED_OUT) {
        if (a->state == SB_AGENT_WRAP_UP) {
            a->after_wrap = SB_AGENT_NOT_RESPONDING;
            a->after_wrap_reason = 0;
        }
        else if (a->state == SB_AGENT_READY || a->state == SB_AGENT_NOT_READY)
            sb__agent_set_state(c, a, SB_AGENT_NOT_RESPONDING, 0);
    }
    sb__agent_release(c, a, ix->channel);
    if (ix->noffers == 0) sb__ix_enqueue(c, ix, SB_REASON_REQUEUE);
    sb__match_agent(c, a);
}

int sb_offer_reject(sb_core *c, int64_t now, sb_id agent, sb_id id) {
    sb__enter(c, now);
    int rc;
    sb_offer *o = find_offer(c, agent, id, &rc);
    if (o) decline(c, o, SB_EV_IX_REJECTED);
    return rc;
}

void sb__offer_fire(sb_core *c, sb_offer *o) { decline(c, o, SB_EV_IX_TIMED_OUT); }

/* ---- connected work ends ---- */

/* The agent lets go of connected or wrap-up work. */
static sb_agent *detach_agent(sb_core *c, sb_interaction *ix) {
    sb_agent *a = ix->agent;
    ix->agent = NULL;
    a->nwork--;
    a->idle_since = c->now;
    if (ix->state == SB_IX_WRAP_UP && --a->nwrap == 0)
        sb__agent_set_state(c, a, a->after_wrap, a->after_wrap_reason);
    sb__agent_release(c, a, ix->channel);
    return a;
}

static void complete(sb_core *c, sb_interaction *ix, sb_id code, int reason) {
    sb_event *e = sb__emit(c, SB_EV_IX_COMPLETED);
    sb__ev_ix(e, ix);
    /* The freed agent's memberships are read next (the choice of its next
     * work, or linking): fetched with the agent (usually inside it, whose
     * address is known now), overlapping with the bookkeeping below. */
    const sb_agent *fa = ix->agent;
    __builtin_prefetch(&fa->mref_buf[0]);
    __builtin_prefetch(&fa->mref_buf[SB_MREFS_INLINE / 2]);
    e->agent = fa->id;
    e->queue = ix->queue->id;
    e->code = code;
    e->reason = (uint8_t)reason;
    sb__match_prefetch(c, fa);
    sb_agent *a = detach_agent(c, ix);
    ix->state = SB_IX_COMPLETED;
    destroy(c, ix);
    sb__match_agent(c, a);
    fetch_attrs_of_next(c); /* its line 2 has come in meanwhile */
}

void sb__ix_wrap_up(sb_core *c, sb_interaction *ix, int64_t deadline) {
    const sb_queue_def *qd = &ix->queue->def;
    sb_agent *a = ix->agent;
    ix->state = SB_IX_WRAP_UP;
    if (a->nwrap++ == 0) {
        a->after_wrap = a->state;
        a->after_wrap_reason = a->reason;
        sb__agent_set_state(c, a, SB_AGENT_WRAP_UP, 0);
    }
    ix->wrap_deadline = 0;
    if (qd->wrapup == SB_WRAPUP_MANDATORY_TIMEOUT) {
        ix->wrap_deadline = deadline ? deadline : c->now + qd->wrapup_timeout_ms;
        sb__timer_arm(c, &ix->timer, ix->wrap_deadline);
    }
    sb_event *e = sb__emit(c, SB_EV_IX_WRAP_UP);
    sb__ev_ix(e, ix);
    e->agent = a->id;
    e->queue = ix->queue->id;
    e->value = ix->wrap_deadline;
}

int sb_interaction_end(sb_core *c, int64_t now, sb_id id) {
    return sb_interaction_end_hint(c, now, id, UINT32_MAX);
}

int sb_interaction_end_hint(sb_core *c, int64_t now, sb_id id, uint32_t slot) {
    sb__enter(c, now);
    /* Its map slot is read again when it leaves (a completion): fetched
     * alongside the interaction, not after it. */
    sb_map_prefetch(&c->interactions, id);
    sb_interaction *ix = find_ix_hint(c, id, slot);
    if (ix == NULL) return SB_ENOENT;
    if (ix->state != SB_IX_CONNECTED) return SB_ESTATE;
    if (ix->queue->wrapup == SB_WRAPUP_NONE) { /* the hot copy of the def's */
        complete(c, ix, 0, SB_REASON_NONE);
        return SB_OK;
    }
    sb__ix_wrap_up(c, ix, 0);
    return SB_OK;
}

int sb_wrapup_complete(sb_core *c, int64_t now, sb_id id, sb_id code) {
    sb__enter(c, now);
    sb_interaction *ix = find_ix(c, id);
    if (ix == NULL) return SB_ENOENT;
    if (ix->state != SB_IX_WRAP_UP) return SB_ESTATE;
    int mode = ix->queue->def.wrapup;
    if (code == 0 && (mode == SB_WRAPUP_MANDATORY || mode == SB_WRAPUP_MANDATORY_TIMEOUT))
        return SB_EWRAPUP;
    complete(c, ix, code, SB_REASON_NONE);
    return SB_OK;
}

/* ---- leaving while waiting ---- */

static int leave(sb_core *c, int64_t now, sb_id id, int type, int state) {
    sb__enter(c, now);
    sb_interaction *ix = find_ix(c, id);
    if (ix == NULL) return SB_ENOENT;
    if (ix->state != SB_IX_QUEUED && ix->state != SB_IX_OFFERED) return SB_ESTATE;
    uint32_t n = 0;
    sb_agent **agents = NULL;
    if (ix->state == SB_IX_QUEUED)
        sb__ix_unwait(c, ix);
    else
        agents = drop_offers(c, ix, &n);
    sb_event *e = sb__emit(c, type);
    sb__ev_ix(e, ix);
    e->queue = ix->queue->id;
    ix->state = (uint8_t)state;
    destroy(c, ix);
    if (agents) rematch(c, agents, n);
    return SB_OK;
}

int sb_interaction_abandon(sb_core *c, int64_t now, sb_id id) {
    return leave(c, now, id, SB_EV_IX_ABANDONED, SB_IX_ABANDONED);
}

int sb_interaction_cancel(sb_core *c, int64_t now, sb_id id) {
    return leave(c, now, id, SB_EV_IX_CANCELED, SB_IX_CANCELED);
}

/* ---- transfers ---- */

/* Take a queued or connected interaction out of where it is, ready to be
 * queued again; returns the agent it leaves (to re-match), or NULL. */
static sb_agent *take_out(sb_core *c, sb_interaction *ix) {
    if (ix->state == SB_IX_QUEUED) {
        sb__ix_unwait(c, ix);
        return NULL;
    }
    return detach_agent(c, ix);
}

static void emit_transfer(sb_core *c, sb_interaction *ix, sb_id from_q, sb_agent *from,
                          sb_id to_agent, bool keep) {
    sb_event *e = sb__emit(c, SB_EV_IX_TRANSFERRED);
    sb__ev_ix(e, ix);
    e->queue = ix->queue->id;
    e->queue2 = from_q;
    e->agent = from ? from->id : 0;
    e->target = to_agent;
    e->value = keep;
}

int sb_interaction_transfer_queue(sb_core *c, int64_t now, sb_id id, sb_id queue, bool keep) {
    sb__enter(c, now);
    sb_interaction *ix = find_ix(c, id);
    if (ix == NULL) return SB_ENOENT;
    sb_queue *asked = sb_map_get(&c->queues, queue);
    if (asked == NULL) return SB_ENOENT;
    if (ix->state != SB_IX_QUEUED && ix->state != SB_IX_CONNECTED) return SB_ESTATE;
    int rc, why;
    sb_id from_q = ix->queue->id;
    if (ix->state == SB_IX_QUEUED) ix->queue->nwaiting--; /* it leaves: don't count it as full */
    sb_queue *q = admit(c, asked, &rc, &why);
    if (ix->state == SB_IX_QUEUED) ix->queue->nwaiting++;
    if (q == NULL) return rc;
    sb_agent *from = take_out(c, ix);
    move_queue(ix, q);
    if (!keep) {
        ix->arrived_at = c->now;
        ix->order = ++c->order_seq;
    }
    ix->queued_at = c->now;
    ix->nexcluded = 0;
    ix->preferred = NULL;
    emit_transfer(c, ix, from_q, from, 0, keep);
    if (q != asked) emit_overflow(c, ix, asked->id, why);
    sb__ix_enqueue(c, ix, SB_REASON_TRANSFER);
    if (from) sb__match_agent(c, from);
    return SB_OK;
}

int sb_interaction_transfer_agent(sb_core *c, int64_t now, sb_id id, sb_id agent, int64_t wait_ms) {
    sb__enter(c, now);
    sb_interaction *ix = find_ix(c, id);
    sb_agent *to = sb_map_get(&c->agents, agent);
    if (ix == NULL || to == NULL) return SB_ENOENT;
    if (ix->state != SB_IX_QUEUED && ix->state != SB_IX_CONNECTED) return SB_ESTATE;
    if (wait_ms < 0 || ix->agent == to) return SB_EINVAL;
    if (to->state == SB_AGENT_LOGGED_OUT) return SB_ESTATE;
    sb_agent *from = take_out(c, ix);
    unexclude(ix, to);
    ix->preferred = to;
    ix->preferred_until = wait_ms ? c->now + wait_ms : 0;
    ix->queued_at = c->now;
    emit_transfer(c, ix, ix->queue->id, from, to->id, true);
    emit_preferred(c, ix);
    sb__ix_enqueue(c, ix, SB_REASON_TRANSFER);
    if (from) sb__match_agent(c, from);
    return SB_OK;
}

int sb_interaction_set_attrs(sb_core *c, int64_t now, sb_id id, const sb_attr *attrs, uint32_t n) {
    sb__enter(c, now);
    sb_interaction *ix = find_ix(c, id);
    if (ix == NULL) return SB_ENOENT;
    sb_attrs copy;
    int rc = sb_attrs_copy(&copy, attrs, n);
    if (rc) return rc;
    sb_attrs_free(&ix->attrs);
    ix->attrs = copy;
    ix->cap_attrs = n;
    ix->attr_sets = sb_attrs_has_sets(&copy);
    sb_event *e = sb__emit(c, SB_EV_IX_ATTRS);
    sb__ev_ix(e, ix);
    e->queue = ix->queue->id;
    if (ix->state == SB_IX_QUEUED && ix->queue->any_mixed) sb__match_ix(c, ix);
    return SB_OK;
}

/* ---- timers ---- */

static void max_wait(sb_core *c, sb_interaction *ix) {
    sb_id from = ix->queue->id;
    sb__ix_unwait(c, ix);
    sb_queue *to = ix->queue->def.max_wait_overflow
                       ? sb_map_get(&c->queues, ix->queue->def.max_wait_overflow)
                       : NULL;
    int rc, why;
    sb_queue *q = to ? admit(c, to, &rc, &why) : NULL;
    if (q) {
        move_queue(ix, q);
        ix->queued_at = c->now;
        ix->preferred = NULL;
        emit_overflow(c, ix, from, SB_REASON_MAX_WAIT);
        sb__ix_enqueue(c, ix, SB_REASON_OVERFLOW);
        return;
    }
    sb_event *e = sb__emit(c, SB_EV_IX_ENDED);
    sb__ev_ix(e, ix);
    e->queue = from;
    e->reason = SB_REASON_MAX_WAIT;
    ix->state = SB_IX_ENDED;
    destroy(c, ix);
}

void sb__ix_fire(sb_core *c, sb_interaction *ix) {
    if (ix->state == SB_IX_WRAP_UP) {
        complete(c, ix, 0, SB_REASON_WRAPUP_TIMEOUT);
        return;
    }
    SB_ASSERT(ix->state == SB_IX_QUEUED);
    const sb_queue *q = ix->queue;
    /* The waiting queue it may leave (a hint: fetched with the rules). */
    if (!ix->parked) __builtin_prefetch(&q->waiting[ix->hstep][ix->channel]);
    if (q->max_wait_ms && c->now >= ix->queued_at + q->max_wait_ms) {
        max_wait(c, ix);
        return;
    }
    if (ix->parked) {
        if (ix->preferred_until && c->now >= ix->preferred_until) {
            sb__ix_unwait(c, ix);
            ix->preferred = NULL;
            sb__ix_enqueue(c, ix, SB_REASON_PREFERRED_EXPIRED);
        } else {
            arm(c, ix);
        }
        return;
    }
    uint8_t step = sb__queue_step_at(q, ix->queued_at, c->now);
    if (step != ix->step) {
        /* The waiting queue it enters, fetched while it leaves its own. */
        __builtin_prefetch(&ix->queue->waiting[step][ix->channel]);
        sb__queue_erase(ix->queue, ix);
        ix->step = step;
        sb__queue_insert(ix->queue, ix);
        sb_event *e = sb__emit(c, SB_EV_IX_STEP);
        sb__ev_ix(e, ix);
        e->queue = q->id;
        e->step = step;
    }
    arm(c, ix);
    sb__match_ix(c, ix);
}

/* ---- queries ---- */

int sb_interaction_info(const sb_core *c, sb_id id, sb_ix_info *out) {
    const sb_interaction *ix = sb_map_get(&c->interactions, id);
    if (ix == NULL) return SB_ENOENT;
    memset(out, 0, sizeof(*out));
    out->state = ix->state;
    out->channel = ix->channel;
    out->queue = ix->queue->id;
    out->agent = ix->agent ? ix->agent->id : 0;
    out->priority = ix->priority;
    out->arrived_at = ix->arrived_at;
    out->queued_at = ix->queued_at;
    out->step = ix->step;
    out->offers = ix->noffers;
    return SB_OK;
}
