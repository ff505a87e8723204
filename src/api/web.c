/* web.c: the browser pages (agent desktop, wallboard, admin pages, chat
 * widget) as static files.  The folder given by --web is read once at
 * start into memory, so serving a file never touches the disk on the loop
 * thread.  GET and HEAD only; "/" is index.html; a path naming a folder
 * or a file that is not there is 404 like any unknown resource. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "api/api-i.h"
#include "base/mem.h"
#include "base/status.h"

#define WEB_MAX_FILES 512
#define WEB_MAX_BYTES (32u << 20) /* all files together */

typedef struct web_file {
    char *path; /* "/js/api.js" */
    const char *type;
    char *data;
    size_t len;
} web_file;

struct sb__web {
    web_file *files;
    size_t n, bytes;
};

static const char *type_of(const char *path) {
    static const struct {
        const char *ext, *type;
    } types[] = {{".html", "text/html; charset=utf-8"},
                 {".js", "text/javascript; charset=utf-8"},
                 {".mjs", "text/javascript; charset=utf-8"},
                 {".css", "text/css; charset=utf-8"},
                 {".json", "application/json"},
                 {".svg", "image/svg+xml"},
                 {".png", "image/png"},
                 {".ico", "image/x-icon"},
                 {".txt", "text/plain; charset=utf-8"}};
    const char *dot = strrchr(path, '.');
    for (size_t i = 0; dot && i < sizeof(types) / sizeof(types[0]); i++)
        if (!strcmp(dot, types[i].ext)) return types[i].type;
    return NULL; /* not served */
}

static int add_file(struct sb__web *w, const char *full, const char *path, char *err, size_t errlen) {
    const char *type = type_of(path);
    if (type == NULL) return SB_OK;
    FILE *f = fopen(full, "rb");
    if (f == NULL) {
        snprintf(err, errlen, "cannot read %s", full);
        return SB_EIO;
    }
    struct stat st;
    if (fstat(fileno(f), &st) || w->n == WEB_MAX_FILES || w->bytes + (size_t)st.st_size > WEB_MAX_BYTES) {
        fclose(f);
        snprintf(err, errlen, "%s: too many or too large files (at most %d, %u bytes)", full,
                 WEB_MAX_FILES, WEB_MAX_BYTES);
        return SB_EINVAL;
    }
    web_file *wf = &w->files[w->n];
    wf->data = sb_malloc((size_t)st.st_size + 1);
    wf->len = fread(wf->data, 1, (size_t)st.st_size, f);
    fclose(f);
    wf->path = sb_strdup(path);
    wf->type = type;
    w->bytes += wf->len;
    w->n++;
    return SB_OK;
}

/* Read dir/rel (rel "" or "/sub") and below into w. */
static int load_dir(struct sb__web *w, const char *dir, const char *rel, int depth, char *err,
                    size_t errlen) {
    char full[1024];
    snprintf(full, sizeof(full), "%s%s", dir, rel);
    DIR *d = opendir(full);
    if (d == NULL) {
        snprintf(err, errlen, "cannot open the web folder %s", full);
        return SB_ENOENT;
    }
    int rc = SB_OK;
    struct dirent *e;
    while (rc == SB_OK && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue; /* ., .., hidden files */
        char sub[512], path[1024 + 256];
        snprintf(sub, sizeof(sub), "%s/%s", rel, e->d_name);
        snprintf(path, sizeof(path), "%s%s", dir, sub);
        struct stat st;
        if (stat(path, &st)) continue;
        if (S_ISDIR(st.st_mode)) {
            if (depth < 4) rc = load_dir(w, dir, sub, depth + 1, err, errlen);
        } else if (S_ISREG(st.st_mode)) {
            rc = add_file(w, path, sub, err, errlen);
        }
    }
    closedir(d);
    return rc;
}

int sb__web_load(sb_api *api, const char *dir, char *err, size_t errlen) {
    struct sb__web *w = sb_calloc(1, sizeof(*w));
    w->files = sb_calloc(WEB_MAX_FILES, sizeof(*w->files));
    api->web = w;
    return load_dir(w, dir, "", 0, err, errlen);
}

void sb__web_free(sb_api *api) {
    struct sb__web *w = api->web;
    if (w == NULL) return;
    for (size_t i = 0; i < w->n; i++) {
        sb_free(w->files[i].path);
        sb_free(w->files[i].data);
    }
    sb_free(w->files);
    sb_free(w);
    api->web = NULL;
}

static const web_file *find(const sb_api *api, const char *method, const char *path) {
    const struct sb__web *w = api->web;
    if (w == NULL || (strcmp(method, "GET") && strcmp(method, "HEAD"))) return NULL;
    if (!strcmp(path, "/")) path = "/index.html";
    for (size_t i = 0; i < w->n; i++)
        if (!strcmp(w->files[i].path, path)) return &w->files[i];
    return NULL;
}

bool sb__web_has(const sb_api *api, const char *method, const char *path) {
    return find(api, method, path) != NULL;
}

void sb__web_serve(sb_api *api, sb_http_request *req, const char *path) {
    const web_file *f = find(api, "GET", path);
    sb_http_respond(req, 200, f->type, f->data, f->len);
}
