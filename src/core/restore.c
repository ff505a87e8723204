/* restore.c: putting work back after a restart.
 *
 * An interaction that was connected to an agent, or in wrap-up with one,
 * when the process stopped goes straight back onto that agent: no routing
 * and no offer, but the same steps the accept and end paths take (the
 * agent's capacity, its work count, the customer's last agent, wrap-up
 * state and timer), so from then on it is indistinguishable from one that
 * was offered and accepted. */
#include "base/status.h"
#include "core/core-i.h"

/* Capacity is taken, not checked: the work exists whether or not the
 * agent's profile (perhaps changed across the restart) would have let it
 * be offered; an agent over its capacity is simply offered nothing until
 * enough of it ends.  Membership in the queue is not required either (a
 * transfer to an agent reaches non-members).  The queue's open/closed
 * state and length limits do not apply: the interaction is not waiting.
 * preferred_agent and preferred_wait_ms are not used, for the same reason.
 * A wrap-up interaction is restored in wrap-up even if its queue's mode
 * is now "none"; sb_wrapup_complete finishes it. */
int sb_interaction_restore(sb_core *c, int64_t now, const sb_interaction_def *d, uint8_t state,
                           sb_id agent, int64_t wrapup_deadline) {
    sb__enter(c, now);
    if (d->id == 0 || d->channel >= SB_CH_COUNT) return SB_EINVAL;
    if (state != SB_IX_CONNECTED && state != SB_IX_WRAP_UP) return SB_EINVAL;
    if (state == SB_IX_WRAP_UP && wrapup_deadline < 0) return SB_EINVAL;
    if (sb_map_get(&c->interactions, d->id)) return SB_EEXIST;
    sb_queue *q = sb_map_get(&c->queues, d->queue);
    sb_agent *a = sb_map_get(&c->agents, agent);
    if (q == NULL || a == NULL) return SB_ENOENT;
    if (a->state == SB_AGENT_LOGGED_OUT) return SB_ESTATE;
    sb_attrs attrs;
    int rc = sb_attrs_copy(&attrs, d->attrs, d->nattrs);
    if (rc) return rc;

    sb_interaction *ix = sb__ix_new(c, d, q, q, attrs);
    /* When it last started waiting is not known; its arrival stands in
     * (informational only: nothing routes on it until it waits again,
     * and every way back to waiting sets it afresh). */
    ix->queued_at = ix->arrived_at;
    /* As an offer would have, then as the accept does.  Taking capacity
     * only ever narrows what the agent may be offered: nothing to match. */
    sb__agent_take(c, a, ix->channel);
    sb__ix_connect(c, ix, a);
    if (state == SB_IX_WRAP_UP) sb__ix_wrap_up(c, ix, wrapup_deadline);
    return SB_OK;
}
