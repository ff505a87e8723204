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
    sb_map_init(&c->last_agent);
    sb_profile_default(&c->default_profile.def);
    c->default_profile.idle_avail = sb__profile_idle_avail(&c->default_profile.def);
    c->lanes = sb_calloc_aligned(64, SB_MAX_LANES * sizeof(*c->lanes)); /* sb_wq is line-aligned */
    c->nlanes = 1; /* lane 0: any delay */
    sb_wq_init(&c->lanes[0].q);
    sb_heap_node_init(&c->lanes[0].hn);
    sb_map_init(&c->lane_of);
    sb_heap_init(&c->lane_heap);
    sb_rand_seed(&c->rng, seed);
    c->next_seq = 1;
    return c;
}

void sb__ix_free(sb_interaction *ix);
void sb__pools_free(sb_core *c);
void sb__agent_destroy(sb_agent *a);
void sb__queue_destroy(sb_queue *q);

void sb_core_free(sb_core *c) {
    if (c == NULL) return;
    uint64_t k;
    void *v;
    /* Heaps write into their members when freed: heaps before members,
     * and queues (which unlink members from agents) before agents. */
    sb_heap_free(&c->lane_heap);
    for (uint32_t i = 0; i < c->nlanes; i++) sb_wq_free(&c->lanes[i].q);
    sb_free(c->lanes);
    sb_map_free(&c->lane_of);
    for (uint32_t i = 0; sb_map_next(&c->queues, &i, &k, &v);) sb__queue_destroy(v);
    for (uint32_t i = 0; sb_map_next(&c->interactions, &i, &k, &v);) sb__ix_free(v);
    sb__pools_free(c);
    for (uint32_t i = 0; sb_map_next(&c->agents, &i, &k, &v);) sb__agent_destroy(v);
    for (uint32_t i = 0; sb_map_next(&c->profiles, &i, &k, &v);) sb_free(v);
    sb_map_free(&c->agents);
    sb_map_free(&c->queues);
    sb_map_free(&c->profiles);
    sb_map_free(&c->interactions);
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

void sb_core_events_clear(sb_core *c) { c->nevents = 0; }
uint64_t sb_core_next_seq(const sb_core *c) { return c->next_seq; }
void sb_core_set_next_seq(sb_core *c, uint64_t seq) { c->next_seq = seq; }

uint16_t sb__lane_for(sb_core *c, int64_t delay) {
    if (delay <= 0) return 0;
    uintptr_t v = (uintptr_t)sb_map_get(&c->lane_of, (uint64_t)delay);
    if (v) return (uint16_t)(v - 1);
    if (c->nlanes == SB_MAX_LANES) return 0;
    sb_lane *l = &c->lanes[c->nlanes];
    l->delay = delay;
    sb_wq_init(&l->q);
    sb_heap_node_init(&l->hn);
    sb_map_put(&c->lane_of, (uint64_t)delay, (void *)(uintptr_t)(c->nlanes + 1));
    return (uint16_t)c->nlanes++;
}

/* The least key of lane l changed: its place in the lane heap follows. */
static void lane_moved(sb_core *c, sb_lane *l) {
    bool in = sb_heap_node_linked(&l->hn);
    if (sb_wq_len(&l->q) == 0) {
        if (in) sb_heap_remove(&c->lane_heap, &l->hn);
    } else if (in) {
        sb_heap_update(&c->lane_heap, &l->hn, *sb_wq_top_key(&l->q));
    } else {
        sb_heap_push(&c->lane_heap, &l->hn, *sb_wq_top_key(&l->q));
    }
}

void sb__timer_disarm(sb_core *c, sb_timer *t) {
    if (!sb_wq_node_linked(&t->node)) return;
    sb_lane *l = &c->lanes[t->lane];
    if (sb_wq_remove(&l->q, &t->node)) lane_moved(c, l);
}

void sb__timer_arm(sb_core *c, sb_timer *t, int64_t deadline, uint16_t lane) {
    sb__timer_disarm(c, t);
    t->deadline = deadline;
    t->seq = ++c->timer_seq;
    t->lane = lane;
    sb_lane *l = &c->lanes[t->lane];
    if (sb_wq_push(&l->q, &t->node, (sb_hkey){deadline, 0, t->seq})) lane_moved(c, l);
}

/* The next timer to fire, or NULL. */
static sb_timer *next_timer(const sb_core *c) {
    const sb_heap_node *n = sb_heap_top(&c->lane_heap);
    if (n == NULL) return NULL;
    const sb_lane *l = sb_container_of(n, sb_lane, hn);
    return sb_container_of(sb_wq_top(&l->q), sb_timer, node);
}

int64_t sb_core_next_deadline(const sb_core *c) {
    const sb_heap_node *n = sb_heap_top(&c->lane_heap);
    return n ? sb_heap_top_key(&c->lane_heap)->a : INT64_MAX;
}

void sb_core_advance(sb_core *c, int64_t now) {
    sb_timer *t;
    /* Timers sharing a deadline fire as one batch. */
    while ((t = next_timer(c)) != NULL) {
        int64_t d = t->deadline;
        if (d > now) break;
        if (d > c->now) c->now = d;
        sb__batch_begin(c);
        while ((t = next_timer(c)) != NULL && t->deadline == d) {
            sb__timer_disarm(c, t);
            if (t->kind == SB_TIMER_OFFER)
                sb__offer_fire(c, sb_container_of(t, sb_offer, timer));
            else
                sb__ix_fire(c, sb_container_of(t, sb_interaction, timer));
        }
        sb__batch_end(c);
    }
    if (now > c->now) c->now = now;
}

void sb__enter(sb_core *c, int64_t now) { sb_core_advance(c, now); }

void sb_core_stats_get(const sb_core *c, sb_core_stats *out) {
    out->agents = sb_map_len(&c->agents);
    out->queues = sb_map_len(&c->queues);
    out->interactions = sb_map_len(&c->interactions);
    out->waiting = c->nwaiting;
    out->offers = c->noffers;
}
