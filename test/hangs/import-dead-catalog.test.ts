/**
 * A catalog that dies in the middle of an import is waited for `--catalog-timeout` only (issue 14):
 * the CLI shows the `waiting for catalog …` line, then exits 1 with CatalogUnavailable, and the
 * workflow is closed (FAILED) on the Temporal server instead of retrying its range activity without
 * end. Once the catalog is back, the same import resumes and the catalog equals a clean import,
 * row for row. Real PostgreSQL and Temporal; the catalog is reached through a TCP relay that the
 * test cuts (a real refused connection) and restores on the same port.
 */
import * as path from 'node:path';
import type { Client } from 'pg';
import { generateTable } from '../../bench/generator';
import { ABANDONED_ERROR } from '../../catalog/runs';
import { importWorkflowId } from '../../client/import-client';
import { compareSchemas } from '../faults/catalog-rows';
import { PG_URL } from '../support/env';
import { importInput, runImport } from '../support/import';
import { runCli } from '../support/run-cli';
import { integrationSuite } from '../support/suite';
import {
  boundSeconds,
  directClient,
  dropSchemas,
  lastLine,
  relayTo,
  relayedCatalog,
  runCutAt,
  waitingLinePattern,
  waitingLines,
  workerEnvironment,
  type TcpRelay,
} from './support';

const suite = integrationSuite('import-dead-catalog');
let restoreEnv = (): void => undefined;
const VERSIONS = 400;
/** The relay is cut once the catalog holds this version (well before the last one). */
const CUT_AT = 40;
const TABLE_ID = '0f5a1c3e-1400-4000-8000-0000000000dc';
const SCHEMA = `hangs_deadcat_${process.pid}`;
const CLEAN_SCHEMA = `hangs_deadcat_clean_${process.pid}`;
let relay: TcpRelay;
let pg: Client;

beforeAll(async () => {
  restoreEnv = workerEnvironment(suite);
  relay = await relayTo(PG_URL);
  pg = await directClient();
  await dropSchemas(pg, SCHEMA, CLEAN_SCHEMA);
});

afterAll(async () => {
  await relay?.close();
  if (pg) await dropSchemas(pg, SCHEMA, CLEAN_SCHEMA);
  await pg?.end();
  restoreEnv();
});

/** The catalog's last version, read straight from PostgreSQL (not through the relay). */
async function lastVersion(): Promise<number> {
  const r = await pg
    .query<{ v: string | null }>(`SELECT max(last_version)::text AS v FROM "${SCHEMA}".dl_tables`)
    .catch(() => null);
  return r?.rows[0]?.v == null ? -1 : Number(r.rows[0].v);
}

const importArgs = (dir: string, catalog: string): string[] => [
  'import',
  dir,
  '--catalog',
  catalog,
  '--table-id',
  TABLE_ID,
  '--catalog-timeout',
  '10s',
  // small transactions and ranges: the cut lands inside a range activity
  '--batch-size',
  '6',
  '--actions-per-activity',
  '60',
];

test('a catalog cut mid-import fails it within --catalog-timeout (exit 1, CatalogUnavailable, workflow FAILED); restored, the import resumes to a clean catalog', async () => {
  const dir = path.join(suite.tmp, 'deadcat');
  await generateTable({
    dir,
    versions: VERSIONS,
    addsPerVersion: 2,
    removesPerVersion: 1,
    checkpointInterval: 1000,
    crcInterval: 0,
    seed: 1414,
  });
  const catalog = relayedCatalog(relay, SCHEMA);

  let cutAt = -1;
  const run = await suite.h.withWorker(() =>
    runCutAt(importArgs(dir, catalog), relay, async () => {
      cutAt = await lastVersion();
      return cutAt >= CUT_AT;
    }),
  );
  const first = run.result;

  // The cut hit an import in flight, and the import gave up on its own within the bound.
  expect(run.cutInFlight).toBe(true);
  expect(cutAt).toBeLessThan(VERSIONS - 1);
  expect(first.code).toBe(1);
  const waiting = waitingLines(first.stderr);
  expect(waiting.length).toBeGreaterThan(0);
  expect(waiting[0]).toMatch(waitingLinePattern(catalog));
  expect(lastLine(first.stderr)).toMatch(/^error: CatalogUnavailable: gave up after 10s: /);
  expect(run.secondsAfterCut).toBeLessThan(boundSeconds(10));
  const handle = suite.h.client.workflow.getHandle(importWorkflowId(catalog, 'deadcat'));
  expect((await handle.describe()).status.name).toBe('FAILED');
  const stoppedAt = await lastVersion();
  expect(stoppedAt).toBeLessThan(VERSIONS - 1);

  // The catalog is back: the same command resumes after the last committed version.
  await relay.reopen();
  const second = await suite.h.withWorker(() => runCli([...importArgs(dir, catalog), '--format', 'json']));
  expect(second.code).toBe(0);
  const result = JSON.parse(second.stdout) as { startVersion: number; targetVersion: number };
  expect(result.startVersion).toBe(stoppedAt + 1);
  expect(result.targetVersion).toBe(VERSIONS - 1);

  // Row for row what a clean import writes (the runs table holds one run more: compared apart).
  await runImport(
    suite.h,
    importInput(dir, `${PG_URL}?schema=${CLEAN_SCHEMA}`, { name: 'deadcat', tableId: TABLE_ID }),
  );
  const diffs = await compareSchemas({ client: pg, schema: CLEAN_SCHEMA }, { client: pg, schema: SCHEMA });
  expect(diffs.map((d) => d.table)).toEqual(expect.arrayContaining(['dl_add_files', 'dl_table_versions']));
  expect(diffs.filter((d) => d.table !== 'dl_import_runs' && d.missingCount + d.extraCount > 0)).toEqual([]);
  expect(diffs.find((d) => d.table === 'dl_table_versions')?.rows).toEqual([VERSIONS, VERSIONS]);
  // The given-up run could not write its end; the next run closed it as failed, with its count.
  const runs = await pg.query<{
    status: string;
    from_version: string;
    versions_imported: string;
    error: string | null;
  }>(
    `SELECT status, from_version::text, versions_imported::text, error FROM "${SCHEMA}".dl_import_runs ORDER BY started_at`,
  );
  expect(runs.rows).toEqual([
    { status: 'failed', from_version: '0', versions_imported: String(stoppedAt + 1), error: ABANDONED_ERROR },
    {
      status: 'completed',
      from_version: String(stoppedAt + 1),
      versions_imported: String(VERSIONS - 1 - stoppedAt),
      error: null,
    },
  ]);
}, 180_000);
