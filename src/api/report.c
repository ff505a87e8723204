/* report.c: GET /v1/reports/intervals and /v1/reports/interactions.
 *
 * Interval reports read the stored interval rows (documents of kind
 * "interval", UTC-aligned, figures.c) and add them up into local intervals
 * of 15, 30 or 60 minutes of the days from..to in an IANA time zone.  Day
 * boundaries come from the system's tz database (tzdata), through TZ and
 * mktime / localtime_r under a save and restore of TZ (the loop thread is
 * the only one that reads local time).  Every interval of every day is
 * listed, empty ones with zeros: a day of 23 hours has 92 rows of 15
 * minutes per queue or agent, one of 25 hours 100.
 *
 * By team, the rows of the team's current agents are added up.  By channel
 * and by wrap-up code the stored interactions ("ix" and "live" documents) are counted
 * instead, each in the interval it arrived in: the interval rows do not
 * carry those keys (docs/statistics.md, "Reports"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"

#define MAX_DAYS 31
#define DAY_MS 86400000LL
#define MAX_IX_ROWS 100000

/* ---- time zones ---------------------------------------------------------------- */

/* A name of the tz database that exists in /usr/share/zoneinfo. */
static bool valid_zone(const char *z) {
    size_t n = strlen(z);
    if (n == 0 || n > 64 || z[0] == '/' || strstr(z, "..")) return false;
    for (size_t i = 0; i < n; i++) {
        char c = z[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '/' || c == '_' ||
              c == '-' || c == '+'))
            return false;
    }
    char path[128], magic[4];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", z);
    FILE *f = fopen(path, "rb");
    if (f == NULL) return false;
    bool ok = fread(magic, 1, 4, f) == 4 && !memcmp(magic, "TZif", 4);
    fclose(f);
    return ok;
}

/* TZ set to a zone for a few calls, then as it was. */
typedef struct tz_scope {
    char *saved;
    bool had;
} tz_scope;

static void tz_enter(tz_scope *s, const char *zone) {
    const char *old = getenv("TZ");
    s->had = old != NULL;
    s->saved = old ? strdup(old) : NULL;
    setenv("TZ", zone, 1);
    tzset();
}

static void tz_leave(tz_scope *s) {
    if (s->had && s->saved)
        setenv("TZ", s->saved, 1);
    else
        unsetenv("TZ");
    tzset();
    free(s->saved);
}

static bool parse_date(const char *s, int *y, int *m, int *d) {
    char tail;
    if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", y, m, d, &tail) != 3 || s[4] != '-' || s[7] != '-')
        return false;
    if (*y < 1970 || *y > 9999 || *m < 1 || *m > 12 || *d < 1 || *d > 31) return false;
    struct tm tm = {.tm_year = *y - 1900, .tm_mon = *m - 1, .tm_mday = *d, .tm_hour = 12};
    time_t t = timegm(&tm);
    struct tm back;
    gmtime_r(&t, &back);
    return back.tm_mday == *d && back.tm_mon == *m - 1; /* no 31 April */
}

/* Days since the epoch of a calendar date (proleptic, as UTC). */
static int64_t day_number(int y, int m, int d) {
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    return (int64_t)timegm(&tm) / 86400;
}

/* The calendar date of day number n: "YYYY-MM-DD". */
static void day_text(int64_t n, char out[48], struct tm *tm) {
    time_t t = (time_t)(n * 86400 + 43200);
    gmtime_r(&t, tm);
    snprintf(out, 48, "%04d-%02d-%02d", tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday);
}

/* Local midnight of a calendar date in the current TZ (ms). */
static int64_t local_midnight(const struct tm *date) {
    struct tm tm = {.tm_year = date->tm_year, .tm_mon = date->tm_mon, .tm_mday = date->tm_mday, .tm_isdst = -1};
    return (int64_t)mktime(&tm) * 1000;
}

/* ISO 8601 local time with its offset, in the current TZ. */
static void local_text(int64_t ms, char out[64]) {
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    long off = tm.tm_gmtoff / 60;
    char sign = off < 0 ? '-' : '+';
    if (off < 0) off = -off;
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d%c%02ld:%02ld", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
             tm.tm_hour, tm.tm_min, tm.tm_sec, sign, off / 60, off % 60);
}

/* ---- the common query: from, to, tz, format -------------------------------------- */

typedef struct range {
    char from[16], to[16], tz[72];
    int64_t first_day, ndays; /* day numbers of the calendar dates */
    bool csv;
} range;

static bool bad(sb__req *r, const char *field, const char *detail) {
    sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", field), "%s: %s", field, detail);
    return false;
}

static bool parse_range(sb__req *r, range *g) {
    char fmt[16] = "json";
    int y1, m1, d1, y2, m2, d2;
    if (!sb__query(r, "tz", g->tz, sizeof(g->tz))) snprintf(g->tz, sizeof(g->tz), "UTC");
    if (!valid_zone(g->tz)) return bad(r, "tz", "an IANA time zone such as Europe/Berlin");
    if (!sb__query(r, "from", g->from, sizeof(g->from))) { /* today, in the zone */
        time_t now = (time_t)(sb__now(r->api) / 1000);
        struct tm tm;
        tz_scope tz;
        tz_enter(&tz, g->tz);
        localtime_r(&now, &tm);
        tz_leave(&tz);
        snprintf(g->from, sizeof(g->from), "%04d-%02d-%02d", (tm.tm_year + 1900) % 10000, (tm.tm_mon + 1) % 100,
                 tm.tm_mday % 100);
    }
    if (!parse_date(g->from, &y1, &m1, &d1)) return bad(r, "from", "a date YYYY-MM-DD");
    if (!sb__query(r, "to", g->to, sizeof(g->to))) snprintf(g->to, sizeof(g->to), "%s", g->from);
    if (!parse_date(g->to, &y2, &m2, &d2)) return bad(r, "to", "a date YYYY-MM-DD");
    if (sb__query(r, "format", fmt, sizeof(fmt)) && strcmp(fmt, "json") && strcmp(fmt, "csv"))
        return bad(r, "format", "json or csv");
    g->csv = !strcmp(fmt, "csv");
    g->first_day = day_number(y1, m1, d1);
    g->ndays = day_number(y2, m2, d2) - g->first_day + 1;
    if (g->ndays < 1) return bad(r, "to", "not before from");
    if (g->ndays > MAX_DAYS) return bad(r, "to", "at most 31 days from from");
    return true;
}

static void send_csv(sb__req *r, char *text, size_t len) {
    sb_http_respond(r->http, 200, "text/csv; charset=utf-8", text, len);
    free(text);
}

/* ---- /v1/reports/intervals -------------------------------------------------------------- */

typedef struct slot {
    int64_t start, end; /* UTC ms */
    uint32_t day;       /* index into the days */
    char local[64];
} slot;

/* The sums of one local interval of one queue or agent. */
typedef struct acc {
    struct {
        int64_t offered, answered, answered_in_sl, abandoned, short_abandoned, handled;
        int64_t answer_wait_ms, talk_ms, wrap_ms, logged_in_ms, busy_ms;
    } c;
} acc;

typedef enum by_kind { BY_QUEUE, BY_AGENT, BY_TEAM, BY_CHANNEL, BY_WRAPUP } by_kind;
static const char *const by_names[] = {"queue", "agent", "team", "channel", "wrapup_code"};
#define SHORT_ABANDON_MS 5000 /* as the statistics' default */

typedef struct ireport {
    sb__req *r;
    int by;              /* by_kind */
    bool agents;         /* the agent rows are read (by agent or team) */
    slot *slots;
    size_t nslots;
    int64_t lo, hi;      /* the whole range, UTC ms */
    char **groups;       /* ids, sorted */
    size_t ngroups, capgroups;
    json_t *seen;        /* group id -> its index once sorted (a set while collecting) */
    acc *cells;          /* nslots x ngroups */
    bool summing;        /* the second pass over the stored rows */
} ireport;

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void add_group(ireport *p, const char *id) {
    if (json_object_get(p->seen, id)) return;
    json_object_set_new(p->seen, id, json_integer(0));
    if (p->ngroups == p->capgroups) {
        p->capgroups = p->capgroups ? 2 * p->capgroups : 16;
        p->groups = sb_realloc(p->groups, p->capgroups * sizeof(*p->groups));
    }
    p->groups[p->ngroups++] = sb_strdup(id);
}

/* Is a team's figure visible: admins and keys, its supervisors, its agents. */
static bool see_team(ireport *p, const char *team) {
    const sb__who *w = &p->r->who;
    if (w->role == SB__ROLE_ADMIN || w->role == SB__ROLE_INTEGRATION) return true;
    json_t *owner = w->role == SB__ROLE_SUPERVISOR
                        ? json_object_get(p->r->t->res[SB__RES_USER], w->user)
                        : json_object_get(p->r->t->res[SB__RES_AGENT], sb__name(p->r->t, w->agent));
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(owner, "teams"), i, v) if (!strcmp(json_string_value(v), team)) return true;
    return false;
}

static bool visible(ireport *p, const char *id) {
    sb_id sid = sb__id_of(p->r->t, id);
    if (p->by == BY_TEAM) return see_team(p, id);
    return p->agents ? sb__see_agent(p->r->t, &p->r->who, sid) : sb__see_queue(p->r->t, &p->r->who, sid);
}

/* The slot an instant falls in: the last one starting at or before it. */
static size_t slot_of(const ireport *p, int64_t at) {
    size_t lo = 0, hi = p->nslots;
    while (hi - lo > 1) {
        size_t mid = (lo + hi) / 2;
        if (p->slots[mid].start <= at)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static int64_t num(json_t *o, const char *k) { return (int64_t)json_integer_value(json_object_get(o, k)); }

static void add_row(ireport *p, const sb_store_doc *d, int64_t start, const char *id);

/* A stored row: the first pass collects the groups (from the id alone),
 * the second adds the row into its cell. */
static int row_seen(void *data, const sb_store_doc *d) {
    ireport *p = data;
    long long start = strtoll(d->id, NULL, 10);
    if (start >= p->hi) return 1; /* ids sort by start: done */
    const char *dot = strchr(d->id, '.');
    const char *kind = p->agents ? "agent." : "queue.";
    if (start < p->lo || dot == NULL || strncmp(dot + 1, kind, 6)) return 0;
    const char *id = dot + 7;
    if (p->by == BY_TEAM) { /* the agent's row goes to each of its teams */
        json_t *teams = json_object_get(json_object_get(p->r->t->res[SB__RES_AGENT], id), "teams"), *v;
        size_t i;
        if (!p->summing) return 0; /* the groups are the visible teams */
        json_array_foreach(teams, i, v) if (json_object_get(p->seen, json_string_value(v)))
            add_row(p, d, start, json_string_value(v));
        return 0;
    }
    if (!p->summing) {
        if (visible(p, id)) add_group(p, id);
        return 0;
    }
    add_row(p, d, start, id);
    return 0;
}

/* Add the stored row d (of interval start) into group id's cell. */
static void add_row(ireport *p, const sb_store_doc *d, int64_t start, const char *id) {
    json_t *g = json_object_get(p->seen, id);
    if (g == NULL) return;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    if (o == NULL) return;
    acc *a = &p->cells[slot_of(p, start) * p->ngroups + (size_t)json_integer_value(g)];
    a->c.offered += num(o, "offered");
    a->c.answered += num(o, "answered");
    a->c.answered_in_sl += num(o, "answered_in_sl");
    a->c.abandoned += num(o, "abandoned");
    a->c.short_abandoned += num(o, "short_abandoned");
    a->c.handled += num(o, "handled");
    a->c.answer_wait_ms += num(o, "answer_wait_ms");
    a->c.talk_ms += num(o, "talk_ms");
    a->c.wrap_ms += num(o, "wrap_ms");
    json_t *tm = json_object_get(o, "time_ms");
    int64_t busy = num(tm, "busy");
    a->c.busy_ms += busy;
    a->c.logged_in_ms += busy + num(tm, "ready") + num(tm, "not_ready") + num(tm, "not_responding");
    json_decref(o);
}

/* By channel or wrap-up code: one stored interaction, in the interval it
 * arrived in.  Answered within the service level: its first answer came
 * within its queue's threshold; a short abandon: it was abandoned within
 * SHORT_ABANDON_MS; handled: completed, its talk and wrap-up being the time
 * from the first answer to the completion. */
static int ix_row(void *data, const sb_store_doc *d) {
    ireport *p = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    int64_t arrived = num(o, "arrived_at");
    const char *q = json_string_value(json_object_get(o, "queue")), *a = json_string_value(json_object_get(o, "agent"));
    sb__tenant *t = p->r->t;
    if (o == NULL || arrived < p->lo || arrived >= p->hi ||
        !sb__see_ix(t, &p->r->who, q ? sb__id_of(t, q) : 0, a ? sb__id_of(t, a) : 0, NULL)) {
        json_decref(o);
        return 0;
    }
    const char *key = json_string_value(json_object_get(o, p->by == BY_CHANNEL ? "channel" : "wrapup_code"));
    json_t *g = json_object_get(p->seen, key ? key : "none");
    if (g) {
        acc *c = &p->cells[slot_of(p, arrived) * p->ngroups + (size_t)json_integer_value(g)];
        const char *state = json_string_value(json_object_get(o, "state"));
        int64_t answered = num(o, "answered_at"), ended = num(o, "ended_at");
        json_t *sl = json_object_get(json_object_get(t->res[SB__RES_QUEUE], q ? q : ""), "service_level");
        json_t *th = json_object_get(sl, "threshold_seconds");
        int64_t threshold = th ? (int64_t)(json_number_value(th) * 1000) : 20000;
        c->c.offered++;
        if (answered) {
            c->c.answered++;
            c->c.answer_wait_ms += answered - arrived;
            c->c.answered_in_sl += answered - arrived <= threshold;
        }
        if (state && !strcmp(state, "abandoned")) {
            c->c.abandoned++;
            c->c.short_abandoned += ended && ended - arrived < SHORT_ABANDON_MS;
        }
        if (state && !strcmp(state, "completed") && answered) {
            c->c.handled++;
            c->c.talk_ms += ended - answered;
        }
    }
    json_decref(o);
    return 0;
}

static json_t *ratio(double v) { return v < 0 ? json_null() : json_real(v); }

static void ratios(const acc *a, double *sl, double *asa, double *aht) {
    int64_t den = a->c.answered + a->c.abandoned - a->c.short_abandoned;
    *sl = den > 0 ? (double)a->c.answered_in_sl / (double)den : -1;
    *asa = a->c.answered > 0 ? (double)a->c.answer_wait_ms / (double)a->c.answered : -1;
    *aht = a->c.handled > 0 ? (double)(a->c.talk_ms + a->c.wrap_ms) / (double)a->c.handled : -1;
}

static void csv_ratio(FILE *f, double v) {
    if (v >= 0)
        fprintf(f, ",%.6g", v);
    else
        fputs(",", f);
}

void sb__report_intervals(sb__req *r) {
    range g;
    if (!parse_range(r, &g)) return;
    char by[16] = "queue", iv[8] = "15";
    int kind = BY_QUEUE;
    if (sb__query(r, "group_by", by, sizeof(by))) {
        while (kind <= BY_WRAPUP && strcmp(by, by_names[kind])) kind++;
        if (kind > BY_WRAPUP) {
            bad(r, "group_by", "queue, agent, team, channel or wrapup_code");
            return;
        }
    }
    if (sb__query(r, "interval", iv, sizeof(iv)) && strcmp(iv, "15") && strcmp(iv, "30") && strcmp(iv, "60")) {
        bad(r, "interval", "15, 30 or 60 (minutes)");
        return;
    }
    int64_t len_ms = atoi(iv) * 60000LL, stored = r->api->stats_interval_ms;
    if (len_ms % stored) {
        bad(r, "interval", "not a multiple of the stored intervals");
        return;
    }
    ireport p = {.r = r, .by = kind, .agents = kind == BY_AGENT || kind == BY_TEAM, .seen = json_object()};
    char (*dates)[48] = sb_malloc((size_t)g.ndays * sizeof(*dates));
    /* the local days and their intervals, with TZ set to the zone */
    tz_scope tz;
    tz_enter(&tz, g.tz);
    size_t cap = (size_t)g.ndays * (size_t)(26 * 3600000 / len_ms + 1);
    p.slots = sb_malloc(cap * sizeof(*p.slots));
    bool misaligned = false;
    for (int64_t k = 0; k < g.ndays; k++) {
        struct tm date, next;
        char nd[48];
        day_text(g.first_day + k, dates[k], &date);
        day_text(g.first_day + k + 1, nd, &next);
        int64_t a = local_midnight(&date), b = local_midnight(&next);
        if (k == 0) p.lo = a;
        p.hi = b;
        misaligned |= a % stored != 0;
        for (int64_t s = a; s < b && p.nslots < cap; s += len_ms) {
            slot *sl = &p.slots[p.nslots++];
            sl->start = s;
            sl->end = s + len_ms < b ? s + len_ms : b;
            sl->day = (uint32_t)k;
            local_text(s, sl->local);
        }
    }
    tz_leave(&tz);
    if (misaligned) {
        sb_free(p.slots);
        sb_free(dates);
        json_decref(p.seen);
        bad(r, "tz", "the zone's offset is not a multiple of the stored intervals");
        return;
    }
    /* groups: the visible configured ones, and those the stored rows name */
    const char *id;
    json_t *o;
    if (kind == BY_CHANNEL) {
        for (int ch = 0; ch < SB_CH_COUNT; ch++) add_group(&p, sb_channel_name(ch));
    } else if (kind == BY_WRAPUP) {
        add_group(&p, "none");
        json_object_foreach(r->t->res[SB__RES_WRAPUP], id, o) add_group(&p, id);
    } else {
        int res = kind == BY_TEAM ? SB__RES_TEAM : p.agents ? SB__RES_AGENT : SB__RES_QUEUE;
        json_object_foreach(r->t->res[res], id, o) if (visible(&p, id)) add_group(&p, id);
    }
    char after[24];
    snprintf(after, sizeof(after), "%013lld", (long long)(p.lo - 1 < 0 ? 0 : p.lo - 1));
    /* "%013lld" of lo - 1 sorts before every id of start lo ("...lo.kind.id") */
    int rc = kind >= BY_CHANNEL ? 0 : sb_store_doc_list(r->api->env.store, r->t->id, "interval", after, 0, row_seen, &p, NULL);
    if (rc < 0) {
        sb__problem(r->http, 503, "storage_error", NULL, "cannot read the intervals");
        goto done;
    }
    if (p.ngroups) qsort(p.groups, p.ngroups, sizeof(*p.groups), cmp_str);
    for (size_t k = 0; k < p.ngroups; k++) json_object_set_new(p.seen, p.groups[k], json_integer((json_int_t)k));
    p.cells = sb_calloc(p.nslots * (p.ngroups ? p.ngroups : 1), sizeof(*p.cells));
    p.summing = true;
    if (p.ngroups && (kind >= BY_CHANNEL ? sb_store_doc_list_over(r->api->env.store, r->t->id, "ix", "live", NULL, 0, ix_row, &p, NULL)
                                         : sb_store_doc_list(r->api->env.store, r->t->id, "interval", after, 0, row_seen, &p, NULL)) < 0) {
        sb__problem(r->http, 503, "storage_error", NULL, "cannot read the intervals");
        goto done;
    }
    const char *gname = by_names[kind];
    if (g.csv) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        fprintf(f, "date,start,end,start_ms,end_ms,%s,offered,answered,abandoned,short_abandoned,answered_in_sl,"
                   "handled,answer_wait_ms,talk_ms,wrap_ms,service_level,asa_ms,aht_ms%s\r\n",
                gname, p.agents ? ",logged_in_ms,busy_ms" : "");
        for (size_t s = 0; s < p.nslots; s++) {
            char end[64];
            tz_enter(&tz, g.tz);
            local_text(p.slots[s].end, end);
            tz_leave(&tz);
            for (size_t k = 0; k < p.ngroups; k++) {
                const acc *a = &p.cells[s * p.ngroups + k];
                double sl, asa, aht;
                ratios(a, &sl, &asa, &aht);
                fprintf(f, "%s,%s,%s,%lld,%lld,%s,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld", dates[p.slots[s].day],
                        p.slots[s].local, end, (long long)p.slots[s].start, (long long)p.slots[s].end, p.groups[k],
                        (long long)a->c.offered, (long long)a->c.answered, (long long)a->c.abandoned,
                        (long long)a->c.short_abandoned, (long long)a->c.answered_in_sl, (long long)a->c.handled,
                        (long long)a->c.answer_wait_ms, (long long)a->c.talk_ms, (long long)a->c.wrap_ms);
                csv_ratio(f, sl);
                csv_ratio(f, asa);
                csv_ratio(f, aht);
                if (p.agents) fprintf(f, ",%lld,%lld", (long long)a->c.logged_in_ms, (long long)a->c.busy_ms);
                fputs("\r\n", f);
            }
        }
        fclose(f);
        send_csv(r, text, len);
    } else {
        json_t *rows = json_array(), *days = json_array();
        for (int64_t k = 0; k < g.ndays; k++) {
            size_t n = 0;
            for (size_t s = 0; s < p.nslots; s++) n += p.slots[s].day == (uint32_t)k;
            json_array_append_new(days, json_pack("{s:s, s:I}", "date", dates[k], "intervals", (json_int_t)n));
        }
        for (size_t s = 0; s < p.nslots; s++) {
            for (size_t k = 0; k < p.ngroups; k++) {
                const acc *a = &p.cells[s * p.ngroups + k];
                double sl, asa, aht;
                ratios(a, &sl, &asa, &aht);
                json_t *row = json_pack(
                    "{s:s, s:s, s:I, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o}", "date",
                    dates[p.slots[s].day], "start", p.slots[s].local, "start_ms", (json_int_t)p.slots[s].start,
                    "end_ms", (json_int_t)p.slots[s].end, gname, p.groups[k], "offered", (json_int_t)a->c.offered,
                    "answered", (json_int_t)a->c.answered, "abandoned", (json_int_t)a->c.abandoned,
                    "short_abandoned", (json_int_t)a->c.short_abandoned, "answered_in_sl",
                    (json_int_t)a->c.answered_in_sl, "handled", (json_int_t)a->c.handled, "answer_wait_ms",
                    (json_int_t)a->c.answer_wait_ms, "talk_ms", (json_int_t)a->c.talk_ms, "wrap_ms",
                    (json_int_t)a->c.wrap_ms, "service_level", ratio(sl), "asa_ms", ratio(asa), "aht_ms", ratio(aht));
                if (p.agents) {
                    json_object_set_new(row, "logged_in_ms", json_integer(a->c.logged_in_ms));
                    json_object_set_new(row, "busy_ms", json_integer(a->c.busy_ms));
                }
                json_array_append_new(rows, row);
            }
        }
        sb__send(r->http, 200,
                 json_pack("{s:s, s:s, s:s, s:s, s:i, s:o, s:o}", "from", g.from, "to", g.to, "tz", g.tz,
                           "group_by", by, "interval", atoi(iv), "days", days, "rows", rows),
                 0);
    }
done:
    for (size_t k = 0; k < p.ngroups; k++) sb_free(p.groups[k]);
    sb_free(p.groups);
    sb_free(p.cells);
    sb_free(p.slots);
    sb_free(dates);
    json_decref(p.seen);
}

/* ---- /v1/reports/interactions ------------------------------------------------------------ */

typedef struct xreport {
    sb__req *r;
    int64_t lo, hi;
    json_t *items;
    bool truncated;
} xreport;

static int ix_seen(void *data, const sb_store_doc *d) {
    xreport *p = data;
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    if (o == NULL) return 0;
    int64_t created = num(o, "created_at");
    const char *q = json_string_value(json_object_get(o, "queue"));
    const char *a = json_string_value(json_object_get(o, "agent"));
    sb__tenant *t = p->r->t;
    uint64_t id = strtoull(d->id, NULL, 10);
    if (created >= p->lo && created < p->hi &&
        sb__see_ix(t, &p->r->who, q ? sb__id_of(t, q) : 0, a ? sb__id_of(t, a) : 0, sb_map_get(&t->live, id))) {
        if (json_array_size(p->items) >= MAX_IX_ROWS) {
            p->truncated = true;
            json_decref(o);
            return 1;
        }
        json_t *ended = json_object_get(o, "ended_at");
        json_array_append_new(
            p->items, json_pack("{s:O, s:O, s:O, s:O, s:I, s:O, s:O}", "id", json_object_get(o, "id"), "queue",
                                json_object_get(o, "queue") ? json_object_get(o, "queue") : json_null(), "channel",
                                json_object_get(o, "channel") ? json_object_get(o, "channel") : json_null(), "state",
                                json_object_get(o, "state") ? json_object_get(o, "state") : json_null(),
                                "created_at", (json_int_t)created, "ended_at",
                                ended && json_integer_value(ended) ? ended : json_null(), "agent",
                                json_object_get(o, "agent") ? json_object_get(o, "agent") : json_null()));
    }
    json_decref(o);
    return 0;
}

static void csv_str(FILE *f, json_t *v) {
    const char *s = json_string_value(v);
    if (json_is_integer(v)) {
        fprintf(f, "%lld", (long long)json_integer_value(v));
        return;
    }
    if (s == NULL) return;
    bool quote = strpbrk(s, ",\"\r\n") != NULL;
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

void sb__report_interactions(sb__req *r) {
    range g;
    if (!parse_range(r, &g)) return;
    struct tm date, last;
    char tmp[48];
    day_text(g.first_day, tmp, &date);
    day_text(g.first_day + g.ndays, tmp, &last);
    tz_scope tz;
    tz_enter(&tz, g.tz);
    xreport p = {.r = r, .lo = local_midnight(&date), .hi = local_midnight(&last), .items = json_array()};
    tz_leave(&tz);
    /* ids grow with creation: a scan in id order (the finished "ix" and
     * the unfinished "live" documents) */
    int rc = sb_store_doc_list_over(r->api->env.store, r->t->id, "ix", "live", NULL, 0, ix_seen, &p, NULL);
    if (rc < 0) {
        json_decref(p.items);
        sb__problem(r->http, 503, "storage_error", NULL, "cannot read the interactions");
        return;
    }
    if (g.csv) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        fputs("id,queue,channel,state,created_at,ended_at,agent\r\n", f);
        size_t i;
        json_t *o;
        json_array_foreach(p.items, i, o) {
            static const char *const keys[] = {"id", "queue", "channel", "state", "created_at", "ended_at", "agent"};
            for (int k = 0; k < 7; k++) {
                if (k) fputc(',', f);
                csv_str(f, json_object_get(o, keys[k]));
            }
            fputs("\r\n", f);
        }
        fclose(f);
        json_decref(p.items);
        send_csv(r, text, len);
        return;
    }
    sb__send(r->http, 200,
             json_pack("{s:s, s:s, s:s, s:I, s:I, s:o, s:b}", "from", g.from, "to", g.to, "tz", g.tz, "from_ms",
                       (json_int_t)p.lo, "to_ms", (json_int_t)p.hi, "items", p.items, "truncated", p.truncated),
             0);
}
