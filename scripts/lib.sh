# Shared helpers for the project's shell scripts: one place for paths, logging and health waits,
# so every service script reports failures the same way (which service, which log).
# Source it; it sets ROOT, STATE_DIR, LOG_DIR, RUN_DIR and VENV.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STATE_DIR="$ROOT/.deltasql"
LOG_DIR="$STATE_DIR/logs"
RUN_DIR="$STATE_DIR/run"
VENV="$ROOT/.venv"
mkdir -p "$LOG_DIR" "$RUN_DIR"

log() { printf '[deltasql] %s\n' "$*" >&2; }

# fail_service NAME LOGFILE [REASON]: the one way a service start reports failure.
fail_service() {
  printf '\nerror: service "%s" failed to start%s\n       log: %s\n' "$1" "${3:+: $3}" "$2" >&2
  if [[ -r $2 ]]; then
    printf -- '----- last lines of %s -----\n' "$2" >&2
    tail -n 25 "$2" >&2
    printf -- '-----\n' >&2
  fi
  exit 1
}

# wait_until SECONDS CMD...: poll CMD every half second until it succeeds; non-zero on timeout.
wait_until() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}

# pid_alive PIDFILE: the recorded process is still running.
pid_alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

# pid_on_port PORT: pid of the process listening on a loopback TCP port (for servers started by hand);
# prints nothing and succeeds when nothing listens (grep finding no pid must not fail a caller's
# `set -e -o pipefail`: "stop" of a service that is not running is not an error).
pid_on_port() { ss -ltnpH "sport = :$1" 2>/dev/null | grep -oE 'pid=[0-9]+' | head -1 | cut -d= -f2 || true; }

# stop_pid NAME PID: TERM, wait up to 15 s, then KILL.
stop_pid() {
  local name=$1 pid=$2
  kill "$pid" 2>/dev/null || return 0
  if ! wait_until 15 bash -c "! kill -0 $pid"; then
    log "$name (pid $pid) did not exit after TERM; sending KILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
}

# as_root CMD...: run as root (CI and this machine run as root; elsewhere use sudo).
as_root() { if [[ $EUID -eq 0 ]]; then "$@"; else sudo "$@"; fi; }

# spawn LOGFILE PIDFILE CMD...: start a detached daemon whose fds point at its log only,
# so callers (CI, npm) never wait on its output.
spawn() {
  local logfile=$1 pidfile=$2
  shift 2
  printf '\n===== %s: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$logfile"
  setsid nohup "$@" </dev/null >>"$logfile" 2>&1 &
  echo $! >"$pidfile"
}
