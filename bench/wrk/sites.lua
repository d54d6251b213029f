-- ATLA's overview of the sites joining the gateway: every site read and its schedule
-- planned from its history, session cookie attached.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
wrk.path = "/api/v1/dsg/sites"
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_DSG_COOKIE")
wrk.headers["Accept"] = "application/json"
