/* core-t.h: the routing core's internal types (no functions).
 *
 * Shared by the files of src/core; nothing outside src/core includes it.
 * How the structures index each other (see docs/architecture.md):
 *
 *  - queue->waiting[step][channel]: waiting queues (base/wq: a sorted
 *    ring and a side heap) of the interactions waiting in the queue whose
 *    current step is `step`, best first (priority with aging, then
 *    arrival, then enqueue order).  The order inside a queue never changes
 *    with time, so they need no re-keying.  queue->best[step][channel]
 *    summarizes them: the best among waiting[step..][channel], what an
 *    agent eligible from `step` may take (agent->mrefs packs what it needs
 *    of each member to read it); queue->ball[step] the best over channels.
 *  - queue->ready[step]: tournament trees of the members (agent x queue)
 *    whose lowest possibly-eligible step is `step`; a member is in
 *    contention while its agent is routable, keyed by the queue's
 *    selection key.  Longest-idle and broadcast queues keep rings
 *    instead (core->rings[step][band][queue->qslot]), whose entries name
 *    agents by a dense slot and go stale together when their agent's
 *    epoch moves.
 *  - an interaction at step k may go to agents in ready[0..k]; an agent
 *    whose lowest step is j may take interactions in waiting[j..][*].
 *  - timers fire in (deadline, arming sequence) order.  A waiting
 *    interaction's timer (step expansion or max wait) is nearly always
 *    armed when its step begins, a constant of its (queue, step) after
 *    its queued_at, to fire another constant after queued_at; queued_at
 *    only grows, so it goes to the end of the lane of that pair of
 *    constants (queue->tlane[step], shared by every (queue, step) with
 *    the same pair): a ring of entries sorted by (deadline, sequence), as
 *    long as it is no earlier than the lane's last.  One heap
 *    (core->timers) holds one member per non-empty lane, keyed by the
 *    lane's first entry, and every other timer (offer leases, wrap-up,
 *    preferred waits, the rare early deadline: a requeue keeps its
 *    queued_at).  Where one heap member per waiting interaction cost
 *    O(log n) sifts writing into cold interactions, a lane's two ends
 *    move through its ring in order and the heap has a handful of
 *    members.
 */
#ifndef SB_CORE_CORE_T_H
#define SB_CORE_CORE_T_H

#include "base/heap.h"
#include "base/intern.h"
#include "base/map.h"
#include "base/rand.h"
#include "base/slab.h"
#include "base/ttree.h"
#include "base/wq.h"
#include "core/core.h"

typedef struct sb_agent sb_agent;
typedef struct sb_queue sb_queue;
typedef struct sb_member sb_member;
typedef struct sb_interaction sb_interaction;
typedef struct sb_offer sb_offer;

#define SB_NO_STEP 0xff

/* What a member of the timer heap is: a timer (of an interaction or an
 * offer) or a lane.  Both structures begin with their heap node and this
 * byte (sb__tkind reads it). */
enum sb_timer_kind { SB_TIMER_IX = 1, SB_TIMER_OFFER, SB_TIMER_LANE };

#define SB_NO_LANE UINT32_MAX

/* Armed, a timer is either in the heap (node linked) or in a lane (lane
 * != SB_NO_LANE), never both.  Its arming sequence is in its heap key or
 * its lane entry: equal deadlines fire in arming order. */
typedef struct sb_timer {
    sb_heap_node node;
    uint8_t kind;
    int64_t deadline;
    uint32_t lane;   /* core->lanes[lane], or SB_NO_LANE */
    uint32_t ticket; /* its entry there: v[ticket & mask] */
} sb_timer;

/* An entry of a lane; t == NULL: disarmed (a hole, skipped at the head). */
typedef struct sb_tent {
    int64_t deadline;
    uint64_t seq;
    sb_timer *t;
} sb_tent;

/* A lane: a FIFO ring of entries sorted by (deadline, seq), live from
 * ticket head to tail - 1 (tickets count appends mod 2^32, entry v[ticket
 * & (cap - 1)], so that a timer's ticket survives the ring's growth).
 * Sequences only grow, so an entry may be appended when its deadline is
 * no earlier than the last appended one's (live or a hole).  Non-empty,
 * its head entry is live and it is in the timer heap keyed (head
 * deadline, 0, head seq). */
typedef struct sb_tlane {
    sb_heap_node node;
    uint8_t kind;  /* SB_TIMER_LANE */
    uint8_t shift; /* cap = 1 << shift, when v is not NULL */
    uint32_t head, tail;
    sb_tent *v;
    sb_timer *first; /* the head entry's timer, while non-empty */
    uint64_t name;   /* in core->lane_of: its users' (start, delay) (sb__lane_bind) */
    uint32_t refs;   /* (queue, step) pairs using it; 0: free */
} sb_tlane;

typedef struct sb_profile {
    sb_id id;
    sb_profile_def def;
    uint32_t refs;      /* agents using it */
    uint8_t idle_avail; /* the channels an agent with no work may take */
} sb_profile;

typedef struct sb_step {
    sb_expr *expr;
    int64_t after_ms;
    bool mixed; /* names interaction.*: re-checked per interaction */
} sb_step;

/* An entry of a queue's summary (see sb_queue): the best top of some of
 * its heaps, as the first part of its heap key and (its enqueue order <<
 * 8 | the channel of its heap << 4 | the step of its heap).  The
 * arrival, the key's second part, is read from that heap in the rare
 * case it decides. */
typedef struct sb_qbest {
    int64_t a;
    uint64_t c;
} sb_qbest;

static inline uint8_t sb_qbest_step(const sb_qbest *e) { return (uint8_t)(e->c & 0xf); }
static inline int sb_qbest_ch(const sb_qbest *e) { return (int)((e->c >> 4) & 0xf); }

/* A longest-idle ready ring: entries in key order (k2, then the agent's
 * id), live from v[head] to v[end - 1].  An entry names the agent by its
 * slot and is current only while the slot's epoch is the entry's: taking
 * an agent out of contention (or re-keying it) bumps one counter instead
 * of touching every queue it serves, and stale entries are dropped when
 * they reach the head or when the ring is compacted (see queue.c). */
typedef struct sb_rent {
    int64_t k2;
    uint32_t slot, epoch;
} sb_rent;

typedef struct sb_ring {
    sb_rent *v;
    uint32_t head, end, cap;
    int64_t last; /* >= every k2 in it (its last's when appended): the usual
                   * append needs not read the cold last entry */
} sb_ring;

/* Per agent slot, in one dense array: what a ready ring's reader checks
 * before it touches the agent. */
typedef struct sb_aslot {
    uint32_t epoch;  /* entries with another epoch are stale */
    uint8_t avail;   /* the agent's avail_mask, while it is linked */
} sb_aslot;

struct sb_queue {
    /* Line 0: what a freed agent reads of every queue it serves
     * (best_ix): which summary entries exist, the aging rate, and the
     * entries over all channels of the first three steps.  best[s][ch] is
     * the best top among the heaps waiting[s..][ch], ball[s] the best of
     * best[s][*] (orders are unique, so `c` compares as the order
     * itself): an agent with room for every channel there is reads ball
     * alone.  The queue is allocated on a cache line; past the summary
     * (14 lines), the routing path's other fields, then the cold part. */
    _Alignas(64) uint64_t reach; /* bit s*SB_CH_COUNT+ch: best[s][ch] exists */
    int64_t aging_milli;         /* milli-points per second */
    sb_qbest ball[SB_MAX_STEPS]; /* exists when some best[s][*] does */
    sb_qbest best[SB_MAX_STEPS][SB_CH_COUNT];
    /* What the routing path reads of a queue it meets, with copies of the
     * definition's hot fields. */
    _Alignas(64) sb_id id;
    int64_t max_wait_ms, offer_timeout_ms; /* def's */
    uint32_t nwaiting;   /* queued: in the heaps or parked for a preferred agent */
    uint32_t nlive;      /* non-terminal interactions whose queue this is */
    uint32_t max_length; /* def's */
    uint32_t qslot;      /* in core->qptrs (agents' mrefs name it so) */
    int64_t aging;       /* aging_milli again, beside what arrivals read */
    uint8_t nsteps;
    uint8_t selection, wrapup; /* def's */
    bool fifo;           /* ready members in rings (below), not trees */
    bool open;
    bool any_mixed;
    uint16_t ring_mask; /* bit s*2+band: rings[s][band] may be non-empty */
    /* When each step applies (steps[s].after_ms). */
    _Alignas(64) int64_t after_ms[SB_MAX_STEPS];
    /* Cold from here. */
    uint32_t tlane[SB_MAX_STEPS]; /* the lane of each step's timers (bound), or SB_NO_LANE */
    sb_queue_def def;  /* steps/order_by pointers not kept: see below */
    sb_step steps[SB_MAX_STEPS];
    sb_expr *order_by;
    sb_wq waiting[SB_MAX_STEPS][SB_CH_COUNT];
    sb_ttree ready[SB_MAX_STEPS]; /* other selections than the rings' */
    sb_member **members;
    uint32_t nmembers, cap_members;
    uint64_t rr_clock;
};

struct sb_member {
    int64_t k1, k2;     /* selection key, less is better (tree queues) */
    sb_id aid;          /* the agent's id, the key's last part */
    sb_queue *queue;
    uint8_t hstep;      /* lowest step whose expression may hold; SB_NO_STEP if none */
    uint8_t maybe_mask; /* steps whose expression is true or unknown for this agent */
    uint8_t sure_mask;  /* steps whose expression is true whatever the interaction */
    uint32_t slot;      /* its slot in queue->ready[hstep] (tree queues) */
    sb_agent *agent;
    uint32_t qpos;      /* index in queue->members */
    uint64_t rr_stamp;
};

/* The part of a membership a freed agent reads for every queue it serves,
 * packed in an array of the agent's (members themselves are cold): 8
 * bytes, the queue named by its dense slot (core->qptrs), so that an
 * agent's dozen memberships fill one or two cache lines. */
typedef struct sb_mref {
    uint32_t qslot;    /* the queue: core->qptrs[qslot] */
    uint8_t hstep;     /* as the member's */
    uint8_t sure_mask; /* as the member's */
    bool fifo;         /* as the queue's: its ready members are in rings */
} sb_mref;

#define SB_MREFS_INLINE 16 /* two cache lines */

struct sb_agent {
    /* Allocated on a cache line.  Lines 0 and 1 hold what an end, an
     * offer and an accept read and write (the agent is usually cold when
     * its work ends), line 2 what linking adds; the rest is read by
     * configuration, state changes and expressions. */
    _Alignas(64) sb_id id;
    sb_profile *profile;
    sb_mref *mrefs;      /* mrefs[i] mirrors members[i]: mref_buf, or more on a cache line */
    sb_offer **offers;   /* outstanding offers to this agent: offer_buf, or more */
    uint32_t nmembers;
    uint32_t slot;       /* in core->aslots, core->aptrs */
    uint32_t units;      /* units in use (not counting interruptible ignores) */
    uint32_t nwork;      /* connected + wrap-up interactions */
    uint16_t count[SB_CH_COUNT];
    uint8_t avail_mask;  /* channels it could take now (ignoring state) */
    uint8_t state;       /* sb_agent_state */
    bool routable;       /* ready and with capacity: may be offered work */
    bool linked;         /* its members are in contention in the ready trees */
    /* Line 1. */
    int64_t idle_since;
    int64_t load_since;  /* when its capacity in use last changed */
    int64_t fk2;         /* the key of its current ring entries (while linked), */
    uint8_t fband;       /* ... with its band */
    bool link_pending;   /* routable, waiting for sb__settle to link it */
    uint8_t after_wrap;  /* state to take when wrap-up ends */
    uint32_t ntree;      /* members of queues with ready trees (not rings) */
    uint32_t nwrap;      /* interactions in wrap-up */
    uint32_t noffers, cap_offers;
    uint32_t nparked;
    sb_offer *offer_buf[2];
    /* Line 2: read while it is linked (and by configuration). */
    _Alignas(64) int64_t keyed_idle; /* what the linked keys were made from */
    int64_t keyed_load;
    uint32_t keyed_units;
    uint32_t cap_parked, cap_mrefs;
    sb_interaction **parked; /* waiting for this agent as preferred */
    sb_member **members;
    /* Lines 3 and 4: the memberships of an agent serving up to
     * SB_MREFS_INLINE queues (mrefs points here).  Inside the agent, their
     * address is known as soon as the agent's is: an end fetches them
     * together with the agent, not after it. */
    _Alignas(64) sb_mref mref_buf[SB_MREFS_INLINE];
    /* Cold. */
    sb_expr_agent view;  /* what expressions see; arrays owned */
    sb_attrs attrs;
    sb_id reason, after_wrap_reason;
    int64_t state_since;
};

struct sb_offer {
    sb_interaction *ix;
    sb_agent *agent;
    sb_timer timer;
    uint32_t apos; /* index in agent->offers */
    sb_offer *next_free;
};

struct sb_interaction {
    /* Allocated on a cache line, in the order the routing path reads it:
     * line 0 what every operation reads (an end, an offer, an accept, the
     * choice of a freed agent), line 1 what waiting reads (its place, its
     * timer, its order key), then the rest. */
    _Alignas(64) sb_id id;
    sb_queue *queue;
    uint8_t channel;
    uint8_t state;    /* sb_ix_state */
    uint8_t step;
    uint8_t hstep;    /* waiting queue it sits in, while in one */
    bool parked;
    bool attr_sets;   /* some attribute is a set (an array to free) */
    int32_t priority;
    uint32_t noffers, nexcluded, cap_offers;
    union {
        sb_agent *agent;           /* connected or wrap-up */
        sb_interaction *next_free; /* in the core's pool while recycled */
    };
    sb_offer **offers; /* offer_buf until more are needed */
    int64_t queued_at;
    /* Line 1. */
    sb_wq_node qnode;  /* in queue->waiting[hstep][channel] */
    uint32_t slot;     /* its index in core->ix_slab, for life (sb_event.slot):
                        * in the node's padding, on a line an end reads */
    sb_timer timer;
    int64_t key;      /* priority*1e6 - aging_milli*arrived_at: greater is better */
    int64_t arrived_at;
    uint64_t order;   /* enqueue order, the last tie-break; kept on requeue */
    /* Line 2 on. */
    sb_offer *offer_buf[2];
    sb_attrs attrs;
    sb_sym customer;
    uint32_t ppos;    /* index in preferred->parked while parked */
    uint32_t cap_excluded;
    uint32_t cap_attrs; /* room in attrs.items, kept while recycled */
    sb_agent *preferred;
    int64_t preferred_until; /* 0 = no limit */
    sb_expr_ix view;
    sb_id *excluded;
    int64_t wrap_deadline;
};

struct sb_core {
    sb_intern syms;
    sb_sym ch_sym[SB_CH_COUNT];
    sb_map agents, queues, profiles, interactions;
    sb_id ix_id_max; /* no id above it was ever in `interactions` */
    sb_map offered;  /* interaction id -> interaction, while it has offers */
    sb_map last_agent; /* customer symbol -> agent id */
    sb_profile default_profile;
    sb_heap timers;                /* timers and non-empty lanes (see the top) */
    sb_tlane *lanes;               /* by number (timers and queues name them so) */
    uint32_t nlanes, cap_lanes, nfree_lanes, cap_free_lanes;
    uint32_t *free_lanes;
    sb_map lane_of;                /* lane name -> lane number + 1 */
    const sb_timer *ahead;         /* the next timer to fire, being fetched ahead (core.c) */
    uint64_t ahead_seq;            /* ... its arming sequence */
    uint8_t ahead_stage;   /* ... the next link of it to fetch */
    uint64_t timer_seq, order_seq, next_seq;
    int64_t now;
    sb_event *events;
    uint32_t nevents, cap_events;
    sb_rand rng;
    sb_heap_scratch scratch;
    uint32_t noffers, nwaiting;
    /* Matching deferred to the end of a batch (see sb__batch_begin). */
    uint32_t batch;
    sb_interaction **pend_ix; /* pointers: see sb__batch_end */
    sb_id *pend_agents;
    sb_agent **tolink; /* waiting for sb__settle (none removed: see slot_free) */
    uint32_t npend_ix, npend_agents, cap_pend_ix, cap_pend_agents, ntolink, cap_tolink;
    /* Interactions, agents and queues live in slabs (base/slab.h), freed
     * ones kept for reuse.  An interaction is named by its index there,
     * its slot: a caller given the slot in an event reaches it without
     * the map (sb_interaction_end_hint). */
    sb_slab ix_slab, agent_slab, queue_slab;
    sb_interaction *free_ix; /* recycled interactions and offers: the hot */
    sb_offer *free_offers;   /* path allocates nothing in steady state */
    struct sb_cand *cands; /* match.c's scratch */
    uint32_t cap_cands;
    /* Agents by slot (dense, reused after a removal): the ready rings
     * name agents by slot. */
    sb_aslot *aslots;
    sb_agent **aptrs;
    uint32_t naslots, cap_aslots;
    uint32_t *free_aslots;
    uint32_t nfree_aslots, cap_free_aslots;
    /* Queues by slot (dense, reused after a removal): agents' mrefs name
     * queues by slot. */
    sb_queue **qptrs;
    /* Longest idle (and broadcast) queues keep ready members in two rings
     * per step instead of a tree: band 0 idle, band 1 with work in
     * progress, each by idle time.  A member becoming ready is nearly
     * always the most recently idle, so it goes to the end in O(1);
     * taking an agent out of contention is one epoch bump for all its
     * queues.  The ring headers of queue slot q are rings[step][band][q]:
     * dense arrays, so that linking an agent into its dozen queues reads
     * headers that stay in cache, not a cold line of each queue. */
    sb_ring *rings[SB_MAX_STEPS][2];
    uint32_t nqslots, cap_qslots;
    uint32_t *free_qslots;
    uint32_t nfree_qslots, cap_free_qslots;
};

#endif
