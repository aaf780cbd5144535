# PostgreSQL HA for scripts/services.sh: a primary and a synchronous streaming replica with
# automatic failover, under $DIR/pgha. Sourced, not run.
#
#   etcd      one member (the DCS Patroni keeps its leader lock in), throwaway data dir
#   n1, n2    one Patroni each, managing its own PostgreSQL 15 (data dir, port, REST port);
#             synchronous_mode: a commit is acknowledged once the replica has it
#   haproxy   the one address clients use: it sends connections to the member whose Patroni
#             answers 200 on /primary, and cuts the sessions of a member marked down
#
# The service's own port (ports file) is haproxy's; the others are picked at init and kept in
# $DIR/pgha/ports. `up` starts whatever of these is not running (so after a member was killed it
# rejoins, as a replica, rewound with pg_rewind when needed) and waits until the primary accepts
# writes and a synchronous replica is streaming.

pgha_packages() { echo postgresql patroni etcd-server etcd-client haproxy; }

PGHA_MEMBERS=(n1 n2)
PGHA_SCOPE=ara-pgha
# Failover within seconds: the leader lock lives ttl seconds, Patroni wakes every loop_wait
# and gives up on the DCS/PostgreSQL after retry_timeout (loop_wait + 2 * retry_timeout <= ttl).
# The gap a client sees after the primary dies is about ttl + 0.5 s (promotion, haproxy's check).
# Patroni's defaults (30/10/10) give ~30 s; 5/1/2 held on a 2-core machine at load average 12.
PGHA_TTL=5
PGHA_LOOP_WAIT=1
PGHA_RETRY_TIMEOUT=2

pgha_port() { # KEY -> port picked at init (etcd, etcd_peer, n1_pg, n1_rest, n2_pg, n2_rest)
  awk -F= -v k="$1" '$1 == k { print $2 }' "$DIR/pgha/ports" 2>/dev/null
}

pgha_env_lines() { # HAPROXY-PORT
  local d="$DIR/pgha" m M
  env_line ARA_TEST_PGHA_URL "postgres://ara:ara@127.0.0.1:$1/ara_test"
  env_line ARA_TEST_PGHA_ADMIN_URL "postgres://postgres:ara@127.0.0.1:$1/postgres"
  env_line ARA_TEST_PGHA_PORT "$1"
  env_line ARA_TEST_PGHA_MEMBERS "$(IFS=,; echo "${PGHA_MEMBERS[*]}")"
  env_line ARA_TEST_PGHA_ETCD_URL "http://127.0.0.1:$(pgha_port etcd)"
  env_line ARA_TEST_PGHA_PATRONICTL_CONFIG "$d/n1/patroni.yml"
  for m in "${PGHA_MEMBERS[@]}"; do
    M="${m^^}"
    env_line "ARA_TEST_PGHA_${M}_URL" "postgres://ara:ara@127.0.0.1:$(pgha_port "${m}_pg")/ara_test"
    env_line "ARA_TEST_PGHA_${M}_PORT" "$(pgha_port "${m}_pg")"
    env_line "ARA_TEST_PGHA_${M}_REST" "http://127.0.0.1:$(pgha_port "${m}_rest")"
    # to kill a member: the Patroni pid is in PIDFILE, its postmaster's in DATA/postmaster.pid
    env_line "ARA_TEST_PGHA_${M}_PIDFILE" "$d/run/$m.pid"
    env_line "ARA_TEST_PGHA_${M}_DATA" "$d/$m/data"
  done
}

PGHA_BIN=""
pgha_bins() {
  [[ -n "$PGHA_BIN" ]] && return 0
  local d
  d="$(ls -d /usr/lib/postgresql/15/bin 2>/dev/null || ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  [[ -n "$d" && -x "$d/postgres" ]] || die "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (run: scripts/services.sh install pgha)"
  local b
  for b in patroni etcd etcdctl haproxy; do
    command -v "$b" >/dev/null || die "$b not found (run: scripts/services.sh install pgha)"
  done
  PGHA_BIN="$d"
}

pgha_init() {
  pgha_bins
  local d="$DIR/pgha" m k ports i=0
  [[ -f "$d/.initialised" ]] && return 0
  mkdir -p "$d/run" "$d/log" "$d/etcd"
  # a few spare: a port freed by an earlier pick (the other services', haproxy's) may come again
  local taken p
  taken=" $(cut -d= -f2 "$DIR/ports" | tr '\n' ' ') "
  read -r -a ports <<<"$(for p in $(pick_ports 10); do [[ "$taken" == *" $p "* ]] || echo "$p"; done | tr '\n' ' ')"
  ((${#ports[@]} >= 6)) || die "could not pick free ports"
  : >"$d/ports"
  for k in etcd etcd_peer n1_pg n1_rest n2_pg n2_rest; do echo "$k=${ports[$i]}" >>"$d/ports"; i=$((i + 1)); done
  for m in "${PGHA_MEMBERS[@]}"; do
    mkdir -p "$d/$m/run"
    pgha_patroni_yml "$m" >"$d/$m/patroni.yml"
  done
  pgha_haproxy_cfg >"$d/haproxy.cfg"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "system user 'postgres' missing (is the postgresql package installed?)"
    for m in "${PGHA_MEMBERS[@]}"; do chown -R postgres: "$d/$m"; chmod 0700 "$d/$m"; done
    setpriv --reuid=postgres --regid=postgres --init-groups -- test -x "$d/n1" \
      || die "user postgres cannot reach $d (put ARA_SVC_DIR somewhere world-traversable, e.g. under /tmp)"
  fi
  chmod 0711 "$d"
  touch "$d/.initialised"
}

pgha_patroni_yml() { # MEMBER
  local m="$1" d="$DIR/pgha"
  cat <<EOF
scope: $PGHA_SCOPE
namespace: /ara-pgha/
name: $m
log:
  level: INFO
restapi:
  listen: 127.0.0.1:$(pgha_port "${m}_rest")
  connect_address: 127.0.0.1:$(pgha_port "${m}_rest")
etcd3:
  hosts: 127.0.0.1:$(pgha_port etcd)
# no /dev/watchdog for a throwaway test pair; the margin keeps Patroni from warning on every
# loop that a watchdog could not fit in the short ttl (which it checks even when off)
watchdog:
  mode: 'off'
  safety_margin: -1
bootstrap:
  dcs:
    ttl: $PGHA_TTL
    loop_wait: $PGHA_LOOP_WAIT
    retry_timeout: $PGHA_RETRY_TIMEOUT
    maximum_lag_on_failover: 1048576
    # a commit returns once the synchronous standby has flushed it, and Patroni promotes only
    # that standby: an acknowledged commit survives the primary's death
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        wal_log_hints: 'on'
        max_connections: 200
        # no fsync: throwaway data, and a killed process loses nothing the kernel has
        # (full_page_writes stays on: pg_rewind needs it)
        fsync: 'off'
        logging_collector: 'off'
        log_min_messages: warning
  initdb:
    - encoding: UTF8
    - locale: C.UTF-8
    - auth-local: trust
    - auth-host: scram-sha-256
postgresql:
  listen: 127.0.0.1:$(pgha_port "${m}_pg")
  connect_address: 127.0.0.1:$(pgha_port "${m}_pg")
  data_dir: $d/$m/data
  bin_dir: $PGHA_BIN
  pgpass: $d/$m/pgpass
  authentication:
    superuser:
      username: postgres
      password: ara
    replication:
      username: replicator
      password: ara
    rewind:
      username: postgres
      password: ara
  parameters:
    unix_socket_directories: '$d/$m/run'
  pg_hba:
    - local all all trust
    - host replication replicator 127.0.0.1/32 scram-sha-256
    - host all all 127.0.0.1/32 scram-sha-256
EOF
}

pgha_haproxy_cfg() {
  local m
  cat <<EOF
global
  maxconn 500

defaults
  mode tcp
  timeout connect 2s
  timeout client 30m
  timeout server 30m
  timeout check 1s

# Only the member whose Patroni answers 200 on /primary gets connections; when it stops
# answering, its open sessions are cut so that clients reconnect to the new primary.
# OPTIONS (as in Patroni's own haproxy.cfg) answers the same status as GET without a body,
# which haproxy would cut off mid-write, filling Patroni's log with connection resets.
listen primary
  bind 127.0.0.1:$(port_of pgha)
  option httpchk OPTIONS /primary
  http-check expect status 200
  default-server inter 500ms fastinter 250ms fall 2 rise 1 on-marked-down shutdown-sessions
EOF
  for m in "${PGHA_MEMBERS[@]}"; do
    echo "  server $m 127.0.0.1:$(pgha_port "${m}_pg") check port $(pgha_port "${m}_rest")"
  done
}

pgha_pid() { # COMPONENT (etcd, haproxy, n1, n2) -> pid from its pid file
  pid_from "$DIR/pgha/run/$1.pid"
}

pgha_running() {
  local c
  for c in etcd haproxy "${PGHA_MEMBERS[@]}"; do pid_alive "$(pgha_pid "$c")" || return 1; done
}

pgha_psql() { # URL ARGS...: psql over TCP (through haproxy or to one member)
  local url="$1"
  shift
  "$PGHA_BIN/psql" -X -q -v ON_ERROR_STOP=1 "$url" "$@"
}

pgha_start_bg() { # NAME LOGFILE CMD...: starts CMD in its own session, records its pid
  local name="$1" logf="$2"
  shift 2
  setsid "$@" </dev/null >>"$logf" 2>&1 &
  echo $! >"$DIR/pgha/run/$name.pid"
}

pgha_postmaster_gone() { # MEMBER: a postmaster (and its backends) left behind by a killed Patroni
  local pid p
  pid="$(pid_from "$DIR/pgha/$1/data/postmaster.pid")"
  pid_alive "$pid" || return 0
  for p in /proc/[0-9]*; do
    [[ "$(awk '{ print $4 }' "$p/stat" 2>/dev/null)" == "$pid" ]] && kill -KILL "${p#/proc/}" 2>/dev/null
  done
  kill -KILL "$pid" 2>/dev/null
  local deadline=$((SECONDS + 5))
  while ((SECONDS < deadline)) && pid_alive "$pid"; do sleep 0.1; done
  return 0
}

pgha_up() {
  pgha_bins
  local d="$DIR/pgha" hp m etcd_url run=()
  # postgres refuses to run as root; setpriv execs (no fork), so the recorded pid is Patroni's
  is_root && run=(setpriv --reuid=postgres --regid=postgres --init-groups --)
  [[ -f "$d/.initialised" ]] || die "pgha is not initialised in $DIR (run init)"
  hp="$(port_of pgha)"
  etcd_url="http://127.0.0.1:$(pgha_port etcd)"
  if ! pid_alive "$(pgha_pid etcd)"; then
    pgha_start_bg etcd "$d/log/etcd.log" etcd --name ara-pgha --data-dir "$d/etcd" --logger=zap \
      --listen-client-urls "$etcd_url" --advertise-client-urls "$etcd_url" \
      --listen-peer-urls "http://127.0.0.1:$(pgha_port etcd_peer)" \
      --initial-advertise-peer-urls "http://127.0.0.1:$(pgha_port etcd_peer)" \
      --initial-cluster "ara-pgha=http://127.0.0.1:$(pgha_port etcd_peer)" \
      --initial-cluster-state new --initial-cluster-token "ara-pgha-$(pgha_port etcd)"
  fi
  wait_until "etcd" "$d/log/etcd.log" "$(pgha_pid etcd)" \
    env ETCDCTL_API=3 etcdctl --endpoints="$etcd_url" --dial-timeout=2s endpoint health
  for m in "${PGHA_MEMBERS[@]}"; do
    pid_alive "$(pgha_pid "$m")" && continue
    pgha_postmaster_gone "$m"
    touch "$d/log/$m.log"
    is_root && chown postgres: "$d/log/$m.log"
    pgha_start_bg "$m" "$d/log/$m.log" ${run[@]+"${run[@]}"} env HOME="$d/$m" patroni "$d/$m/patroni.yml"
  done
  if ! pid_alive "$(pgha_pid haproxy)"; then
    haproxy -c -q -f "$d/haproxy.cfg" >"$d/log/haproxy-check.log" 2>&1 || { log "bad haproxy config"; log_tail "$d/log/haproxy-check.log"; exit 1; }
    pgha_start_bg haproxy "$d/log/haproxy.log" haproxy -db -f "$d/haproxy.cfg"
  fi
  local admin="postgres://postgres:ara@127.0.0.1:$hp/postgres?connect_timeout=2"
  # the primary, reached through haproxy, takes writes
  wait_until "the PostgreSQL HA primary (through haproxy)" "$d/log/n1.log" "$(pgha_pid haproxy)" \
    bash -c "$PGHA_ANSWERS" "$PGHA_BIN/psql" "$admin" "select not pg_is_in_recovery()" t
  if [[ ! -f "$d/.provisioned" ]]; then
    pgha_psql "$admin" <<'SQL' >/dev/null
CREATE ROLE ara LOGIN PASSWORD 'ara' CREATEDB;
CREATE DATABASE ara_test OWNER ara;
SQL
    touch "$d/.provisioned"
  fi
  # every member streams to it, synchronously (the primary's own view)
  wait_until "the PostgreSQL HA synchronous replica" "$d/log/n2.log" "$(pgha_pid haproxy)" \
    bash -c "$PGHA_ANSWERS" "$PGHA_BIN/psql" "$admin" \
    "select count(*) from pg_stat_replication where state = 'streaming' and sync_state = 'sync'" "$((${#PGHA_MEMBERS[@]} - 1))"
}

# A probe for wait_until (which runs a command, not a function): PSQL URL SQL EXPECTED succeeds
# when the query answers EXPECTED.
# shellcheck disable=SC2016
PGHA_ANSWERS='[[ "$("$0" -X -A -t -q "$1" -c "$2" 2>/dev/null)" == "$3" ]]'

pgha_down() {
  local d="$DIR/pgha" m pid
  [[ -d "$d/run" ]] || return 0
  pid="$(pgha_pid haproxy)"
  pid_alive "$pid" && kill_and_wait "$pid" haproxy
  # Patroni stops its PostgreSQL on SIGTERM; a replica first so the primary is not left
  # waiting for a synchronous standby that is going away.
  for m in "${PGHA_MEMBERS[@]}"; do
    pid="$(pgha_pid "$m")"
    pid_alive "$pid" && kill -TERM "$pid" 2>/dev/null
  done
  for m in "${PGHA_MEMBERS[@]}"; do
    pid="$(pgha_pid "$m")"
    pid_alive "$pid" && kill_and_wait "$pid" "patroni $m"
    pid="$(pid_from "$d/$m/data/postmaster.pid")"
    pid_alive "$pid" && kill_and_wait "$pid" "postgres $m"
  done
  pid="$(pgha_pid etcd)"
  pid_alive "$pid" && kill_and_wait "$pid" etcd
  return 0
}
