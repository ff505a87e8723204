/* chat.c: the web chat channel, and what an agent works an interaction
 * with: messages, typing, notes, the customer's other interactions.
 *
 * A customer starts a conversation from the widget (POST
 * /v1/chat/sessions, public): a chat interaction is created and routed
 * like any other, and the customer gets a token that opens that one
 * conversation (auth.c, role customer).  Messages, from either side, are
 * documents ("chat", id "<interaction>.<n>") written in the same
 * transaction as their event (chat.message, journaled and streamed like
 * the core's), so a message is durable before it is acknowledged and the
 * transcript outlives the journal.  Notes are documents too ("note"),
 * never streamed and never shown to the customer.  Typing is not stored.
 *
 * A customer whose last stream closed while the interaction still waits
 * is "gone"; after --chat-abandon-ms without a new stream the interaction
 * is abandoned (a reload comes back well within that). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"

#define TEXT_MAX 4000        /* characters of a message or a note */
#define NAME_MAX_CHARS 100
#define EMAIL_MAX 200
#define SESSIONS_PER_MINUTE 20 /* new conversations per address */
#define RELATED_MAX 50

/* ---- small helpers ------------------------------------------------------------ */

/* Characters (code points) of valid UTF-8 text (jansson checked it). */
static size_t chars(const char *s) {
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* A string member of 1..max characters, not only blanks; NULL after
 * answering 400 (or when absent and optional: *absent set). */
static const char *text_member(sb__req *r, json_t *body, const char *key, size_t max, bool required,
                               bool *absent) {
    json_t *v = json_object_get(body, key);
    *absent = v == NULL || json_is_null(v);
    if (*absent && !required) return NULL;
    const char *s = json_string_value(v);
    if (s && chars(s) >= 1 && chars(s) <= max && strspn(s, " \t\r\n") < strlen(s)) return s;
    sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", key),
                "%s: text of 1 to %zu characters is required", key, max);
    return NULL;
}

/* The body {text} of a message or a note: its text, or NULL after
 * answering 400 (or 415).  *body is the parsed body to free. */
static const char *text_body(sb__req *r, json_t **body) {
    static const char *const fields[] = {"text", NULL};
    bool absent;
    *body = sb__body(r);
    if (*body == NULL || !sb__check_fields(r, *body, "", fields)) return NULL;
    return text_member(r, *body, "text", TEXT_MAX, true, &absent);
}

static void docid_n(uint64_t ix, uint32_t n, char out[40]) {
    snprintf(out, 40, "%020llu.%06u", (unsigned long long)ix, n);
}

/* The display name of an agent, or of the user when it has none. */
static const char *display_name(const sb__tenant *t, const sb__who *w) {
    json_t *a = w->agent ? json_object_get(t->res[SB__RES_AGENT], sb__name(t, w->agent)) : NULL;
    const char *n = json_string_value(json_object_get(a, "display_name"));
    if (n == NULL) n = json_string_value(json_object_get(json_object_get(t->res[SB__RES_USER], w->user), "display_name"));
    return n ? n : w->user;
}

static json_t *agent_json(const sb__tenant *t, const char *agent) {
    if (agent == NULL || !*agent) return json_null();
    json_t *a = json_object_get(t->res[SB__RES_AGENT], agent);
    const char *n = json_string_value(json_object_get(a, "display_name"));
    return json_pack("{s:s, s:s}", "id", agent, "name", n ? n : agent);
}

static int no_content(sb__req *r) {
    sb_http_respond(r->http, 204, NULL, NULL, 0);
    return 0;
}

/* ---- messages and notes ---------------------------------------------------------- */

/* Stage message n+1 of x in the transaction: its document and its event.
 * Returns the message (a new reference). */
static json_t *say(sb__txn *tx, sb__rec *x, const char *from, const char *name, const char *text) {
    sb__tenant *t = sb__txn_tenant(tx);
    char id[40];
    docid_n(x->id, ++x->nmsg, id);
    sb__rec_dirty(t, x);
    json_t *msg = json_pack("{s:I, s:I, s:s, s:s, s:s}", "n", (json_int_t)x->nmsg, "at",
                            (json_int_t)sb__now(t->api), "from", from, "name", name, "text", text);
    sb__txn_put_doc(tx, "chat", id, msg);
    sb__txn_api_event(tx, SB__EV_CHAT_MESSAGE, x->id, x->queue, x->agent, json_pack("{s:O}", "message", msg));
    return msg;
}

typedef struct scan {
    char prefix[24];
    json_t *items;
} scan;

static int scan_one(void *data, const sb_store_doc *d) {
    scan *s = data;
    if (strncmp(d->id, s->prefix, 21)) return 1; /* past this interaction's */
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    if (o) json_array_append_new(s->items, o);
    return 0;
}

/* The committed messages ("chat") or notes ("note") of interaction ix. */
static json_t *documents_of(sb__tenant *t, const char *kind, uint64_t ix) {
    scan s = {.items = json_array()};
    snprintf(s.prefix, sizeof(s.prefix), "%020llu.", (unsigned long long)ix);
    sb_store_doc_list(t->api->env.store, t->id, kind, s.prefix, 0, scan_one, &s, NULL);
    return s.items;
}

/* ---- the customer's side ------------------------------------------------------------ */

/* The customer's view of its conversation: ix its interaction's document
 * (stolen); pending: messages staged but not yet committed (borrowed, may
 * be NULL); seq: the last event it reflects (a stream resumes after it). */
static json_t *conversation(sb__tenant *t, json_t *ix, json_t *pending, uint64_t seq) {
    const char *state = json_string_value(json_object_get(ix, "state"));
    const char *queue = json_string_value(json_object_get(ix, "queue"));
    const char *agent = json_string_value(json_object_get(ix, "agent"));
    uint64_t id = strtoull(json_string_value(json_object_get(ix, "id")), NULL, 10);
    json_t *position = json_null(), *wait = json_null();
    bool waiting = state && (!strcmp(state, "queued") || !strcmp(state, "offered"));
    sb_explain e;
    int64_t now = sb__now(t->api);
    if (waiting && sb_interaction_explain(t->core, now, id, &e) == SB_OK) {
        position = json_integer(e.position ? e.position : 1); /* offered: it is next */
        json_t *qs = sb__tstats_queue_json(t, sb__id_of(t, queue), now);
        json_t *ew = json_object_get(qs, "estimated_wait_ms");
        if (json_is_integer(ew)) wait = json_integer(json_integer_value(ew));
        json_decref(qs);
    }
    json_t *messages = documents_of(t, "chat", id);
    size_t i;
    json_t *m;
    json_array_foreach(pending, i, m) json_array_append(messages, m);
    bool joined = agent && state && strcmp(state, "queued") && strcmp(state, "offered");
    json_t *contact = json_object_get(ix, "contact");
    json_t *doc = json_pack("{s:O, s:s, s:s, s:o, s:o, s:o, s:O, s:o, s:I}", "interaction",
                            json_object_get(ix, "id"), "queue", queue ? queue : "", "state",
                            state ? state : "", "position", position, "estimated_wait_ms", wait,
                            "agent", joined ? agent_json(t, agent) : json_null(), "contact",
                            contact ? contact : json_null(), "messages", messages, "seq",
                            (json_int_t)seq);
    json_decref(ix);
    return doc;
}

/* The customer's interaction document, live or stored. */
static json_t *customer_ix(sb__req *r) {
    return sb__ix_doc(r, r->who.ix);
}

/* New conversations per address: a token bucket of SESSIONS_PER_MINUTE. */
typedef struct bucket {
    double tokens;
    int64_t at;
} bucket;

void sb__chat_free(sb_api *api) { sb_map_free_all(&api->chat_buckets, sb_free); }

static bool session_allowed(sb__req *r) {
    sb_map *buckets = &r->api->chat_buckets; /* addresses are the process's clients */
    char host[64];
    snprintf(host, sizeof(host), "%s", sb_http_request_remote(r->http));
    char *colon = strrchr(host, ':'); /* the port goes */
    if (colon) *colon = '\0';
    uint64_t key = 1469598103934665603ull;
    for (const char *p = host; *p; p++) key = (key ^ (unsigned char)*p) * 1099511628211ull;
    key |= 1; /* never 0 */
    int64_t now = sb__now(r->api);
    if (sb_map_len(buckets) > 100000) { /* forget everyone: at worst a fresh allowance */
        sb__chat_free(r->api);
        sb_map_init(buckets);
    }
    bucket *b = sb_map_get(buckets, key);
    if (b == NULL) {
        b = sb_calloc(1, sizeof(*b));
        b->tokens = SESSIONS_PER_MINUTE;
        b->at = now;
        sb_map_put(buckets, key, b);
    }
    b->tokens += (double)(now - b->at) * SESSIONS_PER_MINUTE / 60000.0;
    if (b->tokens > SESSIONS_PER_MINUTE) b->tokens = SESSIONS_PER_MINUTE;
    b->at = now;
    if (b->tokens < 1) {
        int wait = (int)((1 - b->tokens) * 60.0 / SESSIONS_PER_MINUTE + 0.999);
        char ra[16];
        snprintf(ra, sizeof(ra), "%d", wait);
        sb_http_response_header(r->http, "Retry-After", ra);
        sb__problem(r->http, 429, "rate_limited", NULL, "too many new conversations: retry after %s s", ra);
        return false;
    }
    b->tokens -= 1;
    return true;
}

/* POST /v1/chat/sessions {tenant?, queue, name, email?, text?} (public) */
void sb__chat_session(sb__req *r) {
    static const char *const fields[] = {"tenant", "queue", "name", "email", "text", NULL};
    json_t *body = sb__body(r), *ixbody = NULL;
    if (body == NULL || !sb__check_fields(r, body, "", fields)) goto out;
    json_t *tn = json_object_get(body, "tenant");
    if (tn && !json_is_string(tn)) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "tenant"), "tenant: a tenant's name");
        goto out;
    }
    r->t = sb__tenant_find(r->api, tn ? json_string_value(tn) : "default");
    if (r->t == NULL) {
        sb__problem(r->http, 404, "not_found", NULL, "no such tenant");
        goto out;
    }
    bool absent;
    const char *name = text_member(r, body, "name", NAME_MAX_CHARS, true, &absent);
    if (name == NULL) goto out;
    const char *email = text_member(r, body, "email", EMAIL_MAX, false, &absent);
    if (email == NULL && !absent) goto out;
    if (email && (!strchr(email, '@') || strpbrk(email, " \t\r\n"))) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "email"), "email: an e-mail address");
        goto out;
    }
    const char *text = text_member(r, body, "text", TEXT_MAX, false, &absent);
    if (text == NULL && !absent) goto out;
    json_t *q = json_object_get(body, "queue");
    if (!json_is_string(q) || json_object_get(r->t->res[SB__RES_QUEUE], json_string_value(q)) == NULL) {
        sb__problem(r->http, 404, "not_found", json_pack("{s:s}", "field", "queue"), "no such queue");
        goto out;
    }
    if (!session_allowed(r)) goto out;
    /* The customer: the e-mail (their other interactions follow it), else
     * someone new. */
    char customer[EMAIL_MAX * 4 + 8];
    if (email) {
        size_t k = 0;
        for (; email[k] && k < sizeof(customer) - 1; k++)
            customer[k] = (char)(email[k] >= 'A' && email[k] <= 'Z' ? email[k] + 32 : email[k]);
        customer[k] = '\0';
    } else {
        uint8_t raw[12];
        randombytes_buf(raw, sizeof(raw));
        strcpy(customer, "web:");
        sodium_bin2hex(customer + 4, sizeof(customer) - 4, raw, sizeof(raw));
    }
    ixbody = json_pack("{s:O, s:s, s:s}", "queue", q, "channel", "chat", "customer", customer);
    sb__rec *x = sb__rec_create(r, ixbody);
    if (x == NULL) goto out;
    json_t *contact = json_pack("{s:s}", "name", name);
    if (email) json_object_set_new(contact, "email", json_string(email));
    x->contact = json_dumps(contact, JSON_COMPACT);
    json_decref(contact);
    uint64_t id = x->id;
    sb__txn *tx = sb__txn_begin(r->t, r->http);
    sb__ix_index_customer(tx, x);
    char token[SB__TOKEN_MAX];
    sb__customer_token(tx, id, token);
    json_t *pending = json_array();
    sb__txn_drain(tx); /* routed now; it may even have ended (a closed queue) */
    if ((x = sb_map_get(&r->t->live, id)) != NULL && text)
        json_array_append_new(pending, say(tx, x, "customer", name, text));
    sb__txn_drain(tx);
    /* as this transaction stores it: it may have ended at once (an overflow
     * chain that ends), and the customer is told so */
    /* the answer goes out once this transaction's events are published:
     * the stream resumes after the last of them */
    json_t *conv = conversation(r->t, sb__txn_rec_doc(tx, id), pending, sb_core_next_seq(r->t->core) - 1);
    json_decref(pending);
    sb__txn_respond(tx, 201, json_pack("{s:s, s:o}", "token", token, "conversation", conv), 0);
    sb__txn_commit(tx);
out:
    json_decref(ixbody);
    json_decref(body);
}

/* GET /v1/chat/conversation */
void sb__chat_conversation(sb__req *r) {
    json_t *ix = customer_ix(r);
    if (ix == NULL) {
        sb__problem(r->http, 404, "not_found", NULL, "no such conversation");
        return;
    }
    sb__send(r->http, 200, conversation(r->t, ix, NULL, r->t->published), 0);
}

/* The customer's live interaction for a change; NULL after answering 409
 * (it has ended: wrap-up or later). */
static sb__rec *customer_live(sb__req *r, bool wrapup_ok) {
    sb__rec *x = sb_map_get(&r->t->live, r->who.ix);
    if (x && (x->state < SB_IX_WRAP_UP || (wrapup_ok && x->state == SB_IX_WRAP_UP))) return x;
    json_t *ix = customer_ix(r);
    sb__problem(r->http, 409, "invalid_state",
                json_pack("{s:O}", "state", ix ? json_object_get(ix, "state") : json_null()),
                "the conversation has ended");
    json_decref(ix);
    return NULL;
}

static const char *customer_name(const sb__rec *x) {
    static char name[NAME_MAX_CHARS * 4 + 1];
    json_t *c = x->contact ? json_loads(x->contact, 0, NULL) : NULL;
    snprintf(name, sizeof(name), "%s", json_string_value(json_object_get(c, "name")) ?: "Customer");
    json_decref(c);
    return name;
}

/* POST /v1/chat/messages {text} */
void sb__chat_say(sb__req *r) {
    json_t *body;
    const char *text = text_body(r, &body);
    sb__rec *x;
    if (text && (x = customer_live(r, false))) {
        sb__txn *tx = sb__txn_begin(r->t, r->http);
        sb__txn_respond(tx, 201, say(tx, x, "customer", customer_name(x), text), 0);
        sb__txn_commit(tx);
    }
    json_decref(body);
}

static bool typing_member(sb__req *r, json_t *body, bool *typing) {
    static const char *const fields[] = {"typing", NULL};
    if (!sb__check_fields(r, body, "", fields)) return false;
    json_t *v = json_object_get(body, "typing");
    if (!json_is_boolean(v)) {
        sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "typing"), "typing: true or false");
        return false;
    }
    *typing = json_is_true(v);
    return true;
}

/* POST /v1/chat/typing {typing} */
void sb__chat_typing(sb__req *r) {
    json_t *body = sb__body(r);
    bool typing;
    sb__rec *x;
    if (body && typing_member(r, body, &typing) && (x = customer_live(r, false))) {
        sb__stream_typing(r->t, x->id, x->agent, true, typing);
        no_content(r);
    }
    json_decref(body);
}

/* POST /v1/chat/end: the customer leaves.  Waiting: abandoned.  With an
 * agent: the agent is told, and the conversation ends (wrap-up as the
 * queue says). */
void sb__chat_end(sb__req *r) {
    sb__tenant *t = r->t;
    sb__rec *x = sb_map_get(&t->live, r->who.ix);
    if (x == NULL || x->state >= SB_IX_WRAP_UP) { /* already over: say how */
        json_t *ix = customer_ix(r);
        if (ix == NULL) sb__problem(r->http, 404, "not_found", NULL, "no such conversation");
        else sb__send(r->http, 200, conversation(t, ix, NULL, t->published), 0);
        return;
    }
    uint64_t id = x->id;
    int64_t now = sb__now(r->api);
    sb__txn *tx = sb__txn_begin(t, r->http);
    json_t *pending = json_array();
    json_t *snapshot = sb__rec_json(t, x);
    int rc, final;
    if (x->state == SB_IX_CONNECTED) {
        json_array_append_new(pending, say(tx, x, "system", "Switchboard", "The customer left the chat."));
        rc = sb_interaction_end_hint(t->core, now, id, x->slot);
        final = SB_IX_COMPLETED;
    } else {
        rc = sb_interaction_abandon(t->core, now, id);
        final = SB_IX_ABANDONED;
    }
    sb_map_del(&t->chat_gone, id);
    sb__txn_drain(tx);
    if (rc != SB_OK) { /* the states above make this unreachable; be clear anyway */
        json_decref(pending);
        json_decref(snapshot);
        sb__txn_respond(tx, 409, json_pack("{s:s, s:i}", "code", "invalid_state", "status", 409), 0);
        sb__txn_commit(tx);
        return;
    }
    x = sb_map_get(&t->live, id);
    json_object_set_new(snapshot, "state", json_string(sb_ix_state_name(x ? x->state : final)));
    sb__txn_respond(tx, 200, conversation(t, snapshot, pending, sb_core_next_seq(t->core) - 1), 0);
    json_decref(pending);
    sb__txn_commit(tx);
}

/* The customer's streams: counted, so that a waiting customer without
 * any is known to be gone. */
void sb__chat_connected(sb__tenant *t, uint64_t ix, int delta) {
    uintptr_t n = (uintptr_t)sb_map_get(&t->chat_conns, ix);
    n = delta > 0 ? n + 1 : n ? n - 1 : 0;
    if (n) {
        sb_map_put(&t->chat_conns, ix, (void *)n);
        sb_map_del(&t->chat_gone, ix);
        return;
    }
    sb_map_del(&t->chat_conns, ix);
    sb__rec *x = sb_map_get(&t->live, ix);
    if (x && x->state <= SB_IX_OFFERED && !t->api->stopping)
        sb_map_put(&t->chat_gone, ix, (void *)(uintptr_t)sb__now(t->api));
}

void sb__chat_restored(sb__tenant *t) {
    int64_t now = sb__now(t->api);
    uint32_t it = 0;
    uint64_t ix;
    void *v;
    while (sb_map_next(&t->live, &it, &ix, &v)) {
        const sb__rec *x = v;
        if (x->contact && x->state <= SB_IX_OFFERED) sb_map_put(&t->chat_gone, ix, (void *)(uintptr_t)now);
    }
}

void sb__chat_tick(sb__tenant *t, int64_t now) {
    if (sb_map_len(&t->chat_gone) == 0) return;
    int64_t limit = t->api->env.chat_abandon_ms ? t->api->env.chat_abandon_ms : 60000;
    uint64_t due[64];
    size_t n = 0;
    uint32_t it = 0;
    uint64_t ix;
    void *since;
    while (n < 64 && sb_map_next(&t->chat_gone, &it, &ix, &since))
        if (now - (int64_t)(uintptr_t)since >= limit) due[n++] = ix;
    if (n == 0) return;
    sb__txn *tx = sb__txn_begin(t, NULL);
    for (size_t i = 0; i < n; i++) {
        sb_map_del(&t->chat_gone, due[i]);
        sb__rec *x = sb_map_get(&t->live, due[i]);
        if (x && x->state <= SB_IX_OFFERED) sb_interaction_abandon(t->core, now, due[i]);
    }
    sb__txn_commit(tx);
}

/* ---- the staff's side ----------------------------------------------------------------- */

/* The messages ("chat") or notes ("note") of the path's interaction. */
static void list_of(sb__req *r, const char *kind) {
    uint64_t id;
    json_t *doc = sb__ix_seen(r, &id);
    if (doc == NULL) return;
    json_decref(doc);
    sb__send(r->http, 200, json_pack("{s:o}", "items", documents_of(r->t, kind, id)), 0);
}

/* GET /v1/interactions/{id}/messages */
void sb__ix_messages(sb__req *r) { list_of(r, "chat"); }

/* Messages and typing go to a connected conversation, from its agent (or
 * a supervisor or an administrator who sees it); false after answering 409. */
static bool may_talk(sb__req *r, const sb__rec *x) {
    if (x->state == SB_IX_CONNECTED && (r->who.role != SB__ROLE_AGENT || x->agent == r->who.agent)) return true;
    sb__problem(r->http, 409, "invalid_state", json_pack("{s:s}", "state", sb_ix_state_name(x->state)),
                "messages and typing go to a connected conversation, from its agent");
    return false;
}

/* POST /v1/interactions/{id}/messages {text}: the agent connected to it,
 * or a supervisor or an administrator who sees it. */
void sb__ix_say(sb__req *r) {
    json_t *body;
    const char *text = text_body(r, &body);
    sb__rec *x;
    if (text && (x = sb__ix_live(r)) && may_talk(r, x)) {
        sb__txn *tx = sb__txn_begin(r->t, r->http);
        sb__txn_respond(tx, 201, say(tx, x, "agent", display_name(r->t, &r->who), text), 0);
        sb__txn_commit(tx);
    }
    json_decref(body);
}

/* POST /v1/interactions/{id}/typing {typing} */
void sb__ix_typing(sb__req *r) {
    json_t *body = sb__body(r);
    bool typing;
    sb__rec *x;
    if (body && typing_member(r, body, &typing) && (x = sb__ix_live(r)) && may_talk(r, x)) {
        sb__stream_typing(r->t, x->id, x->agent, false, typing);
        no_content(r);
    }
    json_decref(body);
}

/* GET /v1/interactions/{id}/notes */
void sb__ix_notes(sb__req *r) { list_of(r, "note"); }

/* POST /v1/interactions/{id}/notes {text}: while it is not finished. */
void sb__ix_note(sb__req *r) {
    json_t *body;
    const char *text = text_body(r, &body);
    sb__rec *x;
    if (text && (x = sb__ix_live(r))) {
        char id[40];
        docid_n(x->id, ++x->nnotes, id);
        sb__rec_dirty(r->t, x);
        json_t *note = json_pack("{s:I, s:I, s:s, s:s}", "n", (json_int_t)x->nnotes, "at",
                                 (json_int_t)sb__now(r->api), "author", r->who.user, "text", text);
        sb__txn *tx = sb__txn_begin(r->t, r->http);
        sb__txn_put_doc(tx, "note", id, note);
        sb__txn_respond(tx, 201, note, 0);
        sb__txn_commit(tx);
    }
    json_decref(body);
}

/* The index of interactions by customer: "cust" documents whose id is
 * a hash of the customer, a dot, the interaction's document id. */
static void customer_key(const char *customer, char out[34]) {
    uint8_t h[16];
    crypto_generichash(h, sizeof(h), (const unsigned char *)customer, strlen(customer), NULL, 0);
    sodium_bin2hex(out, 33, h, sizeof(h));
    out[32] = '.';
    out[33] = '\0';
}

void sb__ix_index_customer(sb__txn *tx, const sb__rec *x) {
    if (x->customer == NULL) return;
    char id[34 + 24];
    customer_key(x->customer, id);
    sb__rec_docid(x->id, id + 33);
    sb_store_batch_put(sb__txn_batch(tx), sb__txn_tenant(tx)->id, "cust", id, SB_STORE_ANY_VERSION, "{}", 2);
}

typedef struct related {
    char prefix[34];
    uint64_t self;
    uint64_t ids[RELATED_MAX + 1]; /* a ring of the newest */
    size_t n;
} related;

static int related_one(void *data, const sb_store_doc *d) {
    related *c = data;
    if (strncmp(d->id, c->prefix, 33)) return 1;
    uint64_t id = strtoull(d->id + 33, NULL, 10);
    if (id != c->self) c->ids[c->n++ % RELATED_MAX] = id;
    return 0;
}

/* GET /v1/interactions/{id}/related: the customer's other interactions. */
void sb__ix_related(sb__req *r) {
    uint64_t id;
    json_t *doc = sb__ix_seen(r, &id);
    if (doc == NULL) return;
    json_t *items = json_array();
    const char *customer = json_string_value(json_object_get(doc, "customer"));
    if (customer) {
        related c = {.self = id};
        customer_key(customer, c.prefix);
        sb_store_doc_list(r->api->env.store, r->t->id, "cust", c.prefix, 0, related_one, &c, NULL);
        size_t have = c.n < RELATED_MAX ? c.n : RELATED_MAX;
        for (size_t k = 0; k < have; k++) { /* newest first */
            json_t *o = sb__ix_doc(r, c.ids[(c.n - 1 - k) % RELATED_MAX]);
            if (o) json_array_append_new(items, o);
        }
    }
    json_decref(doc);
    sb__send(r->http, 200, json_pack("{s:o}", "items", items), 0);
}
