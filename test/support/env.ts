/**
 * Where tests find real services and fixtures. scripts/test.sh starts the services and exports
 * these variables; the defaults match what scripts/services/*.sh start.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const PG_URL =
  process.env.DELTASQL_TEST_PG_URL ?? 'postgresql://deltasql:deltasql@127.0.0.1:5432/deltasql_test';
export const MYSQL_URL =
  process.env.DELTASQL_TEST_MYSQL_URL ?? 'mysql://deltasql:deltasql@127.0.0.1:3307/deltasql_test';
export const S3_ENDPOINT = process.env.DELTASQL_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:5055';
/** fake-gcs-server (scripts/services/fake-gcs.sh). */
export const GCS_ENDPOINT = process.env.DELTASQL_TEST_GCS_ENDPOINT ?? 'http://127.0.0.1:4443';
/** Azurite's development account (scripts/services/azurite.sh connection-string; the key is public). */
export const AZURE_CONNECTION_STRING =
  process.env.DELTASQL_TEST_AZURE_CONNECTION_STRING ??
  'DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;' +
    'AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;' +
    'BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;';
export const TEMPORAL_ADDRESS = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';

/** Root holding delta/delta-rs and delta/golden. */
export function fixturesRoot(): string {
  const dir = process.env.DELTASQL_FIXTURES ?? path.resolve(__dirname, '../../../shared/fixtures');
  if (!fs.existsSync(path.join(dir, 'delta'))) {
    const msg = `Delta fixtures not found at ${dir} (set DELTASQL_FIXTURES)`;
    if (process.env.CI === 'true') throw new Error(msg);
    console.warn(msg);
  }
  return dir;
}

export function fixture(rel: string): string {
  return path.join(fixturesRoot(), 'delta', rel);
}

/** Every folder under fixtures/delta that holds a _delta_log, relative to fixtures/delta, sorted. */
export function allFixtureTables(): string[] {
  const base = path.join(fixturesRoot(), 'delta');
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (!e.isDirectory()) continue;
      const p = path.join(dir, e.name);
      if (e.name === '_delta_log') out.push(path.relative(base, dir));
      else walk(p);
    }
  };
  walk(base);
  return out.sort();
}

/** Copy a fixture table to a fresh temp dir (fixtures are read-only). */
export function copyFixture(rel: string): string {
  const dst = fs.mkdtempSync(path.join(require('node:os').tmpdir(), 'deltasql-fx-'));
  fs.cpSync(fixture(rel), dst, { recursive: true, preserveTimestamps: true });
  return dst;
}
