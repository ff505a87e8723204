/* interval.c: fixed intervals aligned to the epoch: queue intervals
 * (open until their segments have an outcome, or a grace has passed) and
 * the hand-out of closed rows. */
#include <string.h>

#include "base/mem.h"
#include "stats/stats-i.h"

int64_t sb__stats_iv_start(const sb_stats *s, int64_t t) {
    return sb__floordiv(t, s->cfg.interval_ms) * s->cfg.interval_ms;
}

static bool row_empty(const sb_stats_interval *r) {
    static const sb_stats_counts zero;
    if (memcmp(&r->c, &zero, sizeof(zero)) != 0 || r->unresolved) return false;
    for (int a = SB_STATS_LOGGED_OUT + 1; a < SB_STATS_ACT_COUNT; a++)
        if (r->time_ms[a]) return false;
    return true;
}

void sb__stats_emit(sb_stats *s, const sb_stats_interval *row) {
    if (row_empty(row)) return;
    s->out = sb__stats_grow(s->out, s->nout, &s->cap_out, sizeof(*s->out));
    s->out[s->nout++] = *row;
}

sb_stats_interval *sb__stats_qiv(sb_stats *s, sb__squeue *q, int64_t start, bool create) {
    uint32_t i = q->nivs;
    while (i > 0 && q->ivs[i - 1].start > start) i--;
    if (i > 0 && q->ivs[i - 1].start == start) return &q->ivs[i - 1];
    if (!create) return NULL;
    q->ivs = sb__stats_grow(q->ivs, q->nivs, &q->cap_ivs, sizeof(*q->ivs));
    memmove(&q->ivs[i + 1], &q->ivs[i], (q->nivs - i) * sizeof(*q->ivs));
    q->nivs++;
    sb_stats_interval *r = &q->ivs[i];
    memset(r, 0, sizeof(*r));
    r->kind = SB_STATS_ROW_QUEUE;
    r->id = q->id;
    r->start = start;
    r->end = start + s->cfg.interval_ms;
    if (r->end < s->next_close) s->next_close = r->end;
    return r;
}

static void close_at(sb_stats *s, sb__squeue *q, uint32_t i) {
    sb__stats_emit(s, &q->ivs[i]);
    memmove(&q->ivs[i], &q->ivs[i + 1], (q->nivs - i - 1) * sizeof(*q->ivs));
    q->nivs--;
}

void sb__stats_qiv_resolve(sb_stats *s, sb__squeue *q, int64_t entered) {
    sb_stats_interval *r = sb__stats_qiv(s, q, sb__stats_iv_start(s, entered), false);
    if (r == NULL) return; /* closed by the grace: the outcome is in no interval */
    SB_ASSERT(r->unresolved > 0);
    if (--r->unresolved) return;
    if (s->now >= r->end)
        close_at(s, q, (uint32_t)(r - q->ivs));
    else if (r->end < s->next_close)
        s->next_close = r->end;
}

void sb__stats_qiv_close_all(sb_stats *s, sb__squeue *q) {
    while (q->nivs) close_at(s, q, 0);
}

/* Queue intervals: due at their end once resolved, at end + grace in any
 * case.  Agent intervals: due at their end (accrual closes them). */
void sb__stats_close_due(sb_stats *s) {
    if (s->now >= s->next_close) {
        int64_t next = INT64_MAX, grace = s->cfg.interval_grace_ms;
        for (uint32_t k = 0; k < s->nq; k++) {
            sb__squeue *q = s->qv[k];
            for (uint32_t i = 0; i < q->nivs;) {
                const sb_stats_interval *r = &q->ivs[i];
                int64_t due = r->unresolved ? r->end + grace : r->end;
                if (s->now >= due) {
                    close_at(s, q, i);
                } else {
                    if (due < next) next = due;
                    i++;
                }
            }
        }
        s->next_close = next;
    }
    if (s->now >= s->agent_roll) {
        int64_t next = INT64_MAX;
        for (uint32_t k = 0; k < s->na; k++) {
            sb__sagent *a = s->av[k];
            sb__stats_accrue(s, a, s->now);
            if (a->iv_open && a->iv.end < next) next = a->iv.end;
        }
        s->agent_roll = next;
    }
}

const sb_stats_interval *sb_stats_intervals(const sb_stats *s, uint32_t *n) {
    *n = s->nout;
    return s->out;
}

void sb_stats_intervals_clear(sb_stats *s) { s->nout = 0; }
