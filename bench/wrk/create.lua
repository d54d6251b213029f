-- Authenticated write: one new organisational unit per request.
--
-- Names must be unique, so each one joins a per-run tag (BENCH_TAG), the
-- thread number handed out in setup() and a counter kept by each thread.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

local parent = bench_json(bench_env("MAMORI_ORG"))
local tag = bench_json(os.getenv("BENCH_TAG") or tostring(os.time()))

wrk.method = "POST"
wrk.path = "/api/v1/organisations"
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_COOKIE")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
local csrf = os.getenv("MAMORI_CSRF")
if csrf ~= nil and csrf ~= "" then
  wrk.headers["X-CSRF-Token"] = csrf
end

sent = 0

function request()
  sent = sent + 1
  local body = string.format('{"name":"bench-%s-%d-%d","kind":"unit","parent":"%s"}',
    tag, thread_id or 0, sent, parent)
  return wrk.format(nil, nil, nil, body)
end
