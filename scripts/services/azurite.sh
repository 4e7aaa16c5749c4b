#!/usr/bin/env bash
# The Azure Blob emulator: azurite-blob from node_modules (devDependency) on a loopback port
# (default 10000, DELTASQL_AZURITE_PORT to change), state in .deltasql/azurite. It serves the
# well-known development account devstoreaccount1; `url` prints its blob endpoint and
# `connection-string` the connection string the tests use. Reuses a server that already answers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

port=${DELTASQL_AZURITE_PORT:-10000}
logfile="$LOG_DIR/azurite.log"
pidfile="$RUN_DIR/azurite.pid"
bin="$ROOT/node_modules/.bin/azurite-blob"
url="http://127.0.0.1:$port/devstoreaccount1"
# Azurite's published development key (not a secret: it is in Microsoft's docs and every SDK).
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

# Any HTTP answer (an unauthenticated request gets 400/403) means the server is up.
healthy() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url?comp=list" || true)
  [[ $code =~ ^[2-4][0-9][0-9]$ ]]
}

start() {
  if healthy; then log "azurite already serving on $url"; return 0; fi
  [[ -x $bin ]] || fail_service azurite "$logfile" "$bin missing (run npm install)"
  mkdir -p "$STATE_DIR/azurite"
  pid_alive "$pidfile" || spawn "$logfile" "$pidfile" "$bin" --silent --location "$STATE_DIR/azurite" \
    --blobHost 127.0.0.1 --blobPort "$port" --skipApiVersionCheck
  local deadline=$((SECONDS + 30))
  until healthy; do
    pid_alive "$pidfile" || fail_service azurite "$logfile" "azurite-blob exited"
    ((SECONDS < deadline)) || fail_service azurite "$logfile" "no answer on $url after 30 s"
    sleep 0.3
  done
  log "azurite serving on $url (log $logfile)"
}

stop() {
  local pid=''
  if pid_alive "$pidfile"; then pid=$(cat "$pidfile"); else pid=$(pid_on_port "$port"); fi
  rm -f "$pidfile"
  [[ -n $pid ]] || { log "azurite not running"; return 0; }
  stop_pid azurite "$pid"
  log "azurite stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  status) if healthy; then echo "azurite: serving on $url"; else echo "azurite: not running on $url"; exit 3; fi ;;
  url) echo "$url" ;;
  connection-string) echo "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;BlobEndpoint=$url;" ;;
  *) echo "usage: azurite.sh start|stop|status|url|connection-string" >&2; exit 2 ;;
esac
