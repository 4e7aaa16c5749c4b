#!/usr/bin/env bash
# One-time (and idempotent) project setup: npm dependencies with better-sqlite3's native build,
# the TypeScript build in dist/, and the Python venv with the Temporal CLI and moto.
# Fast when everything is already in place.
#
#   setup.sh [--no-build]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

build=1
[[ ${1:-} != --no-build ]] || build=0

# npm: `npm ci` on a fresh clone, or when installed packages no longer match package.json.
if [[ ! -d node_modules ]] || ! npm ls --depth=0 >/dev/null 2>&1; then
  # Install scripts are skipped and the one native module is built below, alone: npm ran two
  # node-gyp builds of better-sqlite3 at once on a fresh clone and one failed on the other's
  # files (ENOENT build/node_gyp_bins). The other packages with scripts (protobufjs, @swc/core,
  # @parcel/watcher) only check versions or pick prebuilt optional bindings npm already installed.
  log "installing npm dependencies (npm ci --ignore-scripts)"
  npm ci --no-audit --no-fund --ignore-scripts
fi
# Opening a database loads the native module (require alone does not).
if ! node -e "new (require('better-sqlite3'))(':memory:').close()" >/dev/null 2>&1; then
  log "building better-sqlite3's native module (npm rebuild better-sqlite3)"
  npm rebuild better-sqlite3
  node -e "new (require('better-sqlite3'))(':memory:').close()"
fi

bash scripts/services/venv.sh

# Build only when a source file or the TS config changed since the last successful build.
stamp=dist/.build-stamp
if ((build)); then
  if [[ ! -f $stamp || ! -f dist/client/cli.js ]] ||
    [[ -n $(find common storage delta catalog parity sync workflows activities workers client bench formats sharing reader api test \
      tsconfig.json package.json -newer "$stamp" -name '*.ts' -o -newer "$stamp" -name '*.json' 2>/dev/null | head -1) ]]; then
    log "building TypeScript (npm run build; log $LOG_DIR/build.log)"
    if npm run -s build >"$LOG_DIR/build.log" 2>&1; then
      touch "$stamp"
    else
      # tsc still emits JavaScript; type errors are `npm test`'s to report (typecheck step).
      if [[ ! -f dist/client/cli.js ]]; then
        tail -n 25 "$LOG_DIR/build.log" >&2
        echo "error: the TypeScript build produced no dist/client/cli.js (log: $LOG_DIR/build.log)" >&2
        exit 1
      fi
      log "warning: tsc reported type errors (see $LOG_DIR/build.log); using the emitted dist/"
    fi
  fi
fi
