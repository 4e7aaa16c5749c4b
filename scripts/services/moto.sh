#!/usr/bin/env bash
# The S3 emulator: moto_server from the project venv on a loopback port (default 5055,
# DELTASQL_MOTO_PORT to change). Reuses a server that already answers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

port=${DELTASQL_MOTO_PORT:-5055}
logfile="$LOG_DIR/moto.log"
pidfile="$RUN_DIR/moto.pid"
url="http://127.0.0.1:$port"

healthy() { curl -sf -o /dev/null --max-time 2 "$url/moto-api/"; }

start() {
  if healthy; then log "moto already serving on $url"; return 0; fi
  [[ -x $VENV/bin/moto_server ]] || bash "$ROOT/scripts/services/venv.sh"
  pid_alive "$pidfile" || spawn "$logfile" "$pidfile" "$VENV/bin/moto_server" -H 127.0.0.1 -p "$port"
  local deadline=$((SECONDS + 30))
  until healthy; do
    pid_alive "$pidfile" || fail_service moto "$logfile" "moto_server exited"
    ((SECONDS < deadline)) || fail_service moto "$logfile" "no answer on $url after 30 s"
    sleep 0.3
  done
  log "moto serving on $url (log $logfile)"
}

stop() {
  local pid=''
  if pid_alive "$pidfile"; then pid=$(cat "$pidfile"); else pid=$(pid_on_port "$port"); fi
  rm -f "$pidfile"
  [[ -n $pid ]] || { log "moto not running"; return 0; }
  stop_pid moto "$pid"
  log "moto stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) if healthy; then echo "moto: serving on $url"; else echo "moto: not running on $url"; exit 3; fi ;;
  *) echo "usage: moto.sh start|stop|status" >&2; exit 2 ;;
esac
