#!/usr/bin/env bash
# Load-test harness for mamori; see bench/README.md.
#
# Builds release binaries, starts mamori and the bare baseline server on
# loopback ports, seeds 1,000 persons, drives each case with wrk for a fixed
# ten seconds at 1, 8 and 200 connections, and writes a Markdown table to
# stdout and to bench/results-latest.md. Both servers are stopped and the
# scratch directory removed on exit, whatever happened.
#
#   bash bench/run.sh                  # every case
#   bash bench/run.sh --baseline-only  # only the baseline server (no mamori)
#   bash bench/run.sh --cases create   # only these cases (comma-separated:
#                                      # baseline,list,page,search,create,login)
#
# Traffic goes to 127.0.0.1 only, and every wrk run is bounded by -d.
set -euo pipefail

usage() {
  sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

BASELINE_ONLY=0
CASES=baseline,list,page,search,create,login
while [[ $# -gt 0 ]]; do
  arg=$1
  shift
  case "$arg" in
    --baseline-only) BASELINE_ONLY=1 CASES=baseline ;;
    --cases)
      [[ $# -gt 0 ]] || { echo "run.sh: --cases needs a list" >&2; exit 2; }
      CASES=$1
      shift
      ;;
    -h | --help) usage; exit 0 ;;
    *) echo "run.sh: unknown argument: $arg (try --help)" >&2; exit 2 ;;
  esac
done
wanted() { [[ ",$CASES," == *",$1,"* ]]; }

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WRK_DIR="$BENCH/wrk"
RESULTS="$BENCH/results-latest.md"
: "${CARGO_TARGET_DIR:=$HOME/.cache/mamori-target}"
export CARGO_TARGET_DIR
MAMORI_BIN="$CARGO_TARGET_DIR/release/mamori"
BASELINE_BIN="$CARGO_TARGET_DIR/release/mamori-bench-baseline"

# Fixed loopback targets. Nothing else is ever contacted.
HOST=127.0.0.1
MAMORI_URL="http://$HOST:18080"
BASELINE_URL="http://$HOST:18090"
DURATION=10s
CONNECTIONS=(1 8 200)
SEED_PARALLEL=4
EMAIL=bench@example.jp

step() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'run.sh: error: %s\n' "$*" >&2
  exit 1
}

# Refuses any URL that is not on 127.0.0.1; a guard against later edits.
assert_loopback() {
  case "$1" in
    "http://$HOST:"*) ;;
    *) die "refusing to target $1: only http://$HOST:PORT is allowed" ;;
  esac
}

# ---------------------------------------------------------------- cleanup --
WORK=""
MAMORI_PID=""
BASELINE_PID=""
WRK_PID=""

stop_server() { # pid name
  local pid=$1 name=$2
  [[ -n "$pid" ]] || return 0
  kill -0 "$pid" 2>/dev/null || return 0
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "run.sh: $name (pid $pid) ignored SIGTERM; sending SIGKILL" >&2
    kill -9 "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  stop_server "$WRK_PID" wrk
  stop_server "$MAMORI_PID" mamori
  stop_server "$BASELINE_PID" baseline
  if [[ $status -ne 0 && -n "$WORK" ]]; then
    for log in "$WORK"/*.log; do
      [[ -s "$log" ]] || continue
      echo "---- last lines of $(basename "$log") ----" >&2
      tail -n 20 "$log" >&2
    done
  fi
  [[ -n "$WORK" ]] && rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ----------------------------------------------------------------- tools --
apt_install() {
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  step "installing $* with apt-get"
  "${sudo[@]}" apt-get install -y -q "$@" >/dev/null ||
    { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q "$@" >/dev/null; } ||
    die "could not install $*"
}

command -v cargo >/dev/null || die "cargo is not on PATH"
command -v curl >/dev/null || apt_install curl
command -v wrk >/dev/null || apt_install wrk
if [[ $BASELINE_ONLY -eq 0 ]]; then
  command -v jq >/dev/null || apt_install jq
fi

# ----------------------------------------------------------------- build --
if [[ $BASELINE_ONLY -eq 1 ]]; then
  step "building mamori-bench-baseline (release)"
  (cd "$ROOT" && cargo build --release -p mamori-bench-baseline) || die "cargo build failed"
else
  step "building mamori and mamori-bench-baseline (release)"
  (cd "$ROOT" && cargo build --release -p mamori -p mamori-bench-baseline) || die "cargo build failed"
  [[ -x "$MAMORI_BIN" ]] || die "no binary at $MAMORI_BIN"
fi
[[ -x "$BASELINE_BIN" ]] || die "no binary at $BASELINE_BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mamori-bench.XXXXXX")
DATA="$WORK/data"
mkdir -p "$DATA"

# ------------------------------------------------------------ the servers --
http_code() { # url [curl args...]
  local url=$1
  shift
  assert_loopback "$url"
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" || true
}

port_free() { # base-url
  [[ $(http_code "$1/") == 000 ]] || die "something already answers on $1; stop it first"
}

wait_ready() { # name pid url
  local name=$1 pid=$2 url=$3
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up (see its log below)"
    [[ $(http_code "$url") == 200 ]] && return 0
    sleep 0.2
  done
  die "$name did not answer 200 on $url within 60 s"
}

if wanted baseline; then
  port_free "$BASELINE_URL"
  step "starting the baseline on $BASELINE_URL"
  "$BASELINE_BIN" --bind "${BASELINE_URL#http://}" --db "$WORK/baseline.db" >"$WORK/baseline.log" 2>&1 &
  BASELINE_PID=$!
  wait_ready baseline "$BASELINE_PID" "$BASELINE_URL/api/v1/persons?limit=1"
fi

if [[ $BASELINE_ONLY -eq 0 ]]; then
  PASS="bench-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  SEED_PASS="seed-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"

  step "creating the first account ($EMAIL)"
  printf '%s' "$PASS" |
    "$MAMORI_BIN" admin create --data-dir "$DATA" --email "$EMAIL" --name ベンチ \
      --organisation ベンチ組織 --password-stdin >"$WORK/admin.log" 2>&1 ||
    die "mamori admin create failed: $(tail -n 5 "$WORK/admin.log")"

  port_free "$MAMORI_URL"
  step "starting mamori on $MAMORI_URL"
  "$MAMORI_BIN" serve --data-dir "$DATA" --bind "${MAMORI_URL#http://}" >"$WORK/mamori.log" 2>&1 &
  MAMORI_PID=$!
  wait_ready mamori "$MAMORI_PID" "$MAMORI_URL/healthz"

  step "logging in"
  LOGIN_BODY=$(jq -cn --arg e "$EMAIL" --arg p "$PASS" '{email: $e, password: $p}')
  assert_loopback "$MAMORI_URL/api/v1/session"
  code=$(curl -s -c "$WORK/jar" -D "$WORK/login.headers" -o "$WORK/login.json" -w '%{http_code}' \
    --max-time 30 -H 'Content-Type: application/json' -d "$LOGIN_BODY" "$MAMORI_URL/api/v1/session") || true
  [[ $code == 200 ]] || die "login answered HTTP $code: $(head -c 300 "$WORK/login.json" 2>/dev/null)"
  COOKIE=$(awk -F '\t' '$6 == "mamori_session" { value = $7 } END { print value }' "$WORK/jar")
  if [[ -z "$COOKIE" ]]; then
    # curl may refuse to store a Secure cookie received over plain http.
    COOKIE=$(tr -d '\r' <"$WORK/login.headers" |
      sed -n 's/^[Ss]et-[Cc]ookie: *mamori_session=\([^;]*\).*/\1/p' | tail -n 1)
  fi
  [[ -n "$COOKIE" ]] || die "login answered 200 but set no mamori_session cookie"

  code=$(curl -s -o "$WORK/me.json" -w '%{http_code}' --max-time 10 \
    -H "Cookie: mamori_session=$COOKIE" "$MAMORI_URL/api/v1/me") || true
  [[ $code == 200 ]] || die "GET /api/v1/me answered HTTP $code"
  ORG=$(jq -r '.organisation.id // empty' "$WORK/me.json")
  [[ -n "$ORG" ]] || die "GET /api/v1/me has no organisation.id: $(head -c 300 "$WORK/me.json")"
  # If the API hands out a synchronizer token, send it with writes.
  CSRF=$(jq -r '.csrf_token // empty' "$WORK/login.json" "$WORK/me.json" 2>/dev/null | tail -n 1 || true)

  wanted list || wanted page || SKIP_SEED=1
  if [[ ${SKIP_SEED:-0} -eq 0 ]]; then
    step "seeding 999 persons ($SEED_PARALLEL in parallel; each one hashes a password)"
    seed_one() { # n
      local n=$1 body code out
      body=$(jq -cn --arg name "職員 $(printf '%04d' "$n")" --arg email "person$(printf '%04d' "$n")@example.jp" \
        --arg org "$ORG" --arg pw "$SEED_PASS" \
        '{name: $name, email: $email, organisation: $org, initial_password: $pw}')
      out="$WORK/seed-$n.json"
      local headers=(-H "Cookie: mamori_session=$COOKIE" -H 'Content-Type: application/json')
      [[ -z "$CSRF" ]] || headers+=(-H "X-CSRF-Token: $CSRF")
      code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 "${headers[@]}" -d "$body" \
        "$MAMORI_URL/api/v1/persons") || true
      if [[ $code != 201 ]]; then
        echo "run.sh: error: creating person $n answered HTTP $code: $(head -c 300 "$out")" >&2
        exit 255 # makes xargs stop at once
      fi
      rm -f "$out"
    }
    export -f seed_one
    export WORK ORG COOKIE CSRF SEED_PASS MAMORI_URL
    # shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
    seq 1 999 | xargs -P "$SEED_PARALLEL" -I{} bash -c 'seed_one "$1"' _ {} ||
      die "seeding persons failed"

    TOTAL=$(curl -s --max-time 10 -H "Cookie: mamori_session=$COOKIE" \
      "$MAMORI_URL/api/v1/persons?limit=1&offset=0" | jq -r '.total // empty') || true
    [[ $TOTAL == 1000 ]] || echo "run.sh: warning: the person list reports total=${TOTAL:-?}, expected 1000" >&2
  fi
fi

if [[ $BASELINE_ONLY -eq 0 ]] && wanted search; then
  # An information-assurance officer of a unit, who opens 1,000 external-service
  # applications; one in ten names a regular meeting (定例会議) in its purpose.
  api() { # method path body [cookie] -> writes $WORK/api.json, prints the HTTP code
    curl -s -o "$WORK/api.json" -w '%{http_code}' --max-time 30 -X "$1" \
      -H "Cookie: mamori_session=${4:-$COOKIE}" -H 'Content-Type: application/json' \
      ${3:+-d "$3"} "$MAMORI_URL$2" || true
  }
  step "seeding 1,000 cases for the search case"
  [[ $(api POST /api/v1/organisations '{"name":"情報通信課","kind":"unit"}') == 201 ]] ||
    die "creating the unit failed: $(head -c 300 "$WORK/api.json")"
  UNIT=$(jq -r .id "$WORK/api.json")
  body=$(jq -cn --arg org "$UNIT" --arg pw "$SEED_PASS" \
    '{name: "申請 一郎", email: "officer@example.jp", organisation: $org, initial_password: $pw}')
  [[ $(api POST /api/v1/persons "$body") == 201 ]] || die "creating the officer failed: $(head -c 300 "$WORK/api.json")"
  OFFICER=$(jq -r .id "$WORK/api.json")
  body=$(jq -cn --arg org "$UNIT" --arg p "$OFFICER" \
    '{role: "ia_officer", organisation: $org, person: $p, starts_on: "2026-04-01"}')
  [[ $(api POST /api/v1/designations "$body") == 201 ]] || die "designating the officer failed: $(head -c 300 "$WORK/api.json")"
  OFFICER_PASS="officer-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  curl -s -c "$WORK/officer.jar" -o /dev/null --max-time 30 -H 'Content-Type: application/json' \
    -d "$(jq -cn --arg pw "$SEED_PASS" '{email: "officer@example.jp", password: $pw}')" \
    "$MAMORI_URL/api/v1/session" || true
  OFFICER_COOKIE=$(awk -F '\t' '$6 == "mamori_session" { value = $7 } END { print value }' "$WORK/officer.jar")
  [[ $(api POST /api/v1/me/password "$(jq -cn --arg c "$SEED_PASS" --arg n "$OFFICER_PASS" '{current: $c, new: $n}')" "$OFFICER_COOKIE") == 204 ]] ||
    die "the officer's first password change failed: $(head -c 300 "$WORK/api.json")"
  seed_case() { # n
    local n=$1 purpose body code
    if ((n % 10 == 0)); then purpose="取引先との定例会議 $n"; else purpose="公開情報の要約と翻訳 $n"; fi
    body=$(jq -cn --arg org "$UNIT" --arg s "サービス $(printf '%04d' "$n")" --arg p "$purpose" \
      '{procedure: "approval", organisation: $org, data: {service_name: $s, provider: "提供会社",
        service_kind: "web_meeting", purpose: $p, users: "情報通信課 3名", app_install: false,
        no_business_data: true}}')
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Cookie: mamori_session=$OFFICER_COOKIE" \
      -H 'Content-Type: application/json' -d "$body" "$MAMORI_URL/api/v1/cases") || true
    [[ $code == 201 ]] || { echo "run.sh: error: case $n answered HTTP $code" >&2; exit 255; }
  }
  export -f seed_case
  export UNIT OFFICER_COOKIE
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
  seq 1 1000 | xargs -P "$SEED_PARALLEL" -I{} bash -c 'seed_case "$1"' _ {} || die "seeding cases failed"
  FOUND=$(curl -s --max-time 10 -H "Cookie: mamori_session=$OFFICER_COOKIE" \
    "$MAMORI_URL/api/v1/cases?limit=1&q=%E5%AE%9A%E4%BE%8B%E4%BC%9A%E8%AD%B0" | jq -r '.total // empty') || true
  [[ $FOUND == 100 ]] || echo "run.sh: warning: the search finds ${FOUND:-?} cases, expected 100" >&2
  export MAMORI_OFFICER_COOKIE="$OFFICER_COOKIE"
fi

# ------------------------------------------------------------------ wrk ----
ROWS=()

# Converts a wrk duration (e.g. 812.00us, 1.25ms, 2.01s) to milliseconds.
to_ms() {
  awk -v v="$1" 'BEGIN {
    if (v == "") { print "-"; exit }
    n = v + 0
    if (v ~ /us$/) n = n / 1000
    else if (v ~ /ms$/) n = n
    else if (v ~ /m$/) n = n * 60000
    else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n
  }'
}

run_case() { # name script base-url path
  local name=$1 script=$2 url="$3$4" c threads out rps p50 p99 non2xx errors
  assert_loopback "$url"
  for c in "${CONNECTIONS[@]}"; do
    threads=$((c < 2 ? c : 2)) # wrk needs at least one connection per thread
    out="$WORK/wrk-$name-$c.txt"
    step "wrk: $name, $c connection(s), $DURATION"
    # In the background so that a signal reaches our trap without waiting
    # for the run to end; cleanup() stops it too.
    BENCH_TAG="$c-$$-$RANDOM" wrk --latency "-t$threads" "-c$c" "-d$DURATION" -s "$WRK_DIR/$script" "$url" \
      >"$out" 2>&1 &
    WRK_PID=$!
    wait "$WRK_PID" || {
      cat "$out" >&2
      die "wrk failed for $name at $c connections"
    }
    WRK_PID=""
    rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    non2xx=$(sed -n 's/^mamori-bench: non-2xx=\([0-9]*\)$/\1/p' "$out")
    errors=$(awk '/^ *Socket errors:/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$out")
    [[ -n "$rps" ]] || { cat "$out" >&2; die "could not read Requests/sec from wrk's output"; }
    grep '^mamori-bench: first' "$out" >&2 || true
    [[ -z "$errors" ]] || echo "   socket errors: $errors (connect/read/write/timeout)" >&2
    ROWS+=("$name|$c|$rps|$p50|$p99|${non2xx:-?}|${errors:-0}")
  done
}

wanted baseline && run_case baseline baseline.lua "$BASELINE_URL" "/api/v1/persons?limit=10&offset=0"
if [[ $BASELINE_ONLY -eq 0 ]]; then
  export MAMORI_COOKIE="$COOKIE" MAMORI_ORG="$ORG" MAMORI_CSRF="$CSRF"
  export MAMORI_EMAIL="$EMAIL" MAMORI_PASSWORD="$PASS"
  wanted list && run_case list list.lua "$MAMORI_URL" "/api/v1/persons?limit=10&offset=0"
  wanted page && run_case page page.lua "$MAMORI_URL" "/organisations"
  wanted search && run_case search search.lua "$MAMORI_URL" "/api/v1/cases?limit=10&q=%E5%AE%9A%E4%BE%8B%E4%BC%9A%E8%AD%B0"
  wanted create && run_case create create.lua "$MAMORI_URL" "/api/v1/organisations"
  # Last, because thousands of logins may trip the login throttle.
  wanted login && run_case login login.lua "$MAMORI_URL" "/api/v1/session"
fi

# ---------------------------------------------------------------- report --
# Prints the value of column $3 for case $1 at $2 connections.
cell() {
  local row f
  for row in "${ROWS[@]}"; do
    IFS='|' read -r -a f <<<"$row"
    [[ ${f[0]} == "$1" && ${f[1]} == "$2" ]] && { echo "${f[$3]}"; return 0; }
  done
  echo ""
}

# Prints a Markdown check box: ticked when VALUE OP LIMIT holds numerically.
check() { # description value op limit
  if awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN {
    if (v !~ /^[0-9.]+$/) exit 1
    exit !((op == ">=" && v + 0 >= l + 0) || (op == "<" && v + 0 < l + 0))
  }'; then
    echo "- [x] $1"
  else
    echo "- [ ] $1"
  fi
}

report() {
  echo "# mamori load test"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, wrk $DURATION per row," \
    "commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo
  echo "| case | connections | req/s | p50 (ms) | p99 (ms) | non-2xx | socket errors |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
  local row f
  for row in "${ROWS[@]}"; do
    IFS='|' read -r -a f <<<"$row"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${f[@]}"
  done
  if [[ $BASELINE_ONLY -eq 0 ]]; then
    local base8 list8 p99l8 p99l200 create8
    base8=$(cell baseline 8 2)
    list8=$(cell list 8 2)
    p99l8=$(cell list 8 4)
    p99l200=$(cell list 200 4)
    create8=$(cell create 8 2)
    echo
    echo "Targets:"
    echo
    check "list at 8 connections reaches 45% of the baseline (${list8:-?} vs ${base8:-?} req/s)" \
      "$list8" ">=" "$(awk -v b="${base8:-0}" 'BEGIN { print 0.45 * b }')"
    check "list p99 under 5 ms at 8 connections (${p99l8:-?} ms)" "$p99l8" "<" 5
    check "list p99 under 25 ms at 200 connections (${p99l200:-?} ms)" "$p99l200" "<" 25
    check "create reaches 4,000 req/s at 8 connections (${create8:-?} req/s)" "$create8" ">=" 4000
  fi
}

report | tee "$RESULTS"
step "written to ${RESULTS#"$ROOT"/}"
