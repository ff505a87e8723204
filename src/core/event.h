/* event.h: what the core tells the world.
 *
 * Events are plain values with a per-core sequence number that only grows.
 * Fields a type does not use are 0.  Together they are a complete account
 * of the routing state: replaying them rebuilds which interactions wait
 * where, in which order, which are offered or connected to whom, and each
 * agent's state.  The store journals them; the API streams them. */
#ifndef SB_CORE_EVENT_H
#define SB_CORE_EVENT_H

#include <stddef.h>
#include <stdint.h>

#define SB_EVENT_MAP(X)                                                      \
    X(AGENT_STATE, "agent.state")           /* agent, state, reason */      \
    X(IX_CREATED, "interaction.created")    /* ix, queue, channel, priority, value=arrived_at */ \
    X(IX_QUEUED, "interaction.queued")      /* ix, queue, reason, value=arrived_at, step */ \
    X(IX_STEP, "interaction.step")          /* ix, queue, step */            \
    X(IX_OFFERED, "interaction.offered")    /* ix, agent, queue, value=deadline */ \
    X(IX_ACCEPTED, "interaction.accepted")  /* ix, agent, queue */           \
    X(IX_REJECTED, "interaction.rejected")  /* ix, agent (now excluded) */   \
    X(IX_TIMED_OUT, "interaction.timed_out") /* ix, agent (now excluded) */  \
    X(IX_WITHDRAWN, "interaction.withdrawn") /* ix, agent: offer taken back */ \
    X(IX_WRAP_UP, "interaction.wrap_up")    /* ix, agent, value=deadline or 0 */ \
    X(IX_COMPLETED, "interaction.completed") /* ix, agent, code, reason */   \
    X(IX_ABANDONED, "interaction.abandoned") /* ix, queue */                \
    X(IX_CANCELED, "interaction.canceled")  /* ix, queue */                  \
    X(IX_ENDED, "interaction.ended")        /* ix, queue, reason */          \
    X(IX_TRANSFERRED, "interaction.transferred") /* ix, queue=to, queue2=from, agent=from agent, target=to agent, value=keep_arrival */ \
    X(IX_OVERFLOWED, "interaction.overflowed") /* ix, queue=to, queue2=from, reason */ \
    X(IX_PREFERRED, "interaction.preferred") /* ix, target agent, value=until (0 = no limit) */ \
    X(IX_ATTRS, "interaction.attributes")   /* ix */                          \
    X(QUEUE_OPEN, "queue.opened")           /* queue */                       \
    X(QUEUE_CLOSED, "queue.closed")         /* queue */

typedef enum sb_event_type {
    SB_EV_NONE = 0,
#define SB__EV_ENUM(name, str) SB_EV_##name,
    SB_EVENT_MAP(SB__EV_ENUM)
#undef SB__EV_ENUM
    SB_EV_COUNT
} sb_event_type;

/* Why something happened (IX_QUEUED, IX_COMPLETED, IX_ENDED, IX_OVERFLOWED). */
#define SB_REASON_MAP(X)                 \
    X(NONE, "none")                      \
    X(NEW, "new")                        \
    X(REQUEUE, "requeue")                \
    X(TRANSFER, "transfer")              \
    X(OVERFLOW, "overflow")              \
    X(FULL, "queue_full")                \
    X(MAX_WAIT, "max_wait")              \
    X(CLOSED, "queue_closed")            \
    X(WRAPUP_TIMEOUT, "wrapup_timeout")  \
    X(AGENT_LOGOUT, "agent_logout")      \
    X(PREFERRED_EXPIRED, "preferred_expired") \
    X(CONFIG, "config")

typedef enum sb_reason {
#define SB__REASON_ENUM(name, str) SB_REASON_##name,
    SB_REASON_MAP(SB__REASON_ENUM)
#undef SB__REASON_ENUM
} sb_reason;

typedef struct sb_event {
    uint64_t seq;
    int64_t at;      /* core time, ms */
    uint16_t type;   /* sb_event_type */
    uint8_t state;   /* AGENT_STATE: sb_agent_state */
    uint8_t channel; /* IX_CREATED */
    uint8_t reason;  /* sb_reason */
    uint8_t step;
    int32_t priority;
    uint32_t slot;   /* with ix: where the core keeps it (sb_interaction_end_hint) */
    uint64_t ix, agent, queue, queue2, target;
    uint64_t code;   /* wrap-up code, not-ready reason */
    int64_t value;   /* see the type's comment */
} sb_event;

/* "interaction.offered", ...; "unknown" for others. */
const char *sb_event_type_name(int type);
const char *sb_reason_name(int reason);

/* One line of text for an event ("#12 t=1500 interaction.offered ix=7
 * agent=3 ..."), only the fields the type uses; returns snprintf's count. */
int sb_event_format(const sb_event *e, char *buf, size_t size);

#endif
