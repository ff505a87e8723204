/* core.h: the routing engine.
 *
 * One sb_core holds one tenant: its agents, queues, capacity profiles and
 * live interactions, and nothing else; tenants share nothing.  The core is
 * pure and deterministic: no I/O, no clock, no threads.  Every call takes
 * `now` in milliseconds (a clock that never goes back; an earlier value is
 * treated as the latest seen).  Timers are data: sb_core_next_deadline()
 * says when the caller must call sb_core_advance().  Every mutating call
 * first fires the timers due at `now`, so a late caller sees the same
 * results as a punctual one.
 *
 * Every change is recorded as an sb_event in an outbox with a sequence
 * number that only grows; the caller drains it (sb_core_events /
 * sb_core_events_clear).  The events say enough to rebuild the state.
 *
 * Ids (agents, queues, profiles, interactions, reasons, wrap-up codes) are
 * the caller's non-zero 64-bit numbers.  Terminal interactions are dropped
 * from memory at once: the events are their record.
 *
 * Return values: SB_OK or a negative sb_status (base/status.h). */
#ifndef SB_CORE_CORE_H
#define SB_CORE_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/intern.h"
#include "core/event.h"
#include "core/expr.h"
#include "core/value.h"

typedef uint64_t sb_id;
typedef struct sb_core sb_core;

typedef enum sb_channel {
    SB_CH_VOICE = 0,
    SB_CH_CHAT,
    SB_CH_EMAIL,
    SB_CH_MESSAGE,
    SB_CH_CALLBACK,
    SB_CH_TASK,
    SB_CH_COUNT
} sb_channel;

#define SB_CH_BIT(ch) (1u << (ch))
#define SB_MAX_STEPS 8

/* "voice", "chat", ...; NULL for an out-of-range value. */
const char *sb_channel_name(int ch);
/* The channel named s, or -1. */
int sb_channel_parse(const char *s);

/* ---- capacity profiles ------------------------------------------------ */

/* How much concurrent work an agent takes.  An agent may take a new
 * interaction on channel c when: count[c] < max[c]; the units of its work
 * plus cost[c] fit in `units`; and no work in progress blocks c.  Work on
 * channel w is ignored for both checks when interruptible_by[w] has c
 * (an email that a call may interrupt). */
typedef struct sb_profile_def {
    uint32_t units;
    uint32_t cost[SB_CH_COUNT];
    uint16_t max[SB_CH_COUNT];
    uint8_t blocks[SB_CH_COUNT];           /* mask of channels work on c blocks */
    uint8_t interruptible_by[SB_CH_COUNT]; /* mask of channels that may interrupt c */
} sb_profile_def;

/* The default: 100 units; 1 voice (blocks all), 4 chats (25 each),
 * 1 email, 1 message, 1 callback (blocks all), 1 task. */
void sb_profile_default(sb_profile_def *def);

int sb_profile_set(sb_core *c, int64_t now, sb_id id, const sb_profile_def *def);
/* SB_EINUSE while an agent uses it. */
int sb_profile_remove(sb_core *c, sb_id id);

/* ---- queues ----------------------------------------------------------- */

typedef enum sb_selection {
    SB_SEL_LONGEST_IDLE = 0, /* idle since the last routed interaction ended */
    SB_SEL_LEAST_OCCUPIED,   /* fewest capacity units in use, then longest idle */
    SB_SEL_MOST_SKILLED,     /* highest order_by value, then longest idle */
    SB_SEL_ROUND_ROBIN,      /* least recently offered from this queue */
    SB_SEL_RANDOM,           /* seeded, reproducible */
    SB_SEL_BROADCAST,        /* offer to up to broadcast_n at once; first accept wins */
} sb_selection;

typedef enum sb_wrapup_mode {
    SB_WRAPUP_NONE = 0,          /* end completes the interaction */
    SB_WRAPUP_OPTIONAL,          /* wrap-up entered; a code is optional */
    SB_WRAPUP_MANDATORY,         /* a code is required to complete */
    SB_WRAPUP_MANDATORY_TIMEOUT, /* required, but completes without one at the timeout */
} sb_wrapup_mode;

typedef struct sb_step_def {
    const char *expr; /* target expression; NULL or "" means every member */
    int64_t after_ms; /* wait in the queue after which this step applies */
} sb_step_def;

typedef struct sb_queue_def {
    const sb_step_def *steps; /* 1..SB_MAX_STEPS, after_ms strictly increasing, first 0 */
    uint32_t nsteps;
    uint8_t selection;        /* sb_selection */
    const char *order_by;     /* SB_SEL_MOST_SKILLED: an agent path, e.g. "agent.skills.sales" */
    uint32_t broadcast_n;     /* SB_SEL_BROADCAST: agents offered at once (>= 1) */
    double aging_per_s;       /* priority points gained per second of waiting (0..100) */
    int64_t offer_timeout_ms; /* lease of an offer (> 0) */
    uint8_t wrapup;           /* sb_wrapup_mode */
    int64_t wrapup_timeout_ms;
    uint32_t max_length;      /* 0 = unlimited */
    sb_id full_overflow;      /* queue to send arrivals to when full; 0 = refuse */
    int64_t max_wait_ms;      /* 0 = unlimited */
    sb_id max_wait_overflow;  /* queue to move to at max wait; 0 = end (reason max_wait) */
    sb_id closed_overflow;    /* queue for arrivals while closed; 0 = refuse */
    int64_t last_agent_ms;    /* > 0: wait this long for the customer's last agent */
} sb_queue_def;

/* Create or replace a queue.  On a compile error returns SB_ESYNTAX with
 * *err and *err_step (the failing step, or nsteps for order_by) set.
 * Replacing re-evaluates every member and waiting interaction. */
int sb_queue_set(sb_core *c, int64_t now, sb_id id, const sb_queue_def *def,
                 sb_expr_error *err, uint32_t *err_step);
/* SB_EINUSE while interactions are in the queue, or another queue
 * overflows into it.  Members lose the queue. */
int sb_queue_remove(sb_core *c, int64_t now, sb_id id);
/* A closed queue refuses (or overflows) new arrivals; those waiting stay. */
int sb_queue_set_open(sb_core *c, int64_t now, sb_id id, bool open);

/* ---- agents ----------------------------------------------------------- */

typedef enum sb_agent_state {
    SB_AGENT_LOGGED_OUT = 0,
    SB_AGENT_NOT_READY,
    SB_AGENT_READY,
    SB_AGENT_WRAP_UP,
    SB_AGENT_NOT_RESPONDING,
} sb_agent_state;

const char *sb_agent_state_name(int state);

typedef struct sb_agent_def {
    const sb_skill *skills;
    uint32_t nskills;
    const sb_sym *languages;
    uint32_t nlanguages;
    const sb_sym *teams;
    uint32_t nteams;
    const sb_attr *attrs;
    uint32_t nattrs;
    const sb_id *queues; /* the queues this agent serves (must exist) */
    uint32_t nqueues;
    sb_id profile;       /* 0 = the default profile */
} sb_agent_def;

/* Create or update an agent's configuration (its state is kept). */
int sb_agent_set(sb_core *c, int64_t now, sb_id id, const sb_agent_def *def);
/* SB_ESTATE unless logged out. */
int sb_agent_remove(sb_core *c, int64_t now, sb_id id);

/* Logged-out -> not-ready (reason 0). */
int sb_agent_login(sb_core *c, int64_t now, sb_id id);
/* Withdraws pending offers; SB_ESTATE while the agent holds connected or
 * wrap-up work. */
int sb_agent_logout(sb_core *c, int64_t now, sb_id id);
/* In wrap-up, records the state to return to when wrap-up ends. */
int sb_agent_ready(sb_core *c, int64_t now, sb_id id);
int sb_agent_not_ready(sb_core *c, int64_t now, sb_id id, sb_id reason);

/* ---- interactions ----------------------------------------------------- */

typedef enum sb_ix_state {
    SB_IX_QUEUED = 1,
    SB_IX_OFFERED,
    SB_IX_CONNECTED,
    SB_IX_WRAP_UP,
    SB_IX_COMPLETED,
    SB_IX_ABANDONED,
    SB_IX_CANCELED,
    SB_IX_ENDED, /* ended by a queue rule: see the event's reason */
} sb_ix_state;

const char *sb_ix_state_name(int state);

typedef struct sb_interaction_def {
    sb_id id;
    sb_id queue;
    uint8_t channel; /* sb_channel */
    int32_t priority;
    const sb_attr *attrs;
    uint32_t nattrs;
    sb_sym customer;           /* 0 = unknown; enables last-agent routing */
    sb_id preferred_agent;     /* 0 = none */
    int64_t preferred_wait_ms; /* how long only the preferred agent may take it; 0 = no limit */
    int64_t arrived_at;        /* ordering time; 0 = now (a restore passes the original) */
} sb_interaction_def;

/* Enqueue a new interaction.  SB_EEXIST for a live id, SB_EFULL or
 * SB_ECLOSED when refused (after following overflow rules), SB_ENOENT for
 * an unknown queue, SB_EINVAL for a bad channel or attributes. */
int sb_interaction_create(sb_core *c, int64_t now, const sb_interaction_def *def);
/* Restore after a restart: put interaction `def` straight onto `agent` in
 * `state` (SB_IX_CONNECTED or SB_IX_WRAP_UP), taking the capacity its channel
 * costs, without an offer.  def->arrived_at is kept.  For SB_IX_WRAP_UP,
 * `wrapup_deadline` is when a mandatory_timeout wrap-up completes on its own
 * (0: use now + the queue's timeout; ignored in other modes).  The agent must be
 * logged in (SB_ESTATE otherwise) and the queue must exist (SB_ENOENT); an id
 * already live is SB_EEXIST; a bad state or channel SB_EINVAL.  The agent's
 * state is left as it is, except that a wrap-up interaction puts a logged-in
 * agent into wrap-up as sb_interaction_end would.  Events are emitted as for the
 * normal path (created, accepted, and wrap_up if so) so the caller may journal
 * or drop them. */
int sb_interaction_restore(sb_core *c, int64_t now, const sb_interaction_def *def,
                           uint8_t state, sb_id agent, int64_t wrapup_deadline);
int sb_offer_accept(sb_core *c, int64_t now, sb_id agent, sb_id ix);
int sb_offer_reject(sb_core *c, int64_t now, sb_id agent, sb_id ix);
/* The conversation is over: wrap-up (per the queue's mode) or completed. */
int sb_interaction_end(sb_core *c, int64_t now, sb_id ix);
/* The same, with a hint: `slot`, from any event naming the interaction
 * (sb_event.slot), is where the core keeps it.  While it still holds this
 * interaction the look-up by id is skipped; otherwise (stale, or any other
 * number) the id is looked up as usual: the hint changes only the speed. */
int sb_interaction_end_hint(sb_core *c, int64_t now, sb_id ix, uint32_t slot);
/* Finish wrap-up; code 0 is refused with SB_EWRAPUP in mandatory modes. */
int sb_wrapup_complete(sb_core *c, int64_t now, sb_id ix, sb_id code);
/* The customer left while queued or offered. */
int sb_interaction_abandon(sb_core *c, int64_t now, sb_id ix);
/* Withdrawn by the business while queued or offered. */
int sb_interaction_cancel(sb_core *c, int64_t now, sb_id ix);
/* From queued or connected.  keep_arrival keeps the original place in
 * line; otherwise the interaction lines up as a new arrival.  A connected
 * interaction releases its agent (no wrap-up). */
int sb_interaction_transfer_queue(sb_core *c, int64_t now, sb_id ix, sb_id queue,
                                  bool keep_arrival);
/* Route to one agent: it waits for that agent for wait_ms (0 = no limit),
 * then routes normally in its queue. */
int sb_interaction_transfer_agent(sb_core *c, int64_t now, sb_id ix, sb_id agent,
                                  int64_t wait_ms);
/* Replace the interaction's attributes; a queued one is re-matched. */
int sb_interaction_set_attrs(sb_core *c, int64_t now, sb_id ix, const sb_attr *attrs,
                             uint32_t nattrs);

/* ---- queries ---------------------------------------------------------- */

typedef struct sb_explain {
    uint8_t state;            /* sb_ix_state */
    uint32_t position;        /* 1-based place among those waiting in its queue */
    uint32_t waiting;         /* interactions waiting in the queue */
    uint8_t step, nsteps;     /* current step index and count */
    uint32_t members;         /* agents serving the queue */
    uint32_t eligible;        /* members the current steps allow for it */
    uint32_t available;       /* eligible, ready and with capacity now */
    uint32_t blocked_by_capacity; /* eligible and ready, but no capacity for its channel */
    uint32_t not_ready;       /* eligible, logged in, not ready / wrap-up / not responding */
    uint32_t excluded;        /* agents excluded after a reject or timeout */
    sb_id preferred_agent;    /* waiting for this agent only, until preferred_until */
    int64_t preferred_until;
    int64_t next_step_at;     /* when the next step applies; -1 if none */
} sb_explain;

int sb_interaction_explain(sb_core *c, int64_t now, sb_id ix, sb_explain *out);

typedef struct sb_ix_info {
    uint8_t state, channel;
    sb_id queue, agent; /* agent: connected / wrap-up agent, else 0 */
    int32_t priority;
    int64_t arrived_at, queued_at;
    uint8_t step;
    uint32_t offers;    /* outstanding offers */
} sb_ix_info;
int sb_interaction_info(const sb_core *c, sb_id ix, sb_ix_info *out);

typedef struct sb_agent_info {
    uint8_t state;      /* sb_agent_state */
    sb_id reason;       /* not-ready reason */
    bool busy;          /* capacity in use (derived) */
    uint32_t units_used;
    uint16_t count[SB_CH_COUNT]; /* interactions per channel (offered, connected, wrap-up) */
    uint8_t avail_mask; /* channels it could be offered now */
    int64_t state_since, idle_since;
} sb_agent_info;
int sb_agent_info_get(const sb_core *c, sb_id agent, sb_agent_info *out);

/* Number of interactions queued (waiting) in a queue; -1 if unknown queue. */
int64_t sb_queue_waiting(const sb_core *c, sb_id queue);

/* ---- the core itself -------------------------------------------------- */

/* seed feeds SB_SEL_RANDOM. */
sb_core *sb_core_new(uint64_t seed);
void sb_core_free(sb_core *c);

/* The tenant's symbol table: intern names for skills, attributes, etc. */
sb_intern *sb_core_syms(sb_core *c);
static inline sb_sym sb_core_sym(sb_core *c, const char *s) { return sb_intern_cstr(sb_core_syms(c), s); }

/* Give a new core (no objects yet) the symbol table of another, so that
 * symbols interned there (skills, attributes, names) mean the same here.
 * SB_ESTATE if c already holds objects. */
int sb_core_copy_syms(sb_core *c, const sb_core *from);

/* When sb_core_advance must next be called; INT64_MAX when no timer. */
int64_t sb_core_next_deadline(const sb_core *c);
/* Fire every timer due at or before now, each at its own deadline. */
void sb_core_advance(sb_core *c, int64_t now);

/* The undrained events, oldest first. */
const sb_event *sb_core_events(const sb_core *c, uint32_t *count);
/* Empty the outbox: what sb_core_events returned is gone.  After a surge
 * the outbox gives memory back as drains find it mostly empty. */
void sb_core_events_clear(sb_core *c);
/* The sequence number the next event will get (starts at 1). */
uint64_t sb_core_next_seq(const sb_core *c);
/* Restore after a restart: the next event gets this sequence number. */
void sb_core_set_next_seq(sb_core *c, uint64_t seq);

/* Counters for benchmarks and sanity checks. */
typedef struct sb_core_stats {
    uint32_t agents, queues, interactions, waiting, offers;
} sb_core_stats;
void sb_core_stats_get(const sb_core *c, sb_core_stats *out);

#endif
