-- wrk script for the benchmark: request the paths listed in a file in turn, count answers that
-- are not 2xx, and print one JSON line (prefixed BENCH_JSON) with what the harness reads.
-- Usage: wrk -t THREADS ... -s wrk.lua http://127.0.0.1:PORT -- PATHS_FILE THREADS

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  paths = {}
  for line in io.lines(args[1]) do
    if #line > 0 then
      table.insert(paths, line)
    end
  end
  -- Threads (their number is the second argument) start at different places in the list.
  counter = math.floor(id * #paths / (tonumber(args[2]) or 1))
  non2xx = 0
  -- As the TLS terminator in front of production sets it (benchmarks/endpoints.py).
  headers = {["X-Forwarded-Proto"] = "https"}
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1], headers)
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local non = 0
  for _, thread in ipairs(threads) do
    non = non + (thread:get("non2xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %.1f, "p95_us": %.1f, ' ..
    '"p99_us": %.1f, "non2xx": %d, "connect": %d, "read": %d, "write": %d, "timeout": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), non, e.connect, e.read, e.write, e.timeout))
end
