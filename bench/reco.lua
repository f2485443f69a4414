-- wrk script for bench/load.sh: GET /reco/venues/{id}/?limit=10 for people taken in turn from a file
-- of "user-id token" lines (the first argument after --), each with their own token. A second argument
-- asks for another path instead, "{id}" standing for the person's id (e.g. /users/{id}/).
local people = {}
local next_person = 1
local path = "/reco/venues/{id}/?limit=10"

function init(args)
  for line in io.lines(args[1]) do
    local id, token = line:match("^(%S+)%s+(%S+)$")
    if id then people[#people + 1] = { id = id, token = token } end
  end
  if args[2] and args[2] ~= "" then path = args[2] end
  -- Each thread starts elsewhere in the list, so the threads do not ask for the same people at once.
  next_person = (math.random(#people) % #people) + 1
end

function request()
  local person = people[next_person]
  next_person = next_person % #people + 1
  return wrk.format("GET", (path:gsub("{id}", person.id)), {
    ["Authorization"] = "Token " .. person.token,
    ["Accept"] = "application/json",
  })
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local errors = summary.errors
  io.write(string.format(
    "RESULT requests %d  req/s %.1f  p50 %.1f ms  p95 %.1f ms  p99 %.1f ms  max %.1f ms  "
      .. "errors: connect %d read %d write %d timeout %d non-2xx %d\n",
    summary.requests, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, errors.connect, errors.read, errors.write, errors.timeout, errors.status))
end
