#!/usr/bin/env bash
# Browser tests for mamori, end to end.
#
# Installs whatever is missing (Debian's chromium, Japanese fonts, the npm
# packages in e2e/), builds the server, gives it an empty database, creates
# the first administrator, starts the server on a free loopback port and runs
# Playwright against it. Arguments go to `playwright test` unchanged, e.g.
#
#   scripts/e2e.sh tests/smoke.spec.ts
#   scripts/e2e.sh --project=desktop -g 'ログイン'
#
# Environment:
#   TEST_DATABASE_URL  postgres://… URL; the run uses a fresh schema in it
#                      (dropped afterwards). Unset: a temporary SQLite data dir.
#   CARGO_TARGET_DIR   default: ./target, as `cargo run` uses
#   CHROMIUM_PATH      browser to drive; default: chromium found on PATH
#
# Exports to the tests: MAMORI_URL, MAMORI_ADMIN_EMAIL, MAMORI_ADMIN_PASSWORD,
# CHROMIUM_PATH, MAMORI_SERVE (the server's command, to start a later one beside it),
# OIDC_ISSUER (the OpenID provider, e2e/oidc/provider.mjs, that the server signs in with).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
E2E_DIR=$ROOT/e2e
HEALTH_TIMEOUT=60

log() { printf '[e2e] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

# ---------------------------------------------------------------- cleanup ---
# Everything the run creates is recorded here so the EXIT trap can undo it,
# however the script ends.
WORK_DIR=''
SERVER_PID=''
SERVER_LOG=''
DB_SCHEMA=''
OIDC_PID=''
SHOW_LOG_ON_EXIT=0

# Only ever called by the trap below, which shellcheck cannot see.
# shellcheck disable=SC2317
cleanup() {
  local status=$?
  set +e
  if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill "$SERVER_PID" 2>/dev/null
    # Give it a few seconds to shut down cleanly before forcing it.
    for _ in $(seq 1 50); do
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null
    wait "$SERVER_PID" 2>/dev/null
  fi
  if [[ -n $OIDC_PID ]] && kill -0 "$OIDC_PID" 2>/dev/null; then
    kill "$OIDC_PID" 2>/dev/null
    wait "$OIDC_PID" 2>/dev/null
  fi
  # A server a test started beside this one (helpers.ts, whileDaysLater) never outlives the run.
  if [[ -n $WORK_DIR ]]; then
    pkill -f -- "--data-dir $WORK_DIR/data" 2>/dev/null
  fi
  if [[ $SHOW_LOG_ON_EXIT == 1 && -n $SERVER_LOG && -s $SERVER_LOG ]]; then
    log "last lines of the server log ($SERVER_LOG):"
    tail -n 200 "$SERVER_LOG" >&2
  fi
  if [[ -n $DB_SCHEMA ]]; then
    psql "$TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qX \
      -c "DROP SCHEMA IF EXISTS \"$DB_SCHEMA\" CASCADE" >/dev/null ||
      log "warning: could not drop schema $DB_SCHEMA"
  fi
  if [[ -n $WORK_DIR ]]; then
    rm -rf -- "$WORK_DIR"
  fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------ system packages ---
as_root() {
  if [[ $(id -u) == 0 ]]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

have_japanese_font() {
  if dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed'; then
    return 0
  fi
  # Not a dpkg system, or the font came another way: ask fontconfig.
  command -v fc-list >/dev/null 2>&1 && [[ -n $(fc-list ':lang=ja' family 2>/dev/null) ]]
}

install_system_packages() {
  local packages=()
  if [[ -n ${CHROMIUM_PATH:-} ]]; then
    [[ -x $CHROMIUM_PATH ]] || die "CHROMIUM_PATH=$CHROMIUM_PATH is not an executable"
  elif ! command -v chromium >/dev/null 2>&1; then
    packages+=(chromium)
  fi
  have_japanese_font || packages+=(fonts-noto-cjk)
  # Playwright needs node >= 20; only install Debian's if there is none at all.
  if ! command -v npm >/dev/null 2>&1; then
    packages+=(nodejs npm)
  fi
  # Needed below for the health check.
  command -v curl >/dev/null 2>&1 || packages+=(curl ca-certificates)
  # Runs a second server some days ahead, for the tests of what is owed once days pass.
  command -v faketime >/dev/null 2>&1 || packages+=(faketime)

  if ((${#packages[@]} > 0)); then
    log "installing with apt-get: ${packages[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y -q --no-install-recommends "${packages[@]}"
  fi

  if [[ -z ${CHROMIUM_PATH:-} ]]; then
    CHROMIUM_PATH=$(command -v chromium) || die 'chromium is still not on PATH'
  fi
  export CHROMIUM_PATH

  local node_major
  node_major=$(node -p 'process.versions.node.split(".")[0]')
  ((node_major >= 20)) || die "Playwright needs Node.js >= 20; found $(node --version)"
}

# ------------------------------------------------------------ npm packages ---
# npm ci wipes and reinstalls node_modules, so it runs only when the lock file
# (or Node's version) differs from what the last successful install recorded.
install_npm_packages() {
  local stamp=$E2E_DIR/node_modules/.mamori-e2e-installed
  local wanted
  wanted="$(sha256sum "$E2E_DIR/package-lock.json" | cut -d' ' -f1) node-$(node --version)"
  if [[ -f $stamp && $(<"$stamp") == "$wanted" && -x $E2E_DIR/node_modules/.bin/playwright ]]; then
    log 'e2e/node_modules is up to date with package-lock.json'
    return
  fi
  log 'npm ci in e2e/'
  (cd "$E2E_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  printf '%s\n' "$wanted" >"$stamp"
}

# ------------------------------------------------------------------ server ---
build_server() {
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
  log "cargo build -p mamori (CARGO_TARGET_DIR=$CARGO_TARGET_DIR)"
  (cd "$ROOT" && cargo build -p mamori)
  BIN=$CARGO_TARGET_DIR/debug/mamori
  [[ -x $BIN ]] || die "cargo build finished but $BIN does not exist"
}

random_hex() {
  od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'
}

# Fills DB_ARGS with the storage option that both `admin create` and `serve`
# get.
choose_database() {
  if [[ -n ${TEST_DATABASE_URL:-} ]]; then
    command -v psql >/dev/null 2>&1 || die 'TEST_DATABASE_URL is set but psql is not installed'
    DB_SCHEMA=e2e_$(random_hex 6)
    log "using PostgreSQL, fresh schema $DB_SCHEMA"
    psql "$TEST_DATABASE_URL" -v ON_ERROR_STOP=1 -qX -c "CREATE SCHEMA \"$DB_SCHEMA\"" >/dev/null
    local separator='?'
    [[ $TEST_DATABASE_URL == *\?* ]] && separator='&'
    # The data folder still holds the server's key file.
    DB_ARGS=(--data-dir "$WORK_DIR/data" --database-url "${TEST_DATABASE_URL}${separator}options=-csearch_path%3D${DB_SCHEMA}")
  else
    mkdir -p "$WORK_DIR/data"
    log "using a temporary data dir $WORK_DIR/data"
    DB_ARGS=(--data-dir "$WORK_DIR/data")
  fi
}

create_admin() {
  export MAMORI_ADMIN_EMAIL=admin@example.jp
  # 24 characters from 18 random bytes, URL-safe.
  MAMORI_ADMIN_PASSWORD=e2e-$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
  export MAMORI_ADMIN_PASSWORD
  log "creating administrator $MAMORI_ADMIN_EMAIL"
  printf '%s' "$MAMORI_ADMIN_PASSWORD" | "$BIN" admin create "${DB_ARGS[@]}" \
    --email "$MAMORI_ADMIN_EMAIL" --name 運用管理者 --organisation mamori運用 \
    --password-stdin
}

# A random port in the ephemeral range that nothing is listening on. bash's
# /dev/tcp connects successfully only when something listens there.
free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$((20000 + RANDOM % 40000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      printf '%s' "$port"
      return 0
    fi
  done
  die 'found no free port on 127.0.0.1'
}

# The directory the server signs in with: a real OpenID provider (panva's oidc-provider
# from e2e/node_modules) on another loopback port, whose one client is this server.
start_oidc_provider() {
  local oidc_port
  oidc_port=$(free_port)
  MAMORI_PORT=$(free_port)
  while [[ $MAMORI_PORT == "$oidc_port" ]]; do MAMORI_PORT=$(free_port); done
  export OIDC_ISSUER=http://127.0.0.1:$oidc_port
  log "starting the OpenID provider at $OIDC_ISSUER"
  OIDC_PORT=$oidc_port OIDC_REDIRECT_URIS=http://127.0.0.1:$MAMORI_PORT/login/oidc/callback \
    node "$E2E_DIR/oidc/provider.mjs" >"$WORK_DIR/oidc.log" 2>&1 &
  OIDC_PID=$!
  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  until curl -fsS --max-time 2 -o /dev/null "$OIDC_ISSUER/.well-known/openid-configuration" 2>/dev/null; do
    if ! kill -0 "$OIDC_PID" 2>/dev/null || ((SECONDS >= deadline)); then
      tail -n 50 "$WORK_DIR/oidc.log" >&2
      die 'the OpenID provider did not start'
    fi
    sleep 0.3
  done
}

start_server() {
  local port=$MAMORI_PORT
  SERVER_LOG=$WORK_DIR/server.log
  log "starting the server on 127.0.0.1:$port (log: $SERVER_LOG)"
  "$BIN" serve "${DB_ARGS[@]}" --bind "127.0.0.1:$port" \
    --oidc-issuer "$OIDC_ISSUER" --oidc-client-id mamori --oidc-client-secret mamori-test-secret \
    >"$SERVER_LOG" 2>&1 &
  SERVER_PID=$!
  export MAMORI_URL=http://127.0.0.1:$port
  # The same server's command without its address, as JSON, for a test to start another
  # on the same database (helpers.ts, whileDaysLater).
  MAMORI_SERVE=$(node -e 'console.log(JSON.stringify(process.argv.slice(1)))' "$BIN" serve "${DB_ARGS[@]}")
  export MAMORI_SERVE

  local deadline=$((SECONDS + HEALTH_TIMEOUT))
  until curl -fsS --max-time 2 -o /dev/null "$MAMORI_URL/healthz" 2>/dev/null; do
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
      SHOW_LOG_ON_EXIT=1
      die 'the server exited before it became healthy'
    fi
    if ((SECONDS >= deadline)); then
      SHOW_LOG_ON_EXIT=1
      die "the server did not answer $MAMORI_URL/healthz within ${HEALTH_TIMEOUT}s"
    fi
    sleep 0.5
  done
  log "server is healthy at $MAMORI_URL"
}

# -------------------------------------------------------------------- main ---
install_system_packages
install_npm_packages
build_server
WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/mamori-e2e.XXXXXX")
choose_database
create_admin
start_oidc_provider
start_server

log "npx playwright test $*"
status=0
(cd "$E2E_DIR" && npx playwright test "$@") || status=$?
if ((status != 0)); then
  SHOW_LOG_ON_EXIT=1
  log "playwright exited with status $status"
fi
exit "$status"
