#!/usr/bin/env bash
# The test command of ReferralNetwork: CI runs it through .ci/run, developers run it directly.
#
#   bash scripts/test.sh [--sqlite-only]
#
# What it does:
#   1. Unless sqlite-only is asked for, starts a throwaway PostgreSQL cluster on a free port of 127.0.0.1
#      (installing Debian's `postgresql` with apt-get when root and the server binaries are missing) and exports
#      REFERRALNET_TEST_POSTGRES for the tests. The cluster and its temp dir are removed on every exit path.
#   2. If tests/ReferralNetwork.Browser.Tests exists, ensures /usr/bin/chromium (Debian `chromium`) and exports
#      REFERRALNET_CHROMIUM.
#   3. Installs the contract tools pinned in tools/contract/package-lock.json and the test OpenID provider pinned in
#      tools/oidc/package-lock.json (npm ci), and builds ReferralNetwork.sln once (Release, -warnaserror).
#   4. Runs every tests/*/*.csproj marked <IsTestProject>true</IsTestProject>, one after the other, each writing a .trx.
#   5. Sums the .trx counters and ends with exactly one line: `N passed, N failed[, N skipped]`.
#      Exit 0 only if nothing failed, at least one test passed and every project produced a .trx.
#
# Environment read:
#   REFERRALNET_TEST_SQLITE_ONLY=1   same as --sqlite-only: no PostgreSQL (exported as 1 for the tests)
#   REFERRALNET_TEST_FILTER          passed to `dotnet test --filter`
#   REFERRALNET_TEST_SQLSERVER       a connection string to a SQL Server (master): also run the SqlServer classes
#   REFERRALNET_TEST_HANG_TIMEOUT    per-test hang timeout for `dotnet test --blame-hang-timeout` (default 10m)
#   REFERRALNET_TEST_RESULTS_DIR     keep the .trx files there (default: a temp dir removed at exit)
# Environment exported:
#   REFERRALNET_TEST_POSTGRES        Npgsql connection string of the throwaway cluster (not in sqlite-only mode)
#   REFERRALNET_TEST_PG_BIN          the PostgreSQL server binaries' folder (not in sqlite-only mode): the fault suite starts
#                                    a small cluster of its own with them, to restart it without touching the shared one
#   REFERRALNET_TEST_SQLITE_ONLY=1   in sqlite-only mode
#   REFERRALNET_CHROMIUM             /usr/bin/chromium, when the browser test project exists
set -Eeuo pipefail
shopt -s nullglob

cd "$(dirname "${BASH_SOURCE[0]}")/.."

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

section() { printf '\n==== %s ====\n' "$*"; }
info() { printf '  %s\n' "$*"; }
die() {
  printf 'ERROR: %s\n' "$*" >&2
  exit 1
}

usage() {
  awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "${BASH_SOURCE[0]}"
}

# ---------------------------------------------------------------------------------------------------------------------
# Arguments
# ---------------------------------------------------------------------------------------------------------------------
SQLITE_ONLY=0
[[ "${REFERRALNET_TEST_SQLITE_ONLY:-}" == 1 ]] && SQLITE_ONLY=1
for arg in "$@"; do
  case "$arg" in
    --sqlite-only) SQLITE_ONLY=1 ;;
    -h | --help)
      usage
      exit 0
      ;;
    *) die "unknown argument: $arg (see --help)" ;;
  esac
done

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------------------------------------------------------------
# Cleanup: runs on every exit path; silent so that the summary stays the last line of output.
# ---------------------------------------------------------------------------------------------------------------------
PG_TMP=""
PG_BIN=""
PG_RUNNING=0
RESULTS_DIR=""
RESULTS_DIR_IS_TEMP=0
POLICY_RC_CREATED=0

as_pg() {
  # Runs a PostgreSQL tool as the cluster's owner: the `postgres` user when we are root (initdb refuses root).
  if [[ $IS_ROOT -eq 1 ]]; then
    (cd "$PG_TMP" && runuser -u postgres -- "$@")
  else
    (cd "$PG_TMP" && "$@")
  fi
}

stop_postgres() {
  if [[ $PG_RUNNING -eq 1 && -n "$PG_TMP" && -f "$PG_TMP/data/postmaster.pid" ]]; then
    as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m fast -w -t 60 stop >/dev/null 2>&1 ||
      as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -m immediate -w -t 30 stop >/dev/null 2>&1 || true
  fi
  PG_RUNNING=0
}

# shellcheck disable=SC2317 # invoked through the EXIT trap
cleanup() {
  local rc=$?
  set +e
  stop_postgres
  [[ -n "$PG_TMP" && -d "$PG_TMP" ]] && rm -rf "$PG_TMP"
  [[ $RESULTS_DIR_IS_TEMP -eq 1 && -n "$RESULTS_DIR" && -d "$RESULTS_DIR" ]] && rm -rf "$RESULTS_DIR"
  [[ $POLICY_RC_CREATED -eq 1 ]] && rm -f /usr/sbin/policy-rc.d
  exit "$rc"
} >/dev/null 2>&1
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------------------------------------------------------------
# apt-get helpers (root only)
# ---------------------------------------------------------------------------------------------------------------------
APT_UPDATED=0
apt_install() {
  [[ $IS_ROOT -eq 1 ]] || die "need to install Debian package(s) '$*' but not running as root; install them with: sudo apt-get install -y $*"
  command -v apt-get >/dev/null || die "apt-get not found: install '$*' by hand"
  local log
  log=$(mktemp "${TMPDIR:-/tmp}/referralnet-apt.XXXXXX")
  if [[ $APT_UPDATED -eq 0 ]]; then
    info "apt-get update"
    if ! apt-get update -q >"$log" 2>&1 </dev/null; then
      tail -n 30 "$log" >&2
      rm -f "$log"
      die "apt-get update failed"
    fi
    APT_UPDATED=1
  fi
  # Keep package maintainer scripts from starting services (e.g. the packaged postgresql cluster) while we install.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=1
  fi
  info "apt-get install -y $*"
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >"$log" 2>&1 </dev/null; then
    tail -n 40 "$log" >&2
    rm -f "$log"
    die "apt-get install $* failed"
  fi
  rm -f "$log"
  if [[ $POLICY_RC_CREATED -eq 1 ]]; then
    rm -f /usr/sbin/policy-rc.d
    POLICY_RC_CREATED=0
  fi
}

# ---------------------------------------------------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------------------------------------------------
find_pg_bin() {
  local initdb
  initdb=$(printf '%s\n' /usr/lib/postgresql/*/bin/initdb | sort -V | tail -n 1)
  [[ -n "$initdb" && -x "$initdb" ]] && dirname "$initdb"
  return 0
}

port_in_use() {
  # A successful connect means something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

pick_free_port() {
  local port tries=0
  while ((tries++ < 200)); do
    port=$((20000 + RANDOM % 30000))
    if ! port_in_use "$port"; then
      echo "$port"
      return 0
    fi
  done
  return 1
}

start_postgres() {
  section "PostgreSQL"
  PG_BIN=$(find_pg_bin)
  if [[ -z "$PG_BIN" ]]; then
    info "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin"
    [[ $IS_ROOT -eq 1 ]] || die "PostgreSQL server is not installed and we are not root: run 'sudo apt-get install -y postgresql' (or use --sqlite-only)"
    apt_install postgresql
    PG_BIN=$(find_pg_bin)
    [[ -n "$PG_BIN" ]] || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb found"
  fi
  info "server binaries: $PG_BIN ($("$PG_BIN/postgres" --version))"

  PG_TMP=$(mktemp -d "${TMPDIR:-/tmp}/referralnet-pg.XXXXXX")
  chmod 700 "$PG_TMP"
  if [[ $IS_ROOT -eq 1 ]]; then
    id -u postgres >/dev/null 2>&1 || die "user 'postgres' does not exist (is the postgresql package installed properly?)"
    chown postgres:postgres "$PG_TMP"
  fi
  as_pg mkdir -p "$PG_TMP/data" "$PG_TMP/sock"

  local out
  if ! out=$(as_pg "$PG_BIN/initdb" -D "$PG_TMP/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 2>&1); then
    printf '%s\n' "$out" | tail -n 30 >&2
    die "initdb failed"
  fi

  local attempt port=""
  for attempt in 1 2 3; do
    port=$(pick_free_port) || die "no free TCP port found on 127.0.0.1"
    if as_pg "$PG_BIN/pg_ctl" -D "$PG_TMP/data" -l "$PG_TMP/postgres.log" -w -t 60 \
      -o "-p $port -k $PG_TMP/sock -c listen_addresses=127.0.0.1 -c max_connections=300" start >/dev/null 2>&1; then
      PG_RUNNING=1
      break
    fi
    # The port may have been taken between the probe and the bind: retry on another one.
    if grep -q 'could not bind\|Address already in use' "$PG_TMP/postgres.log" 2>/dev/null && [[ $attempt -lt 3 ]]; then
      info "port $port was taken, retrying"
      continue
    fi
    printf -- '--- tail of %s ---\n' "$PG_TMP/postgres.log" >&2
    tail -n 40 "$PG_TMP/postgres.log" >&2 2>/dev/null || true
    die "PostgreSQL cluster failed to start"
  done
  [[ $PG_RUNNING -eq 1 ]] || die "PostgreSQL cluster failed to start"

  # The tests connect over TCP: prove that path works before spending time on the build.
  if ! out=$("$PG_BIN/psql" -X -A -t -q -c 'select 1' \
    "host=127.0.0.1 port=$port user=postgres dbname=postgres connect_timeout=10" 2>&1); then
    printf '%s\n' "$out" >&2
    printf -- '--- tail of %s ---\n' "$PG_TMP/postgres.log" >&2
    tail -n 40 "$PG_TMP/postgres.log" >&2 2>/dev/null || true
    die "PostgreSQL cluster started but does not accept TCP connections on 127.0.0.1:$port"
  fi

  export REFERRALNET_TEST_POSTGRES="Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres;Pooling=true"
  export REFERRALNET_TEST_PG_BIN="$PG_BIN"
  info "throwaway cluster up on 127.0.0.1:$port (data in $PG_TMP)"
  info "REFERRALNET_TEST_POSTGRES=$REFERRALNET_TEST_POSTGRES"
}

if [[ $SQLITE_ONLY -eq 1 ]]; then
  section "PostgreSQL"
  info "skipped: sqlite-only mode (REFERRALNET_TEST_SQLITE_ONLY=1)"
  export REFERRALNET_TEST_SQLITE_ONLY=1
  unset REFERRALNET_TEST_POSTGRES
  unset REFERRALNET_TEST_PG_BIN
else
  start_postgres
fi

# ---------------------------------------------------------------------------------------------------------------------
# Chromium (only when the browser test project exists)
# ---------------------------------------------------------------------------------------------------------------------
if [[ -d tests/ReferralNetwork.Browser.Tests ]]; then
  section "Chromium"
  if [[ ! -x /usr/bin/chromium ]]; then
    info "/usr/bin/chromium not found"
    apt_install chromium
    [[ -x /usr/bin/chromium ]] || die "chromium installed but /usr/bin/chromium is missing"
  fi
  export REFERRALNET_CHROMIUM=/usr/bin/chromium
  info "REFERRALNET_CHROMIUM=$REFERRALNET_CHROMIUM ($(/usr/bin/chromium --version 2>/dev/null || echo 'version unknown'))"
fi

# ---------------------------------------------------------------------------------------------------------------------
# Contract tools (Spectral, Prism, openapi-typescript + openapi-fetch), pinned by tools/contract/package-lock.json
# ---------------------------------------------------------------------------------------------------------------------
section "Contract tools (npm ci in tools/contract)"
command -v npm >/dev/null || die "npm (Node.js) is needed for the contract tests: install Node.js 20+ with npm"
# --ignore-scripts: nothing of these packages needs an install script (one would only send usage statistics).
if ! (cd tools/contract && SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null); then
  die "npm ci in tools/contract failed"
fi
info "installed: $(cd tools/contract && node -e 'const p=require("./package.json");console.log(Object.entries(p.devDependencies).map(([n,v])=>n+"@"+v).join(" "))')"

# ---------------------------------------------------------------------------------------------------------------------
# The test OpenID Connect provider (oidc-provider), pinned by tools/oidc/package-lock.json: the OIDC tests of issue 16
# start it on loopback, and fail loudly when it is not installed
# ---------------------------------------------------------------------------------------------------------------------
section "Test OpenID provider (npm ci in tools/oidc)"
if ! (cd tools/oidc && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error </dev/null); then
  die "npm ci in tools/oidc failed"
fi
info "installed: $(cd tools/oidc && node -e 'const p=require("./package.json");console.log(Object.entries(p.dependencies).map(([n,v])=>n+"@"+v).join(" "))')"

# ---------------------------------------------------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------------------------------------------------
section "Build (dotnet build ReferralNetwork.sln -c Release -warnaserror)"
if ! dotnet build ReferralNetwork.sln -c Release -warnaserror -nologo --verbosity minimal </dev/null; then
  die "build failed (see the errors above)"
fi

# ---------------------------------------------------------------------------------------------------------------------
# Test projects
# ---------------------------------------------------------------------------------------------------------------------
PROJECTS=()
for proj in tests/*/*.csproj; do
  if grep -q '<IsTestProject>[[:space:]]*true[[:space:]]*</IsTestProject>' "$proj"; then
    PROJECTS+=("$proj")
  fi
done
[[ ${#PROJECTS[@]} -gt 0 ]] || die "no test project (tests/*/*.csproj with <IsTestProject>true</IsTestProject>) found"

if [[ -n "${REFERRALNET_TEST_RESULTS_DIR:-}" ]]; then
  RESULTS_DIR=$REFERRALNET_TEST_RESULTS_DIR
  mkdir -p "$RESULTS_DIR"
  RESULTS_DIR=$(cd "$RESULTS_DIR" && pwd -P)
else
  RESULTS_DIR=$(mktemp -d "${TMPDIR:-/tmp}/referralnet-trx.XXXXXX")
  RESULTS_DIR_IS_TEMP=1
fi

TEST_ARGS=(-c Release --no-build --nologo --verbosity minimal
  --blame-hang-timeout "${REFERRALNET_TEST_HANG_TIMEOUT:-10m}" --blame-hang-dump-type none)
FILTER=${REFERRALNET_TEST_FILTER:-}
if [[ -z "${REFERRALNET_TEST_SQLSERVER:-}" ]]; then
  # SQL Server is opt-in (no machine here runs one): its classes run only when REFERRALNET_TEST_SQLSERVER names a server.
  FILTER=${FILTER:+($FILTER)&}'Database!=SqlServer'
else
  echo "SQL Server tests enabled (REFERRALNET_TEST_SQLSERVER is set)"
fi
if [[ $SQLITE_ONLY -eq 1 ]]; then
  # The quick loop leaves out the PostgreSQL classes (they carry [Trait("Database","Postgres")]); without this
  # switch they run, and fail loudly when no server can be reached.
  FILTER=${FILTER:+($FILTER)&}'Database!=Postgres'
fi
if [[ -n "$FILTER" ]]; then
  TEST_ARGS+=(--filter "$FILTER")
fi

# Reads one numeric attribute of the <Counters .../> element of a .trx file (0 when absent).
trx_counter() {
  local value
  value=$(grep -o '<Counters [^>]*>' "$1" | head -n 1 | sed -n 's/.*[[:space:]]'"$2"'="\([0-9]*\)".*/\1/p')
  echo "${value:-0}"
}

TOTAL_PASSED=0
TOTAL_FAILED=0
TOTAL_SKIPPED=0
MISSING_TRX=0
SUMMARY_LINES=()

for proj in "${PROJECTS[@]}"; do
  name=$(basename "$proj" .csproj)
  trx="$RESULTS_DIR/$name.trx"
  rm -f "$trx"
  section "Test: $name"
  rc=0
  dotnet test "$proj" "${TEST_ARGS[@]}" --logger "trx;LogFileName=$name.trx" --results-directory "$RESULTS_DIR" </dev/null ||
    rc=$?

  if [[ ! -f "$trx" ]] || ! grep -q '<Counters ' "$trx"; then
    MISSING_TRX=$((MISSING_TRX + 1))
    TOTAL_FAILED=$((TOTAL_FAILED + 1))
    hint=""
    grep -qF "$name.csproj" ReferralNetwork.sln || hint=" - not in ReferralNetwork.sln, so never built"
    SUMMARY_LINES+=("$(printf '  %-45s NO TRX PRODUCED (dotnet test exit %d) - counted as 1 failure%s' "$name" "$rc" "$hint")")
    continue
  fi

  total=$(trx_counter "$trx" total)
  executed=$(trx_counter "$trx" executed)
  passed=$(trx_counter "$trx" passed)
  failed=$(($(trx_counter "$trx" failed) + $(trx_counter "$trx" error) + $(trx_counter "$trx" timeout) + $(trx_counter "$trx" aborted)))
  skipped=$((total - executed))
  ((skipped < 0)) && skipped=0
  note=""
  if [[ $rc -ne 0 && $failed -eq 0 ]]; then
    # dotnet test failed although no test did (test host crash, hang timeout, ...): that is a failure too.
    failed=1
    note=" - dotnet test exited $rc with no failed test: counted as 1 failure"
  fi
  TOTAL_PASSED=$((TOTAL_PASSED + passed))
  TOTAL_FAILED=$((TOTAL_FAILED + failed))
  TOTAL_SKIPPED=$((TOTAL_SKIPPED + skipped))
  SUMMARY_LINES+=("$(printf '  %-45s passed=%d failed=%d skipped=%d (exit %d)%s' "$name" "$passed" "$failed" "$skipped" "$rc" "$note")")
done

# Stop the cluster now (quietly) so nothing is printed after the summary line.
stop_postgres

section "Summary"
printf '%s\n' "${SUMMARY_LINES[@]}"
if [[ $RESULTS_DIR_IS_TEMP -eq 0 ]]; then
  info "trx files kept in $RESULTS_DIR"
fi

status=0
if [[ $TOTAL_FAILED -gt 0 ]]; then
  info "RESULT: FAILED ($TOTAL_FAILED failure(s))"
  status=1
fi
if [[ $MISSING_TRX -gt 0 ]]; then
  info "RESULT: FAILED ($MISSING_TRX project(s) produced no .trx: crash or build problem)"
  status=1
fi
if [[ $TOTAL_PASSED -eq 0 ]]; then
  info "RESULT: FAILED (no test passed: $((TOTAL_PASSED + TOTAL_FAILED + TOTAL_SKIPPED)) test(s) ran in ${#PROJECTS[@]} project(s))"
  status=1
fi
[[ $status -eq 0 ]] && info "RESULT: OK"

final="$TOTAL_PASSED passed, $TOTAL_FAILED failed"
[[ $TOTAL_SKIPPED -gt 0 ]] && final="$final, $TOTAL_SKIPPED skipped"
printf '%s\n' "$final"
exit "$status"
