-- Login: one password check (argon2) and one new session per request.
dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "./") .. "common.lua")

wrk.method = "POST"
wrk.path = "/api/v1/session"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}',
  bench_json(bench_env("MAMORI_EMAIL")), bench_json(bench_env("MAMORI_PASSWORD")))
