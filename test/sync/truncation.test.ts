/**
 * Log cleanup while syncing. Retention that removed commits right after the last imported
 * version fails the round (scheduled or follow) with LogTruncated saying how to recover, and
 * leaves the catalog untouched; cleanup of commits the catalog already has is harmless.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CatalogStore } from '../../catalog/store';
import { DeltaSqlError } from '../../common/errors';
import { DeltaTable } from '../../delta/table';
import { unwrapFailure } from '../../client/import-client';
import { startFollow, syncInput } from '../../client/sync-client';
import { syncOnceWorkflow } from '../../workflows';
import type { SyncInput } from '../../workflows/sync-types';
import { importInput, runImport } from '../support/import';
import { expectParityAtEveryVersion } from '../support/parity';
import { integrationSuite } from '../support/suite';
import { liveTable } from './helpers';

const suite = integrationSuite('sync-truncation');
const { tmp, open } = suite;

const logFile = (dir: string, v: number, ext: string): string =>
  path.join(dir, '_delta_log', `${String(v).padStart(20, '0')}.${ext}`);

function removeCommits(dir: string, from: number, to: number): void {
  for (let v = from; v <= to; v++) {
    fs.rmSync(logFile(dir, v, 'json'));
    fs.rmSync(logFile(dir, v, 'crc'), { force: true });
  }
}

const runRound = (input: SyncInput) =>
  suite.h.client.workflow.execute(syncOnceWorkflow, {
    taskQueue: suite.h.taskQueue,
    workflowId: `sync-round-${input.name}-${Date.now()}`,
    args: [input],
  });

/** 30 versions (checkpoints 10 and 20), imported up to 12. */
async function importedUpTo12(name: string): Promise<{ dir: string; catalog: string; store: CatalogStore }> {
  const dir = await liveTable(path.join(tmp, name), 30);
  const catalog = `sqlite:///${path.join(tmp, `${name}.db`)}`;
  const r = await runImport(suite.h, importInput(dir, catalog, { name, upToVersion: 12 }));
  expect(r.targetVersion).toBe(12);
  const store = await open(catalog);
  return { dir, catalog, store };
}

test('commits right after the last imported version were removed: the round and follow fail with LogTruncated; catalog unchanged', async () => {
  const { dir, catalog, store } = await importedUpTo12('trunc');
  removeCommits(dir, 13, 15);
  // the table itself is still readable (checkpoint 20 and the commits after it)
  expect(await (await DeltaTable.open(dir)).latestVersion()).toBe(29);
  const input = syncInput({ source: dir, catalog, name: 'trunc' });
  const [roundErr, followErr] = await suite.h.withWorker(async () => {
    const a = await runRound(input).then(
      () => null,
      (e: unknown) => unwrapFailure(e),
    );
    const f = await startFollow(suite.h.client, suite.h.env, input, { pollIntervalMs: 100, longPollMs: 500 });
    const b = await f.handle.result().then(
      () => null,
      (e: unknown) => unwrapFailure(e),
    );
    return [a, b];
  });
  for (const err of [roundErr, followErr]) {
    expect(err).toBeInstanceOf(DeltaSqlError);
    expect((err as DeltaSqlError).type).toBe('LogTruncated');
    expect((err as DeltaSqlError).message).toContain('00000000000000000013.json');
    expect((err as DeltaSqlError).message).toMatch(/--force --mode checkpoint-only/);
  }
  const row = await store.findTable('trunc');
  expect(row?.lastVersion).toBe(12);
  expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(13);
});

test('cleanup of commits the catalog already holds does not disturb the next round', async () => {
  const { dir, catalog, store } = await importedUpTo12('cleaned');
  removeCommits(dir, 0, 9); // older than checkpoint 10: a normal log cleanup
  const input = syncInput({ source: dir, catalog, name: 'cleaned' });
  const r = await suite.h.withWorker(() => runRound(input));
  expect(r).toMatchObject({
    status: 'imported',
    fromVersion: 13,
    toVersion: 29,
    versionsImported: 17,
    lagSeconds: 0,
  });
  const again = await suite.h.withWorker(() => runRound(input));
  expect(again.status).toBe('up-to-date');
  // versions 10..29 are still reconstructable from the log: compare each with the catalog
  const row = await store.findTable('cleaned');
  const table = await DeltaTable.open(dir);
  for (let v = 10; v <= 29; v++) {
    const [sql, log] = await Promise.all([
      store.snapshot(row!.tableId, { version: v, includeFiles: true }),
      table.snapshot({ version: v }, { includeFiles: true }),
    ]);
    expect({ v, sql }).toEqual({ v, sql: log });
  }
});

test('a sync round on a path with no Delta log fails with TableNotFound instead of idling', async () => {
  const input = syncInput({
    source: path.join(tmp, 'no-such-table'),
    catalog: `sqlite:///${path.join(tmp, 'none.db')}`,
  });
  const err = await suite.h
    .withWorker(() => runRound(input))
    .then(
      () => null,
      (e: unknown) => unwrapFailure(e),
    );
  expect(err).toBeInstanceOf(DeltaSqlError);
  expect((err as DeltaSqlError).type).toBe('TableNotFound');
  expect((err as DeltaSqlError).message).toContain('no-such-table');
});
