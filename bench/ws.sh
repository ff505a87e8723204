#!/usr/bin/env bash
# bench/ws.sh: event-stream fan-out of the real server (bench/ws-fanout.c).
#
#   bench/ws.sh [bench-ws-fanout options]     e.g. --seconds 20 --tenant --json
#
# Starts build/switchboard on 127.0.0.1 with a temporary data directory and
# --max-connections S + 1024 (the WebSocket handshakes count while in
# HTTP), with the file-descriptor limit raised to the hard limit; creates
# skill "bench" and the queues bench-0 .. bench-(Q-1) (one step with the
# empty expression, max_length 100,000,000, no agents: every interaction
# created waits and makes interaction.created + interaction.queued); runs
# build/bench-ws-fanout against it with the options given (S and Q are
# read from --subscribers and --queues, defaults 5000 and 50); stops the
# server with SIGTERM and removes the data.  Its exit status is the
# program's (0 all delivered, 1 a failure counted, 2 set-up), or 1 when
# the server fails to start or stop.
#
# The binary: $WS_FANOUT, else build/bench-ws-fanout, else it is compiled
# into the temporary folder from bench/ws-fanout.c (cc, libuv).
#
# With accounts (bench/lib.sh) it logs in as an administrator and passes
# the token (--token) for the upgrades and the creations.
#
# Environment: SWITCHBOARD, PYTHON, BENCH_TMP, BENCH_KEEP (bench/lib.sh).
set -u
BENCH_NAME=ws
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

S=5000
Q=50
PREFIX=bench-
JSON=0
args=("$@")
while [ $# -gt 0 ]; do
    case $1 in
    --subscribers) S=${2:?}; shift 2 ;;
    --queues) Q=${2:?}; shift 2 ;;
    --prefix) PREFIX=${2:?}; shift 2 ;;
    --json) JSON=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) shift ;;
    esac
done
case $S$Q in *[!0-9]*) die "--subscribers and --queues want whole numbers" ;; esac

bench_init

FANOUT=${WS_FANOUT:-$ROOT/build/bench-ws-fanout}
if [ ! -x "$FANOUT" ]; then
    FANOUT=$WORK/bench-ws-fanout
    ${CC:-cc} -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -O2 -g -o "$FANOUT" \
        "$BENCH_DIR/ws-fanout.c" -luv -lm || die "compiling bench/ws-fanout.c failed"
fi

# The server needs S connections plus its store; the limit is per process.
ulimit -n "$(ulimit -Hn)" || die "cannot raise the file-descriptor limit"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $((S + 256)) ] ||
    die "the file-descriptor limit $(ulimit -n) is too low for $S subscribers"

sb_prepare "$WORK/data"
sb_start "$WORK/data" --max-connections $((S + 1024))
sb_login
sbbench get "$SB_URL" /v1/health >/dev/null || die "GET /v1/health failed"
queues=()
for k in $(seq 0 $((Q - 1))); do queues+=(--queue "$PREFIX$k"); done
sbbench setup "$SB_URL" --skill bench "${queues[@]}" || die "creating the configuration failed"

if [ "$JSON" = 1 ]; then machine_info >&2; else machine_info; fi
auth=()
[ -n "${BENCH_TOKEN:-}" ] && auth=(--token "$BENCH_TOKEN")
"$FANOUT" "$SB_URL" --server-pid "$SB_PID" "${auth[@]}" "${args[@]}"
rc=$?
sb_alive
sb_stop
exit $rc
