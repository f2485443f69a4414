-- wrk script for bench/load.sh. Its arguments after --:
--   1. a file of "user-id token" lines: the people asked for in turn, each with their own token
--   2. the path to GET, "{id}" standing for the person's id (default /reco/venues/{id}/?limit=10)
--   3. the share of requests that write instead (0 to 1, default 0): a POST of a like or a view
--      (alternately) by the person to /venues/{venue}/interactions/, for a venue taken at random from
--   4. a file of venue ids, one a line
--   5. a label printed with the figures
-- It counts every response by status (wrk itself only counts those of 400 and above) and prints one
-- line for people and one JSON line, "FIGURES {...}", for bench/load_report.py.
local people, venues = {}, {}
local next_person = 1
local path = "/reco/venues/{id}/?limit=10"
local write_every = 0 -- every write_every-th request writes (0: none)
local sent = 0
local kinds = { "like", "view" }
-- Read by done() through thread:get, hence globals of each thread.
statuses = {}
writes = 0
label = ""

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
  thread:set("number", #threads)
end

function init(args)
  for line in io.lines(args[1]) do
    local id, token = line:match("^(%S+)%s+(%S+)$")
    if id then people[#people + 1] = { id = id, token = token } end
  end
  if args[2] and args[2] ~= "" then path = args[2] end
  local share = tonumber(args[3] or "0") or 0
  if share > 0 then
    write_every = math.floor(1 / share + 0.5)
    for line in io.lines(args[4]) do
      if line:match("%S") then venues[#venues + 1] = line:match("^(%S+)") end
    end
  end
  label = args[5] or ""
  math.randomseed(os.time() * 100 + (number or 0))
  -- Each thread starts elsewhere in the list, so the threads do not ask for the same people at once.
  next_person = (math.random(#people) % #people) + 1
  sent = math.random(write_every > 0 and write_every or 1) -- and writes at other moments
end

function request()
  local person = people[next_person]
  next_person = next_person % #people + 1
  sent = sent + 1
  local headers = { ["Authorization"] = "Token " .. person.token, ["Accept"] = "application/json" }
  if write_every > 0 and sent % write_every == 0 then
    writes = writes + 1
    local kind = kinds[writes % 2 + 1]
    local body = '{"interaction_type": "' .. kind .. '"' .. (kind == "view" and ', "dwell_time_seconds": 30}' or "}")
    headers["Content-Type"] = "application/json"
    return wrk.format("POST", "/venues/" .. venues[math.random(#venues)] .. "/interactions/", headers, body)
  end
  return wrk.format("GET", (path:gsub("{id}", person.id)), headers)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counted, written, name = {}, 0, ""
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      counted[status] = (counted[status] or 0) + count
    end
    written = written + thread:get("writes")
    name = thread:get("label")
  end
  local non_2xx, parts = 0, {}
  for status, count in pairs(counted) do
    if status < 200 or status > 299 then non_2xx = non_2xx + count end
    parts[#parts + 1] = string.format('"%d": %d', status, count)
  end
  table.sort(parts)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    "RESULT %-8s requests %d  req/s %.1f  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms  "
      .. "errors: connect %d read %d write %d timeout %d  non-2xx %d  statuses {%s}  writes %d\n",
    name, summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.connect, errors.read, errors.write, errors.timeout, non_2xx,
    table.concat(parts, ", "), written))
  io.write(string.format(
    'FIGURES {"label": "%s", "requests": %d, "seconds": %.3f, "p50_ms": %.3f, "p95_ms": %.3f, '
      .. '"p99_ms": %.3f, "max_ms": %.3f, "errors": %d, "non_2xx": %d, "statuses": {%s}, "writes": %d}\n',
    name, summary.requests, seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.connect + errors.read + errors.write + errors.timeout, non_2xx,
    table.concat(parts, ", "), written))
end
