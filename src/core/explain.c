/* explain.c: why is this interaction still waiting?  Read-only, O(queue
 * size + members): it is asked by people, not on the routing path. */
#include <string.h>

#include "base/status.h"
#include "core/core-i.h"

int sb_interaction_explain(sb_core *c, int64_t now, sb_id id, sb_explain *out) {
    sb__enter(c, now);
    const sb_interaction *ix = sb_map_get(&c->interactions, id);
    if (ix == NULL) return SB_ENOENT;
    const sb_queue *q = ix->queue;
    memset(out, 0, sizeof(*out));
    out->state = ix->state;
    out->waiting = q->nwaiting;
    out->step = ix->step;
    out->nsteps = (uint8_t)q->nsteps;
    out->members = q->nmembers;
    out->excluded = ix->nexcluded;
    out->next_step_at = -1;
    if (ix->state != SB_IX_QUEUED) return SB_OK;

    /* Parked interactions wait too, outside the heaps: walk them all. */
    out->position = 1;
    uint64_t k;
    void *v;
    for (uint32_t i = 0; sb_map_next(&c->interactions, &i, &k, &v);) {
        const sb_interaction *o = v;
        if (o != ix && o->queue == q && o->state == SB_IX_QUEUED && sb__ix_before(o, ix))
            out->position++;
    }
    if (ix->step + 1u < q->nsteps) out->next_step_at = ix->queued_at + q->steps[ix->step + 1].after_ms;
    if (ix->parked) {
        out->preferred_agent = ix->preferred->id;
        out->preferred_until = ix->preferred_until;
    }
    for (uint32_t i = 0; i < q->nmembers; i++) {
        const sb_member *m = q->members[i];
        const sb_agent *a = m->agent;
        if (!sb__member_eligible(m, ix, ix->step) || sb__ix_excludes(ix, a)) continue;
        out->eligible++;
        if (a->state == SB_AGENT_READY) {
            if (a->avail_mask & SB_CH_BIT(ix->channel))
                out->available++;
            else
                out->blocked_by_capacity++;
        } else if (a->state != SB_AGENT_LOGGED_OUT) {
            out->not_ready++;
        }
    }
    return SB_OK;
}
