# PostgreSQL for scripts/services.sh: a private cluster under $DIR/pg. Sourced, not run.

# haproxy: the scale tests (test/scale) put it in front of several ara-server instances on this server.
pg_packages() { echo postgresql haproxy; }

pg_env_lines() { # PORT
  env_line ARA_TEST_PG_URL "postgres://ara:ara@127.0.0.1:$1/ara_test"
  env_line ARA_TEST_PG_ADMIN_URL "postgres://postgres:ara@127.0.0.1:$1/postgres"
  env_line ARA_TEST_PG_PORT "$1"
  env_line ARA_TEST_PG_SOCKET_DIR "$DIR/pg/run"
}

PG_BIN=""
pg_bin() {
  [[ -n "$PG_BIN" ]] && return 0
  local d
  d="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1 || true)"
  [[ -n "$d" && -x "$d/postgres" ]] || die "PostgreSQL binaries not found under /usr/lib/postgresql/*/bin (run: scripts/services.sh install pg)"
  PG_BIN="$d"
}

as_pg() { # run as the postgres system user when root (postgres refuses root)
  if is_root; then runuser -u postgres -- "$@"; else "$@"; fi
}

pg_init() {
  pg_bin
  local d="$DIR/pg" port
  port="$(port_of pg)"
  [[ -d "$d/data" ]] && return 0
  mkdir -p "$d/run" "$d/log"
  printf 'ara\n' >"$d/pwfile"
  if is_root; then
    id postgres >/dev/null 2>&1 || die "system user 'postgres' missing (is the postgresql package installed?)"
    chown -R postgres: "$d"
    as_pg test -x "$d" || die "user postgres cannot reach $d (put ARA_SVC_DIR somewhere world-traversable, e.g. under /tmp)"
  fi
  chmod 0700 "$d"
  as_pg "$PG_BIN/initdb" -D "$d/data" -U postgres --pwfile="$d/pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 --no-sync \
    >"$d/log/initdb.log" 2>&1 || { log "initdb failed"; log_tail "$d/log/initdb.log"; exit 1; }
  rm -f "$d/pwfile"
  as_pg tee -a "$d/data/postgresql.conf" >/dev/null <<EOF

# ---- ara-server test instance ----
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$d/run'
max_connections = 200
fsync = off
full_page_writes = off
logging_collector = off
log_min_messages = warning
EOF
}

pg_running() {
  [[ -f "$DIR/pg/data/postmaster.pid" ]] && pid_alive "$(pid_from "$DIR/pg/data/postmaster.pid")"
}

pg_psql() { # run psql as superuser over the socket
  "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$DIR/pg/run" -p "$(port_of pg)" -U postgres "$@"
}

pg_up() {
  pg_bin
  local d="$DIR/pg" port
  port="$(port_of pg)"
  [[ -d "$d/data" ]] || die "pg is not initialised in $DIR (run init)"
  if ! pg_running; then
    # After a crash (SIGKILL) the old postmaster may linger as a zombie when
    # nothing reaps it promptly (containers whose PID 1 is not an init), and
    # postgres refuses to start while the pid in postmaster.pid "exists".
    local old deadline
    old="$(pid_from "$d/data/postmaster.pid")"
    if [[ -n "$old" ]] && kill -0 "$old" 2>/dev/null; then
      deadline=$((SECONDS + 5))
      while ((SECONDS < deadline)); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$old" 2>/dev/null && rm -f "$d/data/postmaster.pid"
    fi
    as_pg "$PG_BIN/pg_ctl" -D "$d/data" -l "$d/log/postgres.log" -w -t "$TIMEOUT" start >/dev/null 2>"$d/log/pg_ctl.log" </dev/null \
      || { log "postgres failed to start"; log_tail "$d/log/pg_ctl.log"; log_tail "$d/log/postgres.log"; exit 1; }
  fi
  wait_until "postgres" "$d/log/postgres.log" "$d/data/postmaster.pid" \
    "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -d postgres
  if [[ ! -f "$d/.provisioned" ]]; then
    pg_psql -d postgres <<'SQL' >/dev/null
CREATE ROLE ara LOGIN PASSWORD 'ara' CREATEDB;
CREATE DATABASE ara_test OWNER ara;
SQL
    touch "$d/.provisioned"
  fi
}

pg_down() {
  pg_bin
  local d="$DIR/pg"
  [[ -d "$d/data" ]] || return 0
  pg_running || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$d/data" -m fast -w -t "$TIMEOUT" stop >/dev/null 2>&1 </dev/null || true
  # belt and braces: pg_ctl gave up or the pid file is stale
  local pid
  pid="$(pid_from "$d/data/postmaster.pid")"
  pid_alive "$pid" && kill_and_wait "$pid" postgres
  return 0
}
