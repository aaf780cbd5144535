#!/usr/bin/env bash
# Throwaway PostgreSQL / MariaDB / OpenLDAP servers for the test suite.
#
# Every server listens on a free 127.0.0.1 port, keeps its data, sockets, pid
# files and logs under $ARA_SVC_DIR and never touches a system-wide service
# (no systemctl/service, no default ports, no /var/run).
#
# Usage: scripts/services.sh COMMAND [pg|mysql|ldap ...]   (default: all three)
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
#
# Knobs: ARA_SVC_DIR, ARA_SVC_TIMEOUT (seconds to wait for a server, default 60).
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
ALL_SERVICES=(pg mysql ldap)
TIMEOUT="${ARA_SVC_TIMEOUT:-60}"
MARKER=".ara-svc"

LDAP_BASE="dc=example,dc=com"
LDAP_ROOTDN="cn=admin,dc=example,dc=com"
LDAP_PASSWORD="ara"

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

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
      all) n=("${ALL_SERVICES[@]}") ;;
      *) die "unknown service '$s' (expected: pg, mysql, ldap)" ;;
    esac
    for x in "${n[@]}"; do
      dup=""
      for s in "${SVCS[@]}"; do [[ "$s" == "$x" ]] && dup=1; done
      [[ -n "$dup" ]] || SVCS+=("$x")
    done
  done
}

# ---------------------------------------------------------------- install

packages_for() {
  case "$1" in
    pg) echo postgresql ;;
    mysql) echo mariadb-server mariadb-client ;;
    ldap) echo slapd ldap-utils ;;
  esac
}

pkg_installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

cmd_install() {
  local svcs=("$@") missing=() s p
  for s in "${svcs[@]}"; do
    for p in $(packages_for "$s"); do
      pkg_installed "$p" || missing+=("$p")
    done
  done
  ((${#missing[@]} == 0)) && return 0
  command -v apt-get >/dev/null || die "missing packages (${missing[*]}) and no apt-get: install them by hand"

  local sudo=()
  if ! is_root; then
    command -v sudo >/dev/null || die "missing packages (${missing[*]}): run as root or install them by hand"
    sudo=(sudo)
  fi

  # Keep the package maintainer scripts from starting the system-wide daemons
  # (mariadb on 3306, slapd on 389, the "15/main" cluster on 5432): a temporary
  # policy-rc.d, only if the machine has none, removed again afterwards.
  local policy=/usr/sbin/policy-rc.d created_policy=""
  if [[ ! -e "$policy" ]]; then
    "${sudo[@]}" sh -c "printf '#!/bin/sh\n# temporary, created by ara-server scripts/services.sh\nexit 101\n' > $policy && chmod 755 $policy"
    created_policy=1
    # shellcheck disable=SC2064
    trap "${sudo[*]} rm -f $policy" EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
  fi

  log "installing: ${missing[*]}"
  local t0=$SECONDS apt_opts=(-o DPkg::Lock::Timeout=600 -q)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >&2

  if [[ -n "$created_policy" ]]; then "${sudo[@]}" rm -f "$policy"; trap - EXIT INT TERM; fi
  log "installed in $((SECONDS - t0))s"
}

# ---------------------------------------------------------------- state dir

svc_dir_or_die() {
  [[ -n "${ARA_SVC_DIR:-}" ]] || die "ARA_SVC_DIR is not set (run 'start' or 'init' first, or source its env file)"
  [[ -d "$ARA_SVC_DIR" && -f "$ARA_SVC_DIR/$MARKER" ]] || die "ARA_SVC_DIR=$ARA_SVC_DIR is not a services dir (missing $MARKER)"
  DIR="$ARA_SVC_DIR"
}

ensure_svc_dir() {
  if [[ -z "${ARA_SVC_DIR:-}" ]]; then
    ARA_SVC_DIR="$(mktemp -d "${TMPDIR:-/tmp}/ara-svc.XXXXXXXX")"
    CREATED_DIR=1
  elif [[ ! -d "$ARA_SVC_DIR" ]]; then
    mkdir -p "$ARA_SVC_DIR"
    CREATED_DIR=1
  elif [[ ! -f "$ARA_SVC_DIR/$MARKER" ]] && [[ -n "$(ls -A "$ARA_SVC_DIR")" ]]; then
    die "ARA_SVC_DIR=$ARA_SVC_DIR exists, is not empty and is not a services dir"
  fi
  ARA_SVC_DIR="$(cd "$ARA_SVC_DIR" && pwd)"
  export ARA_SVC_DIR
  DIR="$ARA_SVC_DIR"
  if [[ ! "$DIR" =~ ^[A-Za-z0-9._/+-]+$ ]]; then
    [[ -n "${CREATED_DIR:-}" ]] && rmdir "$DIR" 2>/dev/null
    die "ARA_SVC_DIR='$DIR' contains spaces or special characters (server config files can't take them); use e.g. /tmp/ara-svc"
  fi
  touch "$DIR/$MARKER"
  # the postgres system user must be able to traverse into it
  chmod 0711 "$DIR"
  touch "$DIR/ports"
}

port_of() { # NAME -> port recorded at init (empty if none)
  awk -F= -v k="$1" '$1 == k { print $2 }' "$DIR/ports" 2>/dev/null
}

pick_ports() { # N -> N distinct free loopback ports
  node -e '
    const net = require("net");
    const n = Number(process.argv[1]), servers = [];
    let ok = 0;
    for (let i = 0; i < n; i++) {
      const s = net.createServer();
      s.on("error", (e) => { console.error(e.message); process.exit(1); });
      s.listen(0, "127.0.0.1", () => {
        servers.push(s);
        if (++ok === n) {
          console.log(servers.map((x) => x.address().port).join(" "));
          servers.forEach((x) => x.close());
        }
      });
    }' "$1"
}

env_line() { # KEY VALUE: plain KEY=VALUE when that is shell-safe, else single-quoted
  if [[ "$2" =~ ^[A-Za-z0-9_./:@=,+%-]*$ ]]; then
    printf '%s=%s\n' "$1" "$2"
  else
    printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"
  fi
}

write_env() {
  local f="$DIR/env.tmp" p
  {
    env_line ARA_SVC_DIR "$DIR"
    p="$(port_of pg)"
    if [[ -n "$p" && -d "$DIR/pg" ]]; then
      env_line ARA_TEST_PG_URL "postgres://ara:ara@127.0.0.1:$p/ara_test"
      env_line ARA_TEST_PG_ADMIN_URL "postgres://postgres:ara@127.0.0.1:$p/postgres"
      env_line ARA_TEST_PG_PORT "$p"
      env_line ARA_TEST_PG_SOCKET_DIR "$DIR/pg/run"
    fi
    p="$(port_of mysql)"
    if [[ -n "$p" && -d "$DIR/mysql" ]]; then
      env_line ARA_TEST_MYSQL_URL "mysql://ara:ara@127.0.0.1:$p/ara_test"
      env_line ARA_TEST_MYSQL_PORT "$p"
      env_line ARA_TEST_MYSQL_SOCKET "$DIR/mysql/run/mysqld.sock"
    fi
    p="$(port_of ldap)"
    if [[ -n "$p" && -d "$DIR/ldap" ]]; then
      env_line ARA_TEST_LDAP_URL "ldap://127.0.0.1:$p"
      env_line ARA_TEST_LDAP_BASE "$LDAP_BASE"
      env_line ARA_TEST_LDAP_BIND_DN "$LDAP_ROOTDN"
      env_line ARA_TEST_LDAP_PASSWORD "$LDAP_PASSWORD"
      env_line ARA_TEST_LDAP_PORT "$p"
    fi
  } >"$f"
  mv -f "$f" "$DIR/env"
}

log_tail() { # FILE
  if [[ -s "$1" ]]; then
    printf '[services] ---- last lines of %s ----\n' "$1" >&2
    tail -n 40 "$1" >&2 || true
    printf '[services] ----\n' >&2
  else
    printf '[services] (log %s is empty or missing)\n' "$1" >&2
  fi
}

pid_alive() { # a zombie (exited, not yet reaped by its parent / init) counts as dead
  [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null || return 1
  local st
  st="$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null || true)"
  [[ "$st" != Z ]]
}

pid_from() { [[ -s "$1" ]] && head -n1 "$1" | tr -dc '0-9' || true; }

kill_and_wait() { # PID WHAT
  local pid="$1" what="$2" i
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < TIMEOUT * 10; i++)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  log "$what (pid $pid) did not exit after ${TIMEOUT}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 50; i++)); do pid_alive "$pid" || return 0; sleep 0.1; done
  die "$what (pid $pid) survived SIGKILL"
}

# Runs "$@" until it succeeds; gives up after $TIMEOUT s or when PID dies.
wait_until() { # WHAT LOGFILE PID-FILE-OR-PID CMD...
  local what="$1" logf="$2" pidref="$3" i pid
  shift 3
  for ((i = 0; i < TIMEOUT * 10; i++)); do
    if timeout 3 "$@" >/dev/null 2>&1; then return 0; fi
    if [[ "$pidref" =~ ^[0-9]+$ ]]; then pid="$pidref"; else pid="$(pid_from "$pidref")"; fi
    if ! pid_alive "$pid"; then
      log "$what exited during startup"
      log_tail "$logf"
      exit 1
    fi
    sleep 0.1
  done
  log "$what did not accept connections within ${TIMEOUT}s"
  log_tail "$logf"
  exit 1
}

# ---------------------------------------------------------------- PostgreSQL

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
    local old i
    old="$(pid_from "$d/data/postmaster.pid")"
    if [[ -n "$old" ]] && kill -0 "$old" 2>/dev/null; then
      for ((i = 0; i < 50; i++)); do kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
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

# ---------------------------------------------------------------- MariaDB

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

# ---------------------------------------------------------------- OpenLDAP

SLAPD=""
ldap_bins() {
  [[ -n "$SLAPD" ]] && return 0
  [[ -x /usr/sbin/slapd ]] || die "slapd not found (run: scripts/services.sh install ldap)"
  command -v ldapsearch >/dev/null && command -v ldapadd >/dev/null \
    || die "ldapsearch/ldapadd not found (run: scripts/services.sh install ldap)"
  SLAPD=/usr/sbin/slapd
  # Debian's slapd ships an AppArmor profile that only lets /usr/sbin/slapd read
  # /etc/ldap, /var/lib/ldap, /run/slapd, ...; if it is loaded, run a private copy
  # of the binary (the profile is attached by path) so it can use our temp dir.
  local prof=/sys/kernel/security/apparmor/profiles
  if [[ -r "$prof" ]] && grep -qE '(^|/)slapd \((enforce|complain|kill)\)' "$prof" 2>/dev/null; then
    mkdir -p "$DIR/ldap/bin"
    [[ -x "$DIR/ldap/bin/slapd" ]] || cp /usr/sbin/slapd "$DIR/ldap/bin/slapd"
    SLAPD="$DIR/ldap/bin/slapd"
  fi
}

# cn=config LDIF schema -> slapd.conf schema syntax (on stdout)
ldif_schema_to_conf() { # FILE
  node -e '
    const fs = require("fs");
    const text = fs.readFileSync(process.argv[1], "utf8").replace(/\r\n/g, "\n");
    const lines = [];
    for (const l of text.split("\n")) {
      if (l.startsWith(" ") && lines.length) lines[lines.length - 1] += l.slice(1);
      else lines.push(l);
    }
    const map = { olcattributetypes: "attributetype", olcobjectclasses: "objectclass",
                  olcobjectidentifier: "objectidentifier", olcldapsyntaxes: "ldapsyntax",
                  olcditcontentrules: "ditcontentrule" };
    const out = [];
    for (const l of lines) {
      const m = /^([A-Za-z][\w-]*)(::?)\s*(.*)$/.exec(l);
      if (!m) continue;
      const key = map[m[1].toLowerCase()];
      if (!key) continue;
      let v = m[2] === "::" ? Buffer.from(m[3], "base64").toString("utf8") : m[3];
      v = v.replace(/^\{\d+\}/, "");
      out.push(key + " " + v);
    }
    if (!out.length) { console.error("no schema definitions in " + process.argv[1]); process.exit(1); }
    process.stdout.write(out.join("\n") + "\n");
  ' "$1"
}

ldap_init() {
  ldap_bins
  local d="$DIR/ldap" port f base seen=" "
  port="$(port_of ldap)"
  [[ -f "$d/slapd.conf" ]] && return 0
  mkdir -p "$d/data" "$d/run" "$d/log" "$d/schema"
  {
    echo "# ara-server test instance (generated by scripts/services.sh)"
    for f in core cosine nis inetorgperson; do
      [[ -f "/etc/ldap/schema/$f.schema" ]] || die "/etc/ldap/schema/$f.schema not found"
      echo "include \"/etc/ldap/schema/$f.schema\""
    done
    # project schemas: *.schema / *.ldap-schema as is, cn=config *.ldif converted;
    # when both foo.schema and foo.ldif exist, foo.schema wins.
    if [[ -d "$REPO_ROOT/schemas/ldap" ]]; then
      for f in "$REPO_ROOT"/schemas/ldap/*.schema "$REPO_ROOT"/schemas/ldap/*.ldap-schema; do
        [[ -f "$f" ]] || continue
        base="$(basename "$f")"; base="${base%.*}"
        seen+="$base "
        echo "include \"$f\""
      done
      for f in "$REPO_ROOT"/schemas/ldap/*.ldif; do
        [[ -f "$f" ]] || continue
        base="$(basename "$f" .ldif)"
        [[ "$seen" == *" $base "* ]] && continue
        ldif_schema_to_conf "$f" >"$d/schema/$base.schema" || die "cannot convert LDIF schema $f"
        echo "include \"$d/schema/$base.schema\""
      done
    fi
    cat <<EOF
pidfile "$d/run/slapd.pid"
argsfile "$d/run/slapd.args"
modulepath /usr/lib/ldap
moduleload back_mdb
loglevel none
sizelimit unlimited

database mdb
maxsize 268435456
suffix "$LDAP_BASE"
rootdn "$LDAP_ROOTDN"
rootpw $LDAP_PASSWORD
directory "$d/data"
dbnosync
index objectClass eq
EOF
  } >"$d/slapd.conf"
  "$SLAPD" -T test -f "$d/slapd.conf" -u >"$d/log/slaptest.log" 2>&1 \
    || { log "slapd.conf rejected (schema problem?)"; log_tail "$d/log/slaptest.log"; exit 1; }
}

ldap_running() { pid_alive "$(pid_from "$DIR/ldap/run/slapd.pid")"; }

ldap_up() {
  ldap_bins
  local d="$DIR/ldap" port pid
  port="$(port_of ldap)"
  [[ -f "$d/slapd.conf" ]] || die "ldap is not initialised in $DIR (run init)"
  if ! ldap_running; then
    rm -f "$d/run/slapd.pid"
    # -d keeps it in the foreground (so errors land in our log; 32768 = only
    # the uncategorised messages, i.e. errors); setsid detaches
    # it from the caller's terminal / process group.
    setsid "$SLAPD" -f "$d/slapd.conf" -h "ldap://127.0.0.1:$port/" -d 32768 \
      </dev/null >>"$d/log/slapd.log" 2>&1 &
    pid=$!
  else
    pid="$(pid_from "$d/run/slapd.pid")"
  fi
  wait_until "slapd" "$d/log/slapd.log" "$pid" \
    ldapsearch -x -H "ldap://127.0.0.1:$port" -o nettimeout=2 -s base -b "" -LLL "(objectClass=*)" namingContexts
  wait_until "slapd pid file" "$d/log/slapd.log" "$pid" test -s "$d/run/slapd.pid"
  if [[ ! -f "$d/.provisioned" ]]; then
    ldapadd -x -H "ldap://127.0.0.1:$port" -D "$LDAP_ROOTDN" -w "$LDAP_PASSWORD" >/dev/null <<EOF
dn: $LDAP_BASE
objectClass: dcObject
objectClass: organization
dc: example
o: Example
EOF
    touch "$d/.provisioned"
  fi
}

ldap_down() {
  local d="$DIR/ldap" pid
  [[ -d "$d" ]] || return 0
  pid="$(pid_from "$d/run/slapd.pid")"
  pid_alive "$pid" || return 0
  kill_and_wait "$pid" slapd
  rm -f "$d/run/slapd.pid"
}

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
