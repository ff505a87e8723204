/* fuzz_loop.h: what the fuzzers that run the server in-process share: a
 * loopback client socket connected to the server, and a count of the
 * loop's handles (an input has ended when it is back where it began). */
#ifndef SB_FUZZ_LOOP_H
#define SB_FUZZ_LOOP_H

#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <uv.h>

#include "base/mem.h"

/* A socket connected to 127.0.0.1:port, from address `from` when given
 * and free (*bound says whether it was; NULL: not asked).  On loopback the
 * kernel completes the connection before the server accepts it.  `who`
 * names the fuzzer in a failure. */
static inline int fuzz_connect(const char *who, int port, const char *from, int *bound) {
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) sb_panic("%s: socket: %s", who, strerror(errno));
    if (bound) *bound = 0;
    if (from) {
        struct sockaddr_in b;
        uv_ip4_addr(from, 0, &b);
        if (bind(fd, (struct sockaddr *)&b, sizeof(b)) == 0 && bound) *bound = 1; /* else any will do */
    }
    struct sockaddr_in a;
    uv_ip4_addr("127.0.0.1", port, &a);
    int r = connect(fd, (struct sockaddr *)&a, sizeof(a));
    while (r != 0 && (errno == EINTR || errno == EALREADY)) { /* libFuzzer's SIGALRM */
        struct pollfd pfd = {fd, POLLOUT, 0};
        poll(&pfd, 1, 100);
        r = connect(fd, (struct sockaddr *)&a, sizeof(a));
    }
    if (r != 0 && errno != EISCONN) sb_panic("%s: connect: %s", who, strerror(errno));
    return fd;
}

static inline void fuzz_count_handle(uv_handle_t *h, void *arg) {
    (void)h;
    (*(int *)arg)++;
}

/* The loop's handles, active or not. */
static inline int fuzz_handles(uv_loop_t *loop) {
    int n = 0;
    uv_walk(loop, fuzz_count_handle, &n);
    return n;
}

#endif
