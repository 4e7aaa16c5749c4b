/**
 * A catalog that dies in the middle of `deltasql catalog migrate` is waited for
 * `--catalog-timeout` only (issue 14), whether it is the source or the target: the CLI shows
 * `waiting for source|target catalog …`, then exits 1 with one CatalogUnavailable line naming that
 * catalog, and the migration workflow is FAILED on the Temporal server instead of retrying its copy
 * activity without end. No second table is started after the give-up. The target is not switched:
 * marked failed when it is reachable (the source died), still `loading` when it is the one that
 * died. Restored, the same command resumes and switches, and the target equals the source row for
 * row. Real PostgreSQL (one side through a TCP relay the test cuts) and Temporal.
 */
import * as path from 'node:path';
import type { Client } from 'pg';
import { generateTable } from '../../bench/generator';
import { stripPassword } from '../../catalog/url';
import { loadHistory } from '../catalog/helpers';
import { compareSchemas } from '../faults/catalog-rows';
import { PG_URL } from '../support/env';
import { runCli, type CliResult } from '../support/run-cli';
import { integrationSuite } from '../support/suite';
import {
  boundSeconds,
  directCatalog,
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

const suite = integrationSuite('migrate-dead-catalog');
const VERSIONS = 500;
/** The relay is cut once the target holds this many versions (of the first table's 500). */
const CUT_AT_VERSIONS = 60;
const TIMEOUT_S = 5;
/** Migration bookkeeping that differs between the two sides by design. */
const BOOKKEEPING = new Set(['dl_catalog_migrations', 'dl_import_runs', 'dl_schema_migrations']);
let restoreEnv = (): void => undefined;
let pg: Client;
const schemas: string[] = [];

beforeAll(async () => {
  restoreEnv = workerEnvironment(suite);
  pg = await directClient();
});

afterAll(async () => {
  if (pg) await dropSchemas(pg, ...schemas);
  await pg?.end();
  restoreEnv();
});

/** A source catalog in `schema` holding two generated tables of VERSIONS versions each. */
async function sourceCatalog(schema: string): Promise<void> {
  schemas.push(schema);
  await dropSchemas(pg, schema);
  const store = await suite.open(directCatalog(schema));
  for (const [i, name] of ['alpha', 'beta'].entries()) {
    const dir = path.join(suite.tmp, `${schema}-${name}`);
    await generateTable({
      dir,
      versions: VERSIONS,
      addsPerVersion: 2,
      removesPerVersion: 1,
      checkpointInterval: 1000,
      crcInterval: 0,
      seed: 1416 + i,
    });
    const hist = await loadHistory(dir);
    const t = await store.ensureTable({ location: dir, name });
    await store.writeVersions(t.tableId, hist.commits);
  }
}

/** Versions the target holds so far, read straight from PostgreSQL (0 before its schema exists). */
async function targetVersions(schema: string): Promise<number> {
  const r = await pg
    .query<{ n: string }>(`SELECT count(*)::text AS n FROM "${schema}".dl_table_versions`)
    .catch(() => null);
  return r ? Number(r.rows[0].n) : 0;
}

async function migrationStatus(target: string): Promise<string> {
  const r = await runCli(['status', '--catalog', target, '--format', 'json']);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { migration: { status: string } }).migration.status;
}

const migrateArgs = (from: string, to: string): string[] => [
  'catalog',
  'migrate',
  '--from',
  from,
  '--to',
  to,
  '--parallelism',
  '1',
  // small target transactions: the cut lands inside the first table's copy
  '--batch-size',
  '12',
  '--log-diff',
  'latest',
  '--catalog-timeout',
  `${TIMEOUT_S}s`,
];

/** What every lost-catalog run must show: exit 1 in the bound, the waiting line, one error line, FAILED. */
async function expectGaveUp(
  run: { result: CliResult; cutInFlight: boolean; secondsAfterCut: number },
  role: 'source' | 'target',
  lost: string,
): Promise<void> {
  const r = run.result;
  expect(run.cutInFlight).toBe(true);
  expect({ code: r.code, last: lastLine(r.stderr) }).toEqual({
    code: 1,
    last: expect.stringMatching(
      new RegExp(
        `^error: CatalogUnavailable: ${role} catalog ${lost.replace(/[?.]/g, '\\$&')}: gave up after ${TIMEOUT_S}s: .*1 more table\\(s\\) not started`,
      ),
    ),
  });
  const waiting = waitingLines(r.stderr);
  expect(waiting.length).toBeGreaterThan(0);
  expect(waiting[0]).toMatch(waitingLinePattern(lost, `${role} catalog`));
  expect(run.secondsAfterCut).toBeLessThan(boundSeconds(TIMEOUT_S));
  const workflowId = /^Started catalog migration (\S+)$/m.exec(r.stderr)?.[1];
  expect(workflowId).toBeDefined();
  expect((await suite.h.client.workflow.getHandle(workflowId as string).describe()).status.name).toBe(
    'FAILED',
  );
}

/** Re-run after the catalog is back: exit 0, switched, and the target equals the source row for row. */
async function expectRepaired(args: string[], source: string, target: string): Promise<void> {
  const again = await suite.h.withWorker(() => runCli([...args, '--format', 'json']));
  expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
  expect((JSON.parse(again.stdout) as { switched: boolean }).switched).toBe(true);
  const diffs = await compareSchemas({ client: pg, schema: source }, { client: pg, schema: target });
  expect(diffs.map((d) => d.table)).toEqual(expect.arrayContaining(['dl_add_files', 'dl_table_versions']));
  expect(diffs.find((d) => d.table === 'dl_table_versions')?.rows).toEqual([2 * VERSIONS, 2 * VERSIONS]);
  expect(diffs.filter((d) => !BOOKKEEPING.has(d.table) && d.missingCount + d.extraCount > 0)).toEqual([]);
}

test('the source dies mid-migration: exit 1 within --catalog-timeout naming the source, workflow FAILED, target marked failed; restored, a re-run switches it', async () => {
  const relay: TcpRelay = await relayTo(PG_URL);
  try {
    const src = `hangs_migsrc_${process.pid}`;
    const dst = `hangs_migsrc_to_${process.pid}`;
    schemas.push(dst);
    await dropSchemas(pg, dst);
    await sourceCatalog(src);
    const from = relayedCatalog(relay, src);
    const to = stripPassword(directCatalog(dst));
    const args = migrateArgs(from, to);
    const run = await suite.h.withWorker(() =>
      runCutAt(args, relay, async () => (await targetVersions(dst)) >= CUT_AT_VERSIONS),
    );
    await expectGaveUp(run, 'source', from);
    expect(lastLine(run.result.stderr)).toMatch(/\(the target is marked as not switched\)$/);
    expect(await targetVersions(dst)).toBeLessThan(VERSIONS);
    expect(await migrationStatus(to)).toBe('failed');

    await relay.reopen();
    await expectRepaired(args, src, dst);
  } finally {
    await relay.close();
  }
}, 120_000);

test('the target dies mid-migration: exit 1 within --catalog-timeout naming the target, workflow FAILED, target not switched; restored, a re-run switches it', async () => {
  const relay: TcpRelay = await relayTo(PG_URL);
  try {
    const src = `hangs_migdst_from_${process.pid}`;
    const dst = `hangs_migdst_${process.pid}`;
    schemas.push(dst);
    await dropSchemas(pg, dst);
    await sourceCatalog(src);
    const from = stripPassword(directCatalog(src));
    const to = relayedCatalog(relay, dst);
    const args = migrateArgs(from, to);
    const run = await suite.h.withWorker(() =>
      runCutAt(args, relay, async () => (await targetVersions(dst)) >= CUT_AT_VERSIONS),
    );
    await expectGaveUp(run, 'target', to);
    // It could not be marked failed (it is the catalog that is gone): still loading, not switched.
    expect(lastLine(run.result.stderr)).toMatch(/\(the target is not switched; a re-run resumes\)$/);

    await relay.reopen();
    expect(await migrationStatus(to)).toBe('loading');
    await expectRepaired(args, src, dst);
  } finally {
    await relay.close();
  }
}, 120_000);
