# bench/lib.sh: shared by bench/http.sh, bench/ws.sh and bench/restart.sh
# (sourced, bash).  Starts and stops the real server on 127.0.0.1 with a
# data directory under a temporary work folder, and removes that folder at
# exit.  Every failure is loud: a message on stderr and a non-zero exit.
#
# Environment:
#   SWITCHBOARD  the server binary (default: build/switchboard)
#   PYTHON       a Python 3 for bench/sbbench.py (default: /usr/bin/python3)
#   BENCH_TMP    where the work folder is made (default: $TMPDIR or /tmp)
#   BENCH_KEEP=1 keep the work folder (data, logs) instead of removing it
#
# Accounts.  When the server binary has accounts (`switchboard tenant`
# exists), sb_prepare creates tenant "default" with administrator "bench"
# (password $BENCH_PASSWORD, made up if unset) in the fresh data directory
# before the first start, and sb_login logs in after it: BENCH_TOKEN (exported)
# then holds the bearer token that bench/sbbench.py, the wrk runs and
# bench-ws-fanout send.  When `serve` has --rate-limit, the server is started
# with --rate-limit 0: a benchmark measures the server, not its throttle.
# With an older binary neither happens and requests carry no token.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH_DIR/.." && pwd)
PYTHON=${PYTHON:-/usr/bin/python3}
SB_BIN=${SWITCHBOARD:-$ROOT/build/switchboard}
SB_PID=""
SB_PORT=""
SB_URL=""
WORK=""
BENCH_NAME=${BENCH_NAME:-bench}
BENCH_USER=bench
BENCH_PASSWORD=${BENCH_PASSWORD:-bench-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')}
export BENCH_PASSWORD
SB_AUTH=0
SB_SERVE_EXTRA=()
unset BENCH_TOKEN

die() {
    echo "$BENCH_NAME: error: $*" >&2
    exit 1
}

# The temporary work folder, removed at exit (with the server stopped).
bench_init() {
    [ -x "$SB_BIN" ] || die "no server binary at $SB_BIN (run: make build/switchboard)"
    [ -x "$PYTHON" ] || die "no Python at $PYTHON (set PYTHON)"
    WORK=$(mktemp -d "${BENCH_TMP:-${TMPDIR:-/tmp}}/sb-$BENCH_NAME.XXXXXX") || die "mktemp failed"
    trap bench_exit EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    # A copy, so that a rebuild of build/ during a long run cannot change
    # (or break) the binary between two starts.
    cp -p "$SB_BIN" "$WORK/switchboard" || die "cannot copy $SB_BIN"
    SB_BIN_ORIG=$SB_BIN
    SB_BIN=$WORK/switchboard
}

bench_exit() {
    local rc=$?
    if [ -n "$SB_PID" ] && kill -0 "$SB_PID" 2>/dev/null; then
        kill -TERM "$SB_PID" 2>/dev/null
        for _ in $(seq 1 300); do kill -0 "$SB_PID" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$SB_PID" 2>/dev/null && kill -KILL "$SB_PID" 2>/dev/null
        wait "$SB_PID" 2>/dev/null
    fi
    if [ -n "$WORK" ]; then
        if [ "${BENCH_KEEP:-0}" = 1 ]; then
            echo "$BENCH_NAME: kept $WORK" >&2
        else
            rm -rf "$WORK"
        fi
    fi
    exit "$rc"
}

# sb_prepare DATA: before the first start on a fresh data directory (see
# "Accounts" above).
sb_prepare() {
    local data=$1
    if "$SB_BIN" serve --help 2>/dev/null | grep -q -- '--rate-limit'; then
        SB_SERVE_EXTRA+=(--rate-limit 0)
    fi
    if "$SB_BIN" tenant --help >/dev/null 2>&1; then
        SB_AUTH=1
        SB_ADMIN_PASSWORD=$BENCH_PASSWORD "$SB_BIN" tenant create default --admin "$BENCH_USER" \
            --data "$data" >>"$WORK/server.err" 2>&1 ||
            { tail -n 5 "$WORK/server.err" >&2; die "switchboard tenant create failed"; }
    fi
}

# sb_login: after sb_start, when the server has accounts: BENCH_TOKEN.
sb_login() {
    [ "$SB_AUTH" = 1 ] || return 0
    BENCH_TOKEN=$(sbbench login "$SB_URL" --user "$BENCH_USER") || die "logging in as $BENCH_USER failed"
    export BENCH_TOKEN
}

# sb_start DATA [serve options...]: start the server, wait for its
# "serving" line (30 s at most), set SB_PID, SB_PORT and SB_URL.
sb_start() {
    local data=$1
    shift
    : >"$WORK/server.out"
    "$SB_BIN" serve --listen 127.0.0.1 --port 0 --data "$data" "${SB_SERVE_EXTRA[@]}" "$@" \
        >"$WORK/server.out" 2>>"$WORK/server.err" &
    SB_PID=$!
    for _ in $(seq 1 3000); do
        SB_PORT=$(sed -n 's|^switchboard: serving http://127\.0\.0\.1:\([0-9][0-9]*\)/.*|\1|p' "$WORK/server.out")
        [ -n "$SB_PORT" ] && break
        if ! kill -0 "$SB_PID" 2>/dev/null; then
            wait "$SB_PID"
            local rc=$?
            SB_PID=""
            cat "$WORK/server.err" >&2
            die "the server exited with status $rc before listening"
        fi
        sleep 0.01
    done
    [ -n "$SB_PORT" ] || { cat "$WORK/server.err" >&2; die "the server printed no 'serving' line within 30 s"; }
    # shellcheck disable=SC2034 # used by the scripts that source this file
    SB_URL="http://127.0.0.1:$SB_PORT"
}

# sb_stop: SIGTERM, wait (120 s at most) and insist on exit status 0.
sb_stop() {
    [ -n "$SB_PID" ] || return 0
    kill -TERM "$SB_PID" 2>/dev/null || die "the server (pid $SB_PID) is already gone"
    for _ in $(seq 1 1200); do kill -0 "$SB_PID" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$SB_PID" 2>/dev/null; then
        kill -KILL "$SB_PID" 2>/dev/null
        wait "$SB_PID" 2>/dev/null
        SB_PID=""
        die "the server did not stop within 120 s of SIGTERM (killed)"
    fi
    wait "$SB_PID"
    local rc=$?
    SB_PID=""
    if [ "$rc" -ne 0 ]; then
        tail -n 20 "$WORK/server.err" >&2
        die "the server exited with status $rc after SIGTERM"
    fi
}

# sb_alive: the server is still running (else die with its stderr).
sb_alive() {
    if ! kill -0 "$SB_PID" 2>/dev/null; then
        tail -n 20 "$WORK/server.err" >&2
        die "the server died"
    fi
}

sbbench() {
    "$PYTHON" "$BENCH_DIR/sbbench.py" "$@"
}

# One line about the machine and one with the date, for the report.
machine_info() {
    local model
    model=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
    [ -n "$model" ] || model=$(sed -n 's/^model name[[:space:]]*:[[:space:]]*//p' /proc/cpuinfo | head -n 1)
    echo "machine: nproc=$(nproc), CPU: ${model:-unknown}, $(uname -sr), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "date:    $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    local rev dirty=""
    rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null) || rev=unknown
    [ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no -- src 2>/dev/null)" ] && dirty=" + uncommitted changes in src/"
    echo "server:  ${SB_BIN_ORIG:-$SB_BIN} (built $(date -u -r "$SB_BIN" '+%Y-%m-%d %H:%M:%S UTC' 2>/dev/null)), tree at $rev$dirty"
    local acc="none (requests carry no token)"
    [ "$SB_AUTH" = 1 ] && acc="administrator '$BENCH_USER' logged in, bearer token sent"
    echo "options: ${SB_SERVE_EXTRA[*]:-(none)}; accounts: $acc"
}

# median V1 V2 ...: the median (the mean of the middle two for an even count).
median() {
    printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) exit 1
        if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
