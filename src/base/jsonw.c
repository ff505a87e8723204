#include "base/jsonw.h"

#include "base/mem.h"

static void reserve(sb_jw *w, size_t more) {
    if (w->cap - w->len > more) return; /* > : room for the NUL too */
    size_t cap = w->cap ? w->cap : 256;
    while (cap - w->len <= more)
        cap *= 2;
    w->p = sb_realloc(w->p, cap);
    w->cap = cap;
}

void sb_jw_init(sb_jw *w, size_t hint) {
    *w = (sb_jw){0};
    reserve(w, hint ? hint : 255);
    w->p[0] = '\0';
}

void sb_jw_raw(sb_jw *w, const char *s, size_t n) {
    reserve(w, n);
    memcpy(w->p + w->len, s, n);
    w->len += n;
    w->p[w->len] = '\0';
}

void sb_jw_str(sb_jw *w, const char *s) {
    if (s == NULL) {
        sb_jw_lit(w, "null");
        return;
    }
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    reserve(w, 6 * n + 2); /* the worst case: every byte as \u00XX */
    char *o = w->p + w->len;
    *o++ = '"';
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        if (*c >= 0x20 && *c != '"' && *c != '\\') {
            *o++ = (char)*c;
            continue;
        }
        *o++ = '\\';
        switch (*c) {
        case '"': *o++ = '"'; break;
        case '\\': *o++ = '\\'; break;
        case '\b': *o++ = 'b'; break;
        case '\f': *o++ = 'f'; break;
        case '\n': *o++ = 'n'; break;
        case '\r': *o++ = 'r'; break;
        case '\t': *o++ = 't'; break;
        default:
            *o++ = 'u', *o++ = '0', *o++ = '0';
            *o++ = hex[*c >> 4], *o++ = hex[*c & 15];
        }
    }
    *o++ = '"';
    *o = '\0';
    w->len = (size_t)(o - w->p);
}

void sb_jw_int(sb_jw *w, int64_t v) {
    char tmp[24], *e = tmp + sizeof(tmp), *d = e;
    uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;
    do
        *--d = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0) *--d = '-';
    sb_jw_raw(w, d, (size_t)(e - d));
}

char *sb_jw_take(sb_jw *w, size_t *len) {
    if (w->p == NULL) sb_jw_init(w, 1);
    char *p = w->p;
    if (len) *len = w->len;
    *w = (sb_jw){0};
    return p;
}

void sb_jw_free(sb_jw *w) {
    sb_free(w->p);
    *w = (sb_jw){0};
}
