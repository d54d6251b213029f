-- Case search: a Japanese word from the form's purpose, among 1,000 cases, as the unit's
-- officer (whose list is scoped to the unit). One case in ten holds the word.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
-- q=定例会議 (percent-encoded UTF-8)
wrk.path = "/api/v1/cases?limit=10&q=%E5%AE%9A%E4%BE%8B%E4%BC%9A%E8%AD%B0"
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_OFFICER_COOKIE")
wrk.headers["Accept"] = "application/json"
