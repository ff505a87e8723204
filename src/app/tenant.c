/* tenant.c: `switchboard tenant create NAME --admin USER` and
 * `switchboard tenant list`: the tenant registry, from the command line.
 * They open the data directory themselves, so the server must not be
 * running on it (the store's lock says so). */
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "app/app.h"
#include "base/status.h"
#include "store/store.h"

static const char usage_text[] =
    "usage: switchboard tenant create NAME --admin USER [--data DIR]\n"
    "       switchboard tenant list [--data DIR]\n"
    "\n"
    "create makes tenant NAME and its first administrator USER.  The password\n"
    "is read from the environment variable SB_ADMIN_PASSWORD or else from the\n"
    "first line of standard input (10 to 200 characters); it is stored as an\n"
    "Argon2id hash.  The data directory defaults to SB_DATA or ./data; the\n"
    "server must be stopped while this runs.\n";

typedef struct done {
    int finished, status;
    char error[200];
} done;

static void on_done(void *data, int status, const sb_store_batch *b) {
    done *d = data;
    d->finished = 1;
    d->status = status;
    snprintf(d->error, sizeof(d->error), "%s", sb_store_batch_error(b));
}

typedef struct scan {
    long long max_id;
    int found, list;
    const char *name;
} scan;

static int visit(void *data, const sb_store_doc *d) {
    scan *s = data;
    const char *p = strstr((const char *)d->body, "\"id\":");
    long long id = p ? atoll(p + 5) : 0;
    if (id > s->max_id) s->max_id = id;
    if (s->name && !strcmp(d->id, s->name)) s->found = 1;
    if (s->list) printf("%lld\t%s\n", id, d->id);
    return 0;
}

static int valid_name(const char *s) {
    size_t n = strlen(s);
    if (n == 0 || n > 64) return 0;
    for (size_t i = 0; i < n; i++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", s[i])) return 0;
    return 1;
}

/* The password from SB_ADMIN_PASSWORD or the first line of stdin. */
static int read_password(char *out, size_t size) {
    const char *env = getenv("SB_ADMIN_PASSWORD");
    if (env) {
        snprintf(out, size, "%s", env);
    } else if (!fgets(out, (int)size, stdin)) {
        return -1;
    }
    out[strcspn(out, "\r\n")] = '\0';
    size_t n = strlen(out);
    return n >= 10 && n <= 200 ? 0 : -1;
}

int sb_app_tenant(int argc, char **argv) {
    static const struct option opts[] = {{"admin", required_argument, 0, 'a'},
                                         {"data", required_argument, 0, 'd'},
                                         {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    const char *admin = NULL, *data = getenv("SB_DATA") ? getenv("SB_DATA") : "./data";
    int o;
    optind = 1;
    while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (o == 'a') admin = optarg;
        else if (o == 'd') data = optarg;
        else {
            fputs(usage_text, o == 'h' ? stdout : stderr);
            return o == 'h' ? 0 : 2;
        }
    }
    const char *cmd = optind < argc ? argv[optind] : "";
    int create = !strcmp(cmd, "create");
    if ((!create && strcmp(cmd, "list")) || (create && (optind + 2 != argc || !admin)) ||
        (!create && optind + 1 != argc)) {
        fputs(usage_text, stderr);
        return 2;
    }
    const char *name = create ? argv[optind + 1] : NULL;
    if (create && (!valid_name(name) || !valid_name(admin))) {
        fprintf(stderr, "switchboard tenant: names are 1 to 64 of A-Z a-z 0-9 _ . -\n");
        return 2;
    }
    char password[256] = "", hash[crypto_pwhash_STRBYTES];
    if (sodium_init() < 0) return 1;
    if (create && read_password(password, sizeof(password))) {
        fprintf(stderr, "switchboard tenant: the password (SB_ADMIN_PASSWORD or stdin) must have 10 to 200 characters\n");
        return 2;
    }
    uv_loop_t loop;
    uv_loop_init(&loop);
    sb_store *st;
    char err[256];
    int rc = sb_store_open(&loop, data, &st, err, sizeof(err));
    if (rc) {
        fprintf(stderr, "switchboard tenant: data directory %s: %s%s\n", data, err,
                rc == SB_EINUSE ? " (stop the server first)" : "");
        uv_loop_close(&loop);
        return 1;
    }
    scan s = {.name = name, .list = !create};
    rc = sb_store_doc_list(st, 0, "tenant", NULL, 0, visit, &s, NULL);
    if (rc == SB_OK && create && s.found) {
        fprintf(stderr, "switchboard tenant: tenant %s already exists\n", name);
        rc = SB_EEXIST;
    }
    if (rc == SB_OK && create) {
        if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                              crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
            fprintf(stderr, "switchboard tenant: cannot hash the password (out of memory?)\n");
            rc = SB_ELIMIT;
        }
        sodium_memzero(password, sizeof(password));
    }
    if (rc == SB_OK && create) {
        uint64_t id = (uint64_t)s.max_id + 1;
        char body[512];
        sb_store_batch *b = sb_store_batch_new((int64_t)uv_now(&loop));
        snprintf(body, sizeof(body), "{\"id\":%llu,\"name\":\"%s\"}", (unsigned long long)id, name);
        sb_store_batch_put(b, 0, "tenant", name, 0, body, strlen(body));
        snprintf(body, sizeof(body), "{\"id\":\"%s\",\"role\":\"admin\",\"display_name\":\"%s\"}", admin, admin);
        sb_store_batch_put(b, id, "user", admin, 0, body, strlen(body));
        snprintf(body, sizeof(body), "{\"hash\":\"%s\"}", hash);
        sb_store_batch_put(b, id, "password", admin, 0, body, strlen(body));
        char key[48];
        int64_t now = (int64_t)time(NULL) * 1000;
        snprintf(key, sizeof(key), "%013lld.000000", (long long)now);
        snprintf(body, sizeof(body),
                 "{\"id\":\"%s\",\"at\":%lld,\"actor\":\"command line\",\"action\":\"create\","
                 "\"collection\":\"tenants\",\"object\":\"%s\",\"before\":null,"
                 "\"after\":{\"name\":\"%s\",\"admin\":\"%s\"}}",
                 key, (long long)now, name, name, admin);
        sb_store_batch_put(b, id, "audit", key, 0, body, strlen(body));
        done d = {0};
        if ((rc = sb_store_submit(st, b, on_done, &d)) == SB_OK) {
            while (!d.finished) uv_run(&loop, UV_RUN_ONCE);
            rc = d.status;
        }
        if (rc)
            fprintf(stderr, "switchboard tenant: cannot store: %s\n", d.error[0] ? d.error : sb_status_name(rc));
        else
            printf("tenant %s (id %llu) created with administrator %s\n", name, (unsigned long long)id, admin);
    }
    sb_store_close(st);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    return rc ? 1 : 0;
}
