#!/usr/bin/env bash
# The GCS emulator: fake-gcs-server (Go), built once into .deltasql/bin at a pinned version, serving
# plain HTTP on a loopback port (default 4443, DELTASQL_FAKE_GCS_PORT to change) with the in-memory
# backend. -public-host/-external-url name the same address, so upload and download URLs the
# server hands back point at itself. Reuses a server that already answers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

version=v1.56.1
port=${DELTASQL_FAKE_GCS_PORT:-4443}
logfile="$LOG_DIR/fake-gcs.log"
pidfile="$RUN_DIR/fake-gcs.pid"
bindir="$STATE_DIR/bin"
bin="$bindir/fake-gcs-server"
url="http://127.0.0.1:$port"

healthy() { curl -sf -o /dev/null --max-time 2 "$url/storage/v1/b"; }

install() {
  if [[ -x $bin ]] && go version -m "$bin" 2>/dev/null | grep -q "fake-gcs-server[[:space:]]*$version"; then return 0; fi
  command -v go >/dev/null || fail_service fake-gcs "$logfile" "Go is needed to build fake-gcs-server ($version)"
  mkdir -p "$bindir"
  log "building fake-gcs-server $version into $bindir"
  GOBIN="$bindir" go install "github.com/fsouza/fake-gcs-server@$version" >>"$logfile" 2>&1 ||
    fail_service fake-gcs "$logfile" "go install github.com/fsouza/fake-gcs-server@$version failed"
}

start() {
  if healthy; then log "fake-gcs-server already serving on $url"; return 0; fi
  install
  pid_alive "$pidfile" || spawn "$logfile" "$pidfile" "$bin" -scheme http -host 127.0.0.1 -port "$port" \
    -backend memory -public-host "127.0.0.1:$port" -external-url "$url" -log-level warn
  local deadline=$((SECONDS + 30))
  until healthy; do
    pid_alive "$pidfile" || fail_service fake-gcs "$logfile" "fake-gcs-server exited"
    ((SECONDS < deadline)) || fail_service fake-gcs "$logfile" "no answer on $url after 30 s"
    sleep 0.3
  done
  log "fake-gcs-server serving on $url (log $logfile)"
}

stop() {
  local pid=''
  if pid_alive "$pidfile"; then pid=$(cat "$pidfile"); else pid=$(pid_on_port "$port"); fi
  rm -f "$pidfile"
  [[ -n $pid ]] || { log "fake-gcs-server not running"; return 0; }
  stop_pid fake-gcs "$pid"
  log "fake-gcs-server stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) if healthy; then echo "fake-gcs: serving on $url"; else echo "fake-gcs: not running on $url"; exit 3; fi ;;
  url) echo "$url" ;;
  *) echo "usage: fake-gcs.sh start|stop|status|url" >&2; exit 2 ;;
esac
