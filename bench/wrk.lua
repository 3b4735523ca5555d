-- wrk script of `make bench`. The driver writes the requests into a Lua file named by BENCH_REQUESTS:
--   method = "PATCH"; body = '{"drip_delay": 7}' (or nil); token = "<jwt>"; paths = {"/api/v2/...", ...}
-- Each thread walks the paths from its own starting point, so the threads hit different rows.
-- done() prints one line "BENCH_JSON {...}" with the figures the driver reads.

dofile(os.getenv("BENCH_REQUESTS"))

local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("offset", counter - 1)
  table.insert(threads, thread)
end

function init(args)
  step = 0
  non2xx = 0
  statuses = {}
  headers = {["Authorization"] = "Bearer " .. token}
  if body then
    headers["Content-Type"] = "application/json"
  end
end

function request()
  local index = (offset * 7919 + step) % #paths + 1
  step = step + 1
  return wrk.format(method, paths[index], headers, body)
end

function response(status, _headers, _body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    statuses[status] = (statuses[status] or 0) + 1
  end
end

function done(summary, latency, _requests)
  local non2xx_total, counts, by_status = 0, {}, {}
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
    for status, count in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + count
    end
  end
  for status, count in pairs(counts) do
    by_status[#by_status + 1] = string.format('"%d": %d', status, count)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "non2xx_statuses": {%s}, ' ..
    '"socket_errors": {"connect": %d, "read": %d, "write": %d, "timeout": %d}, ' ..
    '"latency_us": {"mean": %.1f, "p50": %d, "p90": %d, "p99": %d, "max": %d}}\n',
    summary.requests, summary.duration, non2xx_total, table.concat(by_status, ", "),
    e.connect, e.read, e.write, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
