-- wrk script for docs/performance.md: POSTs the signed sample Shopify
-- delivery (testdata/shopify/orders-create.json, with the headers of its
-- .headers file) with a unique X-Shopify-Event-Id per request, so that every
-- request is a new inbox row and not a duplicate. The inbox deduplicates on
-- topic + event id; the HMAC covers only the body, which is sent unchanged.
--
--   wrk -t2 -c64 -d20s --latency -s docs/bench/shopify.lua http://127.0.0.1:18080/webhooks/shopify
--
-- Run it from the repository root, or set FIXTURE to the fixture's path
-- without its extension.

local fixture = os.getenv("FIXTURE") or "testdata/shopify/orders-create"

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("*a")
  f:close()
  return s
end

-- setup runs once per thread in the main Lua state: hand each thread its
-- number and one id for the whole run.
local threads = 0
math.randomseed(os.time())
local run_id = string.format("%x%04x", os.time(), math.random(0, 0xffff))
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
  thread:set("run", run_id)
end

local body, headers, n, prefix

function init(args)
  body = slurp(fixture .. ".json")
  headers = {}
  for line in slurp(fixture .. ".headers"):gmatch("[^\r\n]+") do
    local k, v = line:match("^([^:]+): (.*)$")
    if k then headers[k] = v end
  end
  n = 0
  prefix = "wrk-" .. run .. "-" .. tid .. "-"
end

function request()
  n = n + 1
  headers["X-Shopify-Event-Id"] = prefix .. n
  return wrk.format("POST", nil, headers, body)
end
