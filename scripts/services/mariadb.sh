#!/usr/bin/env bash
# MariaDB for integration tests: Debian's `mariadb-server` (installed when missing), run without
# systemd as our own `mariadbd` on a private port (default 3307, DELTASQL_MARIADB_PORT) with its
# own datadir under .deltasql/mariadb (initialised by mariadb-install-db), so it never touches a
# system instance. Creates the user `deltasql` with the database `deltasql_test`; local_infile is
# on for LOAD DATA LOCAL INFILE. Reuses a server that already answers.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

port=${DELTASQL_MARIADB_PORT:-3307}
host=127.0.0.1
user=deltasql password=deltasql db=deltasql_test
datadir="$STATE_DIR/mariadb"
sock="$datadir/mariadb.sock"
pidfile="$RUN_DIR/mariadb.pid"
logfile="$LOG_DIR/mariadb.log"
setup_log="$LOG_DIR/mariadb-setup.log"
URL="mysql://$user:$password@$host:$port/$db"

client() { mariadb --protocol=socket -S "$sock" -uroot "$@"; }
alive() { client -e 'SELECT 1' >/dev/null 2>&1; }
user_ok() {
  mariadb --protocol=tcp -h "$host" -P "$port" -u"$user" -p"$password" "$db" -e 'SELECT 1' >/dev/null 2>&1
}

install() {
  command -v mariadbd >/dev/null && command -v mariadb-install-db >/dev/null && return 0
  log "installing Debian mariadb-server (log: $setup_log)"
  as_root apt-get update >>"$setup_log" 2>&1 || fail_service mariadb "$setup_log" "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mariadb-server \
    >>"$setup_log" 2>&1 || fail_service mariadb "$setup_log" "apt-get install mariadb-server failed"
}

init_datadir() {
  [[ -d $datadir/mysql ]] && return 0
  log "initialising MariaDB datadir $datadir"
  mkdir -p "$datadir"
  [[ $EUID -eq 0 ]] && chown -R mysql:mysql "$datadir"
  mariadb-install-db --user="$(id -un | sed 's/^root$/mysql/')" --datadir="$datadir" \
    --auth-root-authentication-method=socket --skip-test-db >>"$setup_log" 2>&1 ||
    fail_service mariadb "$setup_log" "mariadb-install-db failed"
}

ensure_user_and_db() {
  user_ok && return 0
  log "creating user $user and database $db"
  client >>"$setup_log" 2>&1 <<SQL || fail_service mariadb "$setup_log" "creating user/database failed"
CREATE DATABASE IF NOT EXISTS \`$db\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin;
CREATE USER IF NOT EXISTS '$user'@'%' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO '$user'@'%' WITH GRANT OPTION;
GRANT ALL PRIVILEGES ON *.* TO '$user'@'localhost' WITH GRANT OPTION;
FLUSH PRIVILEGES;
SQL
  user_ok || fail_service mariadb "$setup_log" "cannot log in as $user over TCP ($host:$port)"
}

start() {
  # A server on the port that takes the test user is reused, like every other service (another
  # checkout's instance has its socket elsewhere, so the socket check alone would miss it).
  if user_ok; then log "mariadb already serving on $host:$port"; return 0; fi
  install
  init_datadir
  if ! alive; then
    local run_as
    run_as=$(id -un | sed 's/^root$/mysql/')
    [[ $EUID -eq 0 ]] && chown -R mysql:mysql "$datadir"
    spawn "$logfile" "$pidfile" mariadbd --no-defaults --user="$run_as" --datadir="$datadir" \
      --socket="$sock" --port="$port" --bind-address="$host" --pid-file="$datadir/mariadbd.pid" \
      --local-infile=1 --character-set-server=utf8mb4 --collation-server=utf8mb4_bin \
      --innodb-buffer-pool-size=256M --innodb-flush-log-at-trx-commit=2 --max-allowed-packet=256M \
      --skip-log-bin
    local deadline=$((SECONDS + 60))
    until alive; do
      pid_alive "$pidfile" || fail_service mariadb "$logfile" "mariadbd exited"
      ((SECONDS < deadline)) || fail_service mariadb "$logfile" "no answer on $sock after 60 s"
      sleep 0.5
    done
  fi
  ensure_user_and_db
  log "mariadb serving on $host:$port (datadir $datadir, log $logfile)"
}

stop() {
  local pid=''
  if pid_alive "$pidfile"; then pid=$(cat "$pidfile"); else pid=$(pid_on_port "$port"); fi
  rm -f "$pidfile"
  [[ -n $pid ]] || { log "mariadb not running"; return 0; }
  stop_pid mariadb "$pid"
  log "mariadb stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  status) if alive; then echo "mariadb: serving on $host:$port"; else echo "mariadb: not running on $host:$port"; exit 3; fi ;;
  *) echo "usage: mariadb.sh start|stop|status|url" >&2; exit 2 ;;
esac
