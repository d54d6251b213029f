-- Baseline case: the bare server's person list, no cookie (bench/baseline).
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "GET"
wrk.path = "/api/v1/persons?limit=10&offset=0"
