-- bench/health.lua: wrk script for GET /v1/health (bench/http.sh).
-- The request is wrk's default GET of the URL; this only adds done(),
-- which prints one machine-readable line that bench/http.sh parses.

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f max_us=%.0f " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
