#!/usr/bin/env bash
# The project's test command (`npm test`).
#
#   1. npm run build (type-check + compile; fails fast)
#   2. installs (when missing) and starts throwaway PostgreSQL, MariaDB and
#      OpenLDAP servers and a PostgreSQL HA pair (Patroni) on free loopback ports (scripts/services.sh)
#   3. runs every test/**/*.test.ts with node:test, connection info in ARA_TEST_* env vars
#   4. stops the servers and deletes their data - also on failure or Ctrl-C
#
#   npm test                                   everything
#   npm test -- test/foo.test.ts test/bar.test.ts   only these files
#   npm test -- --test-name-pattern=failover   extra node --test options (use the --opt=value form)
#   ARA_TEST_SERVICES=none npm test            no servers (tests that need one are skipped)
#   ARA_TEST_SERVICES="pg ldap" npm test       only these servers
#   ARA_TEST_SKIP_BUILD=1 npm test             skip step 1
#   ARA_TEST_FILE_TIMEOUT=600000               deadline of one test file, ms (default 10 min)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf '[test] %s\n' "$*" >&2; }

# ---- arguments: options go to node, everything else is a test file/dir
node_opts=()
files=()
for a in "$@"; do
  if [[ "$a" == -* ]]; then node_opts+=("$a"); else files+=("$a"); fi
done
if ((${#files[@]} == 0)); then
  [[ -d test ]] && mapfile -t files < <(find test -name '*.test.ts' -not -path '*/node_modules/*' | LC_ALL=C sort)
else
  # expand directories given on the command line
  expanded=()
  for f in "${files[@]}"; do
    if [[ -d "$f" ]]; then
      mapfile -t -O "${#expanded[@]}" expanded < <(find "$f" -name '*.test.ts' -not -path '*/node_modules/*' | LC_ALL=C sort)
    elif [[ -e "$f" ]]; then
      expanded+=("$f")
    else
      log "no such test file: $f"
      exit 2
    fi
  done
  files=("${expanded[@]}")
fi
if ((${#files[@]} == 0)); then
  log "no test files found (test/**/*.test.ts)"
  exit 1
fi

# ---- 1. build
if [[ "${ARA_TEST_SKIP_BUILD:-}" != 1 ]]; then
  t0=$SECONDS
  npm run --silent build
  # The tests are type-checked too (strict, no unused names), not only the sources.
  npm run --silent typecheck
  log "build and type check ok ($((SECONDS - t0))s)"
fi

# ---- 2. services
services="${ARA_TEST_SERVICES:-all}"
case "$services" in
  none | "") services_list=() ;;
  all) services_list=(pg mysql ldap) ;;
  *) read -r -a services_list <<<"${services//,/ }" ;;
esac
# the replicated databases (a Patroni pair, a 3-node Galera cluster, each behind haproxy) only
# when a chosen test file is about them
if [[ "$services" == all ]] && printf '%s\n' "${files[@]}" | grep -q pg-failover; then services_list+=(pgha); fi
if [[ "$services" == all ]] && printf '%s\n' "${files[@]}" | grep -q galera; then services_list+=(galera); fi

SVC_DIR=""
cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  if [[ -n "$SVC_DIR" ]]; then
    ARA_SVC_DIR="$SVC_DIR" bash scripts/services.sh stop || log "WARNING: stopping services failed"
    rm -rf "$SVC_DIR"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

if ((${#services_list[@]} > 0)); then
  SVC_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ara-svc.XXXXXXXX")"
  export ARA_SVC_DIR="$SVC_DIR"
  bash scripts/services.sh start "${services_list[@]}" >/dev/null
  set -a
  # shellcheck disable=SC1091
  . "$SVC_DIR/env"
  set +a
  if [[ "$services" == all ]]; then export ARA_TEST_REQUIRE_SERVICES="${ARA_TEST_REQUIRE_SERVICES:-1}"; fi
else
  log "ARA_TEST_SERVICES=none: not starting servers; tests that need them are skipped"
fi

# ---- 3. tests
# /docs and the web console are checked in a real browser: Debian's Chromium.
if [[ "${ARA_TEST_BROWSER:-yes}" != none ]] && ! command -v chromium >/dev/null && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null; then
  log "installing chromium for the browser tests: /docs and the console (ARA_TEST_BROWSER=none skips them)"
  export DEBIAN_FRONTEND=noninteractive
  apt_install() { apt-get -o DPkg::Lock::Timeout=600 -qq install -y --no-install-recommends chromium >/dev/null; }
  apt_install || { apt-get -o DPkg::Lock::Timeout=600 -qq update >/dev/null && apt_install; } || log "WARNING: could not install chromium"
fi

# test/e2e runs a real Asterisk and SIPp: the bundle beside the repository (../shared), installed
# once; else ARA_TEST_ASTERISK / ARA_TEST_SIPP; else those files skip (fail with ARA_TEST_REQUIRE_ASTERISK=1).
if [[ -z "${ARA_TEST_ASTERISK:-}" && -f ../shared/asterisk/install.sh ]]; then
  ast_dir="${ARA_TEST_ASTERISK_DIR:-/opt/ara-test}"
  [[ -d "$ast_dir" && -w "$ast_dir" ]] || [[ -w "$(dirname "$ast_dir")" ]] || ast_dir="${TMPDIR:-/tmp}/ara-test-asterisk"
  if [[ ! -x "$ast_dir/bin/asterisk" || ! -x "$ast_dir/bin/sipp" ]]; then
    log "installing Asterisk and SIPp for test/e2e into $ast_dir"
    bash ../shared/asterisk/install.sh "$ast_dir" >/dev/null || log "WARNING: installing Asterisk failed"
  fi
  if [[ -x "$ast_dir/bin/asterisk" && -x "$ast_dir/bin/sipp" ]]; then
    export ARA_TEST_ASTERISK="$ast_dir/bin/asterisk" ARA_TEST_SIPP="$ast_dir/bin/sipp"
  fi
fi
if [[ -z "${ARA_TEST_ASTERISK:-}" && "${ARA_TEST_REQUIRE_ASTERISK:-}" != 1 ]] && printf '%s\n' "${files[@]}" | grep -q '^test/e2e/'; then
  log "test/e2e skipped: no Asterisk here (set ARA_TEST_ASTERISK=/path/to/asterisk ARA_TEST_SIPP=/path/to/sipp, or put the Asterisk bundle at ../shared/asterisk)"
fi

log "running ${#files[@]} test file(s)"
rc=0
# A file whose hook fails or whose server never answers must fail the run, not hang it: every
# file gets a deadline (ARA_TEST_FILE_TIMEOUT ms), and a file whose tests are done exits even if
# something it started still holds the event loop.
bounded=(--test-timeout="${ARA_TEST_FILE_TIMEOUT:-600000}")
[[ "$(node --help)" == *--test-force-exit* ]] && bounded+=(--test-force-exit) # Node >= 20.14
node --import tsx --test --test-reporter=spec --test-concurrency=1 "${bounded[@]}" \
  ${node_opts[@]+"${node_opts[@]}"} "${files[@]}" || rc=$?
log "tests exited with $rc"
exit "$rc"
