#include "base/status.h"

const char *sb_status_name(int status) {
    switch (status) {
#define SB__STATUS_NAME(name, val, str, http) \
    case (val): return str;
        SB_STATUS_MAP(SB__STATUS_NAME)
#undef SB__STATUS_NAME
    }
    return "unknown";
}

int sb_status_http(int status) {
    switch (status) {
#define SB__STATUS_HTTP(name, val, str, http) \
    case (val): return http;
        SB_STATUS_MAP(SB__STATUS_HTTP)
#undef SB__STATUS_HTTP
    }
    return 500;
}
