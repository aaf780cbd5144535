# MariaDB Galera for scripts/services.sh: a 3-node cluster under $DIR/galera/n1..n3 and an
# haproxy in front of it ($DIR/galera/haproxy). Sourced, not run.
#
# Every node has its own datadir, socket, pid file and log, and four free loopback ports: SQL,
# group communication (gmcast.listen_addr), IST (ist.recv_addr) and SST (rsync daemon). The
# service's own port (recorded by services.sh) is haproxy's.
#
# State transfer is rsync: no extra package beyond rsync (mariabackup would need mariadb-backup
# and socat), and the datadirs are tiny, so the donor's short read lock during a full SST is
# harmless. A node killed with -9 and restarted normally catches up by IST from the gcache.
#
# haproxy sends every connection to ONE node (n1, the others are backups): writes to several
# Galera nodes at once are certified optimistically and one of two conflicting transactions is
# rolled back at commit (a deadlock error), which ara would have to retry. With one writer there
# are no certification conflicts; a backup takes over when n1's health check fails. The check is
# the node's own view, wsrep_local_state = 4 (Synced), read over its SQL port, not just "the port
# answers": a joining or non-primary node accepts TCP connections but refuses queries.

GALERA_NODES=(n1 n2 n3)

galera_packages() { echo mariadb-server mariadb-client galera-4 rsync iproute2 lsof haproxy; }

galera_port() { # NODE KIND(sql|gcomm|ist|sst) -> port picked at init
  awk -F= -v k="$1_$2" '$1 == k { print $2 }' "$DIR/galera/ports" 2>/dev/null
}

galera_env_lines() { # HAPROXY-PORT
  local n urls=() socks=() pids=() ports=()
  for n in "${GALERA_NODES[@]}"; do
    urls+=("mysql://ara:ara@127.0.0.1:$(galera_port "$n" sql)/ara_test")
    ports+=("$(galera_port "$n" sql)")
    socks+=("$DIR/galera/$n/run/mysqld.sock")
    pids+=("$DIR/galera/$n/run/mysqld.pid")
  done
  env_line ARA_TEST_GALERA_URL "mysql://ara:ara@127.0.0.1:$1/ara_test"
  env_line ARA_TEST_GALERA_PORT "$1"
  env_line ARA_TEST_GALERA_NODE_URLS "$(IFS=,; echo "${urls[*]}")"
  env_line ARA_TEST_GALERA_NODE_PORTS "$(IFS=,; echo "${ports[*]}")"
  env_line ARA_TEST_GALERA_NODE_SOCKETS "$(IFS=,; echo "${socks[*]}")"
  env_line ARA_TEST_GALERA_NODE_PIDFILES "$(IFS=,; echo "${pids[*]}")"
}

galera_bins() {
  mysql_bins
  HAPROXY="$(command -v haproxy || ls /usr/sbin/haproxy 2>/dev/null || true)"
  GALERA_LIB=/usr/lib/galera/libgalera_smm.so
  [[ -x "$HAPROXY" ]] || die "haproxy not found (run: scripts/services.sh install galera)"
  [[ -f "$GALERA_LIB" ]] || die "$GALERA_LIB not found (run: scripts/services.sh install galera)"
  command -v rsync >/dev/null || die "rsync not found (run: scripts/services.sh install galera)"
}

# As root, the nodes run as the mysql system user: the rsync SST daemon a joiner starts would
# otherwise drop from root to "nobody" and could not write the datadir.
galera_user() { if is_root; then echo mysql; else id -un; fi; }

galera_init() {
  galera_bins
  local user
  user="$(galera_user)"
  id "$user" >/dev/null 2>&1 || die "system user '$user' missing (is the mariadb-server package installed?)"
  local g="$DIR/galera" hport n ports i=0 addr=() d
  hport="$(port_of galera)"
  [[ -f "$g/.initialised" ]] && return 0
  mkdir -p "$g/haproxy"
  read -r -a ports <<<"$(pick_ports $((4 * ${#GALERA_NODES[@]})))"
  ((${#ports[@]} == 4 * ${#GALERA_NODES[@]})) || die "could not pick free ports for galera"
  : >"$g/ports"
  for n in "${GALERA_NODES[@]}"; do
    printf '%s_sql=%s\n%s_gcomm=%s\n%s_ist=%s\n%s_sst=%s\n' \
      "$n" "${ports[$i]}" "$n" "${ports[$((i + 1))]}" "$n" "${ports[$((i + 2))]}" "$n" "${ports[$((i + 3))]}" >>"$g/ports"
    addr+=("127.0.0.1:${ports[$((i + 1))]}")
    i=$((i + 4))
  done
  local cluster
  cluster="gcomm://$(IFS=,; echo "${addr[*]}")"
  for n in "${GALERA_NODES[@]}"; do
    d="$g/$n"
    mkdir -p "$d/run" "$d/log" "$d/tmp"
    cat >"$d/my.cnf" <<EOF
[client]
socket = $d/run/mysqld.sock
user = $(id -un)

[mysqld]
user = $user
datadir = $d/data
tmpdir = $d/tmp
socket = $d/run/mysqld.sock
pid-file = $d/run/mysqld.pid
log-error = $d/log/mysqld.log
port = $(galera_port "$n" sql)
bind-address = 127.0.0.1
skip-name-resolve
skip-external-locking
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
max_connections = 200
default_storage_engine = InnoDB
innodb_buffer_pool_size = 64M
innodb_log_file_size = 16M
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
performance_schema = OFF

# ---- Galera ----
wsrep_on = ON
wsrep_provider = $GALERA_LIB
wsrep_cluster_name = ara_test
wsrep_cluster_address = $cluster
wsrep_node_name = $n
wsrep_node_address = 127.0.0.1:$(galera_port "$n" gcomm)
wsrep_node_incoming_address = 127.0.0.1:$(galera_port "$n" sql)
wsrep_provider_options = "gmcast.listen_addr=tcp://127.0.0.1:$(galera_port "$n" gcomm); ist.recv_addr=127.0.0.1:$(galera_port "$n" ist); gcache.size=32M; gcache.page_size=16M"
wsrep_sst_method = rsync
wsrep_sst_receive_address = 127.0.0.1:$(galera_port "$n" sst)
wsrep_slave_threads = 2
# reads wait until the node has applied everything committed cluster-wide before them, so a
# read after a failover to another node sees every write acknowledged before it
wsrep_sync_wait = 1
binlog_format = ROW
innodb_autoinc_lock_mode = 2
EOF
    if is_root; then
      chown -R "$user": "$d"
      runuser -u "$user" -- test -w "$d" || die "user $user cannot write $d (put ARA_SVC_DIR somewhere world-traversable, e.g. under /tmp)"
    fi
    "$MYSQL_INSTALL_DB" --defaults-file="$d/my.cnf" --auth-root-authentication-method=socket \
      --skip-test-db --skip-name-resolve >"$d/log/install-db.log" 2>&1 </dev/null \
      || { log "mariadb-install-db ($n) failed"; log_tail "$d/log/install-db.log"; log_tail "$d/log/mysqld.log"; exit 1; }
  done
  # haproxy's health check: Synced (wsrep_local_state 4) as the node itself reports it
  cat >"$g/haproxy/check.sh" <<EOF
#!/bin/sh
# haproxy external check: ARGS proxy_addr proxy_port server_addr server_port
state="\$(timeout 2 $MYSQL_CLIENT --no-defaults --protocol=tcp -h "\$3" -P "\$4" -u haproxy_check \\
  --connect-timeout=1 -N -B -e "SHOW GLOBAL STATUS LIKE 'wsrep_local_state'" 2>/dev/null | cut -f2)"
[ "\$state" = 4 ]
EOF
  chmod 755 "$g/haproxy/check.sh"
  {
    cat <<EOF
global
  maxconn 400
  pidfile $g/haproxy/haproxy.pid
  stats socket $g/haproxy/admin.sock mode 600 level admin
  external-check
  insecure-fork-wanted

defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  timeout check 3s
  retries 2
  option redispatch 1

listen galera
  bind 127.0.0.1:$hport
  option external-check
  external-check path "/usr/bin:/bin:/usr/sbin:/sbin"
  external-check command $g/haproxy/check.sh
  default-server inter 1s fastinter 500ms downinter 1s rise 2 fall 2 on-marked-down shutdown-sessions on-marked-up shutdown-backup-sessions
EOF
    local first=1
    for n in "${GALERA_NODES[@]}"; do
      if [[ -n "$first" ]]; then
        echo "  server $n 127.0.0.1:$(galera_port "$n" sql) check"
        first=""
      else
        echo "  server $n 127.0.0.1:$(galera_port "$n" sql) check backup"
      fi
    done
  } >"$g/haproxy/haproxy.cfg"
  touch "$g/.initialised"
}

# mariadbd writes its pid file only once it has joined a primary component; until then (or if
# it never does) the pid this script started it with (run/started.pid) names it.
galera_node_pid() {
  local pid
  pid="$(pid_from "$DIR/galera/$1/run/mysqld.pid")"
  pid_alive "$pid" || pid="$(pid_from "$DIR/galera/$1/run/started.pid")"
  echo "$pid"
}
galera_node_running() { pid_alive "$(galera_node_pid "$1")"; }
galera_haproxy_running() { pid_alive "$(pid_from "$DIR/galera/haproxy/haproxy.pid")"; }

galera_running() {
  local n
  for n in "${GALERA_NODES[@]}"; do galera_node_running "$n" || return 1; done
  galera_haproxy_running
}

galera_sql() { # NODE ARGS... (root over the node's socket)
  timeout 5 "$MYSQL_CLIENT" --defaults-file="$DIR/galera/$1/my.cnf" --connect-timeout=2 --batch --skip-column-names "${@:2}"
}

galera_status_is() { # NODE VARIABLE VALUE
  [[ "$(galera_sql "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2)" == "$3" ]]
}

galera_node_ready() { # NODE: in the primary component of all nodes and Synced
  galera_status_is "$1" wsrep_local_state_comment Synced \
    && galera_status_is "$1" wsrep_cluster_status Primary \
    && galera_status_is "$1" wsrep_cluster_size "${#GALERA_NODES[@]}"
}

galera_node_synced() { # NODE: Synced in a primary component (whatever its size)
  galera_status_is "$1" wsrep_local_state_comment Synced && galera_status_is "$1" wsrep_cluster_status Primary
}

# wait_until for shell functions (timeout(1) can only run programs): FUNC until it succeeds,
# $TIMEOUT s at most, or until the node's process dies.
galera_wait() { # WHAT LOGFILE PID FUNC ARGS...
  local what="$1" logf="$2" pid="$3" deadline
  shift 3
  deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    "$@" && return 0
    if ! pid_alive "$pid"; then
      log "$what exited during startup"
      log_tail "$logf"
      exit 1
    fi
    sleep 0.2
  done
  log "$what not ready within ${TIMEOUT}s"
  log_tail "$logf"
  exit 1
}

# After a crash (kill -9) grastate.dat says seqno -1: the node does not know how far it got and
# would ask for a full SST, during which rsync's donor blocks writes. As mysqld_safe does, ask
# InnoDB for the last committed position first and start from it: the node then catches up by
# IST from a donor's gcache, which blocks nothing.
galera_recovered_position() { # NODE -> uuid:seqno, or nothing
  local d="$DIR/galera/$1" st="$DIR/galera/$1/data/grastate.dat"
  [[ -f "$st" ]] && grep -q '^seqno: *-1' "$st" || return 0
  rm -f "$d/log/recover.log"
  timeout "$TIMEOUT" "$MYSQLD" --defaults-file="$d/my.cnf" --wsrep-recover --log-error="$d/log/recover.log" \
    </dev/null >/dev/null 2>&1 || true
  sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]*:-\{0,1\}[0-9]*\).*/\1/p' "$d/log/recover.log" | tail -n1
}

galera_start_node() { # NODE [--wsrep-new-cluster]
  local n="$1" d="$DIR/galera/$1" pid pos
  shift
  rm -f "$d/run/mysqld.pid" "$d/run/mysqld.sock"
  pos="$(galera_recovered_position "$n")"
  if [[ -n "$pos" && "$pos" != *:-1 ]]; then
    log "$n: recovered position $pos after a crash"
    set -- "$@" --wsrep-start-position="$pos"
  fi
  setsid "$MYSQLD" --defaults-file="$d/my.cnf" "$@" </dev/null >>"$d/log/mysqld.out" 2>&1 &
  pid=$!
  echo "$pid" >"$d/run/started.pid"
  galera_wait "mariadbd $n" "$d/log/mysqld.log" "$pid" galera_node_synced "$n"
  wait_until "mariadbd $n pid file" "$d/log/mysqld.log" "$pid" test -s "$d/run/mysqld.pid"
}

# The node to bootstrap a stopped cluster from: the one the last clean shutdown marked safe
# (grastate.dat safe_to_bootstrap: 1); after a crash of all nodes, the one with the highest seqno.
galera_bootstrap_node() {
  local n best="" best_seq=-2 seq
  for n in "${GALERA_NODES[@]}"; do
    local st="$DIR/galera/$n/data/grastate.dat"
    [[ -f "$st" ]] || continue
    if grep -q '^safe_to_bootstrap: *1' "$st"; then echo "$n"; return 0; fi
    seq="$(awk '/^seqno:/ { print $2 }' "$st")"
    if [[ -n "$seq" ]] && ((seq > best_seq)); then best="$n"; best_seq="$seq"; fi
  done
  [[ -n "$best" ]] || best="${GALERA_NODES[0]}"
  [[ -f "$DIR/galera/$best/data/grastate.dat" ]] \
    && sed -i 's/^safe_to_bootstrap: *0/safe_to_bootstrap: 1/' "$DIR/galera/$best/data/grastate.dat"
  echo "$best"
}

galera_up() {
  galera_bins
  local g="$DIR/galera" n any="" boot="" hpid
  [[ -f "$g/.initialised" ]] || die "galera is not initialised in $DIR (run init)"
  for n in "${GALERA_NODES[@]}"; do galera_node_running "$n" && any=1; done
  if [[ -z "$any" ]]; then
    boot="$(galera_bootstrap_node)"
    log "bootstrapping the cluster on $boot"
    galera_start_node "$boot" --wsrep-new-cluster
  fi
  # joiners one at a time: each takes its state transfer from a Synced member
  for n in "${GALERA_NODES[@]}"; do
    galera_node_running "$n" || galera_start_node "$n"
  done
  for n in "${GALERA_NODES[@]}"; do
    galera_wait "galera $n (size ${#GALERA_NODES[@]}, Synced)" "$g/$n/log/mysqld.log" "$(galera_node_pid "$n")" galera_node_ready "$n"
  done
  if [[ ! -f "$g/.provisioned" ]]; then
    galera_sql "${GALERA_NODES[0]}" <<'SQL'
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE DATABASE IF NOT EXISTS ara_test;
CREATE USER IF NOT EXISTS 'ara'@'%' IDENTIFIED BY 'ara';
CREATE USER IF NOT EXISTS 'ara'@'localhost' IDENTIFIED BY 'ara';
GRANT ALL PRIVILEGES ON *.* TO 'ara'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'ara'@'localhost' WITH GRANT OPTION;
CREATE USER IF NOT EXISTS 'haproxy_check'@'127.0.0.1';
FLUSH PRIVILEGES;
SQL
    touch "$g/.provisioned"
  fi
  if ! galera_haproxy_running; then
    "$HAPROXY" -c -q -f "$g/haproxy/haproxy.cfg" >"$g/haproxy/check-config.log" 2>&1 \
      || { log "haproxy config invalid"; log_tail "$g/haproxy/check-config.log"; exit 1; }
    rm -f "$g/haproxy/haproxy.pid"
    # -D: daemon, writes the pid file once it listens
    "$HAPROXY" -D -f "$g/haproxy/haproxy.cfg" </dev/null >>"$g/haproxy/haproxy.log" 2>&1 \
      || { log "haproxy failed to start"; log_tail "$g/haproxy/haproxy.log"; exit 1; }
  fi
  hpid="$(pid_from "$g/haproxy/haproxy.pid")"
  wait_until "haproxy -> galera" "$g/haproxy/haproxy.log" "$hpid" \
    "$MYSQL_CLIENT" --no-defaults --protocol=tcp -h 127.0.0.1 -P "$(port_of galera)" -u ara -para \
    --connect-timeout=2 -N -e "SELECT 1 FROM DUAL WHERE @@wsrep_on = 1"
}

galera_down() {
  local g="$DIR/galera" n pid
  [[ -d "$g" ]] || return 0
  pid="$(pid_from "$g/haproxy/haproxy.pid")"
  if pid_alive "$pid"; then kill_and_wait "$pid" haproxy; fi
  rm -f "$g/haproxy/haproxy.pid"
  # the last node to stop is marked safe_to_bootstrap: the next `up` bootstraps from it
  for n in "${GALERA_NODES[@]}"; do
    pid="$(galera_node_pid "$n")"
    if pid_alive "$pid"; then kill_and_wait "$pid" "mariadbd $n"; fi
    rm -f "$g/$n/run/mysqld.pid" "$g/$n/run/started.pid"
  done
}
