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

source scripts/test-env.sh

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
