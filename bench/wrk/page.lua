-- Authenticated HTML page: the organisation tree, rendered on the server.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
wrk.path = "/organisations"
wrk.headers["Cookie"] = "mamori_session=" .. bench_env("MAMORI_COOKIE")
wrk.headers["Accept"] = "text/html"
