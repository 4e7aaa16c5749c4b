/**
 * A catalog that dies in the middle of `deltasql export` is waited for `--catalog-timeout` only
 * (issue 14): the CLI shows the `waiting for catalog …` line, then exits 1 with CatalogUnavailable
 * naming the catalog, and the export workflow is FAILED on the Temporal server instead of retrying
 * its range activity without end. Nothing half-written is visible at the destination: every file
 * there is whole (each commit the catalog's exact bytes, no temp file) and `_last_checkpoint` is
 * not written. Restored, the same command completes the log: the same files as a clean export.
 * Real PostgreSQL (through a TCP relay the test cuts) and Temporal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import { generateTable } from '../../bench/generator';
import type { CatalogStore } from '../../catalog/store';
import { stripPassword } from '../../catalog/url';
import { loadHistory } from '../catalog/helpers';
import { PG_URL } from '../support/env';
import { runCli } from '../support/run-cli';
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

const suite = integrationSuite('export-dead-catalog');
const VERSIONS = 1200;
/** The relay is cut once the destination holds this many commit files (the first range writes 1000). */
const CUT_AT_FILES = 60;
const SCHEMA = `hangs_export_${process.pid}`;
let restoreEnv = (): void => undefined;
let relay: TcpRelay;
let pg: Client;
let store: CatalogStore;

beforeAll(async () => {
  restoreEnv = workerEnvironment(suite);
  relay = await relayTo(PG_URL);
  pg = await directClient();
  await dropSchemas(pg, SCHEMA);
  store = await suite.open(directCatalog(SCHEMA));
});

afterAll(async () => {
  await relay?.close();
  if (pg) await dropSchemas(pg, SCHEMA);
  await pg?.end();
  restoreEnv();
});

const commitFiles = (dest: string): string[] => {
  const dir = path.join(dest, '_delta_log');
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => /^\d{20}\.json$/.test(f)) : [];
};
const logListing = (dest: string): string[] => fs.readdirSync(path.join(dest, '_delta_log')).sort();

test('a catalog cut mid-export fails it within --catalog-timeout (exit 1, CatalogUnavailable, workflow FAILED), with only whole files written; restored, the export completes', async () => {
  const src = path.join(suite.tmp, 'src');
  await generateTable({
    dir: src,
    versions: VERSIONS,
    addsPerVersion: 2,
    removesPerVersion: 1,
    checkpointInterval: 500,
    crcInterval: 0,
    seed: 1415,
  });
  const hist = await loadHistory(src);
  const t = await store.ensureTable({ location: src, name: 'exp' });
  await store.writeVersions(t.tableId, hist.commits);

  const catalog = relayedCatalog(relay, SCHEMA);
  const dest = path.join(suite.tmp, 'dest');
  const args = ['export', '--catalog', catalog, '--table', 'exp', '--to', dest, '--catalog-timeout', '5s'];
  const run = await suite.h.withWorker(() =>
    runCutAt(args, relay, async () => commitFiles(dest).length >= CUT_AT_FILES),
  );
  const first = run.result;

  expect(run.cutInFlight).toBe(true);
  expect(first.code).toBe(1);
  const waiting = waitingLines(first.stderr);
  expect(waiting.length).toBeGreaterThan(0);
  expect(waiting[0]).toMatch(waitingLinePattern(catalog));
  // The one error line names the catalog (no password in it: the URL has none, the worker read PGPASSWORD).
  expect(lastLine(first.stderr)).toMatch(
    new RegExp(
      `^error: CatalogUnavailable: gave up after 5s: .*${catalog.split('?')[0].replace(/[.]/g, '\\.')}`,
    ),
  );
  expect(run.secondsAfterCut).toBeLessThan(boundSeconds(5));
  const workflowId = /^Export workflow (\S+)$/m.exec(first.stderr)?.[1];
  expect(workflowId).toBeDefined();
  const d = await suite.h.client.workflow.getHandle(workflowId as string).describe();
  expect(d.status.name).toBe('FAILED');

  // Nothing half-written: the commits there are whole (the catalog's bytes), no temp files, no
  // _last_checkpoint (it is written last), and fewer commits than the table has.
  const partial = logListing(dest);
  const written = commitFiles(dest).sort();
  expect(written.length).toBeGreaterThanOrEqual(CUT_AT_FILES);
  expect(written.length).toBeLessThan(VERSIONS);
  expect(partial.filter((f) => f.includes('.tmp') || f.startsWith('.'))).toEqual([]);
  expect(partial).not.toContain('_last_checkpoint');
  for (const f of written) {
    const bytes = await store.commitBytes(t.tableId, Number(f.slice(0, 20)));
    expect({ f, equal: fs.readFileSync(path.join(dest, '_delta_log', f)).equals(bytes as Buffer) }).toEqual({
      f,
      equal: true,
    });
  }

  // The catalog is back: the same command completes the log, file for file a clean export.
  await relay.reopen();
  const second = await suite.h.withWorker(() => runCli([...args, '--format', 'json']));
  expect({ code: second.code, stderr: second.stderr }).toEqual({ code: 0, stderr: '' });
  const clean = path.join(suite.tmp, 'clean');
  const third = await suite.h.withWorker(() =>
    runCli([
      'export',
      '--catalog',
      stripPassword(directCatalog(SCHEMA)),
      '--table',
      'exp',
      '--to',
      clean,
      '--format',
      'json',
    ]),
  );
  expect(third.code).toBe(0);
  expect(logListing(dest)).toEqual(logListing(clean));
  for (const f of logListing(clean).filter((n) => !n.includes('checkpoint'))) {
    expect({
      f,
      equal: fs
        .readFileSync(path.join(dest, '_delta_log', f))
        .equals(fs.readFileSync(path.join(clean, '_delta_log', f))),
    }).toEqual({ f, equal: true });
  }
  expect(logListing(clean)).toContain('_last_checkpoint');
}, 150_000);

test('a misconfigured catalog (unknown database) fails the export at once: exit 1, CatalogMisconfigured, no waiting line', async () => {
  const u = new URL(stripPassword(directCatalog(SCHEMA)));
  u.pathname = '/deltasql_no_such_db';
  // With 10 minutes to wait, only a failure without waiting ends within the test's timeout.
  const r = await suite.h.withWorker(() =>
    runCli([
      'export',
      '--catalog',
      u.href,
      '--table',
      'exp',
      '--to',
      path.join(suite.tmp, 'nodb'),
      '--catalog-timeout',
      '10m',
    ]),
  );
  expect(r.code).toBe(1);
  expect(waitingLines(r.stderr)).toEqual([]);
  expect(lastLine(r.stderr)).toMatch(
    /^error: CatalogMisconfigured: cannot connect to catalog .*deltasql_no_such_db.*does not exist/,
  );
}, 60_000);
