/* names.c: the stable names of the core's enumerations. */
#include <string.h>

#include "core/core.h"

static const char *const channel_names[SB_CH_COUNT] = {"voice", "chat",     "email",
                                                       "message", "callback", "task"};

const char *sb_channel_name(int ch) {
    return (ch >= 0 && ch < SB_CH_COUNT) ? channel_names[ch] : NULL;
}

int sb_channel_parse(const char *s) {
    for (int ch = 0; ch < SB_CH_COUNT; ch++)
        if (strcmp(s, channel_names[ch]) == 0) return ch;
    return -1;
}

const char *sb_agent_state_name(int state) {
    static const char *const names[] = {"logged_out", "not_ready", "ready", "wrap_up",
                                        "not_responding"};
    return (state >= 0 && state <= SB_AGENT_NOT_RESPONDING) ? names[state] : "unknown";
}

const char *sb_ix_state_name(int state) {
    static const char *const names[] = {"none",    "queued",    "offered",  "connected", "wrap_up",
                                        "completed", "abandoned", "canceled", "ended"};
    return (state >= SB_IX_QUEUED && state <= SB_IX_ENDED) ? names[state] : "unknown";
}

const char *sb_event_type_name(int type) {
    switch (type) {
#define SB__EV_NAME(name, str) \
    case SB_EV_##name: return str;
        SB_EVENT_MAP(SB__EV_NAME)
#undef SB__EV_NAME
    }
    return "unknown";
}

const char *sb_reason_name(int reason) {
    switch (reason) {
#define SB__REASON_NAME(name, str) \
    case SB_REASON_##name: return str;
        SB_REASON_MAP(SB__REASON_NAME)
#undef SB__REASON_NAME
    }
    return "unknown";
}
