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
#                                      # baseline,list,page,search,create,
#                                      # casepage,incidents,dsg,ledger,rollup,rounds,
#                                      # login; cluster alone: two servers
#                                      # on PostgreSQL behind HAProxy, bench/cluster.sh)
#
# The incidents case is not a wrk run: it submits 200 prepared incident reports
# at once, one per connection (curl --parallel), then checks that every one was
# routed to the right emergency contact's inbox. The casepage case reads one of
# those reports' page as its reporter, before the burst submits it (a draft whose
# call plan, waits and action boxes are worked out per request). The dsg case reads ATLA's
# overview of 100 sites joining the gateway, each schedule planned on the fly. The rounds
# case gives 1,741 municipalities an officer each, restarts mamori with twelve yearly
# obligations of a bench-only library now due, times the scheduler's opening of their
# 20,892 cases, then reads the compliance board of one obligation (1,741 lines). The
# ledger case imports 100,000 rows into the register of another bench-only library and
# reads ten of them at a time, filtered by class and owner. The rollup case has 1,741
# municipalities report to one prefecture, each with a self-check of 350 items submitted
# (and one in ten an incident reported up), and reads the prefecture's roll-up.
#
# Traffic goes to 127.0.0.1 only, and every run is bounded in time (wrk -d,
# curl --max-time).
set -euo pipefail

usage() {
  sed -n '2,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
}

BASELINE_ONLY=0
CASES=baseline,list,page,search,create,casepage,incidents,dsg,ledger,rollup,rounds,import,login,audit
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
# The two-server case runs on PostgreSQL with servers of its own (bench/cluster.sh).
if [[ $CASES == cluster ]]; then
  exec bash "$(dirname "${BASH_SOURCE[0]}")/cluster.sh"
fi

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WRK_DIR="$BENCH/wrk"
RESULTS="$BENCH/results-latest.md"
: "${CARGO_TARGET_DIR:=$ROOT/target}"
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

# mamori's resident memory now and at its peak (since it last started), from /proc.
MEMORY_NOTES=()
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

# Prints the value of column $3 for case $1 at $2 connections.
cell() {
  local row f
  for row in "${ROWS[@]}"; do
    IFS='|' read -r -a f <<<"$row"
    [[ ${f[0]} == "$1" && ${f[1]} == "$2" ]] && { echo "${f[$3]}"; return 0; }
  done
  echo ""
}

memory_note() { # when
  local status rss hwm
  [[ -n "${MAMORI_PID:-}" && -r /proc/$MAMORI_PID/status ]] || return 0
  status=$(cat "/proc/$MAMORI_PID/status")
  rss=$(awk '$1 == "VmRSS:" { printf "%.0f", $2 / 1024 }' <<<"$status")
  hwm=$(awk '$1 == "VmHWM:" { printf "%.0f", $2 / 1024 }' <<<"$status")
  MEMORY_NOTES+=("$1|$rss|$hwm")
}

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

# Extra arguments of `mamori serve` (the rounds case adds its library).
MAMORI_ARGS=()

# Starts mamori on the data folder, its log appended to mamori.log (a restart keeps the
# lines before it); cleanup() stops whichever process MAMORI_PID names.
start_mamori() {
  port_free "$MAMORI_URL"
  step "starting mamori on $MAMORI_URL"
  "$MAMORI_BIN" serve --data-dir "$DATA" --bind "${MAMORI_URL#http://}" "${MAMORI_ARGS[@]}" \
    >>"$WORK/mamori.log" 2>&1 &
  MAMORI_PID=$!
  wait_ready mamori "$MAMORI_PID" "$MAMORI_URL/healthz"
}

# Logs in as the first account and leaves its session cookie in COOKIE.
log_in() {
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
}

# The library of the rounds case. It exists only for this bench: nothing ships it, and it
# lives in the scratch directory. Twelve yearly obligations (check01…check12), each with
# one case per organisation where someone holds ROLE, opened for that holder, done in one
# step by the organisation's bench_officer. With ROLE=bench_waiting, a role nobody holds,
# no round opens; rewritten with ROLE=bench_officer (and a new version, since mamori keeps
# each version it has loaded and refuses a changed copy of one), every round is due.
BENCH_LIBRARY="$WORK/mod-bench-yearly"
write_bench_library() { # version role
  local dir=$BENCH_LIBRARY version=$1 role=$2 n
  rm -rf "$dir"
  mkdir -p "$dir/forms" "$dir/procedures"
  cat >"$dir/library.yaml" <<YAML
# Written by bench/run.sh for its rounds case; not shipped.
id: mod-bench-yearly
version: "$version"
title:
  ja: ベンチ用の毎年度の点検
  en: Yearly checks (bench)
roles:
  - id: bench_officer
    name: { ja: 点検担当者, en: Check officer }
  - id: bench_waiting
    name: { ja: 待機（担当者なし）, en: Waiting (held by nobody) }
YAML
  cat >"$dir/forms/check.yaml" <<'YAML'
id: check
title: { ja: 点検結果, en: Check results }
fields:
  - id: checked_on
    type: date
    label: { ja: 点検日, en: Checked on }
YAML
  for n in $(seq -w 1 12); do
    cat >"$dir/procedures/check$n.yaml" <<YAML
id: check$n
title: { ja: 毎年度の点検 $n, en: Yearly check $n }
form: check
start:
  - { role: bench_officer, of: own_organisation }
recurs: { every: fiscal year, for_each: organisation, role: $role }
states:
  - { id: draft, name: { ja: 点検中, en: Checking } }
  - { id: done, name: { ja: 完了, en: Done }, terminal: true }
transitions:
  - action: finish
    name: { ja: 完了する, en: Finish }
    from: [draft]
    by:
      - { role: bench_officer, of: own_organisation }
    to:
      - state: done
YAML
  done
  "$MAMORI_BIN" library check "$dir" >"$WORK/library-check.log" 2>&1 ||
    die "the bench library does not load: $(cat "$WORK/library-check.log")"
}

# The library of the rollup case, written here and existing only for this bench: a
# self-check of ROLLUP_ITEMS yes/no items whose scores are reported up, and an event whose
# report goes up, both answered by bench_checker held at the bench's own organisation (the
# municipalities are created below it, so that one account answers for all of them).
ROLLUP_LIBRARY="$WORK/mod-bench-rollup"
ROLLUP_ORGS=1741
ROLLUP_ITEMS=350
write_rollup_library() {
  local dir=$ROLLUP_LIBRARY n
  rm -rf "$dir"
  mkdir -p "$dir/catalogs" "$dir/forms" "$dir/procedures"
  cat >"$dir/library.yaml" <<'YAML'
# Written by bench/run.sh for its rollup case; not shipped.
id: mod-bench-rollup
version: "bench-1"
title:
  ja: ベンチ用の報告
  en: Reports up (bench)
roles:
  - id: bench_checker
    name: { ja: 点検・報告担当者, en: Checker }
YAML
  {
    cat <<'YAML'
id: bench_rollup_check
title: { ja: ベンチ用の自己点検, en: Self-check (bench) }
by:
  - { role: bench_checker, of: parent_chain }
reports_up: true
requirements:
YAML
    for n in $(seq -w 1 "$ROLLUP_ITEMS"); do
      echo "  - { id: \"R$n\", text: { ja: 点検項目 $n, en: Item $n } }"
    done
  } >"$dir/catalogs/bench_rollup_check.yaml"
  cat >"$dir/forms/bench_event.yaml" <<'YAML'
id: bench_event
title: { ja: 事案, en: Event }
fields:
  - { id: summary, type: text, label: { ja: 概要, en: Summary } }
YAML
  cat >"$dir/procedures/bench_event.yaml" <<'YAML'
id: bench_event
title: { ja: ベンチ用の事案, en: Event (bench) }
form: bench_event
start:
  - { role: bench_checker, of: parent_chain }
states:
  - { id: draft, name: { ja: 作成中, en: Draft } }
  - { id: reported, name: { ja: 報告済み, en: Reported } }
  - { id: closed, name: { ja: 完了, en: Closed }, terminal: true }
transitions:
  - action: report_up
    name: { ja: 報告する, en: Report }
    from: [draft]
    by:
      - { role: bench_checker, of: parent_chain }
    reports_up: true
    to:
      - state: reported
  - action: close
    name: { ja: 完了する, en: Close }
    from: [reported]
    by:
      - { role: bench_checker, of: parent_chain }
    to:
      - state: closed
YAML
  "$MAMORI_BIN" library check "$dir" >"$WORK/library-check.log" 2>&1 ||
    die "the rollup library does not load: $(cat "$WORK/library-check.log")"
}

# The library of the ledger case, like the rounds case's written here and existing only
# for this bench: one register of information assets (bench_assets) kept by bench_keeper,
# with an owner, a building, a kind, notes and the three axes of seed 004's 2(1).
LEDGER_LIBRARY="$WORK/mod-bench-ledger"
write_ledger_library() {
  local dir=$LEDGER_LIBRARY
  rm -rf "$dir"
  mkdir -p "$dir/registers"
  cat >"$dir/library.yaml" <<'YAML'
# Written by bench/run.sh for its ledger case; not shipped.
id: mod-bench-ledger
version: "bench-1"
title:
  ja: ベンチ用の情報資産台帳
  en: Asset ledger (bench)
roles:
  - id: bench_keeper
    name: { ja: 台帳管理者, en: Ledger keeper }
classification:
  - id: confidentiality
    name: { ja: 機密性, en: Confidentiality }
    levels:
      - { id: c1, label: { ja: 機密性1, en: C1 } }
      - { id: c2, label: { ja: 機密性2, en: C2 } }
      - { id: c3, label: { ja: 機密性3, en: C3 } }
  - id: integrity
    name: { ja: 完全性, en: Integrity }
    levels:
      - { id: i1, label: { ja: 完全性1, en: I1 } }
      - { id: i2, label: { ja: 完全性2, en: I2 } }
  - id: availability
    name: { ja: 可用性, en: Availability }
    levels:
      - { id: a1, label: { ja: 可用性1, en: A1 } }
      - { id: a2, label: { ja: 可用性2, en: A2 } }
YAML
  cat >"$dir/registers/bench_assets.yaml" <<'YAML'
id: bench_assets
title: { ja: 情報資産台帳（ベンチ）, en: Asset ledger (bench) }
key: [asset]
editors: [bench_keeper]
columns:
  - { id: asset, type: text, label: { ja: 情報資産の名称, en: Asset }, required: true }
  - { id: owner, type: text, label: { ja: 管理者, en: Owner }, required: true }
  - { id: location, type: text, label: { ja: 所在, en: Where it is kept } }
  - id: kind
    type: choice
    label: { ja: 種類, en: Kind }
    options:
      - { id: network, label: { ja: ネットワーク, en: Network } }
      - { id: system, label: { ja: 情報システム, en: Information system } }
      - { id: facility, label: { ja: 設備, en: Facilities } }
      - { id: media, label: { ja: 電磁的記録媒体, en: Storage media } }
      - { id: information, label: { ja: 情報, en: Information } }
      - { id: documents, label: { ja: システム関連文書, en: System documents } }
  - { id: notes, type: long_text, label: { ja: 備考, en: Notes } }
YAML
  "$MAMORI_BIN" library check "$dir" >"$WORK/ledger-library-check.log" 2>&1 ||
    die "the ledger library does not load: $(cat "$WORK/ledger-library-check.log")"
}

if [[ $BASELINE_ONLY -eq 0 ]]; then
  PASS="bench-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
  SEED_PASS="seed-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"

  step "creating the first account ($EMAIL)"
  printf '%s' "$PASS" |
    "$MAMORI_BIN" admin create --data-dir "$DATA" --email "$EMAIL" --name ベンチ \
      --organisation ベンチ組織 --password-stdin >"$WORK/admin.log" 2>&1 ||
    die "mamori admin create failed: $(tail -n 5 "$WORK/admin.log")"

  if wanted rounds; then
    # Its roles are declared from the start, so that its officers can be designated
    # while no round is due yet (see run_rounds).
    write_bench_library bench-1 bench_waiting
    MAMORI_ARGS+=(--library "$BENCH_LIBRARY")
  fi
  if wanted ledger; then
    write_ledger_library
    MAMORI_ARGS+=(--library "$LEDGER_LIBRARY")
  fi
  if wanted rollup; then
    write_rollup_library
    MAMORI_ARGS+=(--library "$ROLLUP_LIBRARY")
  fi
  start_mamori
  log_in

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
    memory_note "after creating 999 persons (each hashes an initial password)"
  fi
fi

api() { # method path body [cookie] -> writes $WORK/api.json (headers: api.headers), prints the HTTP code
  assert_loopback "$MAMORI_URL$2"
  curl -s -o "$WORK/api.json" -D "$WORK/api.headers" -w '%{http_code}' --max-time 30 -X "$1" \
    -H "Cookie: mamori_session=${4:-$COOKIE}" -H 'Content-Type: application/json' \
    ${3:+-d "$3"} "$MAMORI_URL$2" || true
}

# The session cookie the last api call set: completing a login (the first password change)
# moves the session to a new id, and the old one stops working.
rotated_cookie() {
  tr -d '\r' <"$WORK/api.headers" | sed -n 's/^[Ss]et-[Cc]ookie: *mamori_session=\([^;]*\).*/\1/p' | tail -n 1
}

# Seeding helpers for the cases that need organisations, relations and people.
new_org() { # name kind [parent] -> sets NEW_ID
  local body
  body=$(jq -cn --arg n "$1" --arg k "$2" --arg p "${3:-}" \
    '{name: $n, kind: $k} + (if $p == "" then {} else {parent: $p} end)')
  [[ $(api POST /api/v1/organisations "$body") == 201 ]] ||
    die "creating the organisation $1 failed: $(head -c 300 "$WORK/api.json")"
  NEW_ID=$(jq -r .id "$WORK/api.json")
}
relate() { # from kind other
  [[ $(api POST "/api/v1/organisations/$1/relations" "$(jq -cn --arg k "$2" --arg o "$3" \
    '{kind: $k, other: $o}')") == 201 ]] ||
    die "relating $1 $2 $3 failed: $(head -c 300 "$WORK/api.json")"
}
# Creates a person in ORG with ROLE there, logs in with the initial password, sets
# their own password and leaves the session cookie in SESSION.
new_person() { # name email org role
  local name=$1 email=$2 org=$3 role=$4 body id jar="$WORK/person.jar" hdr="$WORK/person.headers"
  body=$(jq -cn --arg n "$name" --arg e "$email" --arg o "$org" --arg pw "$SEED_PASS" \
    '{name: $n, email: $e, organisation: $o, initial_password: $pw}')
  [[ $(api POST /api/v1/persons "$body") == 201 ]] ||
    die "creating $email failed: $(head -c 300 "$WORK/api.json")"
  id=$(jq -r .id "$WORK/api.json")
  body=$(jq -cn --arg r "$role" --arg o "$org" --arg p "$id" \
    '{role: $r, organisation: $o, person: $p, starts_on: "2020-01-01"}')
  [[ $(api POST /api/v1/designations "$body") == 201 ]] ||
    die "designating $email as $role failed: $(head -c 300 "$WORK/api.json")"
  rm -f "$jar" "$hdr"
  # The first login answers 403 password_change_required with a session that may
  # only change the password.
  curl -s -c "$jar" -D "$hdr" -o /dev/null --max-time 30 -H 'Content-Type: application/json' \
    -d "$(jq -cn --arg e "$email" --arg pw "$SEED_PASS" '{email: $e, password: $pw}')" \
    "$MAMORI_URL/api/v1/session" || true
  SESSION=$(awk -F '\t' '$6 == "mamori_session" { value = $7 } END { print value }' "$jar")
  [[ -n "$SESSION" ]] || SESSION=$(tr -d '\r' <"$hdr" |
    sed -n 's/^[Ss]et-[Cc]ookie: *mamori_session=\([^;]*\).*/\1/p' | tail -n 1)
  [[ -n "$SESSION" ]] || die "logging in as $email set no mamori_session cookie"
  body=$(jq -cn --arg c "$SEED_PASS" --arg n "person-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')" \
    '{current: $c, new: $n}')
  [[ $(api POST /api/v1/me/password "$body" "$SESSION") == 204 ]] ||
    die "the first password change of $email failed: $(head -c 300 "$WORK/api.json")"
  SESSION=$(rotated_cookie)
  [[ -n "$SESSION" ]] || die "the first password change of $email set no new session cookie"
}

if [[ $BASELINE_ONLY -eq 0 ]] && wanted search; then
  # An information-assurance officer of a unit, who opens 1,000 external-service
  # applications; one in ten names a regular meeting (定例会議) in its purpose.
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
  OFFICER_COOKIE=$(rotated_cookie)
  [[ -n "$OFFICER_COOKIE" ]] || die "the officer's password change set no new session cookie"
  seed_case() { # n
    local n=$1 purpose body code
    if ((n % 10 == 0)); then purpose="取引先との定例会議 $n"; else purpose="公開情報の要約と翻訳 $n"; fi
    body=$(jq -cn --arg org "$UNIT" --arg s "サービス $(printf '%04d' "$n")" --arg p "$purpose" \
      '{procedure: "approval", organisation: $org, data: {service_name: $s, provider: "提供会社",
        service_kind: "web_meeting", includes_generative_ai: false, purpose: $p,
        users: "情報通信課 3名", app_install: false, no_business_data: true, information: "no_business_data"}}')
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Cookie: mamori_session=$OFFICER_COOKIE" \
      -H 'Content-Type: application/json' -d "$body" "$MAMORI_URL/api/v1/cases") || true
    [[ $code == 201 ]] || { echo "run.sh: error: case $n answered HTTP $code" >&2; exit 255; }
  }
  export -f seed_case
  export UNIT OFFICER_COOKIE MAMORI_URL
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
  seq 1 1000 | xargs -P "$SEED_PARALLEL" -I{} bash -c 'seed_case "$1"' _ {} || die "seeding cases failed"
  FOUND=$(curl -s --max-time 10 -H "Cookie: mamori_session=$OFFICER_COOKIE" \
    "$MAMORI_URL/api/v1/cases?limit=1&q=%E5%AE%9A%E4%BE%8B%E4%BC%9A%E8%AD%B0" | jq -r '.total // empty') || true
  [[ $FOUND == 100 ]] || echo "run.sh: warning: the search finds ${FOUND:-?} cases, expected 100" >&2
  export MAMORI_OFFICER_COOKIE="$OFFICER_COOKIE"
fi

if [[ $BASELINE_ONLY -eq 0 ]] && { wanted incidents || wanted casepage; }; then
  # The world of crates/web/tests/http/incidents.rs: the Ministry (防衛省) with two
  # agencies, ATLA (防衛装備庁) and the GSDF (陸上自衛隊); 甲社, a prime contractor of ATLA,
  # and 丙社, its subcontractor. 甲社's incident reporter prepares 200 reports, each with
  # its telephone call recorded; the timed part submits them (see run_incidents below).
  curl --help all 2>/dev/null | grep -q -- '--parallel-immediate' ||
    die "the incidents case needs curl 7.68 or later (--parallel-immediate)"
  INCIDENTS=200
  INC_DIR="$WORK/incidents"
  mkdir -p "$INC_DIR/cases"

  step "incidents: seeding 防衛省, 防衛装備庁, 陸上自衛隊, 甲社, 丙社 and their contacts"
  new_org 防衛省 ministry && MINISTRY=$NEW_ID
  new_org 防衛装備庁 agency "$MINISTRY" && ATLA=$NEW_ID
  new_org 陸上自衛隊 agency "$MINISTRY" && GSDF=$NEW_ID
  new_org 甲社 company && PRIME=$NEW_ID
  new_org 丙社 company && SUB=$NEW_ID
  relate "$PRIME" contracts_with "$ATLA"
  relate "$SUB" subcontractor_of "$PRIME"
  new_person "甲 報告" reporter@ko.example.jp "$PRIME" incident_reporter && REPORTER_COOKIE=$SESSION
  new_person "装備 窓口" contact@atla.example.jp "$ATLA" emergency_contact && ATLA_COOKIE=$SESSION
  new_person "陸 窓口" contact@gsdf.example.jp "$GSDF" emergency_contact && GSDF_COOKIE=$SESSION

  # Local time in Tokyo (UTC+9, no summer time), as the form's datetime fields expect;
  # the submit refuses a detection time in the future.
  DETECTED_AT=$(TZ=JST-9 date -d '-10 minutes' '+%Y-%m-%dT%H:%M')
  CALLED_AT=$(TZ=JST-9 date -d '-5 minutes' '+%Y-%m-%dT%H:%M')
  step "incidents: preparing $INCIDENTS report drafts as 甲社's reporter, each with its call recorded ($SEED_PARALLEL in parallel)"
  prepare_report() { # n
    local n=$1 body code id out="$INC_DIR/prepare-$1.json"
    body=$(jq -cn --arg org "$PRIME" --arg at "$DETECTED_AT" --arg n "$n" \
      '{procedure: "report", organisation: $org, data: {
        detected_at: $at, events: ["e1a"], defence_staff: true,
        defence_systems_untouched: false, occurrence: "suspected",
        handles_secrets: false, handles_protected: true, servers_affected: true,
        company: "甲社 本社",
        department_person: "情報システム課 甲 報告", phone: "03-1234-5678", extension: "123",
        report_items: ["a"],
        details: ("設計データを保存したPCで不審な通信を検知。流出の可能性あり。（ベンチ " + $n + "）"),
        actions_taken: ["disconnected", "notified", "other"], public_bodies: ["npa"],
        other_action: "社内対策会議を緊急召集",
        contracts: [{subject: "〇〇式〇〇に関する契約", contracting_organisation: "防衛装備庁",
          department: "装備政策部"}]}}')
    code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 -H "Cookie: mamori_session=$REPORTER_COOKIE" \
      -H 'Content-Type: application/json' -d "$body" "$MAMORI_URL/api/v1/cases") || true
    [[ $code == 201 ]] || { echo "run.sh: error: opening report $n answered HTTP $code: $(head -c 300 "$out")" >&2; exit 255; }
    id=$(jq -r .id "$out")
    body=$(jq -cn --arg at "$CALLED_AT" \
      '{fields: {called_number: "03-3268-3111", called_party: "装備保全管理官 当直", called_at: $at}}')
    code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 -H "Cookie: mamori_session=$REPORTER_COOKIE" \
      -H 'Content-Type: application/json' -d "$body" "$MAMORI_URL/api/v1/cases/$id/actions/record_call") || true
    [[ $code == 200 && $(jq -r .state "$out") == draft ]] ||
      { echo "run.sh: error: recording the call of report $n answered HTTP $code: $(head -c 300 "$out")" >&2; exit 255; }
    printf '%s\n' "$id" >"$INC_DIR/cases/$(printf '%04d' "$n")"
    rm -f "$out"
  }
  export -f prepare_report
  export INC_DIR PRIME REPORTER_COOKIE DETECTED_AT CALLED_AT MAMORI_URL
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
  seq 1 "$INCIDENTS" | xargs -P "$SEED_PARALLEL" -I{} bash -c 'prepare_report "$1"' _ {} ||
    die "preparing the incident reports failed"
  cat "$INC_DIR"/cases/* >"$INC_DIR/ids"
  [[ $(sort -u "$INC_DIR/ids" | wc -l) -eq $INCIDENTS ]] ||
    die "expected $INCIDENTS distinct prepared reports, have $(sort -u "$INC_DIR/ids" | wc -l)"
fi

if [[ $BASELINE_ONLY -eq 0 ]] && wanted dsg; then
  # The world of crates/web/tests/http/dsg.rs: ATLA (防衛装備庁) and a hundred companies
  # (DSG_COMPANIES) that contract with it, each applying for ten sites; every application
  # is submitted with its evidence, so that ATLA's overview (GET /api/v1/dsg/sites) plans
  # 1,000 schedules.
  SITES_PER_COMPANY=10
  COMPANIES=${DSG_COMPANIES:-100}
  DSG_SITES=$((COMPANIES * SITES_PER_COMPANY))
  step "dsg: seeding 防衛装備庁, $COMPANIES companies and $((COMPANIES * SITES_PER_COMPANY)) submitted applications"
  new_org "防衛省 (DSG)" ministry && DSG_MINISTRY=$NEW_ID
  new_org "防衛装備庁 (DSG)" agency "$DSG_MINISTRY" && DSG_ATLA=$NEW_ID
  new_person "情シ 室員" office@atla.example.jp "$DSG_ATLA" dsg_office && DSG_OFFICE_COOKIE=$SESSION
  printf '%%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%%%EOF\n' >"$WORK/evidence.pdf"
  seed_site() { # company-cookie company-id n
    local cookie=$1 org=$2 n=$3 body code id out="$WORK/site-$2-$3.json"
    body=$(jq -cn --arg org "$org" --arg n "$n" '{procedure: "joining", organisation: $org, data: {
      company: "加入企業", site_name: ("拠点 " + $n), site_address: "東京都新宿区",
      administrator: {name: "保護 管理者", phone: "03-0000-0000"}, req_contract: true,
      req_facility: "built", audit_evidence: "none", req_equipment: true, site_country: "japan",
      router: (if ($n | tonumber) % 2 == 0 then "wired" else "mobile" end),
      terminals: [{terminal_id: "PC-01"}, {terminal_id: "PC-02"}],
      vein_people: [{name: "保護 管理者", method: "remote"}], consent_schedule: true,
      consent_month: true, consent_incidental_works: true, data_moved: true,
      consent_software: true}}')
    code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 -H "Cookie: mamori_session=$cookie" \
      -H 'Content-Type: application/json' -d "$body" "$MAMORI_URL/api/v1/cases") || true
    [[ $code == 201 ]] || { echo "run.sh: error: opening site $n answered HTTP $code: $(head -c 300 "$out")" >&2; exit 255; }
    id=$(jq -r .id "$out")
    code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 -H "Cookie: mamori_session=$cookie" \
      -F field=evidence_contract -F "file=@$WORK/evidence.pdf;filename=evidence.pdf" \
      "$MAMORI_URL/api/v1/cases/$id/attachments") || true
    [[ $code == 201 ]] || { echo "run.sh: error: attaching to site $n answered HTTP $code: $(head -c 300 "$out")" >&2; exit 255; }
    code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 -H "Cookie: mamori_session=$cookie" \
      -H 'Content-Type: application/json' -d '{}' "$MAMORI_URL/api/v1/cases/$id/actions/submit") || true
    [[ $code == 200 ]] || { echo "run.sh: error: submitting site $n answered HTTP $code: $(head -c 300 "$out")" >&2; exit 255; }
    rm -f "$out"
  }
  export -f seed_site
  export WORK MAMORI_URL
  for c in $(seq 1 "$COMPANIES"); do
    new_org "加入企業 $c" company && company=$NEW_ID
    relate "$company" contracts_with "$DSG_ATLA"
    new_person "保護 管理者 $c" "admin$c@dsg.example.jp" "$company" dsg_administrator
    # shellcheck disable=SC2016 # $1… are expanded by the inner bash, on purpose
    seq 1 "$SITES_PER_COMPANY" | xargs -P "$SEED_PARALLEL" -I{} bash -c 'seed_site "$1" "$2" "$3"' _ "$SESSION" "$company" {} ||
      die "seeding the sites failed"
  done
  total=$(curl -s --max-time 30 -H "Cookie: mamori_session=$DSG_OFFICE_COOKIE" "$MAMORI_URL/api/v1/dsg/sites" | jq 'length') || true
  [[ $total == $((COMPANIES * SITES_PER_COMPANY)) ]] ||
    die "ATLA's overview lists ${total:-?} sites, expected $((COMPANIES * SITES_PER_COMPANY))"
  export MAMORI_DSG_COOKIE="$DSG_OFFICE_COOKIE"
fi

# The ledger case: LEDGER_ROWS rows of one register (100,000), imported as the register's
# keeper would, LEDGER_BATCH rows a workbook (the import takes 5,000 at most); each row's
# owner is one of LEDGER_OWNERS (1,000: about a hundred assets each) and its class one
# level of three. The timed request reads ten of the rows that have class C2 and one
# owner (about forty), as the system administrator, like the list case.
LEDGER_ROWS=${LEDGER_ROWS:-100000}
LEDGER_OWNERS=${LEDGER_OWNERS:-1000}
LEDGER_BATCH=5000
LEDGER_NOTES=()
uri() { jq -rn --arg v "$1" '$v | @uri'; }

seed_ledger() {
  local first n code start end total rows books
  LEDGER_PATH="/api/v1/registers/bench_assets/rows?filter%5Bconfidentiality%5D=c2&filter%5Bowner%5D=$(uri 担当者0007)&limit=10"
  # A filter that leaves many more rows (a building and a class: about 1,700), read at 8
  # connections only, to show how the cost follows the rows the filters leave.
  LEDGER_WIDE_PATH="/api/v1/registers/bench_assets/rows?filter%5Bconfidentiality%5D=c2&filter%5Blocation%5D=$(uri 庁舎03)&limit=10"
  step "ledger: importing $LEDGER_ROWS rows ($LEDGER_BATCH a workbook, $LEDGER_OWNERS owners)"
  new_person "台帳 管理者" keeper@ledger.example.jp "$ORG" bench_keeper
  start=$(date +%s.%N)
  for ((first = 1; first <= LEDGER_ROWS; first += LEDGER_BATCH)); do
    n=$((LEDGER_ROWS - first + 1))
    ((n > LEDGER_BATCH)) && n=$LEDGER_BATCH
    python3 "$BENCH/tools/ledger_workbook.py" "$WORK/ledger.xlsx" "$n" "$first" "$LEDGER_OWNERS" ||
      die "cannot write a ledger workbook"
    assert_loopback "$MAMORI_URL/api/v1/registers/bench_assets/import"
    code=$(curl -s -o "$WORK/ledger.json" -w '%{http_code}' --max-time 600 -H "Cookie: mamori_session=$SESSION" \
      -F "organisation=$ORG" -F "file=@$WORK/ledger.xlsx" "$MAMORI_URL/api/v1/registers/bench_assets/import") || true
    [[ $code == 200 && $(jq -r .added "$WORK/ledger.json") == "$n" ]] ||
      die "importing ledger rows $first… answered HTTP $code: $(head -c 300 "$WORK/ledger.json")"
  done
  end=$(date +%s.%N)
  books=$(((LEDGER_ROWS + LEDGER_BATCH - 1) / LEDGER_BATCH))
  LEDGER_NOTES+=("$LEDGER_ROWS rows imported in $(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", e - s }') s, $books workbooks of up to $LEDGER_BATCH through \`POST /api/v1/registers/bench_assets/import\`")
  memory_note "after importing $LEDGER_ROWS ledger rows"
  for path in "$LEDGER_PATH" "$LEDGER_WIDE_PATH"; do
    code=$(api GET "$path")
    [[ $code == 200 ]] || die "GET $path answered HTTP $code: $(head -c 300 "$WORK/api.json")"
    total=$(jq -r '.total' "$WORK/api.json")
    rows=$(jq -r '.rows | length' "$WORK/api.json")
    [[ $rows == 10 ]] || die "GET $path read $rows rows, expected 10 (of $total)"
    LEDGER_NOTES+=("\`GET $path\` finds $total rows$([[ $(jq -r .total_exact "$WORK/api.json") == true ]] || echo " or more") and reads the first ten")
  done
}

run_ledger() {
  local saved=("${CONNECTIONS[@]}")
  export MAMORI_ACCEPT=application/json MAMORI_PATH="$LEDGER_PATH"
  run_case ledger get.lua "$MAMORI_URL" "$MAMORI_PATH"
  CONNECTIONS=(8)
  MAMORI_PATH=$LEDGER_WIDE_PATH
  run_case "ledger (building & class)" get.lua "$MAMORI_URL" "$MAMORI_PATH"
  CONNECTIONS=("${saved[@]}")
}

if [[ $BASELINE_ONLY -eq 0 ]] && wanted ledger; then
  seed_ledger
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
    if [[ $url == "$MAMORI_URL"* ]]; then memory_note "after $name at $c connection(s)"; fi
  done
}

# The incidents case: every prepared report submitted at once, exactly one request per
# case and one case per connection, then read back. wrk cannot send a fixed number of
# requests (it keeps every connection busy until -d ends, which would submit cases
# twice), so this burst uses curl's parallel mode over a URL glob: one transfer per case,
# all started together, each on a connection of its own (--parallel-immediate; checked
# with %{num_connects}). Latency is curl's time_total per transfer (connect, request,
# answer); p50 and p99 are nearest-rank over the answers.
INCIDENT_FAILURES=()
INCIDENT_NOTES=()
INCIDENT_CHECKS=()

incident_fail() {
  INCIDENT_FAILURES+=("$1")
  echo "run.sh: incidents: FAILED: $1" >&2
}

# mamori's ERROR and WARN log lines so far, without colours.
log_problems() {
  sed 's/\x1b\[[0-9;]*m//g' "$WORK/mamori.log" | grep -E '^[^ ]+ +(ERROR|WARN) ' || true
}

# CPU time mamori has used so far, in milliseconds (user + system, from /proc).
server_cpu_ms() {
  awk -v hz="$(getconf CLK_TCK 2>/dev/null || echo 100)" \
    '{ sub(/^.*\) /, ""); printf "%d", ($12 + $13) * 1000 / hz }' "/proc/$MAMORI_PID/stat" 2>/dev/null || echo ""
}

inbox_ids() { # cookie out-file -> the ids in out-file, the total in INBOX_TOTAL
  local cookie=$1 out=$2 offset=0 code count
  INBOX_TOTAL=""
  : >"$out"
  while :; do
    code=$(api GET "/api/v1/inbox?limit=100&offset=$offset" "" "$cookie")
    [[ $code == 200 ]] || { incident_fail "GET /api/v1/inbox answered HTTP $code: $(head -c 200 "$WORK/api.json")"; return 0; }
    INBOX_TOTAL=$(jq -r '.total' "$WORK/api.json")
    count=$(jq -r '.items[].id' "$WORK/api.json" | tee -a "$out" | wc -l)
    offset=$((offset + 100))
    ((count > 0 && offset < INBOX_TOTAL)) || break
  done
}

run_incidents() {
  local dir=$INC_DIR glob url start end wall n200 non200 errors reused p50 p99 max min rate spread
  local answered reported atla_total gsdf_total missing stray log_before log_after first_bad
  local cpu_before cpu_after cpu
  mkdir -p "$dir/submit" "$dir/state"
  glob=$(paste -sd, "$dir/ids")
  url="$MAMORI_URL/api/v1/cases/{$glob}/actions/submit"
  assert_loopback "$url"
  log_before=$(log_problems | wc -l)

  step "incidents: submitting $INCIDENTS reports at once, one per connection (curl --parallel)"
  cpu_before=$(server_cpu_ms)
  start=$(date +%s%N)
  curl -s --parallel --parallel-immediate --parallel-max "$INCIDENTS" --max-time 60 \
    -H "Cookie: mamori_session=$REPORTER_COOKIE" -H 'Content-Type: application/json' \
    -H 'Accept: application/json' -d '{"fields":{}}' -o "$dir/submit/#1.json" \
    -w '%{http_code} %{time_total} %{num_connects}\n' "$url" >"$dir/timings.txt" 2>"$dir/curl.err" &
  WRK_PID=$!
  wait "$WRK_PID" || true # a transfer that failed shows as HTTP 000 below
  WRK_PID=""
  end=$(date +%s%N)
  cpu_after=$(server_cpu_ms)

  wall=$(awk -v s="$start" -v e="$end" 'BEGIN { printf "%.1f", (e - s) / 1e6 }')
  n200=$(awk '$1 == "200"' "$dir/timings.txt" | wc -l)
  errors=$(awk '$1 == "000"' "$dir/timings.txt" | wc -l)
  non200=$(awk '$1 != "200" && $1 != "000"' "$dir/timings.txt" | wc -l)
  reused=$(awk '$1 != "000" && $3 != 1' "$dir/timings.txt" | wc -l)
  awk '$1 != "000" { print $2 * 1000 }' "$dir/timings.txt" | sort -n >"$dir/latencies"
  read -r p50 p99 max min < <(awk '{ v[NR] = $1 } END {
      if (NR == 0) { print "- - - -"; exit }
      printf "%.2f %.2f %.2f %.2f\n", v[int((NR * 50 + 99) / 100)], v[int((NR * 99 + 99) / 100)], v[NR], v[1] }' \
    "$dir/latencies")
  # Every tenth percentile, to see whether the answers spread out or came together.
  spread=$(awk '{ v[NR] = $1 } END {
      for (p = 10; p <= 90; p += 10) printf "%s%.0f", (p > 10 ? " " : ""), v[int((NR * p + 99) / 100)] }' \
    "$dir/latencies")
  rate=$(awk -v n="$n200" -v w="$wall" 'BEGIN { printf "%.2f", (w > 0 ? n * 1000 / w : 0) }')
  ROWS+=("incidents|$INCIDENTS|$rate|$p50|$p99|$non200|$errors")
  echo "   $n200 of $INCIDENTS answered 200 in $wall ms; min $min, p50 $p50, p99 $p99, max $max ms" >&2
  echo "   latency at 10, 20, … 90 %: $spread ms" >&2
  INCIDENT_NOTES+=("one burst of $INCIDENTS submits, all started together on $INCIDENTS connections: wall time $wall ms (includes curl's start-up); answers took $min ms at the fastest, $max ms at the slowest (10th…90th percentiles: $spread ms); req/s is the submits that answered 200, divided by the wall time")
  if [[ -n "$cpu_before" && -n "$cpu_after" ]]; then
    cpu=$((cpu_after - cpu_before))
    echo "   mamori used $cpu ms of CPU during the burst ($(awk -v c="$cpu" -v n="$INCIDENTS" 'BEGIN { printf "%.1f", c / n }') ms a submit)" >&2
    INCIDENT_NOTES+=("mamori used $cpu ms of CPU time (user + system) during the burst, $(awk -v c="$cpu" -v n="$INCIDENTS" 'BEGIN { printf "%.1f", c / n }') ms a submit")
  fi

  [[ $(wc -l <"$dir/timings.txt") -eq $INCIDENTS ]] ||
    incident_fail "curl reported $(wc -l <"$dir/timings.txt") transfers, expected $INCIDENTS"
  if ((n200 != INCIDENTS)); then
    first_bad=$(awk '$1 != "200" { print $1; exit }' "$dir/timings.txt")
    incident_fail "$((INCIDENTS - n200)) of $INCIDENTS submits did not answer 200 ($non200 other HTTP answers, $errors without an answer; first: $first_bad); curl: $(head -c 200 "$dir/curl.err")"
  fi
  ((reused == 0)) ||
    incident_fail "$reused submits did not open a connection of their own, so fewer than $INCIDENTS were concurrent"
  answered=$(cat "$dir"/submit/*.json 2>/dev/null | jq -r '.state // empty' 2>/dev/null | grep -cx reported || true)
  ((answered == INCIDENTS)) ||
    incident_fail "only $answered of $INCIDENTS submits answered with state reported"

  # Not timed: read every case back, and the two contacts' inboxes.
  step "incidents: checking states and inboxes"
  assert_loopback "$MAMORI_URL/api/v1/cases/"
  curl -s --max-time 120 -H "Cookie: mamori_session=$REPORTER_COOKIE" -H 'Accept: application/json' \
    -o "$dir/state/#1.json" "$MAMORI_URL/api/v1/cases/{$glob}" || true
  reported=$(cat "$dir"/state/*.json 2>/dev/null | jq -r '.state // empty' 2>/dev/null | grep -cx reported || true)
  inbox_ids "$ATLA_COOKIE" "$dir/atla-inbox"
  atla_total=${INBOX_TOTAL:-?}
  missing=$(comm -23 <(sort -u "$dir/ids") <(sort -u "$dir/atla-inbox") | wc -l)
  inbox_ids "$GSDF_COOKIE" "$dir/gsdf-inbox"
  gsdf_total=${INBOX_TOTAL:-?}
  stray=$(comm -12 <(sort -u "$dir/ids") <(sort -u "$dir/gsdf-inbox") | wc -l)
  echo "   $reported of $INCIDENTS read back as reported; ATLA's contact's inbox: total $atla_total, $missing of ours missing; GSDF's: total $gsdf_total, $stray of ours" >&2

  local ok
  ok=$([[ $n200 -eq $INCIDENTS && $answered -eq $INCIDENTS && $reported -eq $INCIDENTS ]] && echo x || echo " ")
  INCIDENT_CHECKS+=("- [$ok] incidents: $n200 of $INCIDENTS submits answered 200, $answered with state \`reported\`; $reported of $INCIDENTS read back in that state")
  ((reported == INCIDENTS)) || incident_fail "only $reported of $INCIDENTS cases are in state reported"
  ok=$([[ $atla_total == "$INCIDENTS" && $missing -eq 0 ]] && echo x || echo " ")
  INCIDENT_CHECKS+=("- [$ok] incidents: 防衛装備庁's emergency contact's inbox lists all of them (total $atla_total, $missing missing)")
  [[ $ok == x ]] || incident_fail "ATLA's contact's inbox has total $atla_total and misses $missing of the $INCIDENTS reports"
  ok=$([[ $stray -eq 0 ]] && echo x || echo " ")
  INCIDENT_CHECKS+=("- [$ok] incidents: 陸上自衛隊's emergency contact's inbox lists none of them (total $gsdf_total)")
  ((stray == 0)) || incident_fail "the GSDF contact's inbox lists $stray of the reports"

  log_after=$(log_problems | wc -l)
  if ((log_after > log_before)); then
    INCIDENT_NOTES+=("mamori logged $((log_after - log_before)) ERROR/WARN lines during the case")
    echo "run.sh: incidents: mamori logged $((log_after - log_before)) ERROR/WARN lines:" >&2
    log_problems | tail -n "$((log_after - log_before))" | head -n 5 >&2
  fi
}

# The rollup case: one prefecture (ベンチ県) that ROLLUP_ORGS municipalities report to
# (relation reports_to, made by the system administrator and so accepted at once). Each
# municipality submits a self-check of ROLLUP_ITEMS items, about one in twenty answered "no",
# and one in ten reports an event up and leaves it open. The roll-up reads one row per
# submitted self-check and per open event, never the answers.
ROLLUP_NOTES=()
ROLLUP_CHECKS=()

seed_reporting() { # n: a municipality reporting to ROLLUP_PREF, its self-check, maybe an event
  local n=$1 num org id code out="$WORK/reporting-$1.json" answers
  num=$(printf '%04d' "$n")
  local headers=(-H "Cookie: mamori_session=$COOKIE" -H 'Content-Type: application/json')
  [[ -z "$CSRF" ]] || headers+=(-H "X-CSRF-Token: $CSRF")
  call() { # method path body -> prints the HTTP code, the answer in $out
    curl -s -o "$out" -w '%{http_code}' --max-time 60 -X "$1" "${headers[@]}" -d "$3" "$MAMORI_URL$2" || true
  }
  fail() { echo "run.sh: error: municipality $num: $1 answered HTTP $2: $(head -c 300 "$out")" >&2; exit 255; }
  code=$(call POST /api/v1/organisations "$(jq -cn --arg n "報告団体$num" --arg p "$ORG" \
    '{name: $n, kind: "local_government", parent: $p}')")
  [[ $code == 201 ]] || fail "creating it" "$code"
  org=$(jq -r .id "$out")
  code=$(call POST "/api/v1/organisations/$org/relations" \
    "$(jq -cn --arg o "$ROLLUP_PREF" '{kind: "reports_to", other: $o}')")
  [[ $code == 201 ]] || fail "relating it" "$code"
  code=$(call POST /api/v1/assessments "$(jq -cn --arg o "$org" \
    '{catalog: "bench_rollup_check", organisation: $o, title: "令和8年度 自己点検"}')")
  [[ $code == 201 ]] || fail "starting its self-check" "$code"
  id=$(jq -r .id "$out")
  answers=$(jq -cn --argjson n "$n" --argjson items "$ROLLUP_ITEMS" \
    '{answers: [range(1; $items + 1) | {requirement: ("R" + (. | tostring | if length < 3 then ("00" + .)[-3:] else . end)),
      answer: (if (. + $n) % 20 == 0 then "no" else "yes" end), note: ""}]}')
  code=$(call PUT "/api/v1/assessments/$id/answers" "$answers")
  [[ $code == 204 ]] || fail "answering its self-check" "$code"
  code=$(call POST "/api/v1/assessments/$id/submit" '{}')
  [[ $code == 204 || $code == 200 ]] || fail "submitting its self-check" "$code"
  if ((n % 10 == 0)); then
    code=$(call POST /api/v1/cases "$(jq -cn --arg o "$org" --arg s "事案 $num" \
      '{procedure: "mod-bench-rollup/bench_event", organisation: $o, data: {summary: $s}}')")
    [[ $code == 201 ]] || fail "opening its event" "$code"
    id=$(jq -r .id "$out")
    code=$(call POST "/api/v1/cases/$id/actions/report_up" '{}')
    [[ $code == 200 ]] || fail "reporting its event up" "$code"
  fi
  rm -f "$out"
}

run_rollup() {
  local start seeded me path code answer lines scored events size secs ok
  step "rollup: $ROLLUP_ORGS municipalities reporting to one prefecture, each submitting $ROLLUP_ITEMS self-check answers ($SEED_PARALLEL in parallel)"
  [[ $(api GET /api/v1/me) == 200 ]] || die "GET /api/v1/me failed"
  me=$(jq -r .id "$WORK/api.json")
  [[ $(api POST /api/v1/designations "$(jq -cn --arg o "$ORG" --arg p "$me" \
    '{role: "bench_checker", organisation: $o, person: $p, starts_on: "2020-01-01"}')") == 201 ]] ||
    die "designating the bench account bench_checker failed: $(head -c 300 "$WORK/api.json")"
  new_org ベンチ県 local_government
  ROLLUP_PREF=$NEW_ID
  start=$(date +%s)
  export -f seed_reporting
  export WORK COOKIE CSRF MAMORI_URL ORG ROLLUP_PREF ROLLUP_ITEMS
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
  seq 1 "$ROLLUP_ORGS" | xargs -P "$SEED_PARALLEL" -I{} bash -c 'seed_reporting "$1"' _ {} ||
    die "seeding the reporting municipalities failed"
  seeded=$(($(date +%s) - start))
  ROLLUP_NOTES+=("seeding $ROLLUP_ORGS municipalities (an organisation, its relation, a self-check of $ROLLUP_ITEMS answers submitted, and an event reported up for one in ten) took $seeded s, not timed otherwise")

  path="/api/v1/organisations/$ROLLUP_PREF/rollup"
  assert_loopback "$MAMORI_URL$path"
  answer=$(curl -s -o "$WORK/rollup.json" -w '%{http_code} %{size_download} %{time_total}' --max-time 30 \
    -H "Cookie: mamori_session=$COOKIE" -H 'Accept: application/json' "$MAMORI_URL$path") || true
  [[ ${answer%% *} == 200 ]] || die "GET $path answered HTTP ${answer%% *}: $(head -c 300 "$WORK/rollup.json")"
  read -r _ size secs <<<"$answer"
  lines=$(jq '.lines | length' "$WORK/rollup.json")
  # The shipped libraries report up catalogs of their own: find the bench's column.
  scored=$(jq '([.catalogs[].catalog] | index("bench_rollup_check")) as $k
    | [.lines[] | select(.scores[$k].submitted == 1 and .scores[$k].score != null)] | length' "$WORK/rollup.json")
  events=$(jq '[.lines[].reported_open] | add' "$WORK/rollup.json")
  ROLLUP_NOTES+=("one roll-up answer before the runs: $lines lines, $size bytes of JSON, $(awk -v t="$secs" 'BEGIN { printf "%.1f", t * 1000 }') ms")
  ok=$([[ $lines -eq $ROLLUP_ORGS && $scored -eq $ROLLUP_ORGS && $events -eq $((ROLLUP_ORGS / 10)) ]] && echo x || echo " ")
  ROLLUP_CHECKS+=("- [$ok] rollup: $lines of $ROLLUP_ORGS municipalities listed, $scored with their score, $events of $((ROLLUP_ORGS / 10)) open events counted")
  run_case rollup rollup.lua "$MAMORI_URL" "$path"
}

# The rounds case: the compliance board of one yearly obligation over Japan's 1,741
# municipalities (市町村, Tokyo's 23 wards included), and the scheduler opening the cases of
# twelve such obligations when their period starts. It seeds after the other cases have
# run, since 1,741 more organisations and persons would change what list, page and search
# read. The period start is made by restarting mamori, not by moving the clock: the bench
# library (write_bench_library) first recurs for a role nobody holds, so designating the
# officers opens nothing; restarted with the obligations recurring for bench_officer, the
# server's first tick (right at start-up) finds all 1,741 × 12 cases due and opens them.
ROUNDS_ORGS=1741
ROUNDS_PROCEDURES=12
ROUNDS_WAIT=1200 # seconds the opening may take before the run gives up
ROUNDS_NOTES=()
ROUNDS_CHECKS=()

seed_municipality() { # n: an organisation, a person in it, and the person's designation
  local n=$1 num body code org person out="$WORK/municipality-$1.json"
  num=$(printf '%04d' "$n")
  local headers=(-H "Cookie: mamori_session=$COOKIE" -H 'Content-Type: application/json')
  [[ -z "$CSRF" ]] || headers+=(-H "X-CSRF-Token: $CSRF")
  body=$(jq -cn --arg n "市町村$num" '{name: $n, kind: "local_government"}')
  code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 "${headers[@]}" -d "$body" \
    "$MAMORI_URL/api/v1/organisations") || true
  [[ $code == 201 ]] || { echo "run.sh: error: creating 市町村$num answered HTTP $code: $(head -c 300 "$out")" >&2; exit 255; }
  org=$(jq -r .id "$out")
  body=$(jq -cn --arg name "点検 担当 $num" --arg email "officer$num@bench.example.jp" --arg org "$org" \
    --arg pw "$SEED_PASS" '{name: $name, email: $email, organisation: $org, initial_password: $pw}')
  code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 "${headers[@]}" -d "$body" \
    "$MAMORI_URL/api/v1/persons") || true
  [[ $code == 201 ]] || { echo "run.sh: error: creating the officer of 市町村$num answered HTTP $code: $(head -c 300 "$out")" >&2; exit 255; }
  person=$(jq -r .id "$out")
  body=$(jq -cn --arg o "$org" --arg p "$person" \
    '{role: "bench_officer", organisation: $o, person: $p, starts_on: "2020-01-01"}')
  code=$(curl -s -o "$out" -w '%{http_code}' --max-time 30 "${headers[@]}" -d "$body" \
    "$MAMORI_URL/api/v1/designations") || true
  [[ $code == 201 ]] || { echo "run.sh: error: designating the officer of 市町村$num answered HTTP $code: $(head -c 300 "$out")" >&2; exit 255; }
  rm -f "$out"
}

# Sums the "opened rounds of recurring procedures" lines of mamori.log from line $1 on:
# prints how many lines, the cases they opened and their elapsed_ms.
opened_since() { # first-line
  tail -n "+$1" "$WORK/mamori.log" | sed 's/\x1b\[[0-9;]*m//g' |
    awk '/opened rounds of recurring procedures/ {
        lines++
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^opened=[0-9]+$/) { sub(/^opened=/, "", $i); opened += $i }
          else if ($i ~ /^elapsed_ms=[0-9]+$/) { sub(/^elapsed_ms=/, "", $i); elapsed += $i }
        }
      } END { printf "%d %d %d\n", lines, opened, elapsed }'
}

# Sets OPENED_AT to when one case of a bench obligation was opened: its updated_at, in
# nanoseconds since the epoch (nothing touches these cases after). The case list is newest
# first, so offset 0 is the last one opened and offset ROUNDS_ORGS - 1 the first.
opened_at() { # procedure offset
  local code ts
  code=$(api GET "/api/v1/cases?procedure=mod-bench-yearly/$1&limit=1&offset=$2")
  [[ $code == 200 ]] || die "listing the cases of $1 answered HTTP $code: $(head -c 300 "$WORK/api.json")"
  [[ $(jq -r .total "$WORK/api.json") == "$ROUNDS_ORGS" ]] ||
    die "$1 has $(jq -r .total "$WORK/api.json") cases, expected $ROUNDS_ORGS"
  ts=$(jq -r '.items[0].updated_at // empty' "$WORK/api.json")
  OPENED_AT=$(date -u -d "$ts" +%s%N) || die "cannot read the time '$ts' of a case of $1"
}

run_rounds() {
  local expected=$((ROUNDS_ORGS * ROUNDS_PROCEDURES)) path=/api/v1/obligations/mod-bench-yearly/check01
  local start seeded total log_from deadline lines=0 opened=0 elapsed=0 n first last spans
  local cpu per one first_span min_span max_span tick_first all_span full answer ok code size secs

  step "rounds: seeding $ROUNDS_ORGS municipalities, each with an officer designated bench_officer ($SEED_PARALLEL in parallel; each one hashes a password)"
  start=$(date +%s)
  export -f seed_municipality
  export WORK COOKIE CSRF SEED_PASS MAMORI_URL
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
  seq 1 "$ROUNDS_ORGS" | xargs -P "$SEED_PARALLEL" -I{} bash -c 'seed_municipality "$1"' _ {} ||
    die "seeding the municipalities failed"
  seeded=$(($(date +%s) - start))
  code=$(api GET /api/v1/obligations)
  [[ $code == 200 ]] || die "GET /api/v1/obligations answered HTTP $code: $(head -c 300 "$WORK/api.json")"
  total=$(jq '[.[] | select(.library == "mod-bench-yearly") | .tally.done + .tally.open + .tally.overdue] | add // 0' "$WORK/api.json")
  [[ $total == 0 ]] || die "the bench obligations have $total cases before their period starts"
  echo "   seeded in $seeded s; no round open yet" >&2

  step "rounds: restarting mamori with the twelve obligations due (the period start)"
  stop_server "$MAMORI_PID" mamori
  MAMORI_PID=""
  write_bench_library bench-2 bench_officer
  log_from=$(($(wc -l <"$WORK/mamori.log") + 1))
  start_mamori
  # Sessions are kept in the database, so the cookie should outlive the restart.
  [[ $(api GET /api/v1/me) == 200 ]] || { log_in; export MAMORI_COOKIE="$COOKIE"; }

  step "rounds: waiting for the first tick to open $expected cases (at most $ROUNDS_WAIT s)"
  deadline=$(($(date +%s) + ROUNDS_WAIT))
  while :; do
    kill -0 "$MAMORI_PID" 2>/dev/null || die "mamori exited while opening the rounds"
    read -r lines opened elapsed < <(opened_since "$log_from")
    ((opened < expected)) || break
    (($(date +%s) < deadline)) ||
      die "after $ROUNDS_WAIT s the log reports $opened of $expected cases opened ($lines lines)"
    sleep 2
  done
  cpu=$(server_cpu_ms)
  per=$(awk -v e="$elapsed" -v n="$opened" 'BEGIN { printf "%.2f", e / n }')
  one=$(awk -v e="$elapsed" -v n="$ROUNDS_PROCEDURES" 'BEGIN { printf "%.0f", e / n }')
  # Each obligation's cases are opened one after the other (check01 first): the time from
  # its first case to its last is what opening one obligation's 1,741 cases took.
  spans=""
  for n in $(seq -w 1 "$ROUNDS_PROCEDURES"); do
    opened_at "check$n" $((ROUNDS_ORGS - 1)) && first=$OPENED_AT
    opened_at "check$n" 0 && last=$OPENED_AT
    spans+="$(((last - first) / 1000000)) "
    [[ $n != 01 ]] || { first_span=$(((last - first) / 1000000)); tick_first=$first; }
  done
  all_span=$(((last - tick_first) / 1000000))
  read -r min_span max_span < <(tr ' ' '\n' <<<"$spans" | grep . | sort -n | sed -n '1p;$p' | paste -sd ' ')
  echo "   opened $opened cases in $elapsed ms ($lines log line(s)), $per ms a case" >&2
  echo "   one obligation's $ROUNDS_ORGS cases, first to last: check01 $first_span ms; the twelve $min_span–$max_span ms (estimate: $one ms)" >&2
  echo "   check01 … check12: ${spans% } ms" >&2
  ROUNDS_NOTES+=("seeding $ROUNDS_ORGS municipalities (an organisation, a person and a bench_officer designation each, $SEED_PARALLEL at a time) took $seeded s, not timed otherwise")
  ROUNDS_NOTES+=("the first tick after the restart opened $opened cases ($ROUNDS_PROCEDURES obligations × $ROUNDS_ORGS organisations; $lines log line(s)) in $elapsed ms (elapsed_ms of the log line), $per ms a case")
  ROUNDS_NOTES+=("one obligation's $ROUNDS_ORGS cases, from the first one's time to the last one's (the cases' updated_at): check01 $first_span ms; the twelve took $min_span to $max_span ms (in order: ${spans% }; the tick's time divided by $ROUNDS_PROCEDURES: $one ms); check01's first case to check12's last: $all_span ms")
  [[ -z "$cpu" ]] || ROUNDS_NOTES+=("mamori used $cpu ms of CPU (user + system) from its start to the end of the tick")

  code=$(api GET /api/v1/obligations)
  [[ $code == 200 ]] || die "GET /api/v1/obligations answered HTTP $code: $(head -c 300 "$WORK/api.json")"
  full=$(jq --argjson n "$ROUNDS_ORGS" \
    '[.[] | select(.library == "mod-bench-yearly" and .tally.done + .tally.open + .tally.overdue == $n)] | length' \
    "$WORK/api.json")
  ok=$([[ $opened -eq $expected && $full -eq $ROUNDS_PROCEDURES ]] && echo x || echo " ")
  ROUNDS_CHECKS+=("- [$ok] rounds: the tick opened $opened of $expected cases; $full of $ROUNDS_PROCEDURES obligations count $ROUNDS_ORGS targets")

  assert_loopback "$MAMORI_URL$path"
  answer=$(curl -s -o "$WORK/board.json" -w '%{http_code} %{size_download} %{time_total}' --max-time 30 \
    -H "Cookie: mamori_session=$COOKIE" -H 'Accept: application/json' "$MAMORI_URL$path") || true
  [[ ${answer%% *} == 200 ]] || die "GET $path answered HTTP ${answer%% *}: $(head -c 300 "$WORK/board.json")"
  total=$(jq '.lines | length' "$WORK/board.json")
  [[ $total == "$ROUNDS_ORGS" ]] || die "the board of check01 has $total lines, expected $ROUNDS_ORGS"
  read -r _ size secs <<<"$answer"
  ROUNDS_NOTES+=("one board answer before the runs: $total lines, $size bytes of JSON, $(awk -v t="$secs" 'BEGIN { printf "%.1f", t * 1000 }') ms")

  run_case rounds board.lua "$MAMORI_URL" "$path"
}

wanted baseline && run_case baseline baseline.lua "$BASELINE_URL" "/api/v1/persons?limit=10&offset=0"
if [[ $BASELINE_ONLY -eq 0 ]]; then
  export MAMORI_COOKIE="$COOKIE" MAMORI_ORG="$ORG" MAMORI_CSRF="$CSRF"
  export MAMORI_EMAIL="$EMAIL" MAMORI_PASSWORD="$PASS"
  wanted list && run_case list list.lua "$MAMORI_URL" "/api/v1/persons?limit=10&offset=0"
  wanted page && run_case page page.lua "$MAMORI_URL" "/organisations"
  wanted search && run_case search search.lua "$MAMORI_URL" "/api/v1/cases?limit=10&q=%E5%AE%9A%E4%BE%8B%E4%BC%9A%E8%AD%B0"
  wanted create && run_case create create.lua "$MAMORI_URL" "/api/v1/organisations"
  if wanted casepage; then
    export MAMORI_CASE MAMORI_CASE_COOKIE="$REPORTER_COOKIE"
    MAMORI_CASE=$(head -n 1 "$INC_DIR/ids")
    run_case casepage casepage.lua "$MAMORI_URL" "/cases/$MAMORI_CASE"
  fi
  wanted incidents && run_incidents
  wanted dsg && run_case dsg sites.lua "$MAMORI_URL" "/api/v1/dsg/sites"
  wanted ledger && run_ledger
  wanted rollup && run_rollup
  # After the others: it adds 1,741 organisations and restarts mamori.
  wanted rounds && run_rounds
  # Last, because thousands of logins may trip the login throttle.
  wanted login && run_case login login.lua "$MAMORI_URL" "/api/v1/session"
fi

# The import case: 3,000 staff added from one workbook (each given a sign-in code, no
# password hashed), timed from the upload to the answer.
IMPORT_NOTES=()
IMPORT_CHECKS=()
run_import() {
  local n=3000 unit book code secs added
  step "import: $n staff from one workbook"
  new_org "取込先の課" unit "$ORG"
  unit=$NEW_ID
  book="$WORK/staff.xlsx"
  python3 "$BENCH/tools/staff_workbook.py" "$book" "$n" || die "cannot write the staff workbook"
  assert_loopback "$MAMORI_URL/api/v1/persons/import"
  local headers=(-H "Cookie: mamori_session=$COOKIE")
  [[ -z "$CSRF" ]] || headers+=(-H "X-CSRF-Token: $CSRF")
  read -r code secs < <(curl -s -o "$WORK/import.json" -w '%{http_code} %{time_total}\n' --max-time 120 \
    "${headers[@]}" -F "organisation=$unit" -F "file=@$book" "$MAMORI_URL/api/v1/persons/import") || true
  [[ $code == 201 ]] || die "the import answered HTTP $code: $(head -c 300 "$WORK/import.json")"
  added=$(jq '.people | length' "$WORK/import.json")
  IMPORT_NOTES+=("$added of $n people added from one workbook in $(awk -v t="$secs" 'BEGIN { printf "%.2f", t }') s (curl time_total: upload, checks, one transaction with an audit event per person, answer)")
  IMPORT_CHECKS+=("$(check "import: $n people in under 30 s ($(awk -v t="$secs" 'BEGIN { printf "%.2f", t }') s)" "$secs" "<" 30)")
  [[ $added == "$n" ]] || IMPORT_CHECKS+=("- [ ] import: every row added ($added of $n)")
  memory_note "after importing $n staff"
}

# The growth case: the same page of ten read with 1,000 and with 100,000 persons and
# organisations, at 8 connections. The persons arrive through the staff import (5,000 a
# workbook), the organisations through the API, as an office would add them.
GROWTH_CHECKS=()
count_rows() { # table
  python3 -c 'import sqlite3, sys; print(sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True).execute("SELECT COUNT(*) FROM " + sys.argv[2]).fetchone()[0])' \
    "$DATA/mamori.db" "$1"
}
grow_persons() { # target
  local have next n code
  have=$(count_rows persons)
  # Numbered past those already added, so that no address repeats.
  next=$((100000 + have))
  while ((have < $1)); do
    n=$(($1 - have))
    ((n > 5000)) && n=5000
    python3 "$BENCH/tools/staff_workbook.py" "$WORK/grow.xlsx" "$n" "$next" || die "cannot write a staff workbook"
    local headers=(-H "Cookie: mamori_session=$COOKIE")
    [[ -z "$CSRF" ]] || headers+=(-H "X-CSRF-Token: $CSRF")
    code=$(curl -s -o "$WORK/grow.json" -w '%{http_code}' --max-time 120 "${headers[@]}" \
      -F "organisation=$ORG" -F "file=@$WORK/grow.xlsx" "$MAMORI_URL/api/v1/persons/import") || true
    [[ $code == 201 ]] || die "growing the persons: the import answered HTTP $code: $(head -c 300 "$WORK/grow.json")"
    have=$((have + n))
    next=$((next + n))
  done
}
grow_organisations() { # target
  local have secs round=0
  have=$(count_rows organisations)
  # Tens of thousands: wrk's create script (a new unit per request, as in the create case)
  # for about as long as they take, then the rest one by one.
  while (($1 - have > 5000)); do
    round=$((round + 1))
    secs=$((($1 - have) / 3000 + 1))
    assert_loopback "$MAMORI_URL/api/v1/organisations"
    MAMORI_ORG="$ORG" BENCH_TAG="grow-$$-$round" wrk -t2 -c8 "-d${secs}s" -s "$WRK_DIR/create.lua" \
      "$MAMORI_URL/api/v1/organisations" >"$WORK/grow-wrk.txt" 2>&1 || die "growing the organisations with wrk failed"
    have=$(count_rows organisations)
  done
  ((have < $1)) || return 0
  grow_one() { # n
    local body code
    body=$(jq -cn --arg n "増設組織 $1" --arg p "$ORG" '{name: $n, kind: "unit", parent: $p}')
    local headers=(-H "Cookie: mamori_session=$COOKIE" -H 'Content-Type: application/json')
    [[ -z "$CSRF" ]] || headers+=(-H "X-CSRF-Token: $CSRF")
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 "${headers[@]}" -d "$body" \
      "$MAMORI_URL/api/v1/organisations") || true
    [[ $code == 201 ]] || { echo "run.sh: error: creating organisation $1 answered HTTP $code" >&2; exit 255; }
  }
  export -f grow_one
  export COOKIE CSRF ORG MAMORI_URL
  # shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
  seq "$((have + 1))" "$1" | xargs -P 8 -I{} bash -c 'grow_one "$1"' _ {} || die "growing the organisations failed"
}
growth_rows() { # label
  local saved=("${CONNECTIONS[@]}")
  CONNECTIONS=(8)
  export MAMORI_ACCEPT=application/json MAMORI_PATH="/api/v1/persons?limit=10&offset=0"
  run_case "growth persons $1" get.lua "$MAMORI_URL" "$MAMORI_PATH"
  MAMORI_PATH="/api/v1/organisations?limit=10&offset=0"
  run_case "growth organisations $1" get.lua "$MAMORI_URL" "$MAMORI_PATH"
  export MAMORI_ACCEPT=text/html MAMORI_PATH="/organisations"
  run_case "growth organisations page $1" get.lua "$MAMORI_URL" "$MAMORI_PATH"
  MAMORI_PATH="/organisations/$ORG"
  run_case "growth one organisation's page $1" get.lua "$MAMORI_URL" "$MAMORI_PATH"
  CONNECTIONS=("${saved[@]}")
}
GROWTH_NOTES=()
run_growth() {
  local what small large
  # The create case adds a unit per request (tens of thousands): there would be no
  # "1,000" to start from.
  ! wanted create || die "run the growth case without the create case (bash bench/run.sh --cases growth)"
  step "growth: 1,000 persons and organisations"
  grow_persons 1000
  grow_organisations 1000
  GROWTH_NOTES+=("at the 1,000 rows: $(count_rows persons) persons and $(count_rows organisations) organisations")
  growth_rows "1,000"
  step "growth: 100,000 persons and organisations (the import and the API)"
  grow_persons 100000
  grow_organisations 100000
  GROWTH_NOTES+=("at the 100,000 rows: $(count_rows persons) persons and $(count_rows organisations) organisations")
  growth_rows "100,000"
  for what in "persons" "organisations" "organisations page" "one organisation's page"; do
    small=$(cell "growth $what 1,000" 8 2)
    large=$(cell "growth $what 100,000" 8 2)
    GROWTH_CHECKS+=("$(check "growth: $what at 100,000 rows keeps 80% of its rate at 1,000 ($large vs $small req/s)" \
      "$large" ">=" "$(awk -v s="${small:-0}" 'BEGIN { print 0.8 * s }')")")
  done
}

# The audit case: the trail extended to a million events (bench/tools/extend_audit.py,
# with mamori stopped), then `mamori audit verify` three times.
AUDIT_NOTES=()
AUDIT_CHECKS=()
run_audit() {
  local target=1000000 i out rate best=0
  memory_note "at the end of the runs, before the audit case stops mamori"
  stop_server "$MAMORI_PID" mamori
  MAMORI_PID=""
  step "audit: extending the trail to $target events"
  python3 "$BENCH/tools/extend_audit.py" "$DATA/mamori.db" "$target" >/dev/null ||
    die "cannot extend the audit trail"
  for i in 1 2 3; do
    out=$("$MAMORI_BIN" audit verify --data-dir "$DATA" 2>&1) || die "audit verify failed: $out"
    step "   $out"
    rate=$(sed -n 's/.*(\([0-9]*\) events\/s).*/\1/p' <<<"$out")
    AUDIT_NOTES+=("run $i: $out")
    if ((rate > best)); then best=$rate; fi
  done
  AUDIT_CHECKS+=("$(check "audit: the trail verifies at 1,000,000 events/s or more (best of three: $best events/s)" "$best" ">=" 1000000)")
}

if [[ $BASELINE_ONLY -eq 0 ]]; then
  wanted import && run_import
  wanted growth && run_growth
  wanted audit && run_audit
fi

# ---------------------------------------------------------------- report --

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
  if [[ ${#INCIDENT_NOTES[@]} -gt 0 ]]; then
    echo
    local note
    for note in "${INCIDENT_NOTES[@]}"; do echo "incidents: $note."; done
  fi
  if [[ ${#ROUNDS_NOTES[@]} -gt 0 ]]; then
    echo
    local note
    for note in "${ROUNDS_NOTES[@]}"; do echo "rounds: $note."; done
  fi
  if [[ ${#IMPORT_NOTES[@]} -gt 0 ]]; then
    echo
    local note
    for note in "${IMPORT_NOTES[@]}"; do echo "import: $note."; done
  fi
  if [[ ${#GROWTH_NOTES[@]} -gt 0 ]]; then
    echo
    local note
    for note in "${GROWTH_NOTES[@]}"; do echo "growth: $note."; done
  fi
  if [[ ${#AUDIT_NOTES[@]} -gt 0 ]]; then
    echo
    local note
    for note in "${AUDIT_NOTES[@]}"; do echo "audit: $note"; done
  fi
  if [[ ${#LEDGER_NOTES[@]} -gt 0 ]]; then
    echo
    local note
    for note in "${LEDGER_NOTES[@]}"; do echo "ledger: $note."; done
  fi
  if [[ ${#ROLLUP_NOTES[@]} -gt 0 ]]; then
    echo
    local note
    for note in "${ROLLUP_NOTES[@]}"; do echo "rollup: $note."; done
  fi
  if [[ ${#MEMORY_NOTES[@]} -gt 0 ]]; then
    echo
    echo "| mamori's memory | RSS (MB) | peak RSS since start (MB) |"
    echo "| --- | ---: | ---: |"
    local m f
    for m in "${MEMORY_NOTES[@]}"; do
      IFS='|' read -r -a f <<<"$m"
      printf '| %s | %s | %s |\n' "${f[@]}"
    done
  fi
  if [[ $BASELINE_ONLY -eq 0 ]]; then
    local base8 list8 p99l8 p99l200 create8 p99b200
    base8=$(cell baseline 8 2)
    list8=$(cell list 8 2)
    p99l8=$(cell list 8 4)
    p99l200=$(cell list 200 4)
    p99b200=$(cell baseline 200 4)
    create8=$(cell create 8 2)
    echo
    echo "Targets:"
    echo
    # Only the targets of the cases that ran.
    if [[ -n $list8 ]]; then
      check "list at 8 connections reaches 45% of the baseline (${list8:-?} vs ${base8:-?} req/s)" \
        "$list8" ">=" "$(awk -v b="${base8:-0}" 'BEGIN { print 0.45 * b }')"
      check "list p99 under 5 ms at 8 connections (${p99l8:-?} ms)" "$p99l8" "<" 5
      check "list p99 at 200 connections within 1.25 × the baseline's own (${p99l200:-?} vs ${p99b200:-?} ms)" \
        "$p99l200" "<" "$(awk -v b="${p99b200:-0}" 'BEGIN { print 1.25 * b }')"
    fi
    if [[ -n $create8 ]]; then
      check "create reaches 4,000 req/s at 8 connections (${create8:-?} req/s)" "$create8" ">=" 4000
    fi
    local dsg8 dsg200e
    dsg8=$(cell dsg 8 4)
    dsg200e=$(cell dsg 200 6)
    if [[ -n $dsg8 ]]; then
      check "dsg: ATLA's overview of $DSG_SITES sites answers with a p99 under 50 ms at 8 connections (${dsg8:-?} ms)" \
        "$dsg8" "<" 50
      check "dsg: no socket errors at 200 connections (${dsg200e:-?})" "${dsg200e:-1}" "<" 1
    fi
    local ledger8
    ledger8=$(cell ledger 8 2)
    if [[ -n $ledger8 ]]; then
      check "ledger: 10 of $LEDGER_ROWS rows filtered by class and owner at 8 connections reach 45% of the baseline (${ledger8:-?} vs ${base8:-?} req/s)" \
        "$ledger8" ">=" "$(awk -v b="${base8:-0}" 'BEGIN { print 0.45 * b }')"
    fi
    [[ ${#INCIDENT_CHECKS[@]} -eq 0 ]] || printf '%s\n' "${INCIDENT_CHECKS[@]}"
    [[ ${#IMPORT_CHECKS[@]} -eq 0 ]] || printf '%s\n' "${IMPORT_CHECKS[@]}"
    [[ ${#GROWTH_CHECKS[@]} -eq 0 ]] || printf '%s\n' "${GROWTH_CHECKS[@]}"
    [[ ${#AUDIT_CHECKS[@]} -eq 0 ]] || printf '%s\n' "${AUDIT_CHECKS[@]}"
    if [[ ${#MEMORY_NOTES[@]} -gt 0 ]]; then
      local peak
      peak=$(printf '%s\n' "${MEMORY_NOTES[@]}" | awk -F'|' '$3 > m { m = $3 } END { print m + 0 }')
      check "memory: mamori's peak RSS under 150 MB ($peak MB)" "$peak" "<" 150
    fi
    if [[ ${#ROLLUP_CHECKS[@]} -gt 0 ]]; then
      local p99u8
      p99u8=$(cell rollup 8 4)
      check "rollup: a prefecture's roll-up of $ROLLUP_ORGS municipalities × $ROLLUP_ITEMS self-check items answers with a p99 under 200 ms at 8 connections (${p99u8:-?} ms)" \
        "$p99u8" "<" 200
      printf '%s\n' "${ROLLUP_CHECKS[@]}"
    fi
    if [[ ${#ROUNDS_CHECKS[@]} -gt 0 ]]; then
      local p99r8
      p99r8=$(cell rounds 8 4)
      check "rounds: the board of $ROUNDS_ORGS organisations answers with a p99 under 200 ms at 8 connections (${p99r8:-?} ms)" \
        "$p99r8" "<" 200
      printf '%s\n' "${ROUNDS_CHECKS[@]}"
    fi
  fi
}

report | tee "$RESULTS"
step "written to ${RESULTS#"$ROOT"/}"
[[ ${#INCIDENT_FAILURES[@]} -eq 0 ]] ||
  die "the incidents case failed: $(printf '%s; ' "${INCIDENT_FAILURES[@]}")"
