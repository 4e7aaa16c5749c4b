/**
 * A checkpoint-only import whose tail after the checkpoint is short loads the checkpoint and the
 * tail in one activity (`loadCheckpointAndTail`, patch `checkpoint-with-tail`, issue 21), and
 * planImport / finishRun run as local activities (patch `import-local-steps`), on the
 * real Temporal dev server into SQLite and PostgreSQL: the same rows as the log at every imported
 * version, and the history replays.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client as PgClient } from 'pg';
import { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { generateTable } from '../../bench/generator';
import { PG_URL } from '../support/env';
import { importInput, runImport } from '../support/import';
import { expectParityAtEveryVersion } from '../support/parity';
import { integrationSuite } from '../support/suite';

const suite = integrationSuite('cp-tail');
const { tmp, open } = suite;
const pgSchema = `cp_tail_${process.pid}`;

afterAll(async () => {
  const pg = new PgClient({ connectionString: PG_URL });
  await pg.connect();
  await pg.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
  await pg.end();
});

/** Activity types scheduled in a workflow history, in order. */
function scheduled(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((e) => {
    const name = e.activityTaskScheduledEventAttributes?.activityType?.name;
    return name ? [name] : [];
  });
}

/** Activity types run as local activities (their history markers), in order. */
function local(history: temporal.api.history.v1.IHistory): string[] {
  return (history.events ?? []).flatMap((e) => {
    const m = e.markerRecordedEventAttributes;
    if (m?.markerName !== 'core_local_activity') return [];
    const data = m.details?.data?.payloads?.[0]?.data;
    if (!data) return [];
    const parsed: unknown = JSON.parse(Buffer.from(data).toString('utf8'));
    const type =
      typeof parsed === 'object' && parsed !== null
        ? (parsed as Record<string, unknown>).activity_type
        : null;
    return typeof type === 'string' ? [type] : [];
  });
}

async function table(name: string, versions: number, checkpointInterval: number): Promise<string> {
  const dir = fs.mkdtempSync(path.join(tmp, `${name}-`));
  await generateTable({
    dir,
    versions,
    addsPerVersion: 4,
    removesPerVersion: 1,
    checkpointInterval,
    seed: 11,
  });
  return dir;
}

describe.each([
  ['sqlite', (n: string) => `sqlite:///${path.join(tmp, `${n}.db`)}`],
  ['postgres', () => `${PG_URL}?schema=${pgSchema}`],
])('into %s', (engine, catalogUrl) => {
  test('checkpoint 30 and versions 31-44 are one activity, with parity at every version', async () => {
    const dir = await table(`tail-${engine}`, 45, 15);
    const name = `tail_${engine}`;
    const r = await runImport(
      suite.h,
      importInput(dir, catalogUrl('tail'), { mode: 'checkpoint-only', name, skipValidation: false }),
    );
    expect([r.startVersion, r.targetVersion, r.versionsImported]).toEqual([30, 44, 15]);
    expect(r.validation?.passed).toBe(true);
    const history = await suite.h.client.workflow.getHandle(r.workflowId).fetchHistory();
    expect(scheduled(history)).toEqual(['checkCatalog', 'loadCheckpointAndTail', 'validateImport']);
    expect(local(history)).toEqual(['planImport', 'finishRun']);
    const store = await open(catalogUrl('tail'));
    const row = await store.findTable(name);
    expect([row?.baselineVersion, row?.firstVersion, row?.lastVersion]).toEqual([30, 30, 44]);
    expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(15);
    await expect(
      Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows') }, history, r.workflowId),
    ).resolves.toBeUndefined();
  });
});

test('a tail longer than one range (100 versions) keeps loadCheckpoint and importRange', async () => {
  const dir = await table('long-tail', 260, 150);
  const cat = `sqlite:///${path.join(tmp, 'long.db')}`;
  const r = await runImport(suite.h, importInput(dir, cat, { mode: 'checkpoint-only', name: 'long' }));
  expect([r.startVersion, r.targetVersion, r.versionsImported]).toEqual([150, 259, 110]);
  const history = await suite.h.client.workflow.getHandle(r.workflowId).fetchHistory();
  const acts = scheduled(history);
  expect(acts).not.toContain('loadCheckpointAndTail');
  expect(acts.slice(0, 3)).toEqual(['checkCatalog', 'loadCheckpoint', 'importRange']);
  expect(local(history)).toEqual(['planImport', 'finishRun']);
  const store = await open(cat);
  const row = await store.findTable('long');
  expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(110);
});
