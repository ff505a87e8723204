/* jsonw.h: writing JSON text straight into a growing buffer.
 *
 * For the write path, where building a jansson tree only to print it
 * costs more than the rest of a request.  The text is what jansson's
 * json_dumps(..., JSON_COMPACT) prints for the same values: strings
 * escaped the same way (\" \\ \b \f \n \r \t, other control characters
 * as \u00XX, everything else as is), integers in decimal.  The caller
 * writes the punctuation of objects and arrays with sb_jw_lit.  Strings
 * are expected to be valid UTF-8 (the API checks its input). */
#ifndef SB_BASE_JSONW_H
#define SB_BASE_JSONW_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct sb_jw {
    char *p;   /* sb_realloc'ed; NUL-terminated after every call */
    size_t len, cap;
} sb_jw;

/* Start with room for about `hint` bytes (0: a default). */
void sb_jw_init(sb_jw *w, size_t hint);
/* Bytes as they are: punctuation, or JSON text made elsewhere. */
void sb_jw_raw(sb_jw *w, const char *s, size_t n);
#define sb_jw_lit(w, s) sb_jw_raw((w), "" s, sizeof(s) - 1)
/* A literal as the two arguments (text, length) of a helper that writes
 * a key: put(w, SB_JW_KEY(",\"queue\":"), ...). */
#define SB_JW_KEY(s) "" s, sizeof(s) - 1
/* A string, quoted and escaped; NULL writes null. */
void sb_jw_str(sb_jw *w, const char *s);
void sb_jw_int(sb_jw *w, int64_t v);
/* The text, owned by the caller (sb_free); *len its length.  w is empty
 * afterwards. */
char *sb_jw_take(sb_jw *w, size_t *len);
void sb_jw_free(sb_jw *w);

#endif
