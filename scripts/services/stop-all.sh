#!/usr/bin/env bash
# Stops every service started by start-all.sh (or found on its port); keeps going past failures.
set -uo pipefail
dir=$(dirname "${BASH_SOURCE[0]}")
rc=0
for svc in temporal azurite fake-gcs moto mariadb postgres; do
  bash "$dir/$svc.sh" stop || rc=1
done
exit $rc
