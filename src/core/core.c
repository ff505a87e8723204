/* core.c: the core object, its outbox, its timers and its clock. */
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "core/core-i.h"

sb_core *sb_core_new(uint64_t seed) {
    sb_core *c = sb_calloc(1, sizeof(*c));
    sb_intern_init(&c->syms);
    for (int ch = 0; ch < SB_CH_COUNT; ch++)
        c->ch_sym[ch] = sb_intern_cstr(&c->syms, sb_channel_name(ch));
    sb_map_init(&c->agents);
    sb_map_init(&c->queues);
    sb_map_init(&c->profiles);
    sb_map_init(&c->interactions);
    sb_map_init(&c->offered);
    sb_map_init(&c->last_agent);
    sb_map_init(&c->lane_of);
    sb_slab_init(&c->ix_slab, sizeof(sb_interaction));
    sb_slab_init(&c->agent_slab, sizeof(sb_agent));
    sb_slab_init(&c->queue_slab, sizeof(sb_queue));
    sb_profile_default(&c->default_profile.def);
    c->default_profile.idle_avail = sb__profile_idle_avail(&c->default_profile.def);
    sb_heap_init(&c->timers);
    sb_rand_seed(&c->rng, seed);
    c->next_seq = 1;
    return c;
}

void sb__ix_slab_free(sb_core *c);
void sb__pools_free(sb_core *c);
void sb__agent_destroy(sb_agent *a);
void sb__queue_destroy(sb_core *c, sb_queue *q);

void sb_core_free(sb_core *c) {
    if (c == NULL) return;
    uint64_t k;
    void *v;
    /* Heaps write into their members when freed: heaps before members,
     * and queues (which unlink members from agents) before agents. */
    sb_heap_free(&c->timers);
    for (uint32_t i = 0; sb_map_next(&c->queues, &i, &k, &v);) sb__queue_destroy(c, v);
    sb__ix_slab_free(c);
    sb__pools_free(c);
    for (uint32_t i = 0; sb_map_next(&c->agents, &i, &k, &v);) sb__agent_destroy(v);
    sb_slab_free(&c->agent_slab);
    sb_slab_free(&c->queue_slab);
    for (uint32_t i = 0; sb_map_next(&c->profiles, &i, &k, &v);) sb_free(v);
    sb_map_free(&c->agents);
    sb_map_free(&c->queues);
    sb_map_free(&c->profiles);
    sb_map_free(&c->interactions);
    sb_map_free(&c->offered);
    sb_map_free(&c->last_agent);
    sb_heap_scratch_free(&c->scratch);
    sb_intern_free(&c->syms);
    sb_free(c->events);
    sb_free(c->pend_ix);
    sb_free(c->pend_agents);
    sb_free(c->tolink);
    sb_free(c->cands);
    sb_free(c->aslots);
    sb_free(c->aptrs);
    sb_free(c->free_aslots);
    sb_free(c->qptrs);
    for (int s = 0; s < SB_MAX_STEPS; s++) {
        sb_free(c->rings[s][0]);
        sb_free(c->rings[s][1]);
    }
    sb_free(c->free_qslots);
    /* (The lanes' rings went with their last queue.) */
    sb_free(c->lanes);
    sb_free(c->free_lanes);
    sb_map_free(&c->lane_of);
    sb_free(c);
}

sb_intern *sb_core_syms(sb_core *c) { return &c->syms; }

int sb_core_copy_syms(sb_core *c, const sb_core *from) {
    if (sb_map_len(&c->agents) || sb_map_len(&c->queues) || sb_map_len(&c->profiles))
        return SB_ESTATE;
    sb_intern_copy(&c->syms, &from->syms);
    return SB_OK;
}

sb_event *sb__emit(sb_core *c, int type) {
    if (c->nevents == c->cap_events) {
        c->cap_events = c->cap_events ? c->cap_events * 2 : 64;
        c->events = sb_realloc(c->events, c->cap_events * sizeof(*c->events));
    }
    sb_event *e = &c->events[c->nevents++];
    /* Zeroed with plain vector stores: gcc makes memset of these 88 bytes
     * a rep stos, whose start-up costs more than the stores. */
    typedef uint64_t sb__v2 __attribute__((vector_size(16), aligned(8), may_alias));
    _Static_assert(sizeof(sb_event) == 88, "sb_event layout");
    sb__v2 *w = (sb__v2 *)(void *)e;
    w[0] = w[1] = w[2] = w[3] = w[4] = (sb__v2){0, 0};
    e->value = 0;
    e->seq = c->next_seq++;
    e->at = c->now;
    e->type = (uint16_t)type;
    return e;
}

const sb_event *sb_core_events(const sb_core *c, uint32_t *count) {
    *count = c->nevents;
    return c->events;
}

/* A surge (a restore, a large batch) grows the outbox; a drain that
 * finds it an eighth full or less halves it, down to 64 events.  Its
 * events are gone by then, so the new array is taken, not copied into. */
void sb_core_events_clear(sb_core *c) {
    if (c->cap_events > 64 && c->nevents <= c->cap_events / 8) {
        c->cap_events /= 2;
        sb_free(c->events);
        c->events = sb_malloc(c->cap_events * sizeof(*c->events));
    }
    c->nevents = 0;
}
uint64_t sb_core_next_seq(const sb_core *c) { return c->next_seq; }
void sb_core_set_next_seq(sb_core *c, uint64_t seq) { c->next_seq = seq; }

/* ---- timers ---- */

/* The kind of a member of the timer heap: a timer's or a lane's, read
 * through a character type (they are different structures). */
static inline uint8_t tkind(const sb_heap_node *n) {
    _Static_assert(offsetof(sb_timer, kind) == offsetof(sb_tlane, kind), "kind after the node");
    return *((const uint8_t *)n + offsetof(sb_timer, kind));
}

/* How many entries ahead of a lane's ends to fetch: three lines. */
#define SB_LANE_AHEAD 8

static inline sb_tlane *lane_at(sb_core *c, uint32_t lane) {
    return &c->lanes[lane];
}

static inline uint32_t lane_mask(const sb_tlane *l) {
    return (1u << l->shift) - 1;
}

/* The ring moved to ncap entries (a power of two, at least its span
 * tail - head).  Each entry moves to its ticket's place in the new one,
 * so the tickets its timers hold stay valid. */
static void lane_resize(sb_tlane *l, uint32_t ncap) {
    uint32_t mask = lane_mask(l);
    sb_tent *v = sb_malloc(ncap * sizeof(*v));
    for (uint32_t k = l->head; k != l->tail; k++)
        v[k & (ncap - 1)] = l->v[k & mask];
    sb_free(l->v);
    l->v = v;
    l->shift = (uint8_t)__builtin_ctz(ncap);
}

/* A lane's ring is doubled when full and, after a burst, halved while
 * its span is at most an eighth of it (to SB_LANE_MIN_SHRINK entries at
 * the least): growing back takes four times the span, O(1) amortized. */
#define SB_LANE_MIN_SHRINK 64

static void lane_shrink(sb_tlane *l) {
    uint32_t ncap = 1u << l->shift, span = l->tail - l->head;
    while (ncap > SB_LANE_MIN_SHRINK && span <= ncap / 8) ncap /= 2;
    lane_resize(l, ncap);
}

/* Append t's entry if the lane stays sorted; false if it would not (the
 * caller puts t in the heap). */
static bool lane_append(sb_core *c, uint32_t lane, sb_timer *t, int64_t deadline, uint64_t seq) {
    sb_tlane *l = lane_at(c, lane);
    bool empty = l->head == l->tail;
    /* The last entry (live or a hole) is usually in the line the new one
     * goes to. */
    if (!empty && deadline < l->v[(l->tail - 1) & lane_mask(l)].deadline) return false;
    if (l->v == NULL)
        lane_resize(l, 8);
    else if (l->tail - l->head == 1u << l->shift)
        lane_resize(l, 2u << l->shift);
    l->v[l->tail & lane_mask(l)] = (sb_tent){deadline, seq, t};
    /* A lane's ends move through its ring in order, but slowly among
     * everything else, and the ring was last touched one turn ago: the
     * lines a few appends ahead are fetched now (a hint). */
    __builtin_prefetch(&l->v[(l->tail + SB_LANE_AHEAD) & lane_mask(l)], 1);
    t->lane = lane;
    t->ticket = l->tail++;
    if (empty) {
        l->first = t;
        sb_heap_push(&c->timers, &l->node, (sb_hkey){deadline, 0, seq});
    }
    return true;
}

/* The head entry was taken (head moved past it) or disarmed (a hole):
 * skip the holes from head on, then re-key the lane by its new head, or
 * take it out of the heap when it is empty (and restart it at ticket 0:
 * no live timer holds a ticket of an empty lane, and the ring's first
 * lines are the ones likely in cache). */
static void lane_settle(sb_core *c, sb_tlane *l) {
    uint32_t mask = lane_mask(l);
    while (l->head != l->tail && l->v[l->head & mask].t == NULL)
        l->head++;
    if ((1u << l->shift) > SB_LANE_MIN_SHRINK && l->tail - l->head <= (1u << l->shift) / 8) {
        lane_shrink(l);
        mask = lane_mask(l);
    }
    if (l->head == l->tail) {
        l->head = l->tail = 0;
        sb_heap_remove(&c->timers, &l->node);
    } else {
        const sb_tent *e = &l->v[l->head & mask];
        __builtin_prefetch(&l->v[(l->head + SB_LANE_AHEAD) & mask]); /* as at the tail */
        l->first = e->t;
        sb_heap_update(&c->timers, &l->node, (sb_hkey){e->deadline, 0, e->seq});
    }
}

/* Disarm a timer in a lane: its entry becomes a hole, touching no other
 * timer; only the head's removal moves the lane in the heap. */
static void lane_drop(sb_core *c, sb_timer *t) {
    sb_tlane *l = lane_at(c, t->lane);
    l->v[t->ticket & lane_mask(l)].t = NULL;
    t->lane = SB_NO_LANE;
    if (t->ticket == l->head) lane_settle(c, l);
}

/* Take the lane's head timer (the heap's least member).  Its entry is
 * left as it is: nothing reads an entry behind the head. */
static sb_timer *lane_pop(sb_core *c, sb_tlane *l) {
    sb_timer *t = l->first;
    t->lane = SB_NO_LANE;
    l->head++;
    lane_settle(c, l);
    return t;
}

void sb__timer_disarm(sb_core *c, sb_timer *t) {
    if (t->lane != SB_NO_LANE)
        lane_drop(c, t);
    else if (sb_heap_node_linked(&t->node))
        sb_heap_remove(&c->timers, &t->node);
}

void sb__timer_init(sb_timer *t, uint8_t kind) {
    sb_heap_node_init(&t->node);
    t->kind = kind;
    t->lane = SB_NO_LANE;
}

void sb__timer_arm(sb_core *c, sb_timer *t, int64_t deadline) {
    sb__timer_disarm(c, t);
    t->deadline = deadline;
    sb_heap_push(&c->timers, &t->node, (sb_hkey){deadline, 0, ++c->timer_seq});
}

void sb__timer_arm_lane(sb_core *c, sb_timer *t, int64_t deadline, uint32_t lane) {
    sb__timer_disarm(c, t);
    t->deadline = deadline;
    uint64_t seq = ++c->timer_seq;
    if (lane == SB_NO_LANE || !lane_append(c, lane, t, deadline, seq))
        sb_heap_push(&c->timers, &t->node, (sb_hkey){deadline, 0, seq});
}

/* A free lane's number: from the free list, or a new one at the end.
 * The array may move: the non-empty lanes' heap slots are pointed at
 * their new addresses. */
static uint32_t lane_new(sb_core *c) {
    if (c->nfree_lanes) return c->free_lanes[--c->nfree_lanes];
    if (c->nlanes == c->cap_lanes) {
        c->cap_lanes = c->cap_lanes ? c->cap_lanes * 2 : 8;
        c->lanes = sb_realloc(c->lanes, c->cap_lanes * sizeof(*c->lanes));
        for (uint32_t i = 0; i < c->nlanes; i++)
            if (sb_heap_node_linked(&c->lanes[i].node))
                sb_heap_moved(&c->timers, &c->lanes[i].node);
    }
    return c->nlanes++;
}

/* A lane's name in lane_of: its users' (start, delay), hashed (not 0,
 * the map's empty key).  Two pairs may share a name, and so a lane: that
 * only sends more timers to the heap. */
static uint64_t lane_name(int64_t start, int64_t delay) {
    uint64_t k = sb_hash64((uint64_t)start) ^ (uint64_t)delay;
    return k ? k : 1;
}

uint32_t sb__lane_bind(sb_core *c, int64_t start, int64_t delay) {
    uint64_t name = lane_name(start, delay);
    uintptr_t v = (uintptr_t)sb_map_get(&c->lane_of, name);
    if (v) {
        c->lanes[v - 1].refs++;
        return (uint32_t)(v - 1);
    }
    uint32_t i = lane_new(c);
    sb_tlane *l = &c->lanes[i];
    memset(l, 0, sizeof(*l));
    sb_heap_node_init(&l->node);
    l->kind = SB_TIMER_LANE;
    l->name = name;
    l->refs = 1;
    sb_map_put(&c->lane_of, name, (void *)(uintptr_t)(i + 1));
    return i;
}

/* The last user of a lane lets it go: it is empty (its users' timers are
 * disarmed first), or out of the heap (the core is being freed). */
void sb__lane_unbind(sb_core *c, uint32_t lane) {
    sb_tlane *l = &c->lanes[lane];
    if (--l->refs) return;
    SB_ASSERT(!sb_heap_node_linked(&l->node));
    sb_map_del(&c->lane_of, l->name);
    sb_free(l->v);
    l->v = NULL;
    if (c->nfree_lanes == c->cap_free_lanes) {
        c->cap_free_lanes = c->cap_free_lanes ? c->cap_free_lanes * 2 : 8;
        c->free_lanes = sb_realloc(c->free_lanes, c->cap_free_lanes * sizeof(*c->free_lanes));
    }
    c->free_lanes[c->nfree_lanes++] = lane;
}

/* The earliest deadline, from the heap's own copy of its least key (a
 * timer's key is (deadline, 0, arming sequence), a lane's its head's):
 * the timer itself, an interaction or an offer, is not read until it
 * fires. */
static inline int64_t next_deadline(const sb_core *c) {
    return sb_heap_len(&c->timers) ? sb_heap_top_key(&c->timers)->a : INT64_MAX;
}

int64_t sb_core_next_deadline(const sb_core *c) { return next_deadline(c); }

/* The timer's lines: its own, and the one before it, where an
 * interaction keeps its state (a hint, harmless for an offer). */
SB_HINT_FN void fetch_timer(const sb_timer *t) {
    __builtin_prefetch(t);
    __builtin_prefetch((const void *)((uintptr_t)t - 64)); /* (as a number: it may lie outside an offer) */
}

/* What an interaction leaving its step reads of its queue: the headers
 * of its waiting queues (the one it leaves, the next one, those below
 * for the summary), the summary and the step times. */
SB_HINT_FN void fetch_queue_of(const sb_interaction *ix) {
    const sb_queue *q = ix->queue;
    for (int s = 0; s <= ix->hstep + 1 && s < SB_MAX_STEPS; s++)
        __builtin_prefetch(&q->waiting[s][ix->channel]);
    __builtin_prefetch(q);
    __builtin_prefetch(&q->best[ix->hstep][ix->channel]);
    __builtin_prefetch(&q->id);
    __builtin_prefetch(q->after_ms);
}

/* Its slot, and the slot the next step's queue appends to. */
SB_HINT_FN void fetch_slots_of(const sb_interaction *ix) {
    const sb_queue *q = ix->queue;
    sb_wq_prefetch_node(&q->waiting[ix->hstep][ix->channel], &ix->qnode);
    if (ix->hstep + 1 < SB_MAX_STEPS) sb_wq_prefetch_end(&q->waiting[ix->hstep + 1][ix->channel]);
}

/* The timer that fires next: the heap's least member or, when that is
 * a lane, the lane's first (read from its header: the entry is cold). */
static inline const sb_timer *next_timer(const sb_core *c) {
    const sb_heap_node *n = sb_heap_top(&c->timers);
    if (n == NULL) return NULL;
    if (tkind(n) != SB_TIMER_LANE) return sb_container_of(n, sb_timer, node);
    return sb_container_of(n, sb_tlane, node)->first;
}

/* The timer that fires next is usually cold and fires in a later call,
 * and what its firing reads is a chain, each address in the line before
 * (an interaction leaving a step: the interaction, its queues' headers,
 * its slot).  So each call fetches one more link: the timer's lines when
 * it becomes the next, then (the interaction's lines being in cache by
 * the next call) its queue's headers, then its slots.  Hints only: what
 * they read is a live timer's object. */
static void fetch_ahead(sb_core *c) {
    if (sb_heap_len(&c->timers) == 0) return;
    /* The least key's sequence names the next timer's arming (sequences
     * are unique): while it stays, so does the timer, and the lane entry
     * that leads to it (often cold) is not read again. */
    uint64_t seq = sb_heap_top_key(&c->timers)->c;
    if (seq != c->ahead_seq) {
        c->ahead_seq = seq;
        c->ahead = next_timer(c);
        c->ahead_stage = 0;
    }
    const sb_timer *t = c->ahead;
    uint8_t stage = c->ahead_stage;
    if (stage > 2) return;
    c->ahead_stage++;
    if (stage == 0) {
        fetch_timer(t);
        return;
    }
    if (t->kind != SB_TIMER_IX) return;
    const sb_interaction *ix = sb_container_of(t, sb_interaction, timer);
    if (ix->state != SB_IX_QUEUED || ix->parked) return;
    if (stage == 1)
        fetch_queue_of(ix);
    else
        fetch_slots_of(ix);
}

/* Take the next timer to fire out of the heap or its lane. */
static sb_timer *timer_pop(sb_core *c) {
    sb_heap_node *n = sb_heap_top(&c->timers);
    if (tkind(n) == SB_TIMER_LANE) return lane_pop(c, sb_container_of(n, sb_tlane, node));
    sb_heap_remove(&c->timers, n);
    return sb_container_of(n, sb_timer, node);
}

void sb_core_advance(sb_core *c, int64_t now) {
    /* Timers sharing a deadline fire as one batch. */
    while (sb_heap_len(&c->timers)) {
        int64_t d = next_deadline(c);
        if (d > now) break;
        if (d > c->now) c->now = d;
        sb__batch_begin(c);
        while (sb_heap_len(&c->timers) && next_deadline(c) == d) {
            sb_timer *t = timer_pop(c);
            fetch_ahead(c); /* the next one's first link */
            if (t->kind == SB_TIMER_OFFER)
                sb__offer_fire(c, sb_container_of(t, sb_offer, timer));
            else
                sb__ix_fire(c, sb_container_of(t, sb_interaction, timer));
        }
        sb__batch_end(c);
    }
    if (now > c->now) c->now = now;
}

void sb__enter(sb_core *c, int64_t now) {
    fetch_ahead(c);
    sb_core_advance(c, now);
}

void sb_core_stats_get(const sb_core *c, sb_core_stats *out) {
    out->agents = sb_map_len(&c->agents);
    out->queues = sb_map_len(&c->queues);
    out->interactions = sb_map_len(&c->interactions);
    out->waiting = c->nwaiting;
    out->offers = c->noffers;
}
