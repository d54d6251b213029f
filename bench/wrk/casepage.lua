-- Authenticated HTML page: one incident report as its reporter reads it, with whom it waits
-- on, the action boxes' starting values and, while the report is a draft, whom to call.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
wrk.path = "/cases/" .. bench_env("MAMORI_CASE")
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_CASE_COOKIE")
wrk.headers["Accept"] = "text/html"
