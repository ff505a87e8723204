-- bench/create.lua: wrk script for POST /v1/interactions (bench/http.sh).
--
--   wrk -t2 -c64 -d10s --latency -s bench/create.lua http://127.0.0.1:PORT/v1/interactions [-- QUEUE]
--
-- Every request creates one chat interaction on queue QUEUE (default
-- "bench"), which must exist.  done() prints one machine-readable line;
-- "status=" is wrk's count of responses with a status >= 400 (409
-- queue_full, 503 storage_error, ...), which bench/http.sh treats as a
-- failure.  (Checking for exactly 201 would need a response() callback,
-- which makes wrk parse every response in Lua and would slow the client
-- side of this measurement but not of the health baseline.)

local queue = "bench"

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"queue":"' .. queue .. '","channel":"chat"}'

init = function(args)
  if args[1] then
    queue = args[1]
    wrk.body = '{"queue":"' .. queue .. '","channel":"chat"}'
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%.0f p99_us=%.0f max_us=%.0f " ..
    "connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.status, e.timeout))
end
