/* intern.h: string interning.
 *
 * Maps strings to small dense integers (symbols) and back, so the routing
 * core compares names and string values as integers.  Symbol 0 is never
 * assigned and means "none".  Interned strings live as long as the table. */
#ifndef SB_BASE_INTERN_H
#define SB_BASE_INTERN_H

#include <stddef.h>
#include <stdint.h>

typedef uint32_t sb_sym;

typedef struct sb_intern {
    char **names;      /* names[sym], names[0] unused */
    uint32_t *lens;
    uint32_t count, cap;
    uint32_t *table;   /* open addressing: symbol or 0 */
    uint32_t mask;
} sb_intern;

void sb_intern_init(sb_intern *t);
void sb_intern_free(sb_intern *t);
/* The symbol of s[0..n), creating it. */
sb_sym sb_intern_n(sb_intern *t, const char *s, size_t n);
/* The symbol of the NUL-terminated string s, creating it.  (Not named
 * sb_intern: that is the table type.) */
sb_sym sb_intern_cstr(sb_intern *t, const char *s);
/* The symbol of s[0..n) if it exists, else 0. */
sb_sym sb_intern_find(const sb_intern *t, const char *s, size_t n);
/* Make dst (initialised, or freed and re-initialised) a copy of src with
 * the same symbol numbers. */
void sb_intern_copy(sb_intern *dst, const sb_intern *src);
/* The string of a symbol ("" for 0 or out of range). */
const char *sb_intern_str(const sb_intern *t, sb_sym sym);

#endif
