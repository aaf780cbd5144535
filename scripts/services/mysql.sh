# MariaDB for scripts/services.sh: a private server under $DIR/mysql. Sourced, not run.

mysql_packages() { echo mariadb-server mariadb-client; }

mysql_env_lines() { # PORT
  env_line ARA_TEST_MYSQL_URL "mysql://ara:ara@127.0.0.1:$1/ara_test"
  env_line ARA_TEST_MYSQL_PORT "$1"
  env_line ARA_TEST_MYSQL_SOCKET "$DIR/mysql/run/mysqld.sock"
}

mysql_bins() {
  MYSQLD="$(command -v mariadbd || ls /usr/sbin/mariadbd 2>/dev/null || true)"
  MYSQL_INSTALL_DB="$(command -v mariadb-install-db || command -v mysql_install_db || true)"
  MYSQL_CLIENT="$(command -v mariadb || command -v mysql || true)"
  MYSQL_ADMIN="$(command -v mariadb-admin || command -v mysqladmin || true)"
  [[ -x "$MYSQLD" && -n "$MYSQL_INSTALL_DB" && -n "$MYSQL_CLIENT" && -n "$MYSQL_ADMIN" ]] \
    || die "MariaDB binaries not found (run: scripts/services.sh install mysql)"
}

mysql_init() {
  mysql_bins
  local d="$DIR/mysql" port
  port="$(port_of mysql)"
  [[ -d "$d/data" ]] && return 0
  mkdir -p "$d/run" "$d/log" "$d/tmp"
  cat >"$d/my.cnf" <<EOF
[client]
socket = $d/run/mysqld.sock
user = $(id -un)

[mysqld]
user = $(id -un)
datadir = $d/data
tmpdir = $d/tmp
socket = $d/run/mysqld.sock
pid-file = $d/run/mysqld.pid
log-error = $d/log/mysqld.log
port = $port
bind-address = 127.0.0.1
skip-name-resolve
skip-external-locking
character-set-server = utf8mb4
collation-server = utf8mb4_general_ci
max_connections = 200
innodb_buffer_pool_size = 128M
innodb_log_file_size = 48M
innodb_flush_log_at_trx_commit = 2
innodb_doublewrite = 0
sync_binlog = 0
EOF
  # the OS user that runs this gets root-equivalent access over the socket (unix_socket auth)
  "$MYSQL_INSTALL_DB" --defaults-file="$d/my.cnf" --auth-root-authentication-method=socket \
    --skip-test-db >"$d/log/install-db.log" 2>&1 </dev/null \
    || { log "mariadb-install-db failed"; log_tail "$d/log/install-db.log"; log_tail "$d/log/mysqld.log"; exit 1; }
}

mysql_running() { pid_alive "$(pid_from "$DIR/mysql/run/mysqld.pid")"; }

mysql_sql() { "$MYSQL_CLIENT" --defaults-file="$DIR/mysql/my.cnf" --batch "$@"; }

mysql_up() {
  mysql_bins
  local d="$DIR/mysql" pid
  [[ -d "$d/data" ]] || die "mysql is not initialised in $DIR (run init)"
  if ! mysql_running; then
    rm -f "$d/run/mysqld.pid" "$d/run/mysqld.sock"
    setsid "$MYSQLD" --defaults-file="$d/my.cnf" </dev/null >>"$d/log/mysqld.out" 2>&1 &
    pid=$!
  else
    pid="$(pid_from "$d/run/mysqld.pid")"
  fi
  wait_until "mariadbd" "$d/log/mysqld.log" "$pid" \
    "$MYSQL_ADMIN" --defaults-file="$d/my.cnf" --connect-timeout=2 ping
  # mysqld answers ping before writing the pid file on some versions
  wait_until "mariadbd pid file" "$d/log/mysqld.log" "$pid" test -s "$d/run/mysqld.pid"
  if [[ ! -f "$d/.provisioned" ]]; then
    mysql_sql <<'SQL'
DELETE FROM mysql.global_priv WHERE User = '';
FLUSH PRIVILEGES;
CREATE DATABASE IF NOT EXISTS ara_test;
CREATE USER IF NOT EXISTS 'ara'@'%' IDENTIFIED BY 'ara';
CREATE USER IF NOT EXISTS 'ara'@'localhost' IDENTIFIED BY 'ara';
GRANT ALL PRIVILEGES ON *.* TO 'ara'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO 'ara'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
    touch "$d/.provisioned"
  fi
}

mysql_down() {
  local d="$DIR/mysql"
  [[ -d "$d" ]] || return 0
  local pid
  pid="$(pid_from "$d/run/mysqld.pid")"
  pid_alive "$pid" || return 0
  kill_and_wait "$pid" mariadbd
  rm -f "$d/run/mysqld.pid"
}
