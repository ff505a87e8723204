/* feed.c: the core's events, one by one, into segments (an interaction's
 * stays in queues), their outcomes, the work of agents and the counters
 * of today, the sliding window and the intervals. */
#include <string.h>

#include "base/mem.h"
#include "stats/stats-i.h"

typedef enum outcome { ANSWERED, ABANDONED, CANCELED, ENDED, MOVED } outcome;

/* ---- live interaction records ---- */

static sb__srec *rec_get(sb_stats *s, sb_id id) { return sb_map_get(&s->ixs, id); }

static sb__srec *rec_new(sb_stats *s, sb_id id) {
    sb__srec *r = s->free_recs;
    if (r)
        s->free_recs = r->next;
    else
        r = sb_malloc(sizeof(*r));
    memset(r, 0, sizeof(*r));
    r->id = id;
    sb_map_put(&s->ixs, id, r);
    s->nrecs++;
    return r;
}

static sb__srec *rec_find_or_new(sb_stats *s, sb_id id) {
    sb__srec *r = rec_get(s, id);
    return r ? r : rec_new(s, id);
}

static void rec_queue(sb__srec *r, sb__squeue *q) {
    if (r->queue) r->queue->live--;
    r->queue = q;
    if (q) q->live++;
}

static void rec_free(sb_stats *s, sb__srec *r) {
    rec_queue(r, NULL);
    sb_map_del(&s->ixs, r->id);
    s->nrecs--;
    r->next = s->free_recs;
    s->free_recs = r;
}

void sb__stats_rec_free_all(sb_stats *s) {
    uint64_t k;
    void *v;
    for (uint32_t i = 0; sb_map_next(&s->ixs, &i, &k, &v);) sb_free(v);
    while (s->free_recs) {
        sb__srec *r = s->free_recs;
        s->free_recs = r->next;
        sb_free(r);
    }
}

static bool in_segment(const sb__srec *r) {
    return r->state == SB__REC_WAITING || r->state == SB__REC_OFFERED;
}

/* ---- counters ---- */

/* The counters of q an event at t adds to: today's, the window bucket of
 * t, and the interval starting at iv_start (created if create; left out
 * when that interval is closed).  Returns how many. */
static int targets(sb_stats *s, sb__squeue *q, int64_t t, int64_t iv_start, bool create,
                   sb_stats_counts **out) {
    int n = 0;
    out[n++] = &q->today;
    out[n++] = sb__stats_bucket(q, s->cfg.window_min, t);
    sb_stats_interval *iv = sb__stats_qiv(s, q, iv_start, create);
    if (iv) out[n++] = &iv->c;
    return n;
}

static void wait_max(sb_stats_counts *c, int64_t wait) {
    if (wait > c->max_wait_ms) c->max_wait_ms = wait;
}

/* ---- segments ---- */

static void seg_end(sb_stats *s, sb__srec *r, int64_t t, outcome how) {
    sb__squeue *q = r->queue;
    int64_t wait = t - r->entered;
    if (r->prev) r->prev->next = r->next; else q->head = r->next;
    if (r->next) r->next->prev = r->prev; else q->tail = r->prev;
    r->prev = r->next = NULL;
    q->waiting--;
    if (r->state == SB__REC_OFFERED) q->offering--;
    sb_stats_counts *c[3];
    int n = targets(s, q, t, sb__stats_iv_start(s, r->entered), false, c);
    for (int i = 0; i < n; i++) {
        switch (how) {
        case ANSWERED:
            c[i]->answered++;
            c[i]->answered_in_sl += wait <= q->sl_ms;
            c[i]->answer_wait_ms += wait;
            wait_max(c[i], wait);
            break;
        case ABANDONED:
            c[i]->abandoned++;
            c[i]->short_abandoned += wait < s->cfg.short_abandon_ms;
            c[i]->abandon_wait_ms += wait;
            wait_max(c[i], wait);
            break;
        case CANCELED: c[i]->canceled++; break;
        case ENDED: c[i]->ended++; break;
        case MOVED: c[i]->moved++; break;
        }
    }
    sb__stats_qiv_resolve(s, q, r->entered);
    r->state = SB__REC_BETWEEN;
}

static void seg_begin(sb_stats *s, sb__srec *r, sb__squeue *q, int64_t t) {
    if (in_segment(r)) seg_end(s, r, t, MOVED);
    rec_queue(r, q);
    r->entered = t;
    r->state = SB__REC_WAITING;
    r->restored = false;
    r->prev = q->tail;
    r->next = NULL;
    if (q->tail) q->tail->next = r; else q->head = r;
    q->tail = r;
    q->waiting++;
    sb_stats_counts *c[3];
    int n = targets(s, q, t, sb__stats_iv_start(s, t), true, c);
    for (int i = 0; i < n; i++) c[i]->offered++;
    sb__stats_qiv(s, q, sb__stats_iv_start(s, t), false)->unresolved++;
}

/* ---- events ---- */

static void on_queued(sb_stats *s, const sb_event *e, int64_t t) {
    sb__srec *r = rec_find_or_new(s, e->ix);
    sb__squeue *q = sb__stats_queue(s, e->queue);
    bool fresh = e->reason == SB_REASON_NEW || e->reason == SB_REASON_TRANSFER ||
                 e->reason == SB_REASON_OVERFLOW;
    if (fresh || !in_segment(r) || r->queue != q) {
        seg_begin(s, r, q, t);
    } else if (r->state == SB__REC_OFFERED) { /* back in line, same segment */
        q->offering--;
        r->state = SB__REC_WAITING;
    }
}

static void on_offered(sb_stats *s, const sb_event *e, int64_t t) {
    sb__stats_agent_hold(s, sb__stats_agent(s, e->agent), +1, t);
    sb__srec *r = rec_get(s, e->ix);
    if (r && r->state == SB__REC_WAITING) {
        r->state = SB__REC_OFFERED;
        r->queue->offering++;
    }
}

static void agent_answer(sb_stats *s, sb__sagent *a, const sb__squeue *q, int64_t wait, int64_t t) {
    sb_stats_counts *c[2] = {&a->today, sb__stats_agent_iv(s, a, t)};
    for (int i = 0; i < 2; i++) {
        c[i]->answered++;
        c[i]->answered_in_sl += wait <= q->sl_ms;
        c[i]->answer_wait_ms += wait;
        wait_max(c[i], wait);
    }
}

static void on_accepted(sb_stats *s, const sb_event *e, int64_t t) {
    sb__sagent *a = sb__stats_agent(s, e->agent);
    sb__srec *r = rec_find_or_new(s, e->ix);
    if (r->state == SB__REC_CONNECTED || r->state == SB__REC_WRAP) return; /* said already */
    /* An offer turns into work; work without an offer (a restore) is new. */
    if (r->state != SB__REC_OFFERED) sb__stats_agent_hold(s, a, +1, t);
    if (in_segment(r)) {
        agent_answer(s, a, r->queue, t - r->entered, t);
        seg_end(s, r, t, ANSWERED);
    } else {
        r->restored = true; /* not answered here: no handle time */
        rec_queue(r, sb__stats_queue(s, e->queue));
    }
    r->state = SB__REC_CONNECTED;
    r->accepted = t;
}

static void on_wrap_up(sb_stats *s, const sb_event *e, int64_t t) {
    sb__srec *r = rec_get(s, e->ix);
    if (r == NULL || r->state != SB__REC_CONNECTED) return;
    r->state = SB__REC_WRAP;
    r->wrapped = t;
}

/* Connected work ends (completed) or leaves its agent (transferred). */
static void work_done(sb_stats *s, sb__srec *r, sb__sagent *a, sb__squeue *q, bool completed,
                      int64_t t) {
    bool wrap = r->state == SB__REC_WRAP;
    int64_t talk = (wrap ? r->wrapped : t) - r->accepted, wrap_ms = wrap ? t - r->wrapped : 0;
    sb_stats_counts *c[5];
    int n = targets(s, q, t, sb__stats_iv_start(s, t), true, c);
    c[n++] = &a->today;
    c[n++] = sb__stats_agent_iv(s, a, t);
    for (int i = 0; i < n; i++) {
        if (completed) {
            c[i]->handled++;
            c[i]->talk_ms += talk;
            c[i]->wrap_ms += wrap_ms;
        } else {
            c[i]->transferred++;
        }
    }
}

static void on_completed(sb_stats *s, const sb_event *e, int64_t t) {
    sb__sagent *a = sb__stats_agent(s, e->agent);
    sb__stats_agent_hold(s, a, -1, t);
    sb__srec *r = rec_get(s, e->ix);
    if (r == NULL) return;
    bool working = r->state == SB__REC_CONNECTED || r->state == SB__REC_WRAP;
    if (working && !r->restored)
        work_done(s, r, a, r->queue ? r->queue : sb__stats_queue(s, e->queue), true, t);
    rec_free(s, r);
}

/* Abandoned, canceled, ended: the interaction is over. */
static void on_left(sb_stats *s, const sb_event *e, int64_t t, outcome how) {
    sb__srec *r = rec_get(s, e->ix);
    if (r == NULL) return;
    if (in_segment(r)) seg_end(s, r, t, how);
    rec_free(s, r);
}

static void on_transferred(sb_stats *s, const sb_event *e, int64_t t) {
    sb__srec *r = rec_get(s, e->ix);
    if (r == NULL) return;
    if (in_segment(r)) {
        seg_end(s, r, t, MOVED);
    } else if (e->agent && (r->state == SB__REC_CONNECTED || r->state == SB__REC_WRAP)) {
        sb__sagent *a = sb__stats_agent(s, e->agent);
        sb__stats_agent_hold(s, a, -1, t);
        if (!r->restored)
            work_done(s, r, a, r->queue ? r->queue : sb__stats_queue(s, e->queue2), false, t);
    }
    r->state = SB__REC_BETWEEN;
    rec_queue(r, NULL);
}

/* At max wait the segment ends; at admission (no segment yet) nothing. */
static void on_overflowed(sb_stats *s, const sb_event *e, int64_t t) {
    sb__srec *r = rec_get(s, e->ix);
    if (r && in_segment(r)) {
        seg_end(s, r, t, MOVED);
        rec_queue(r, NULL);
    }
}

/* The ids each type needs are there (the core always sets them; ids are
 * never 0). */
static bool well_formed(const sb_event *e) {
    switch (e->type) {
    case SB_EV_AGENT_STATE: return e->agent != 0;
    case SB_EV_IX_QUEUED: return e->ix && e->queue;
    case SB_EV_IX_OFFERED:
    case SB_EV_IX_REJECTED:
    case SB_EV_IX_TIMED_OUT:
    case SB_EV_IX_WITHDRAWN: return e->ix && e->agent;
    case SB_EV_IX_ACCEPTED:
    case SB_EV_IX_COMPLETED: return e->ix && e->agent && e->queue;
    case SB_EV_IX_TRANSFERRED: return e->ix && e->queue2;
    default: return e->ix != 0 || e->type >= SB_EV_QUEUE_OPEN;
    }
}

void sb_stats_event(sb_stats *s, const sb_event *e) {
    sb_stats_advance(s, e->at);
    if (!well_formed(e)) return;
    int64_t t = s->now;
    switch (e->type) {
    case SB_EV_AGENT_STATE:
        sb__stats_agent_state(s, sb__stats_agent(s, e->agent), e->state, e->code, t);
        break;
    case SB_EV_IX_CREATED:
        if (rec_get(s, e->ix) == NULL) rec_new(s, e->ix);
        break;
    case SB_EV_IX_QUEUED: on_queued(s, e, t); break;
    case SB_EV_IX_OFFERED: on_offered(s, e, t); break;
    case SB_EV_IX_ACCEPTED: on_accepted(s, e, t); break;
    case SB_EV_IX_REJECTED:
    case SB_EV_IX_TIMED_OUT:
    case SB_EV_IX_WITHDRAWN:
        sb__stats_agent_hold(s, sb__stats_agent(s, e->agent), -1, t);
        break;
    case SB_EV_IX_WRAP_UP: on_wrap_up(s, e, t); break;
    case SB_EV_IX_COMPLETED: on_completed(s, e, t); break;
    case SB_EV_IX_ABANDONED: on_left(s, e, t, ABANDONED); break;
    case SB_EV_IX_CANCELED: on_left(s, e, t, CANCELED); break;
    case SB_EV_IX_ENDED: on_left(s, e, t, ENDED); break;
    case SB_EV_IX_TRANSFERRED: on_transferred(s, e, t); break;
    case SB_EV_IX_OVERFLOWED: on_overflowed(s, e, t); break;
    default: break; /* step, preferred, attributes, queue open/closed */
    }
}

void sb_stats_events(sb_stats *s, const sb_event *ev, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) sb_stats_event(s, &ev[i]);
}
