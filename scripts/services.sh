#!/usr/bin/env bash
# Throwaway PostgreSQL / MariaDB / OpenLDAP servers for the test suite.
#
# Every server listens on a free 127.0.0.1 port, keeps its data, sockets, pid
# files and logs under $ARA_SVC_DIR and never touches a system-wide service
# (no systemctl/service, no default ports, no /var/run).
#
# Usage: scripts/services.sh COMMAND [pg|mysql|ldap|pgha|galera ...]   (default: all)
#
#   install        install the missing Debian packages (apt-get; no-op when present)
#   init   [NAMES] create $ARA_SVC_DIR (mktemp -d when unset), pick ports,
#                  initialise data dirs, write $ARA_SVC_DIR/env
#   up     [NAMES] start already-initialised servers (data kept), wait until they
#                  accept connections; the first start also provisions users/dbs
#   down   [NAMES] stop servers, keeping their data and ports (restart with `up`)
#   restart [NAMES]  down + up
#   start  [NAMES] install + init + up; prints the env file path on stdout
#   stop   [NAMES] down + delete data; without NAMES the whole $ARA_SVC_DIR goes
#   status [NAMES] print which servers are running
#   env            print the env file
#
# The env file holds (for the initialised servers):
#   ARA_SVC_DIR
#   ARA_TEST_PG_URL        postgres://ara:ara@127.0.0.1:PORT/ara_test  (ara: CREATEDB, owns ara_test)
#   ARA_TEST_PG_ADMIN_URL  postgres://postgres:ara@127.0.0.1:PORT/postgres  (superuser)
#   ARA_TEST_PG_PORT, ARA_TEST_PG_SOCKET_DIR  (socket: trust auth as postgres)
#   ARA_TEST_MYSQL_URL     mysql://ara:ara@127.0.0.1:PORT/ara_test  (ara: ALL ON *.* WITH GRANT OPTION)
#   ARA_TEST_MYSQL_PORT, ARA_TEST_MYSQL_SOCKET
#   ARA_TEST_LDAP_URL      ldap://127.0.0.1:PORT
#   ARA_TEST_LDAP_BASE     dc=example,dc=com
#   ARA_TEST_LDAP_BIND_DN  cn=admin,dc=example,dc=com
#   ARA_TEST_LDAP_PASSWORD ara
#   ARA_TEST_LDAP_PORT
#   ARA_TEST_PGHA_URL      postgres://ara:ara@127.0.0.1:PORT/ara_test through haproxy to the current
#                          primary of a Patroni pair (see services/pgha.sh for the members' variables)
#   ARA_TEST_GALERA_URL    mysql://ara:ara@127.0.0.1:PORT/ara_test  (haproxy in front of a
#                          3-node MariaDB Galera cluster; one active node, two backups)
#   ARA_TEST_GALERA_PORT   haproxy's port
#   ARA_TEST_GALERA_NODE_URLS, _NODE_PORTS, _NODE_SOCKETS, _NODE_PIDFILES
#                          per node (n1,n2,n3; comma-separated, same order)
#
# Knobs: ARA_SVC_DIR, ARA_SVC_TIMEOUT (seconds to wait for a server, default 60).
#
# One file per server under scripts/services/ (pg.sh, mysql.sh, ldap.sh, each defining
# NAME_packages, NAME_env_lines, NAME_init, NAME_up, NAME_down, NAME_running), shared
# helpers in scripts/services/common.sh.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SERVICES_DIR="$SCRIPT_DIR/services"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
ALL_SERVICES=(pg mysql ldap pgha galera)
TIMEOUT="${ARA_SVC_TIMEOUT:-60}"
MARKER=".ara-svc"

# shellcheck source=services/common.sh
. "$SERVICES_DIR/common.sh"
# shellcheck source=services/pg.sh
. "$SERVICES_DIR/pg.sh"
# shellcheck source=services/mysql.sh
. "$SERVICES_DIR/mysql.sh"
# shellcheck source=services/ldap.sh
. "$SERVICES_DIR/ldap.sh"
# shellcheck source=services/pgha.sh
. "$SERVICES_DIR/pgha.sh"
# shellcheck source=services/galera.sh
. "$SERVICES_DIR/galera.sh"

# ---------------------------------------------------------------- arguments

SVCS=()
parse_services() { # sets SVCS to the validated, de-duplicated names (default: all)
  SVCS=()
  (($# == 0)) && set -- all
  local s n x dup
  for s in "$@"; do
    case "$s" in
      pg|postgres|postgresql) n=(pg) ;;
      mysql|mariadb) n=(mysql) ;;
      ldap|slapd|openldap) n=(ldap) ;;
      pgha|patroni) n=(pgha) ;;
      galera) n=(galera) ;;
      all) n=("${ALL_SERVICES[@]}") ;;
      *) die "unknown service '$s' (expected: pg, mysql, ldap, pgha, galera)" ;;
    esac
    for x in "${n[@]}"; do
      dup=""
      for s in "${SVCS[@]}"; do [[ "$s" == "$x" ]] && dup=1; done
      [[ -n "$dup" ]] || SVCS+=("$x")
    done
  done
}


packages_for() { "${1}_packages"; }

# ---------------------------------------------------------------- commands

init_one() { "${1}_init"; }
up_one() { "${1}_up"; }
down_one() { "${1}_down"; }
running_one() { "${1}_running"; }

assign_ports() { # SERVICES...
  local need=() s ports i=0
  for s in "$@"; do [[ -n "$(port_of "$s")" ]] || need+=("$s"); done
  ((${#need[@]} == 0)) && return 0
  read -r -a ports <<<"$(pick_ports "${#need[@]}")"
  ((${#ports[@]} == ${#need[@]})) || die "could not pick free ports"
  for s in "${need[@]}"; do
    echo "$s=${ports[$i]}" >>"$DIR/ports"
    i=$((i + 1))
  done
}

# Runs STEP... for each service in parallel; output prefixed by the service name.
parallel() { # "STEPS" SERVICES...
  local steps="$1" s pid rc=0 pids=() names=()
  shift
  for s in "$@"; do
    (
      set -o pipefail
      { for step in $steps; do "$step" "$s"; done; } 2>&1 | sed -u "s/^/[$s] /" >&2
    ) &
    pids+=($!)
    names+=("$s")
  done
  for i in "${!pids[@]}"; do
    if ! wait "${pids[$i]}"; then
      log "${names[$i]}: failed"
      rc=1
    fi
  done
  return $rc
}

cmd_init() {
  ensure_svc_dir
  assign_ports "$@"
  parallel "init_one" "$@"
  write_env
}

cmd_up() {
  svc_dir_or_die
  parallel "up_one" "$@"
}

cmd_down() {
  [[ -n "${ARA_SVC_DIR:-}" && -f "$ARA_SVC_DIR/$MARKER" ]] || { log "nothing to stop (no ARA_SVC_DIR)"; return 0; }
  DIR="$ARA_SVC_DIR"
  parallel "down_one" "$@"
}

cmd_stop() { # all services when no args given: also removes the whole dir
  local whole="$1"
  shift
  if [[ -z "${ARA_SVC_DIR:-}" || ! -d "$ARA_SVC_DIR" ]]; then return 0; fi
  if [[ ! -f "$ARA_SVC_DIR/$MARKER" ]]; then
    log "not removing $ARA_SVC_DIR: no $MARKER marker"
    return 0
  fi
  DIR="$ARA_SVC_DIR"
  local rc=0 s
  cmd_down "$@" || rc=1
  if [[ -n "$whole" ]]; then
    rm -rf "$DIR"
  else
    for s in "$@"; do
      rm -rf "${DIR:?}/$s"
      sed -i "/^$s=/d" "$DIR/ports"
    done
    write_env
  fi
  return $rc
}

cmd_start() {
  local t0=$SECONDS
  cmd_install "$@"
  CREATED_DIR=""
  ensure_svc_dir
  # on failure or interruption, don't leave half-started servers behind
  trap 'rc=$?; if ((rc != 0)); then log "start failed, cleaning up"; cmd_down '"$*"' || true; [[ -n "$CREATED_DIR" ]] && rm -rf "$DIR"; fi; exit $rc' EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  assign_ports "$@"
  parallel "init_one up_one" "$@"
  write_env
  trap - EXIT INT TERM
  log "started $* in $((SECONDS - t0))s; env: $DIR/env"
  echo "$DIR/env"
}

cmd_status() {
  svc_dir_or_die
  local s
  for s in "$@"; do
    if [[ ! -d "$DIR/$s" ]]; then echo "$s: not initialised"
    elif running_one "$s"; then echo "$s: running on 127.0.0.1:$(port_of "$s")"
    else echo "$s: stopped (port $(port_of "$s"))"
    fi
  done
}

main() {
  local cmd="${1:-}"
  [[ -n "$cmd" ]] || { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2; exit 2; }
  shift
  parse_services "$@"
  local svcs=("${SVCS[@]}")
  case "$cmd" in
    install) cmd_install "${svcs[@]}" ;;
    init) cmd_init "${svcs[@]}" ;;
    up) cmd_up "${svcs[@]}" ;;
    down) cmd_down "${svcs[@]}" ;;
    restart) cmd_down "${svcs[@]}"; cmd_up "${svcs[@]}" ;;
    start) cmd_start "${svcs[@]}" ;;
    stop) if (($# == 0)); then cmd_stop 1 "${svcs[@]}"; else cmd_stop "" "${svcs[@]}"; fi ;;
    status) cmd_status "${svcs[@]}" ;;
    env) svc_dir_or_die; cat "$DIR/env" ;;
    -h|--help|help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
    *) die "unknown command '$cmd' (install|init|up|down|restart|start|stop|status|env)" ;;
  esac
}

main "$@"