/* core-i.h: functions shared between the files of src/core (sb__ prefix).
 * Nothing outside src/core includes it. */
#ifndef SB_CORE_CORE_I_H
#define SB_CORE_CORE_I_H

#include "core/core-t.h"

/* core.c: outbox and timers */
sb_event *sb__emit(sb_core *c, int type);
/* An event names interaction ix: its id and its slot. */
static inline void sb__ev_ix(sb_event *e, const sb_interaction *ix) {
    e->ix = ix->id;
    e->slot = ix->slot;
}
void sb__timer_init(sb_timer *t, uint8_t kind);
/* Arm (or re-arm) t to fire at deadline, in the heap. */
void sb__timer_arm(sb_core *c, sb_timer *t, int64_t deadline);
/* The same, at the end of the lane (see sb__lane_bind) when it keeps the
 * lane sorted, else in the heap.  The lane changes only where t waits,
 * never when it fires. */
void sb__timer_arm_lane(sb_core *c, sb_timer *t, int64_t deadline, uint32_t lane);
void sb__timer_disarm(sb_core *c, sb_timer *t);
/* The lane for timers armed `start` after a time that only grows (an
 * interaction's queued_at: a queue's step begins after_ms after it) to
 * fire `delay` after it: their deadlines come in order.  Shared by every
 * user of the same pair; the caller holds a reference until it unbinds
 * it. */
uint32_t sb__lane_bind(sb_core *c, int64_t start, int64_t delay);
void sb__lane_unbind(sb_core *c, uint32_t lane);
/* Fire due timers and move the clock; every public mutator starts here. */
void sb__enter(sb_core *c, int64_t now);

/* agent.c */
/* The channels an agent of this profile may take while it has no work. */
uint8_t sb__profile_idle_avail(const sb_profile_def *p);
bool sb__agent_can_take(const sb_agent *a, int ch);
/* Reserve or release capacity for one interaction on ch. */
void sb__agent_take(sb_core *c, sb_agent *a, int ch);
void sb__agent_release(sb_core *c, sb_agent *a, int ch);
void sb__agent_set_state(sb_core *c, sb_agent *a, int state, sb_id reason);
/* Bring routability, ready-tree contention and keys in line with the
 * agent's state and capacity (linking itself waits for sb__settle). */
void sb__agent_sync(sb_core *c, sb_agent *a);
/* Link the agents that became routable since the last call into the
 * ready trees; every reader of the trees calls it first. */
void sb__settle(sb_core *c);
/* Append o to a list of offers (*v, *n of *cap) that starts in its two
 * inline slots and moves to the heap beyond them; o's index. */
uint32_t sb__offers_push(sb_offer ***v, uint32_t *n, uint32_t *cap, sb_offer **inline2, sb_offer *o);
void sb__agent_add_offer(sb_agent *a, sb_offer *o);
void sb__agent_del_offer(sb_agent *a, sb_offer *o);
void sb__agent_park(sb_agent *a, sb_interaction *ix);
void sb__agent_unpark(sb_agent *a, sb_interaction *ix);
/* Recompute the selection key of a member (agent x queue). */
void sb__member_rekey(sb_core *c, sb_member *m);

/* queue.c */
/* Does x wait ahead of y in their (common) queue? */
bool sb__ix_before(const sb_interaction *x, const sb_interaction *y);
/* Put a queued interaction in its queue's heap for its current step. */
void sb__queue_insert(sb_queue *q, sb_interaction *ix);
void sb__queue_erase(sb_queue *q, sb_interaction *ix);
/* The step that applies after waiting since queued_at. */
uint8_t sb__queue_step_at(const sb_queue *q, int64_t queued_at, int64_t now);
/* Is the member allowed to take ix if ix were at `step`? */
bool sb__member_eligible(const sb_member *m, const sb_interaction *ix, uint8_t step);
/* Re-evaluate a member's step masks from its agent's attributes. */
void sb__member_eval(sb_member *m);
/* Enter / leave the queue's ready structure.  A tree member's link and
 * unlink are no-ops when already so; a fifo member is linked with its
 * agent's ring key and never unlinked alone (its agent's epoch bump
 * retires all its entries). */
void sb__member_link(sb_core *c, sb_member *m);
void sb__member_unlink(sb_member *m);
/* A ring entry for the agent in `slot` (whose epoch is `epoch`) with key
 * k2, in key order, in ring (qslot, step, band). */
void sb__ring_insert(sb_core *c, sb_ring *r, int64_t k2, uint32_t slot);
static inline sb_ring *sb__ring(sb_core *c, uint32_t qslot, uint8_t step, uint8_t band) {
    return &c->rings[step][band][qslot];
}
static inline void sb__ring_push(sb_core *c, uint32_t qslot, uint8_t step, uint8_t band, int64_t k2,
                                 uint32_t slot, uint32_t epoch) {
    sb_ring *r = sb__ring(c, qslot, step, band);
    uint32_t end = r->end;
    /* An empty ring becomes non-empty: the queue's mask says so (read by
     * a search before any ring header). */
    if (end == r->head) c->qptrs[qslot]->ring_mask |= (uint16_t)(1u << (step * 2 + band));
    /* The usual case: room at the end, and the greatest key. */
    if (end < r->cap && (end == r->head || r->last < k2)) {
        r->v[end] = (sb_rent){k2, slot, epoch};
        r->end = end + 1;
        r->last = k2;
    } else {
        sb__ring_insert(c, r, k2, slot);
    }
}
void sb__ring_clear(sb_ring *r);
bool sb__member_linked(const sb_member *m);
/* The member's selection key as a tree key. */
sb_hkey sb__member_key(const sb_member *m);
/* Give a tree member in contention new key parts. */
void sb__member_setkey(sb_member *m, int64_t k1, int64_t k2);
sb_member *sb__member_add(sb_queue *q, sb_agent *a);
void sb__member_del(sb_member *m);
/* The order key of ix in its queue (greater is better), static in time. */
int64_t sb__ix_key(const sb_interaction *ix);
/* Score of ix at now, comparable across queues (greater is better). */
int64_t sb__ix_score(const sb_interaction *ix, int64_t now);

/* interaction.c */
/* The interaction (queue and times set) starts or resumes waiting:
 * parked for a preferred agent or in the heaps, its timer armed.  The
 * caller matches it (sb__match_ix) when the moment is right. */
void sb__ix_wait(sb_core *c, sb_interaction *ix);
/* Stop waiting: out of heap or parked list, timer disarmed. */
void sb__ix_unwait(sb_core *c, sb_interaction *ix);
/* Wait, emit interaction.queued with the reason, and match. */
void sb__ix_enqueue(sb_core *c, sb_interaction *ix, int reason);
void sb__ix_offer(sb_core *c, sb_interaction *ix, sb_agent *a);
/* A new interaction from d in queue q, which owns attrs from now on: in
 * the core's map, counted live in q, interaction.created emitted (with
 * `asked`, the queue the caller named).  Its state and place are the
 * caller's to set. */
sb_interaction *sb__ix_new(sb_core *c, const sb_interaction_def *d, sb_queue *q,
                           const sb_queue *asked, sb_attrs attrs);
/* ix is now connected to a, whose capacity it already holds: the agent's
 * work count, the customer's last agent, interaction.accepted. */
void sb__ix_connect(sb_core *c, sb_interaction *ix, sb_agent *a);
/* Connected ix enters wrap-up with its agent (the agent into wrap-up with
 * its first such interaction).  In mandatory_timeout mode it completes on
 * its own at deadline (0: now + the queue's timeout). */
void sb__ix_wrap_up(sb_core *c, sb_interaction *ix, int64_t deadline);
void sb__ix_fire(sb_core *c, sb_interaction *ix);
void sb__offer_fire(sb_core *c, sb_offer *o);
bool sb__ix_excludes(const sb_interaction *ix, const sb_agent *a);
bool sb__ix_offered_to(const sb_interaction *ix, const sb_agent *a);

/* match.c */
/* Offer ix to the best eligible routable agent(s), if any.  Inside a
 * batch the match waits for the batch's end. */
void sb__match_ix(sb_core *c, sb_interaction *ix);
/* Offer the agent the best work it may take, while it has capacity.
 * Inside a batch, deferred likewise. */
void sb__match_agent(sb_core *c, sb_agent *a);
/* Start fetching what sb__match_agent will read of agent a's queues (a
 * hint, for a caller with other work to do first). */
void sb__match_prefetch(const sb_core *c, const sb_agent *a);
/* A batch releases several interactions or agents at one instant (timers
 * with one deadline, a logout, a queue redefined).  Matching them one by
 * one as they are released would let the first released win; instead the
 * batch's end matches the interactions best first (score, arrival,
 * enqueue order), then the agents in id order.  Batches nest. */
void sb__batch_begin(sb_core *c);
void sb__batch_end(sb_core *c);

#endif
