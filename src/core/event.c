/* event.c: events as text, for logs, the demo and tests. */
#include <stdbool.h>
#include <stdio.h>

#include "core/core.h"

int sb_event_format(const sb_event *e, char *buf, size_t size) {
    int n = snprintf(buf, size, "#%llu t=%lld %s", (unsigned long long)e->seq, (long long)e->at,
                     sb_event_type_name(e->type));
/* Like snprintf, the count is the full length even when buf is short. */
#define FIELD(cond, fmt, val)                                                      \
    do {                                                                           \
        if ((cond) && n >= 0) {                                                    \
            bool fits_ = (size_t)n < size;                                         \
            n += snprintf(fits_ ? buf + n : NULL, fits_ ? size - (size_t)n : 0, fmt, val); \
        }                                                                          \
    } while (0)
    FIELD(e->ix, " ix=%llu", (unsigned long long)e->ix);
    FIELD(e->agent, " agent=%llu", (unsigned long long)e->agent);
    FIELD(e->type == SB_EV_AGENT_STATE, " state=%s", sb_agent_state_name(e->state));
    FIELD(e->queue, " queue=%llu", (unsigned long long)e->queue);
    FIELD(e->queue2, " from=%llu", (unsigned long long)e->queue2);
    FIELD(e->target, " target=%llu", (unsigned long long)e->target);
    FIELD(e->type == SB_EV_IX_CREATED, " channel=%s", sb_channel_name(e->channel));
    FIELD(e->type == SB_EV_IX_CREATED, " priority=%d", e->priority);
    FIELD(e->type == SB_EV_IX_QUEUED || e->type == SB_EV_IX_STEP, " step=%u", e->step);
    FIELD(e->reason, " reason=%s", sb_reason_name(e->reason));
    FIELD(e->code, " code=%llu", (unsigned long long)e->code);
    FIELD(e->value && (e->type == SB_EV_IX_OFFERED || e->type == SB_EV_IX_WRAP_UP),
          " deadline=%lld", (long long)e->value);
    FIELD(e->value && e->type == SB_EV_IX_PREFERRED, " until=%lld", (long long)e->value);
#undef FIELD
    return n;
}
