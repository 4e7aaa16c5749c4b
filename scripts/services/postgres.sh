#!/usr/bin/env bash
# PostgreSQL for integration tests: Debian's `postgresql` (installed when missing), the
# `<version>/main` cluster started with pg_ctlcluster, and a superuser role `deltasql` with the
# database `deltasql_test` (tests create their own schemas and databases).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

PG_HOST=127.0.0.1 PG_PORT=5432 PG_ROLE=deltasql PG_PASSWORD=deltasql PG_DB=deltasql_test
URL="postgresql://$PG_ROLE:$PG_PASSWORD@$PG_HOST:$PG_PORT/$PG_DB"
setup_log="$LOG_DIR/postgres-setup.log"

server_version() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin/postgres 2>/dev/null | sort -V | tail -1)
  [[ -n $bin ]] && basename "$(dirname "$(dirname "$bin")")"
}
ready() { command -v pg_isready >/dev/null && pg_isready -q -h "$PG_HOST" -p "$PG_PORT"; }
role_ok() { psql "$URL" -tAc 'SELECT rolsuper FROM pg_roles WHERE rolname = current_user' 2>/dev/null | grep -qx t; }
as_postgres() { (cd /tmp && as_root runuser -u postgres -- "$@"); }

install() {
  command -v pg_ctlcluster >/dev/null && [[ -n $(server_version) ]] && return 0
  log "installing Debian postgresql (log: $setup_log)"
  as_root apt-get update >>"$setup_log" 2>&1 || fail_service postgres "$setup_log" "apt-get update failed"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends postgresql \
    >>"$setup_log" 2>&1 || fail_service postgres "$setup_log" "apt-get install postgresql failed"
}

ensure_role_and_db() {
  role_ok && return 0
  log "creating role $PG_ROLE and database $PG_DB"
  as_postgres psql -v ON_ERROR_STOP=1 -q >>"$setup_log" 2>&1 <<SQL || fail_service postgres "$setup_log" "creating role/database failed"
SELECT format('CREATE ROLE %I', '$PG_ROLE') WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$PG_ROLE')\gexec
ALTER ROLE $PG_ROLE WITH LOGIN SUPERUSER PASSWORD '$PG_PASSWORD';
SELECT format('CREATE DATABASE %I OWNER %I', '$PG_DB', '$PG_ROLE') WHERE NOT EXISTS (SELECT 1 FROM pg_database WHERE datname = '$PG_DB')\gexec
SQL
  role_ok || fail_service postgres "$setup_log" "cannot log in as $PG_ROLE over TCP ($PG_HOST:$PG_PORT)"
}

start() {
  if ready && role_ok; then log "postgres already serving on $PG_HOST:$PG_PORT"; return 0; fi
  install
  local ver logfile
  ver=$(server_version)
  logfile="/var/log/postgresql/postgresql-$ver-main.log"
  if ! ready; then
    [[ -d /etc/postgresql/$ver/main ]] || as_root pg_createcluster --port "$PG_PORT" "$ver" main >>"$setup_log" 2>&1 ||
      fail_service postgres "$setup_log" "pg_createcluster $ver main failed"
    as_root pg_ctlcluster "$ver" main start >>"$setup_log" 2>&1 ||
      fail_service postgres "$logfile" "pg_ctlcluster $ver main start failed (see also $setup_log)"
    wait_until 30 ready || fail_service postgres "$logfile" "pg_isready fails on $PG_HOST:$PG_PORT after 30 s"
  fi
  ensure_role_and_db
  log "postgres serving on $PG_HOST:$PG_PORT (cluster $ver/main, log $logfile)"
}

stop() {
  local ver
  ver=$(server_version) || true
  if [[ -z $ver ]] || ! ready; then log "postgres not running"; return 0; fi
  as_root pg_ctlcluster "$ver" main stop >>"$setup_log" 2>&1
  log "postgres stopped"
}

case ${1:-} in
  start) start ;;
  stop) stop ;;
  url) echo "$URL" ;;
  status) if ready; then echo "postgres: accepting connections on $PG_HOST:$PG_PORT"; else echo "postgres: not running on $PG_HOST:$PG_PORT"; exit 3; fi ;;
  *) echo "usage: postgres.sh start|stop|status|url" >&2; exit 2 ;;
esac
