/* audit.c: the audit log.  Every configuration change and administrative
 * action is written, in the same transaction as the change itself, as a
 * document of kind "audit": who, when, what, the object before and
 * after.  The API can read it (admins) and never change it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api-i.h"
#include "base/status.h"

void sb__audit(sb__txn *x, const char *actor, const char *action, const char *collection,
               const char *id, json_t *before, json_t *after) {
    sb__tenant *t = sb__txn_tenant(x);
    int64_t now = sb__now(t->api);
    char key[48];
    /* time, then a counter: ids sort as the entries were written */
    snprintf(key, sizeof(key), "%013lld.%06llu", (long long)now, (unsigned long long)(t->audit_n++ % 1000000));
    json_t *doc = json_pack("{s:s, s:I, s:s, s:s, s:s, s:s}", "id", key, "at", (json_int_t)now, "actor",
                            actor && *actor ? actor : "system", "action", action, "collection",
                            collection, "object", id);
    json_object_set(doc, "before", before ? before : json_null());
    json_object_set(doc, "after", after ? after : json_null());
    json_object_del(json_object_get(doc, "before"), "version");
    sb__txn_put_doc(x, "audit", key, doc);
    json_decref(doc);
}

typedef struct list_ctx {
    json_t *items;
    size_t limit;
    const char *actor, *collection;
    char last[48];
} list_ctx;

static int one(void *data, const sb_store_doc *d) {
    list_ctx *l = data;
    snprintf(l->last, sizeof(l->last), "%s", d->id);
    json_t *o = json_loadb(d->body, d->len, 0, NULL);
    const char *a = json_string_value(json_object_get(o, "actor"));
    const char *c = json_string_value(json_object_get(o, "collection"));
    if (o && (!l->actor || (a && !strcmp(a, l->actor))) && (!l->collection || (c && !strcmp(c, l->collection))))
        json_array_append(l->items, o);
    json_decref(o);
    return json_array_size(l->items) == l->limit;
}

/* GET /v1/audit?actor=&collection=&limit=&cursor=&order=asc|desc :
 * oldest first, or newest first with order=desc. */
void sb__audit_list(sb__req *r) {
    char actor[72], coll[64], cursor[48], order[64];
    bool desc = false;
    if (sb__query(r, "order", order, sizeof(order))) {
        if (strcmp(order, "asc") && strcmp(order, "desc")) {
            sb__problem(r->http, 400, "invalid_field", json_pack("{s:s}", "field", "order"),
                        "order: asc or desc");
            return;
        }
        desc = !strcmp(order, "desc");
    }
    list_ctx l = {.limit = 100};
    l.actor = sb__query(r, "actor", actor, sizeof(actor)) ? actor : NULL;
    l.collection = sb__query(r, "collection", coll, sizeof(coll)) ? coll : NULL;
    if (!sb__limit(r, &l.limit)) return;
    bool has_cursor = sb__query(r, "cursor", cursor, sizeof(cursor));
    l.items = json_array();
    int more = 0;
    int rc = (desc ? sb_store_doc_list_desc : sb_store_doc_list)(
        r->api->env.store, r->t->id, "audit", has_cursor ? cursor : NULL, 20 * l.limit + 1000, one, &l, &more);
    if (rc < 0) {
        json_decref(l.items);
        sb__problem(r->http, 503, "storage_error", NULL, "%s", sb_store_errmsg(r->api->env.store));
        return;
    }
    sb__send(r->http, 200,
             json_pack("{s:o, s:o}", "items", l.items, "next_cursor",
                       rc == 1 || more ? json_string(l.last) : json_null()),
             0);
}
