#!/usr/bin/env bash
# bench/restart.sh: restart time of the real server with many stored interactions.
#
#   bench/restart.sh [COUNT] [--live-fraction F] [--connections C] [--runs N] [--json]
#
# 1. Starts build/switchboard on 127.0.0.1 with a temporary data directory,
#    creates skill "bench" and queue "bench" (one step, the empty
#    expression, max_length 100,000,000, no agents).
# 2. Fills it through the API, as fast as C keep-alive connections
#    (default 64) allow (bench/sbbench.py load): COUNT interactions
#    (default 1,000,000); every one but a fraction F (default 0.1, spread
#    evenly) is abandoned right after its creation (POST
#    /v1/interactions/{id}/abandon), so it is stored but no longer live;
#    the rest wait in the queue (live, rebuilt into the core at start-up).
#    Every request must succeed (201 / 2xx).
# 3. Stops the server with SIGTERM (exit status 0 required).
# 4. N times (default 3): exec `switchboard serve` on that directory and
#    poll GET /v1/health on a raw socket (a fresh connection every 0.5 ms
#    while refused) until a 200; the time from just before the exec to that
#    200 is the restart time.  It then reads one live and one ended
#    interaction back and checks their states against those before the
#    restart (so a server that answers health before its data is loaded
#    cannot pass unnoticed: that time is printed too), and stops the server
#    with SIGTERM.  Prints each run and the median.
#
# Target: median <= 2 s at 1,000,000 stored interactions.  Try a small
# COUNT first (e.g. 20000).  It fails (non-zero exit) when the server does
# not start or stop cleanly or any request fails; never because the target
# is missed.
#
# Environment: SWITCHBOARD, PYTHON, BENCH_TMP, BENCH_KEEP (bench/lib.sh).
set -u
BENCH_NAME=restart
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

COUNT=1000000
LIVE=0.1
CONNS=64
RUNS=3
JSON=0
while [ $# -gt 0 ]; do
    case $1 in
    --live-fraction) LIVE=${2:?}; shift 2 ;;
    --connections) CONNS=${2:?}; shift 2 ;;
    --runs) RUNS=${2:?}; shift 2 ;;
    --json) JSON=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) COUNT=$1; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
case $COUNT$CONNS$RUNS in *[!0-9]*) die "COUNT, --connections and --runs want whole numbers" ;; esac
TARGET_S=2

jget() { "$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
say() { if [ "$JSON" = 1 ]; then echo "$@" >&2; else echo "$@"; fi; }

bench_init
DATA=$WORK/data
sb_prepare "$DATA"
sb_start "$DATA"
sb_login
sbbench get "$SB_URL" /v1/health >/dev/null || die "GET /v1/health failed"
sbbench setup "$SB_URL" --skill bench --queue bench || die "creating the configuration failed"

say "restart.sh: $COUNT interactions, live fraction $LIVE, $CONNS connections, $RUNS restarts"
if [ "$JSON" = 1 ]; then machine_info >&2; else machine_info; fi
sbbench load "$SB_URL" --count "$COUNT" --live-fraction "$LIVE" --connections "$CONNS" \
    --json-out "$WORK/load.json" >/dev/null || die "filling the data directory failed"
sb_alive
LIVE_N=$(jget "$WORK/load.json" live)
ENDED_N=$(jget "$WORK/load.json" abandoned)
say "filled: $(jget "$WORK/load.json" created) created ($LIVE_N live, waiting; $ENDED_N abandoned)" \
    "in $(jget "$WORK/load.json" seconds) s: $(jget "$WORK/load.json" created_per_s) creations/s," \
    "$(jget "$WORK/load.json" requests_per_s) requests/s"

probes=()
for key in probe_live probe_ended; do
    ix=$(jget "$WORK/load.json" "$key")
    [ "$ix" = None ] && continue
    state=$(sbbench get "$SB_URL" "/v1/interactions/$ix" | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["state"])') ||
        die "GET /v1/interactions/$ix failed"
    probes+=(--probe "$ix=$state")
    say "probe: interaction $ix is $state"
done

sb_stop
say "stopped; data directory: $(du -sh "$DATA" | cut -f1)"
: >"$WORK/restart.err"
sbbench restart-time "$SB_BIN" "$DATA" --runs "$RUNS" "${probes[@]}" --log "$WORK/restart.err" \
    --json-out "$WORK/restart.json" >"$WORK/restart.out" || {
    cat "$WORK/restart.out" >&2
    tail -n 20 "$WORK/restart.err" >&2
    die "the restart runs failed"
}
grep '^  run' "$WORK/restart.out" | while IFS= read -r l; do say "$l"; done
# The server's own figure, if it prints one ("state rebuilt from ... in X ms").
grep -o 'rebuilt from .* in [0-9.]* ms' "$WORK/restart.err" | sed 's/.* in /  server: state rebuilt in /' |
    while IFS= read -r l; do say "$l"; done
MED=$(jget "$WORK/restart.json" median_s)
MET=$(awk -v m="$MED" -v t="$TARGET_S" 'BEGIN { print (m <= t) ? "met" : "MISSED" }')
say "median restart (exec -> first 200 from /v1/health) with $COUNT stored, $LIVE_N live: ${MED} s   target <= ${TARGET_S} s: $MET"
if [ "$JSON" = 1 ]; then
    "$PYTHON" - "$WORK/load.json" "$WORK/restart.json" "$COUNT" "$LIVE" "$TARGET_S" "$MET" "$(du -sk "$DATA" | cut -f1)" <<'EOF'
import json, sys, os, time
load = json.load(open(sys.argv[1])); rs = json.load(open(sys.argv[2]))
print(json.dumps({"bench": "restart", "count": int(sys.argv[3]), "live_fraction": float(sys.argv[4]),
                  "nproc": os.cpu_count(), "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
                  "load": load, "data_kb": int(sys.argv[7]), "restart": rs,
                  "target_s": float(sys.argv[5]), "meets": sys.argv[6] == "met"}))
EOF
fi
