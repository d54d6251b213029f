-- Authenticated GET of MAMORI_PATH (the growth case's lists and page), session cookie
-- attached, asking for MAMORI_ACCEPT.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
wrk.path = bench_env("MAMORI_PATH")
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_COOKIE")
wrk.headers["Accept"] = bench_env("MAMORI_ACCEPT")
