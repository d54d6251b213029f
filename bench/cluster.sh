#!/usr/bin/env bash
# The two-server case of bench/run.sh (`bash bench/run.sh --cases cluster`, or this file
# alone): mamori on one PostgreSQL database, first as one server, then one server behind
# HAProxy, then two servers behind HAProxy (round robin), each driven with wrk for the
# person list (a read) and organisation creation (a write, which appends to the audit
# chain). While the writes run, PostgreSQL's sessions are sampled every 0.2 s to see how
# many of mamori's busy connections wait on a lock: the audit chain's head is one row that
# every write transaction locks until it commits. At the end the chain is verified.
#
# PostgreSQL: BENCH_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test; the
# case works in a schema of its own, dropped on exit. Traffic goes to 127.0.0.1 only.
# Results go to stdout and bench/results-cluster-latest.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BENCH="$ROOT/bench"
WRK_DIR="$BENCH/wrk"
RESULTS="$BENCH/results-cluster-latest.md"
: "${CARGO_TARGET_DIR:=$ROOT/target}"
export CARGO_TARGET_DIR
MAMORI_BIN="$CARGO_TARGET_DIR/release/mamori"
PG_URL="${BENCH_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test}"

HOST=127.0.0.1
LB_URL="http://$HOST:18180"
A_URL="http://$HOST:18181"
B_URL="http://$HOST:18182"
DURATION=${BENCH_DURATION:-10s}
CONNECTIONS=(8 64)
SEED=200
EMAIL=bench@example.jp
PASS='bench-passphrase-0001'
SEED_PASS='bench-initial-0001'

step() { printf '==> %s\n' "$*" >&2; }
die() {
  printf 'cluster.sh: error: %s\n' "$*" >&2
  exit 1
}
assert_loopback() {
  case "$1" in
    "http://$HOST:"*) ;;
    *) die "refusing to target $1: only http://$HOST:PORT is allowed" ;;
  esac
}

WORK=""
SCHEMA="bench_cluster_$$"
PIDS=()
cleanup() {
  local status=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if [[ $status -ne 0 && -n "$WORK" ]]; then
    for log in "$WORK"/*.log; do
      [[ -s "$log" ]] || continue
      echo "---- last lines of $(basename "$log") ----" >&2
      tail -n 20 "$log" >&2
    done
  fi
  psql "$PG_URL" -qAtX -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
  [[ -n "$WORK" ]] && rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

apt_install() {
  local sudo=()
  [[ $(id -u) -eq 0 ]] || sudo=(sudo)
  step "installing $* with apt-get"
  "${sudo[@]}" apt-get install -y -q "$@" >/dev/null ||
    { "${sudo[@]}" apt-get update -q >/dev/null && "${sudo[@]}" apt-get install -y -q "$@" >/dev/null; } ||
    die "could not install $*"
}
command -v curl >/dev/null || apt_install curl
command -v wrk >/dev/null || apt_install wrk
command -v jq >/dev/null || apt_install jq
command -v psql >/dev/null || apt_install postgresql-client
# HAProxy from Debian: the load balancer an office would put in front.
command -v haproxy >/dev/null || [[ -x /usr/sbin/haproxy ]] || apt_install haproxy
HAPROXY=$(command -v haproxy || echo /usr/sbin/haproxy)

step "building mamori (release)"
(cd "$ROOT" && cargo build --release -p mamori) || die "cargo build failed"

psql "$PG_URL" -qAtX -c 'SELECT 1' >/dev/null || die "PostgreSQL is not reachable at $PG_URL"
psql "$PG_URL" -qAtX -c "CREATE SCHEMA $SCHEMA" >/dev/null
DB_URL="$PG_URL?options=-csearch_path%3D$SCHEMA"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mamori-cluster.XXXXXX")
# Every server of one installation shares the sealing key.
export MAMORI_SECRET_KEY
MAMORI_SECRET_KEY=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')

http_code() { # url [curl args...]
  local url=$1
  shift
  assert_loopback "$url"
  curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@" "$url" || true
}
wait_ready() { # name pid url
  local name=$1 pid=$2 url=$3
  for _ in $(seq 300); do
    kill -0 "$pid" 2>/dev/null || die "$name exited during start-up"
    [[ $(http_code "$url") == 200 ]] && return 0
    sleep 0.2
  done
  die "$name did not answer 200 on $url within 60 s"
}
start_server() { # name url metrics-port
  local name=$1 url=$2 metrics=$3
  [[ $(http_code "$url/") == 000 ]] || die "something already answers on $url"
  step "starting mamori $name on $url"
  mkdir -p "$WORK/$name"
  "$MAMORI_BIN" serve --database-url "$DB_URL" --data-dir "$WORK/$name" --bind "${url#http://}" \
    --trusted-proxies 127.0.0.1 --metrics-bind "$HOST:$metrics" >>"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  wait_ready "$name" "$!" "$url/healthz"
}
start_haproxy() { # servers...
  local cfg="$WORK/haproxy.cfg" name
  cat >"$cfg" <<EOF
global
  maxconn 4096
defaults
  mode http
  option forwardfor
  timeout connect 5s
  timeout client 30s
  timeout server 30s
frontend mamori
  bind ${LB_URL#http://}
  default_backend servers
backend servers
  balance roundrobin
  http-reuse safe
EOF
  for name in "$@"; do
    local url
    url=$([[ $name == a ]] && echo "$A_URL" || echo "$B_URL")
    echo "  server $name ${url#http://} check" >>"$cfg"
  done
  step "starting HAProxy on $LB_URL in front of: $*"
  "$HAPROXY" -f "$cfg" -db >>"$WORK/haproxy.log" 2>&1 &
  HAPROXY_PID=$!
  PIDS+=("$HAPROXY_PID")
  wait_ready haproxy "$HAPROXY_PID" "$LB_URL/healthz"
}
stop_haproxy() {
  kill "$HAPROXY_PID" 2>/dev/null || true
  wait "$HAPROXY_PID" 2>/dev/null || true
}

step "creating the first account"
printf '%s' "$PASS" | "$MAMORI_BIN" admin create --database-url "$DB_URL" --data-dir "$WORK/a" \
  --email "$EMAIL" --name 'ベンチ 管理者' --password-stdin >/dev/null
start_server a "$A_URL" 18191

step "logging in"
curl -s -o "$WORK/login.json" --max-time 30 -H 'Content-Type: application/json' \
  -D "$WORK/login.headers" -d "$(jq -cn --arg e "$EMAIL" --arg p "$PASS" '{email: $e, password: $p}')" \
  "$A_URL/api/v1/session" >/dev/null
COOKIE=$(tr -d '\r' <"$WORK/login.headers" | sed -n 's/^[Ss]et-[Cc]ookie: *mamori_session=\([^;]*\).*/\1/p' | tail -n 1)
[[ -n "$COOKIE" ]] || die "login set no session cookie: $(head -c 300 "$WORK/login.json")"
CSRF=$(jq -r '.csrf_token // empty' "$WORK/login.json")
ORG=$(curl -s --max-time 10 -H "Cookie: mamori_session=$COOKIE" "$A_URL/api/v1/me" | jq -r '.organisation.id // empty')
[[ -n "$ORG" ]] || die "GET /api/v1/me named no organisation"

step "seeding $SEED persons (each hashes a password)"
seed_one() { # n
  local body code
  body=$(jq -cn --arg name "職員 $(printf '%04d' "$1")" --arg email "person$(printf '%04d' "$1")@example.jp" \
    --arg org "$ORG" --arg pw "$SEED_PASS" '{name: $name, email: $email, organisation: $org, initial_password: $pw}')
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 30 -H "Cookie: mamori_session=$COOKIE" \
    -H 'Content-Type: application/json' ${CSRF:+-H "X-CSRF-Token: $CSRF"} -d "$body" "$A_URL/api/v1/persons") || true
  [[ $code == 201 ]] || { echo "cluster.sh: creating person $1 answered HTTP $code" >&2; exit 255; }
}
export -f seed_one
export ORG COOKIE CSRF SEED_PASS A_URL
# shellcheck disable=SC2016 # $1 is expanded by the inner bash, on purpose
seq 1 "$SEED" | xargs -P 4 -I{} bash -c 'seed_one "$1"' _ {} || die "seeding persons failed"

export MAMORI_COOKIE="$COOKIE" MAMORI_ORG="$ORG" MAMORI_CSRF="$CSRF"
ROWS=()
LOCK_NOTES=()
to_ms() {
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n = n / 1000
    else if (v ~ /ms$/) n = n
    else if (v ~ /s$/) n = n * 1000
    printf "%.2f", n
  }'
}
# Samples PostgreSQL's sessions of this schema's database until stopped: one line per
# sample, "active waiting-on-a-lock".
sample_locks() {
  while :; do
    psql "$PG_URL" -qAtX -F ' ' -c "SELECT count(*) FILTER (WHERE state = 'active'),
        count(*) FILTER (WHERE state = 'active' AND wait_event_type = 'Lock')
      FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
        AND backend_type = 'client backend'" 2>/dev/null || true
    sleep 0.2
  done
}
run() { # setup case script url-path
  local setup=$1 name=$2 script=$3 url=$4 c out rps p50 p99 non2xx sampler
  assert_loopback "$url"
  for c in "${CONNECTIONS[@]}"; do
    out="$WORK/wrk-$setup-$name-$c.txt"
    step "wrk: $setup, $name, $c connections, $DURATION"
    if [[ $name == create ]]; then
      sample_locks >"$WORK/locks-$setup-$c.txt" &
      sampler=$!
    fi
    BENCH_TAG="$setup-$c-$$" wrk --latency -t2 "-c$c" "-d$DURATION" -s "$WRK_DIR/$script" "$url" >"$out" 2>&1 ||
      { cat "$out" >&2; die "wrk failed"; }
    if [[ $name == create ]]; then
      kill "$sampler" 2>/dev/null || true
      wait "$sampler" 2>/dev/null || true
      LOCK_NOTES+=("$setup, $c connections: $(awk '{ a += $1; l += $2; n++ }
        END { printf "%.1f busy connections on average, %.0f%% of them waiting on a lock (%d samples)",
          (n ? a / n : 0), (a ? 100 * l / a : 0), n }' "$WORK/locks-$setup-$c.txt")")
    fi
    rps=$(awk '$1 == "Requests/sec:" { print $2 }' "$out")
    p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
    p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
    non2xx=$(sed -n 's/^mamori-bench: non-2xx=\([0-9]*\)$/\1/p' "$out")
    ROWS+=("$setup|$name|$c|$rps|$p50|$p99|${non2xx:-?}")
  done
}
cases() { # setup base-url
  run "$1" list list.lua "$2/api/v1/persons?limit=10&offset=0"
  run "$1" create create.lua "$2/api/v1/organisations"
}

cases "one server" "$A_URL"
start_haproxy a
cases "one server behind HAProxy" "$LB_URL"
stop_haproxy
start_server b "$B_URL" 18192
start_haproxy a b
cases "two servers behind HAProxy" "$LB_URL"

step "verifying the audit chain"
VERIFY=$("$MAMORI_BIN" audit verify --database-url "$DB_URL" --data-dir "$WORK/a" 2>&1) || die "audit chain broken: $VERIFY"
# Each server's own count of the requests it answered, from its /metrics.
served() { # metrics-port
  assert_loopback "http://$HOST:$1/metrics"
  curl -s --max-time 10 "http://$HOST:$1/metrics" |
    awk '/^mamori_http_request_duration_seconds_count/ { n += $NF } END { printf "%d", n }'
}
SERVED="server a answered $(served 18191) requests in all, server b $(served 18192) (from their /metrics)"

{
  echo "# mamori: two servers on one PostgreSQL database"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, PostgreSQL $(psql "$PG_URL" -qAtX -c 'SHOW server_version'), HAProxy $("$HAPROXY" -v | awk 'NR == 1 { print $3 }'), wrk $DURATION per row, commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)."
  echo
  echo "| setup | case | connections | req/s | p50 (ms) | p99 (ms) | non-2xx |"
  echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
  for row in "${ROWS[@]}"; do
    IFS='|' read -r -a f <<<"$row"
    printf '| %s | %s | %s | %s | %s | %s | %s |\n' "${f[@]}"
  done
  echo
  for note in "${LOCK_NOTES[@]}"; do echo "- writes, $note."; done
  echo "- $SERVED."
  echo "- $VERIFY."
} | tee "$RESULTS"
