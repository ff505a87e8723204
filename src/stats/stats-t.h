/* stats-t.h: the statistics layer's internal types (no functions).
 * Nothing outside src/stats includes it. */
#ifndef SB_STATS_STATS_T_H
#define SB_STATS_STATS_T_H

#include "base/map.h"
#include "stats/stats.h"

/* Where a live interaction is, as far as the figures care. */
typedef enum sb__rec_state {
    SB__REC_CREATED = 0, /* created, no segment yet (or put back by a restore) */
    SB__REC_WAITING,     /* in a segment, queued */
    SB__REC_OFFERED,     /* in a segment, offered to one agent or more */
    SB__REC_CONNECTED,   /* answered: talking with rec->agent */
    SB__REC_WRAP,        /* in wrap-up with rec->agent */
    SB__REC_BETWEEN,     /* left a segment (transfer), the next not yet begun */
} sb__rec_state;

struct sb__squeue;

/* One live interaction: removed at its end. */
typedef struct sb__srec {
    sb_id id;
    struct sb__squeue *queue; /* of its segment or its work; NULL between */
    int64_t entered;          /* the segment's entry into queue */
    int64_t accepted, wrapped;
    struct sb__srec *prev, *next; /* the queue's waiting list; next: free list */
    uint8_t state;                /* sb__rec_state */
    bool restored;                /* connected without an answer seen: not handled */
} sb__srec;

/* One minute of a sliding window. */
typedef struct sb__sbucket {
    int64_t minute; /* floor(t / 60000); INT64_MIN when empty */
    sb_stats_counts c;
} sb__sbucket;

typedef struct sb__squeue {
    sb_id id;
    uint32_t pos; /* in sb_stats.qv */
    int64_t sl_ms;
    uint32_t waiting, offering; /* segments queued or offered / offered */
    uint32_t live;              /* records whose queue is this one */
    sb__srec *head, *tail;      /* waiting segments, by entry */
    uint32_t agents, by_act[SB_STATS_ACT_COUNT];
    sb_stats_counts today;
    sb__sbucket *ring; /* window_min buckets, by minute % window_min */
    /* Open intervals by start; row.unresolved counts the segments that
     * entered in it and still wait. */
    sb_stats_interval *ivs;
    uint32_t nivs, cap_ivs;
} sb__squeue;

struct sb__sagent;

typedef struct sb__steam_queue {
    sb__squeue *q;
    uint32_t refs; /* members serving it */
} sb__steam_queue;

typedef struct sb__steam {
    sb_id id;
    uint32_t pos;
    struct sb__sagent **members;
    uint32_t nmembers, cap_members;
    sb__steam_queue *queues;
    uint32_t nqueues, cap_queues;
} sb__steam;

typedef struct sb__sagent {
    sb_id id;
    uint32_t pos;
    uint8_t state; /* sb_agent_state */
    sb_id reason;
    int64_t state_since;
    uint8_t act; /* sb_stats_activity */
    int64_t act_since;
    uint32_t held;                       /* offered, connected, wrap-up */
    int64_t acc;                         /* time accrued up to */
    int64_t time_ms[SB_STATS_ACT_COUNT]; /* today */
    sb_stats_counts today;
    bool iv_open;
    sb_stats_interval iv;
    sb__squeue **queues;
    uint32_t nqueues;
    sb__steam **teams;
    uint32_t nteams;
} sb__sagent;

struct sb_stats {
    sb_stats_config cfg;
    int64_t now;       /* the clock: the latest time seen */
    int64_t day_start; /* "today" began */
    sb_map ixs, queues, agents, teams;
    /* The objects in creation order (swap-removed): what views and the
     * interval closer walk, deterministically. */
    sb__squeue **qv;
    uint32_t nq, cap_q;
    sb__sagent **av;
    uint32_t na, cap_a;
    sb__steam **tv;
    uint32_t nt, cap_t;
    sb__srec *free_recs;
    uint32_t nrecs;
    sb_stats_interval *out; /* closed, not yet cleared */
    uint32_t nout, cap_out;
    int64_t next_close; /* no queue interval closes before this */
    int64_t agent_roll; /* no agent interval ends before this */
};

#endif
