-- Authenticated JSON list: first page of persons, session cookie attached.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
wrk.path = "/api/v1/persons?limit=10&offset=0"
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_COOKIE")
wrk.headers["Accept"] = "application/json"
