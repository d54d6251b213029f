-- A prefecture's roll-up of the 1,741 municipalities that report to it (each with a
-- submitted self-check of 350 items, some with an incident reported up), read by the
-- system administrator.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_COOKIE")
wrk.headers["Accept"] = "application/json"
