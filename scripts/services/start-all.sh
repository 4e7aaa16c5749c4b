#!/usr/bin/env bash
# Starts every service the tests need (each reuses a running instance). Stops at the first
# failure; the failing script has already named the service and its log.
set -euo pipefail
dir=$(dirname "${BASH_SOURCE[0]}")
bash "$dir/venv.sh"
for svc in postgres mariadb moto fake-gcs azurite temporal; do
  bash "$dir/$svc.sh" start
done
