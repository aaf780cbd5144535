# Shared by scripts/services.sh and the service files beside this one: messages, the state
# directory, ports, the env file, process handling and deadline-based waits.
# Sourced, not run.

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] ERROR: %s\n' "$*" >&2; exit 1; }

is_root() { [[ "$(id -u)" == 0 ]]; }

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
  node "$SERVICES_DIR/pick-ports.cjs" "$1"
}

env_line() { # KEY VALUE: plain KEY=VALUE when that is shell-safe, else single-quoted
  if [[ "$2" =~ ^[A-Za-z0-9_./:@=,+%-]*$ ]]; then
    printf '%s=%s\n' "$1" "$2"
  else
    printf "%s='%s'\n" "$1" "${2//\'/\'\\\'\'}"
  fi
}


# The env file: ARA_SVC_DIR, then the lines of every initialised service (<name>_env_lines).
write_env() {
  local f="$DIR/env.tmp" s p
  {
    env_line ARA_SVC_DIR "$DIR"
    for s in "${ALL_SERVICES[@]}"; do
      p="$(port_of "$s")"
      if [[ -n "$p" && -d "$DIR/$s" ]]; then "${s}_env_lines" "$p"; fi
    done
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

# Seconds left until DEADLINE (a value of $SECONDS); 0 once it has passed.
seconds_left() { local left=$(($1 - SECONDS)); if ((left > 0)); then echo "$left"; else echo 0; fi; }

kill_and_wait() { # PID WHAT
  local pid="$1" what="$2" deadline
  pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + TIMEOUT))
  while ((SECONDS < deadline)); do
    pid_alive "$pid" || return 0
    sleep 0.1
  done
  log "$what (pid $pid) did not exit after ${TIMEOUT}s: SIGKILL"
  kill -KILL "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 5))
  while ((SECONDS < deadline)); do pid_alive "$pid" || return 0; sleep 0.1; done
  die "$what (pid $pid) survived SIGKILL"
}

# Runs "$@" until it succeeds; gives up $TIMEOUT s after the first try (wall clock, however
# long each probe takes) or when the server's process dies.
wait_until() { # WHAT LOGFILE PID-FILE-OR-PID CMD...
  local what="$1" logf="$2" pidref="$3" pid deadline left
  shift 3
  deadline=$((SECONDS + TIMEOUT))
  while :; do
    left="$(seconds_left "$deadline")"
    ((left > 0)) || break
    # one probe may take at most 3 s, and never past the deadline
    if timeout "$((left < 3 ? left : 3))" "$@" >/dev/null 2>&1; then return 0; fi
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
