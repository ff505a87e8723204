#!/usr/bin/env bash
# bench/http.sh: HTTP throughput and latency of the real server.
#
#   bench/http.sh [SECONDS] [--runs N] [--json] [--health-only]
#
# Starts build/switchboard on 127.0.0.1 with a temporary data directory,
# creates skill "bench" and queue "bench" (one step, the empty expression,
# max_length 100,000,000; no agents, so every interaction created just
# waits), then runs wrk (2 threads, 64 keep-alive connections, SECONDS
# each, default 10, --latency) against
#   (a) GET /v1/health            the baseline: HTTP, routing, no store
#   (b) POST /v1/interactions     {"queue":"bench","channel":"chat"}
#                                 (bench/create.lua), a durable write each
# N times (default 3) alternating a, b, a, b, ...  Prints each run and the
# medians of requests/s and p99 latency, the ratio creation/health, the
# targets, the machine and the date.  --json adds one JSON object as the
# last line of stdout.  --health-only runs (a) alone, without any set-up
# (for a server that has no configuration routes yet).
#
# Latency is wrk's: per request on a connection that has one request in
# flight at a time (closed loop, 64 connections), so at saturation p50 is
# about 64 / throughput; it is the latency a client sees at that load, not
# the service time of an idle server.  The creation runs add up: the queue
# holds every interaction created so far (reported at the end).
#
# Server CPU per request is the server process's user + system time over
# the run (from /proc, clock ticks) divided by the requests, in all and on
# its loop and store-writer threads: unlike throughput and latency it
# hardly depends on what else the shared machine runs, so it is the figure
# to compare two builds by.
#
# It fails (non-zero exit, no figures) when the server does not start or
# stop cleanly, when the set-up requests fail, or when wrk reports any
# error: a status >= 400, a connect/read/write error or a time-out.  It
# never fails because a target is missed.
#
# With accounts (bench/lib.sh) the creations carry the bearer token of an
# administrator and the server runs with --rate-limit 0; the health
# requests carry none (a public route).
#
# Environment: SWITCHBOARD, PYTHON, BENCH_TMP, BENCH_KEEP (bench/lib.sh);
# THREADS (2), CONNECTIONS (64).
set -u
BENCH_NAME=http
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

SECS=10
RUNS=3
JSON=0
HEALTH_ONLY=0
THREADS=${THREADS:-2}
CONNECTIONS=${CONNECTIONS:-64}
while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=${2:?--runs wants a number}; shift 2 ;;
    --json) JSON=1; shift ;;
    --health-only) HEALTH_ONLY=1; shift ;;
    -h | --help) sed -n '2,/^set -u/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    [0-9]*) SECS=$1; shift ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done
case $SECS$RUNS in *[!0-9]*) die "SECONDS and --runs want whole numbers" ;; esac
if [ "$SECS" -lt 1 ] || [ "$RUNS" -lt 1 ]; then die "SECONDS and --runs must be at least 1"; fi
command -v wrk >/dev/null || die "wrk is not installed (apt-get install -y wrk; scripts/deps)"

TARGET_RATIO=0.25
TARGET_P99_MS=5

bench_init
sb_prepare "$WORK/data"
sb_start "$WORK/data"
sb_login
sbbench get "$SB_URL" /v1/health >/dev/null || die "GET /v1/health failed"
[ "$HEALTH_ONLY" = 1 ] || sbbench setup "$SB_URL" --skill bench --queue bench || die "creating the configuration failed"

# field KEY LINE: the value of KEY=VALUE in a BENCH line.
field() {
    printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# cpu_ticks: the server's CPU time so far (user + system, clock ticks), in
# all, on its loop thread (the main one) and on the store's writer thread:
# "ALL LOOP WRITER".
cpu_ticks() {
    local all loop writer=0 t
    all=$(sed 's/.*) //' "/proc/$SB_PID/stat" | awk '{ print $12 + $13 }')
    loop=$(sed 's/.*) //' "/proc/$SB_PID/task/$SB_PID/stat" | awk '{ print $12 + $13 }')
    for t in /proc/"$SB_PID"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = sb-store ] &&
            writer=$(sed 's/.*) //' "$t/stat" | awk '{ print $12 + $13 }')
    done
    echo "$all $loop $writer"
}
TICK_US=$((1000000 / $(getconf CLK_TCK)))

# run_wrk KIND RUN URL SCRIPT [-- ARGS]: one wrk run; sets RPS, P50, P99 (ms), REQS,
# and CPU, CPU_LOOP, CPU_WRITER: the server's CPU time per request (us).
run_wrk() {
    local kind=$1 run=$2 url=$3 script=$4
    local out="$WORK/wrk-$kind-$run.txt"
    local auth=()
    # The health route is public: the baseline goes without a token.
    [ "$kind" = create ] && [ -n "${BENCH_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $BENCH_TOKEN")
    local c0 c1
    read -r -a c0 <<<"$(cpu_ticks)"
    if ! wrk -t"$THREADS" -c"$CONNECTIONS" -d"${SECS}s" --latency "${auth[@]}" -s "$script" "$url" >"$out" 2>&1; then
        cat "$out" >&2
        die "wrk failed ($kind, run $run)"
    fi
    local line
    line=$(grep '^BENCH ' "$out") || { cat "$out" >&2; die "no BENCH line from wrk ($kind, run $run)"; }
    local k errs=0
    for k in connect read write status timeout; do
        errs=$((errs + $(field $k "$line")))
    done
    REQS=$(field requests "$line")
    if [ "$errs" -ne 0 ] || [ "$REQS" -eq 0 ]; then
        cat "$out" >&2
        die "$kind run $run: $REQS requests, errors: connect $(field connect "$line"), read $(field read "$line"), write $(field write "$line"), status>=400 $(field status "$line"), timeout $(field timeout "$line")"
    fi
    sb_alive
    read -r -a c1 <<<"$(cpu_ticks)"
    CPU=$(((c1[0] - c0[0]) * TICK_US / REQS))
    CPU_LOOP=$(((c1[1] - c0[1]) * TICK_US / REQS))
    CPU_WRITER=$(((c1[2] - c0[2]) * TICK_US / REQS))
    RPS=$(awk -v n="$REQS" -v us="$(field duration_us "$line")" 'BEGIN { printf "%.1f", n / (us / 1e6) }')
    P50=$(awk -v us="$(field p50_us "$line")" 'BEGIN { printf "%.3f", us / 1000 }')
    P99=$(awk -v us="$(field p99_us "$line")" 'BEGIN { printf "%.3f", us / 1000 }')
    printf 'run %d  %-7s %10.0f req/s   p50 %7.3f ms   p99 %7.3f ms   (%d requests; server CPU %d us/request: loop %d, store writer %d)\n' \
        "$run" "$kind" "$RPS" "$P50" "$P99" "$REQS" "$CPU" "$CPU_LOOP" "$CPU_WRITER"
}

if [ "$HEALTH_ONLY" = 1 ]; then
    echo "http.sh: $RUNS x ${SECS} s of GET /v1/health only;" \
        "wrk $THREADS threads, $CONNECTIONS keep-alive connections; server $SB_URL"
else
    echo "http.sh: $RUNS x ${SECS} s of GET /v1/health and POST /v1/interactions, alternating;" \
        "wrk $THREADS threads, $CONNECTIONS keep-alive connections; server $SB_URL"
fi
machine_info
H_RPS=() H_P99=() C_RPS=() C_P99=() H_CPU=() C_CPU=()
CREATED=0
for run in $(seq 1 "$RUNS"); do
    run_wrk health "$run" "$SB_URL/v1/health" "$BENCH_DIR/health.lua"
    H_RPS+=("$RPS") H_P99+=("$P99") H_CPU+=("$CPU")
    [ "$HEALTH_ONLY" = 1 ] && continue
    run_wrk create "$run" "$SB_URL/v1/interactions" "$BENCH_DIR/create.lua"
    C_RPS+=("$RPS") C_P99+=("$P99") C_CPU+=("$CPU")
    CREATED=$((CREATED + REQS))
done

MH_RPS=$(median "${H_RPS[@]}") MH_P99=$(median "${H_P99[@]}")
if [ "$HEALTH_ONLY" = 1 ]; then
    sb_stop
    echo
    echo "median of $RUNS runs:"
    printf '  health  %10.0f req/s   p99 %7.3f ms\n' "$MH_RPS" "$MH_P99"
    echo "  (--health-only: no creation runs, no ratio)"
    if [ "$JSON" = 1 ]; then
        printf '{"bench":"http","health_only":true,"seconds":%d,"runs":%d,"threads":%d,"connections":%d,"nproc":%d,"date":"%s","median":{"health_rps":%s,"health_p99_ms":%s}}\n' \
            "$SECS" "$RUNS" "$THREADS" "$CONNECTIONS" "$(nproc)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$MH_RPS" "$MH_P99"
    fi
    exit 0
fi
MC_RPS=$(median "${C_RPS[@]}") MC_P99=$(median "${C_P99[@]}")
MH_CPU=$(median "${H_CPU[@]}") MC_CPU=$(median "${C_CPU[@]}")
RATIO=$(awk -v c="$MC_RPS" -v h="$MH_RPS" 'BEGIN { printf "%.3f", c / h }')
RATIO_MET=$(awk -v r="$RATIO" -v t="$TARGET_RATIO" 'BEGIN { print (r >= t) ? "met" : "MISSED" }')
P99_MET=$(awk -v p="$MC_P99" -v t="$TARGET_P99_MS" 'BEGIN { print (p <= t) ? "met" : "MISSED" }')

sb_stop

echo
echo "median of $RUNS runs:"
printf '  health  %10.0f req/s   p99 %7.3f ms   server CPU %s us/request\n' "$MH_RPS" "$MH_P99" "$MH_CPU"
printf '  create  %10.0f req/s   p99 %7.3f ms   server CPU %s us/request   target p99 <= %s ms: %s\n' "$MC_RPS" "$MC_P99" "$MC_CPU" "$TARGET_P99_MS" "$P99_MET"
printf '  ratio create/health  %.3f                 target >= %s: %s\n' "$RATIO" "$TARGET_RATIO" "$RATIO_MET"
echo "  interactions created (all still waiting in queue \"bench\" at the end): $CREATED"

if [ "$JSON" = 1 ]; then
    j() { local IFS=,; echo "[$*]"; }
    printf '{"bench":"http","seconds":%d,"runs":%d,"threads":%d,"connections":%d,' "$SECS" "$RUNS" "$THREADS" "$CONNECTIONS"
    printf '"nproc":%d,"date":"%s",' "$(nproc)" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '"health_rps":%s,"health_p99_ms":%s,"create_rps":%s,"create_p99_ms":%s,' "$(j "${H_RPS[@]}")" "$(j "${H_P99[@]}")" "$(j "${C_RPS[@]}")" "$(j "${C_P99[@]}")"
    printf '"health_cpu_us":%s,"create_cpu_us":%s,' "$(j "${H_CPU[@]}")" "$(j "${C_CPU[@]}")"
    printf '"median":{"health_rps":%s,"health_p99_ms":%s,"create_rps":%s,"create_p99_ms":%s,"health_cpu_us":%s,"create_cpu_us":%s},' "$MH_RPS" "$MH_P99" "$MC_RPS" "$MC_P99" "$MH_CPU" "$MC_CPU"
    printf '"ratio":%s,"created":%d,"targets":{"ratio_min":%s,"create_p99_ms_max":%s},' "$RATIO" "$CREATED" "$TARGET_RATIO" "$TARGET_P99_MS"
    printf '"meets":{"ratio":%s,"create_p99":%s}}\n' "$([ "$RATIO_MET" = met ] && echo true || echo false)" "$([ "$P99_MET" = met ] && echo true || echo false)"
fi
