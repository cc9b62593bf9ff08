-- wrk script for a fixed request rate: the requests of redirect.lua, each connection waiting
-- between requests so that all connections together send about RATE requests per second
-- (wrk has no rate option; Debian ships no wrk2). Run: wrk -s bench/redirect-rate.lua URL -- RATE
dofile("bench/redirect.lua")

local interval_ms = 0

function init(args)
  local rate = tonumber(args[1]) or 1000
  -- Every connection runs this script; wrk.connections is not visible here, so the caller
  -- passes the per-connection interval through the rate divided by connections.
  local connections = tonumber(args[2]) or 64
  interval_ms = connections * 1000 / rate
end

function delay()
  -- Integer milliseconds only: round up or down at random so the mean interval is exact.
  local base = math.floor(interval_ms)
  if math.random() < interval_ms - base then return base + 1 end
  return base
end
