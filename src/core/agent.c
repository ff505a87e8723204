/* agent.c: agents: configuration, capacity, states, and their place in
 * the queues' ready heaps. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/status.h"
#include "core/core-i.h"

/* ---- capacity profiles ---- */

void sb_profile_default(sb_profile_def *d) {
    memset(d, 0, sizeof(*d));
    d->units = 100;
    const uint32_t cost[SB_CH_COUNT] = {100, 25, 100, 100, 100, 100};
    const uint16_t max[SB_CH_COUNT] = {1, 4, 1, 1, 1, 1};
    for (int ch = 0; ch < SB_CH_COUNT; ch++) {
        d->cost[ch] = cost[ch];
        d->max[ch] = max[ch];
    }
    d->blocks[SB_CH_VOICE] = d->blocks[SB_CH_CALLBACK] = 0x3f;
}

static void agents_resync_profile(sb_core *c, sb_profile *p) {
    uint64_t k;
    void *v;
    for (uint32_t i = 0; sb_map_next(&c->agents, &i, &k, &v);) {
        sb_agent *a = v;
        if (a->profile == p) {
            sb__agent_sync(c, a);
            sb__match_agent(c, a);
        }
    }
}

int sb_profile_set(sb_core *c, int64_t now, sb_id id, const sb_profile_def *def) {
    sb__enter(c, now);
    if (id == 0) return SB_EINVAL;
    sb_profile *p = sb_map_get(&c->profiles, id);
    if (p == NULL) {
        p = sb_calloc(1, sizeof(*p));
        p->id = id;
        sb_map_put(&c->profiles, id, p);
    }
    p->def = *def;
    p->idle_avail = sb__profile_idle_avail(def);
    sb__batch_begin(c);
    agents_resync_profile(c, p);
    sb__batch_end(c);
    return SB_OK;
}

int sb_profile_remove(sb_core *c, sb_id id) {
    sb_profile *p = sb_map_get(&c->profiles, id);
    if (p == NULL) return SB_ENOENT;
    if (p->refs) return SB_EINUSE;
    sb_map_del(&c->profiles, id);
    sb_free(p);
    return SB_OK;
}

bool sb__agent_can_take(const sb_agent *a, int ch) {
    const sb_profile_def *p = &a->profile->def;
    if (a->count[ch] >= p->max[ch]) return false;
    uint32_t units = p->cost[ch];
    for (int w = 0; w < SB_CH_COUNT; w++) {
        if (a->count[w] == 0 || (p->interruptible_by[w] & SB_CH_BIT(ch))) continue;
        if (p->blocks[w] & SB_CH_BIT(ch)) return false;
        units += a->count[w] * p->cost[w];
    }
    return units <= p->units;
}

/* Units in use and the channels the agent could take now.  Without
 * interruptible channels in play (the usual case) one pass decides every
 * channel; otherwise each channel is checked on its own. */
uint8_t sb__profile_idle_avail(const sb_profile_def *p) {
    uint8_t m = 0;
    for (int ch = 0; ch < SB_CH_COUNT; ch++)
        if (p->max[ch] > 0 && p->cost[ch] <= p->units) m |= (uint8_t)SB_CH_BIT(ch);
    return m;
}

/* (The slot array's copy of avail_mask is kept while the agent is
 * linked, the only time a ring reader looks at it: see sb__agent_sync.) */
static void recount(sb_agent *a) {
    const sb_profile_def *p = &a->profile->def;
    uint64_t lo;
    uint32_t hi;
    _Static_assert(sizeof(a->count) == 12, "count layout");
    memcpy(&lo, a->count, 8);
    memcpy(&hi, (const char *)a->count + 8, 4);
    if ((lo | hi) == 0) { /* no work at all: the profile knows */
        a->units = 0;
        a->avail_mask = a->profile->idle_avail;
        return;
    }
    uint32_t units = 0;
    uint8_t blocked = 0, interrupt = 0;
    for (int w = 0; w < SB_CH_COUNT; w++) {
        if (a->count[w] == 0) continue;
        units += a->count[w] * p->cost[w];
        blocked |= p->blocks[w];
        interrupt |= p->interruptible_by[w];
    }
    a->units = units;
    a->avail_mask = 0;
    for (int ch = 0; ch < SB_CH_COUNT; ch++) {
        bool ok = (interrupt & SB_CH_BIT(ch))
                      ? sb__agent_can_take(a, ch)
                      : a->count[ch] < p->max[ch] && !(blocked & SB_CH_BIT(ch)) &&
                            units + p->cost[ch] <= p->units;
        if (ok) a->avail_mask |= (uint8_t)SB_CH_BIT(ch);
    }
}

void sb__agent_take(sb_core *c, sb_agent *a, int ch) {
    a->count[ch]++;
    a->load_since = c->now;
    sb__agent_sync(c, a);
}

void sb__agent_release(sb_core *c, sb_agent *a, int ch) {
    SB_ASSERT(a->count[ch] > 0);
    a->count[ch]--;
    a->load_since = c->now;
    sb__agent_sync(c, a);
}

/* ---- ready heaps ---- */

static void member_key(const sb_member *m, int64_t *k1, int64_t *k2) {
    const sb_agent *a = m->agent;
    const sb_queue *q = m->queue;
    switch (q->selection) {
    case SB_SEL_LEAST_OCCUPIED: {
        uint32_t total = a->profile->def.units ? a->profile->def.units : 1;
        *k1 = (int64_t)a->units * 1000000 / total;
        *k2 = a->idle_since;
        break;
    }
    case SB_SEL_MOST_SKILLED: {
        sb_value v = sb_expr_operand(q->order_by, &a->view, NULL);
        double d = v.type == SB_VAL_NUM ? v.u.num : 0;
        /* Agents without the value come last (INT64_MAX itself means
         * "out of contention" to the ready trees). */
        *k1 = v.type == SB_VAL_NUM ? -(int64_t)llround(fmax(-1e15, fmin(1e15, d)) * 1000)
                                   : INT64_MAX - 1;
        *k2 = a->idle_since;
        break;
    }
    case SB_SEL_ROUND_ROBIN:
        *k1 = (int64_t)m->rr_stamp;
        *k2 = 0;
        break;
    case SB_SEL_RANDOM: /* drawn by sb__member_rekey only */
        *k1 = m->k1;
        *k2 = 0;
        break;
    default: /* longest idle, broadcast */
        /* An agent with work in progress (room left for another chat) is
         * not idle: the idle ones come first, by idle time; then those
         * with work, by how long their load has not changed. */
        *k1 = a->units != 0;
        *k2 = a->units ? a->load_since : a->idle_since;
    }
}

void sb__member_rekey(sb_core *c, sb_member *m) {
    if (m->queue->selection == SB_SEL_RANDOM) {
        m->k1 = (int64_t)(sb_rand_next(&c->rng) >> 1);
        m->k2 = 0;
    } else {
        member_key(m, &m->k1, &m->k2);
    }
}

/* The key of an agent's entries in longest-idle rings: the band (an
 * agent with work in progress is not idle: the idle ones come first, by
 * idle time; then those with work, by how long their load has not
 * changed) and k2.  Every fifo member of an agent has this key. */
static void fifo_key(const sb_agent *a, uint8_t *band, int64_t *k2) {
    *band = a->units != 0;
    *k2 = a->units ? a->load_since : a->idle_since;
}

/* Put the agent's fifo members in their rings with its current key
 * (its previous entries, if any, are stale already). */
static void link_fifo(sb_core *c, sb_agent *a) {
    fifo_key(a, &a->fband, &a->fk2);
    /* Locals: the stores into the rings would otherwise reload them. */
    const uint8_t band = a->fband;
    const int64_t k2 = a->fk2;
    const uint32_t slot = a->slot, epoch = c->aslots[slot].epoch, n = a->nmembers;
    const sb_mref *refs = a->mrefs;
    for (uint32_t i = 0; i < n; i++) {
        const sb_mref *r = &refs[i];
        if (r->fifo && r->hstep != SB_NO_STEP)
            sb__ring_push(c, r->qslot, r->hstep, band, k2, slot, epoch);
    }
}

/* Out of contention everywhere: one epoch bump retires its ring entries
 * in every fifo queue; tree members leave their trees one by one. */
static void unlink_all(sb_core *c, sb_agent *a) {
    c->aslots[a->slot].epoch++;
    for (uint32_t i = 0; a->ntree && i < a->nmembers; i++) {
        const sb_mref *r = &a->mrefs[i];
        if (!r->fifo && r->hstep != SB_NO_STEP) sb__member_unlink(a->members[i]);
    }
    a->linked = false;
}

/* Linking an agent into the ready structures of every queue it serves is
 * the costly part of becoming routable, and an agent that frees up
 * usually takes new work at once (from best_ix, which does not need
 * them).  So linking waits for sb__settle, which runs before anything
 * reads them: an agent that is busy again by then never touches them. */
void sb__agent_sync(sb_core *c, sb_agent *a) {
    recount(a);
    a->routable = a->state == SB_AGENT_READY && a->avail_mask != 0;
    if (!a->routable) {
        if (a->linked) unlink_all(c, a);
    } else if (!a->linked) {
        if (!a->link_pending) {
            a->link_pending = true;
            if (c->ntolink == c->cap_tolink) {
                c->cap_tolink = c->cap_tolink ? c->cap_tolink * 2 : 16;
                c->tolink = sb_realloc(c->tolink, c->cap_tolink * sizeof(*c->tolink));
            }
            c->tolink[c->ntolink++] = a;
        }
    } else {
        c->aslots[a->slot].avail = a->avail_mask; /* linked: ring readers look */
        if (a->units == a->keyed_units && a->idle_since == a->keyed_idle &&
            a->load_since == a->keyed_load)
            return;
        /* Keys follow units and idle time (round robin and random are
         * re-keyed where they change, most skilled on configuration). */
        a->keyed_units = a->units;
        a->keyed_idle = a->idle_since;
        a->keyed_load = a->load_since;
        uint8_t band;
        int64_t k2;
        fifo_key(a, &band, &k2);
        if (band != a->fband || k2 != a->fk2) {
            c->aslots[a->slot].epoch++;
            link_fifo(c, a);
        }
        for (uint32_t i = 0; a->ntree && i < a->nmembers; i++) {
            if (a->mrefs[i].fifo || a->mrefs[i].hstep == SB_NO_STEP) continue;
            sb_member *m = a->members[i];
            int64_t k1;
            member_key(m, &k1, &k2);
            if (k1 != m->k1 || k2 != m->k2) sb__member_setkey(m, k1, k2);
        }
    }
}

void sb__settle(sb_core *c) {
    for (uint32_t i = 0; i < c->ntolink; i++) {
        sb_agent *a = c->tolink[i];
        if (!a->link_pending) continue;
        a->link_pending = false;
        if (!a->routable || a->linked) continue;
        a->linked = true;
        c->aslots[a->slot].avail = a->avail_mask;
        a->keyed_units = a->units;
        a->keyed_idle = a->idle_since;
        a->keyed_load = a->load_since;
        link_fifo(c, a);
        for (uint32_t k = 0; a->ntree && k < a->nmembers; k++)
            if (!a->mrefs[k].fifo) sb__member_link(c, a->members[k]);
    }
    c->ntolink = 0;
}

/* ---- offers and parked interactions held by an agent ---- */

uint32_t sb__offers_push(sb_offer ***v, uint32_t *n, uint32_t *cap, sb_offer **inline2, sb_offer *o) {
    if (*n == *cap) {
        if (*cap == 0) { /* the two inline slots */
            *v = inline2;
            *cap = 2;
        } else {
            sb_offer **more = sb_malloc(*cap * 2 * sizeof(*more));
            memcpy(more, *v, *n * sizeof(*more));
            if (*v != inline2) sb_free(*v);
            *v = more;
            *cap *= 2;
        }
    }
    (*v)[*n] = o;
    return (*n)++;
}

void sb__agent_add_offer(sb_agent *a, sb_offer *o) {
    /* two inline, in the agent's hot lines */
    o->apos = sb__offers_push(&a->offers, &a->noffers, &a->cap_offers, a->offer_buf, o);
}

void sb__agent_del_offer(sb_agent *a, sb_offer *o) {
    a->offers[o->apos] = a->offers[--a->noffers];
    a->offers[o->apos]->apos = o->apos;
}

void sb__agent_park(sb_agent *a, sb_interaction *ix) {
    if (a->nparked == a->cap_parked) {
        a->cap_parked = a->cap_parked ? a->cap_parked * 2 : 4;
        a->parked = sb_realloc(a->parked, a->cap_parked * sizeof(*a->parked));
    }
    ix->ppos = a->nparked;
    ix->parked = true;
    a->parked[a->nparked++] = ix;
}

void sb__agent_unpark(sb_agent *a, sb_interaction *ix) {
    a->parked[ix->ppos] = a->parked[--a->nparked];
    a->parked[ix->ppos]->ppos = ix->ppos;
    ix->parked = false;
}

/* ---- states ---- */

void sb__agent_set_state(sb_core *c, sb_agent *a, int state, sb_id reason) {
    if (a->state == state && a->reason == reason) return;
    a->state = (uint8_t)state;
    a->reason = reason;
    a->state_since = c->now;
    sb_event *e = sb__emit(c, SB_EV_AGENT_STATE);
    e->agent = a->id;
    e->state = (uint8_t)state;
    e->code = reason;
    sb__agent_sync(c, a);
}

static sb_agent *find(sb_core *c, sb_id id) { return sb_map_get(&c->agents, id); }

/* A dense slot for a new agent (see sb_core.aslots), a freed one first. */
static void slot_new(sb_core *c, sb_agent *a) {
    if (c->nfree_aslots) {
        a->slot = c->free_aslots[--c->nfree_aslots];
    } else {
        if (c->naslots == c->cap_aslots) {
            c->cap_aslots = c->cap_aslots ? c->cap_aslots * 2 : 64;
            c->aslots = sb_realloc(c->aslots, c->cap_aslots * sizeof(*c->aslots));
            c->aptrs = sb_realloc(c->aptrs, c->cap_aslots * sizeof(*c->aptrs));
        }
        a->slot = c->naslots++;
        c->aslots[a->slot].epoch = 0;
    }
    c->aslots[a->slot].avail = 0;
    c->aptrs[a->slot] = a;
}

/* The slot's epoch moves on, so entries made for the agent stay stale
 * for the next one in it. */
static void slot_free(sb_core *c, sb_agent *a) {
    /* Out of the agents waiting for sb__settle, which hold pointers. */
    for (uint32_t i = 0; i < c->ntolink; i++)
        if (c->tolink[i] == a) c->tolink[i--] = c->tolink[--c->ntolink];
    c->aslots[a->slot].epoch++;
    c->aslots[a->slot].avail = 0;
    c->aptrs[a->slot] = NULL;
    if (c->nfree_aslots == c->cap_free_aslots) {
        c->cap_free_aslots = c->cap_free_aslots ? c->cap_free_aslots * 2 : 16;
        c->free_aslots = sb_realloc(c->free_aslots, c->cap_free_aslots * sizeof(*c->free_aslots));
    }
    c->free_aslots[c->nfree_aslots++] = a->slot;
}

int sb_agent_login(sb_core *c, int64_t now, sb_id id) {
    sb__enter(c, now);
    sb_agent *a = find(c, id);
    if (a == NULL) return SB_ENOENT;
    if (a->state != SB_AGENT_LOGGED_OUT) return SB_ESTATE;
    a->idle_since = c->now;
    sb__agent_set_state(c, a, SB_AGENT_NOT_READY, 0);
    return SB_OK;
}

void sb__offer_withdraw(sb_core *c, sb_offer *o, bool requeue);

int sb_agent_logout(sb_core *c, int64_t now, sb_id id) {
    sb__enter(c, now);
    sb_agent *a = find(c, id);
    if (a == NULL) return SB_ENOENT;
    if (a->state == SB_AGENT_LOGGED_OUT || a->nwork) return SB_ESTATE;
    /* Leave first so nothing withdrawn below is offered straight back;
     * what it lets go of is matched best first at the batch's end. */
    sb__batch_begin(c);
    sb__agent_set_state(c, a, SB_AGENT_LOGGED_OUT, 0);
    while (a->noffers) sb__offer_withdraw(c, a->offers[a->noffers - 1], true);
    while (a->nparked) {
        sb_interaction *ix = a->parked[a->nparked - 1];
        sb__ix_unwait(c, ix);
        ix->preferred = NULL;
        ix->preferred_until = 0;
        sb__ix_enqueue(c, ix, SB_REASON_AGENT_LOGOUT);
    }
    sb__batch_end(c);
    return SB_OK;
}

int sb_agent_ready(sb_core *c, int64_t now, sb_id id) {
    sb__enter(c, now);
    sb_agent *a = find(c, id);
    if (a == NULL) return SB_ENOENT;
    if (a->state == SB_AGENT_LOGGED_OUT) return SB_ESTATE;
    if (a->state == SB_AGENT_WRAP_UP) {
        a->after_wrap = SB_AGENT_READY;
        a->after_wrap_reason = 0;
        return SB_OK;
    }
    sb__agent_set_state(c, a, SB_AGENT_READY, 0);
    sb__match_agent(c, a);
    return SB_OK;
}

int sb_agent_not_ready(sb_core *c, int64_t now, sb_id id, sb_id reason) {
    sb__enter(c, now);
    sb_agent *a = find(c, id);
    if (a == NULL) return SB_ENOENT;
    if (a->state == SB_AGENT_LOGGED_OUT) return SB_ESTATE;
    if (a->state == SB_AGENT_WRAP_UP) {
        a->after_wrap = SB_AGENT_NOT_READY;
        a->after_wrap_reason = reason;
        return SB_OK;
    }
    sb__agent_set_state(c, a, SB_AGENT_NOT_READY, reason);
    return SB_OK;
}

/* ---- configuration ---- */

static int cmp_skill(const void *x, const void *y) {
    sb_sym a = ((const sb_skill *)x)->name, b = ((const sb_skill *)y)->name;
    return (a > b) - (a < b);
}

static sb_sym *copy_syms(const sb_sym *in, uint32_t n, uint32_t *outn) {
    sb_sym *s = sb_malloc((n ? n : 1) * sizeof(*s));
    if (n) memcpy(s, in, n * sizeof(*s));
    *outn = sb_syms_normalize(s, n);
    return s;
}

static void free_view(sb_agent *a) {
    sb_free((void *)a->view.skills);
    sb_free((void *)a->view.languages);
    sb_free((void *)a->view.teams);
    sb_attrs_free(&a->attrs);
}

static int check_agent_def(sb_core *c, const sb_agent_def *d, sb_profile **profile) {
    for (uint32_t i = 0; i < d->nqueues; i++) {
        if (sb_map_get(&c->queues, d->queues[i]) == NULL) return SB_ENOENT;
        for (uint32_t j = 0; j < i; j++)
            if (d->queues[j] == d->queues[i]) return SB_EINVAL;
    }
    for (uint32_t i = 0; i < d->nskills; i++) {
        if (d->skills[i].name == 0) return SB_EINVAL;
        for (uint32_t j = 0; j < i; j++)
            if (d->skills[j].name == d->skills[i].name) return SB_EINVAL;
    }
    *profile = &c->default_profile;
    if (d->profile && (*profile = sb_map_get(&c->profiles, d->profile)) == NULL) return SB_ENOENT;
    return SB_OK;
}

int sb_agent_set(sb_core *c, int64_t now, sb_id id, const sb_agent_def *d) {
    sb__enter(c, now);
    if (id == 0) return SB_EINVAL;
    sb_profile *profile;
    int rc = check_agent_def(c, d, &profile);
    if (rc) return rc;
    sb_attrs attrs;
    if ((rc = sb_attrs_copy(&attrs, d->attrs, d->nattrs))) return rc;

    sb_agent *a = find(c, id);
    if (a == NULL) {
        a = sb_slab_take(&c->agent_slab);
        a->id = id;
        a->state = SB_AGENT_LOGGED_OUT;
        a->state_since = a->idle_since = c->now;
        slot_new(c, a);
        sb_map_put(&c->agents, id, a);
    } else {
        unlink_all(c, a);
        a->routable = false;
        free_view(a);
        a->profile->refs--;
    }
    a->profile = profile;
    profile->refs++;
    a->attrs = attrs;
    a->view.attrs = &a->attrs;
    sb_skill *skills = sb_malloc((d->nskills ? d->nskills : 1) * sizeof(*skills));
    if (d->nskills) memcpy(skills, d->skills, d->nskills * sizeof(*skills));
    qsort(skills, d->nskills, sizeof(*skills), cmp_skill);
    a->view.skills = skills;
    a->view.nskills = d->nskills;
    a->view.languages = copy_syms(d->languages, d->nlanguages, &a->view.nlanguages);
    a->view.teams = copy_syms(d->teams, d->nteams, &a->view.nteams);

    /* Memberships: drop the queues no longer served, add the new ones. */
    for (uint32_t i = a->nmembers; i-- > 0;) {
        sb_member *m = a->members[i];
        bool keep = false;
        for (uint32_t j = 0; j < d->nqueues && !keep; j++) keep = d->queues[j] == m->queue->id;
        if (!keep) sb__member_del(m);
    }
    for (uint32_t j = 0; j < d->nqueues; j++) {
        bool have = false;
        for (uint32_t i = 0; i < a->nmembers && !have; i++) have = a->members[i]->queue->id == d->queues[j];
        if (!have) sb__member_add(sb_map_get(&c->queues, d->queues[j]), a);
    }
    for (uint32_t i = 0; i < a->nmembers; i++) sb__member_eval(a->members[i]);
    sb__agent_sync(c, a);
    sb__match_agent(c, a);
    return SB_OK;
}

void sb__agent_destroy(sb_agent *a) {
    while (a->nmembers) sb__member_del(a->members[0]);
    free_view(a);
    sb_free(a->members);
    if (a->mrefs != a->mref_buf) sb_free(a->mrefs);
    if (a->offers != a->offer_buf) sb_free(a->offers);
    sb_free(a->parked);
}

int sb_agent_remove(sb_core *c, int64_t now, sb_id id) {
    sb__enter(c, now);
    sb_agent *a = find(c, id);
    if (a == NULL) return SB_ENOENT;
    if (a->state != SB_AGENT_LOGGED_OUT) return SB_ESTATE;
    a->profile->refs--;
    sb_map_del(&c->agents, id);
    slot_free(c, a);
    sb__agent_destroy(a);
    sb_slab_put(&c->agent_slab, a);
    return SB_OK;
}

int sb_agent_info_get(const sb_core *c, sb_id id, sb_agent_info *out) {
    const sb_agent *a = sb_map_get(&c->agents, id);
    if (a == NULL) return SB_ENOENT;
    memset(out, 0, sizeof(*out));
    out->state = a->state;
    out->reason = a->reason;
    out->units_used = a->units;
    memcpy(out->count, a->count, sizeof(out->count));
    for (int ch = 0; ch < SB_CH_COUNT; ch++) out->busy |= a->count[ch] != 0;
    out->avail_mask = a->avail_mask;
    out->state_since = a->state_since;
    out->idle_since = a->idle_since;
    return SB_OK;
}
