#!/usr/bin/env bash
# THE quickstart (`npm run quickstart`): on embedded defaults only (SQLite catalog, local disk),
# generate a sample Delta table with the project's own generator, then import it through the
# Temporal dev server into ./deltasql.db, validate, and print the summary and the UI link.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$ROOT"

TABLE=./sample-table
CATALOG=sqlite:///./deltasql.db
cli() { node bin/deltasql.js "$@"; }
has_command() { cli --help 2>/dev/null | grep -qE "^  $1( |\$)"; }

bash scripts/setup.sh

if ! has_command generate; then
  echo "error: this build has no 'deltasql generate' command yet; cannot create the sample table" >&2
  exit 1
fi
log "generating a sample Delta table in $TABLE (300 versions, partitions, checkpoints every 100)"
cli generate "$TABLE" --versions 300 --partitions --checkpoint-interval 100 --seed 42 --force

if ! has_command import; then
  echo
  echo "Sample table written to $TABLE. The 'deltasql import' command is not implemented in this build yet,"
  echo "so the quickstart stops here. Once it exists, this script imports the table into $CATALOG."
  exit 0
fi

bash scripts/services/temporal.sh start
# Embedded mode: without TEMPORAL_ADDRESS the import runs its own worker in-process against the
# local dev server (with it set, it would wait for an external `deltasql worker`).
log "importing $TABLE into $CATALOG"
env -u TEMPORAL_ADDRESS node bin/deltasql.js import "$TABLE" --catalog "$CATALOG"
