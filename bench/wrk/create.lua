-- wrk: POST /api/cases, each request with a new request_id, so each one is a
-- real write command (CreateCase), not an idempotent replay.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("ZHISHEN_TOKEN")
wrk.headers["Content-Type"] = "application/json"

local threads = {}
local run = os.getenv("ZHISHEN_RUN") or tostring(os.time())

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

local n = 0
function request()
  n = n + 1
  local body = string.format(
    '{"project_code":"2612-440300-04-01-000009","project_name":"压测项目 %d-%d","request_id":"bench-%s-%d-%d"}',
    tid, n, run, tid, n)
  return wrk.format(nil, nil, nil, body)
end
