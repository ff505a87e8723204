/* status.h: the closed set of status codes returned across Switchboard.
 *
 * One X-macro table yields the enum, the stable machine-readable name and
 * the HTTP status the API layer answers with.  Functions return SB_OK (0)
 * or a negative code; never errno, never ad-hoc integers. */
#ifndef SB_BASE_STATUS_H
#define SB_BASE_STATUS_H

#define SB_STATUS_MAP(X)                                                   \
    X(OK, 0, "ok", 200)                                                    \
    X(ENOENT, -1, "not_found", 404)                                        \
    X(EEXIST, -2, "already_exists", 409)                                   \
    X(EINVAL, -3, "invalid", 400)                                          \
    X(ESTATE, -4, "invalid_state", 409)                                    \
    X(EFULL, -5, "queue_full", 409)                                        \
    X(ECLOSED, -6, "queue_closed", 409)                                    \
    X(EINUSE, -7, "in_use", 409)                                           \
    X(ESYNTAX, -8, "expression_syntax", 400)                               \
    X(ECAPACITY, -9, "no_capacity", 409)                                   \
    X(ELIMIT, -10, "limit_exceeded", 400)                                  \
    X(EWRAPUP, -11, "wrapup_code_required", 409)                          \
    X(EIO, -12, "storage_error", 503)

typedef enum {
#define SB__STATUS_ENUM(name, val, str, http) SB_##name = (val),
    SB_STATUS_MAP(SB__STATUS_ENUM)
#undef SB__STATUS_ENUM
} sb_status;

/* Stable lower-case name of a status ("not_found"); "unknown" for others. */
const char *sb_status_name(int status);

/* The HTTP status code an API answers a status with (500 for unknown). */
int sb_status_http(int status);

#endif
