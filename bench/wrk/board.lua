-- The compliance board of one yearly obligation (check01 of the bench library) over 1,741
-- municipalities, as the system administrator, who reads every organisation's line.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
wrk.path = "/api/v1/obligations/mod-bench-yearly/check01"
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_COOKIE")
wrk.headers["Accept"] = "application/json"
