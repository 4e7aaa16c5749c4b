/**
 * Follow mode on the real dev server: a live writer appends commits (and a checkpoint) in bursts
 * while followTableWorkflow runs; the catalog converges, parity holds at every version, lag is
 * reported through the status query and the DeltaLagSeconds search attribute, and continue-as-new
 * carries the state. Plus the single-writer guarantee against a manual import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { defaultDeps, type ActivityDeps } from '../../activities/deps';
import { awaitImport, startImport } from '../../client/import-client';
import { followStatus, startFollow, stopFollow, syncInput } from '../../client/sync-client';
import { createImportWorker } from '../../workers/worker';
import { syncOnceWorkflow } from '../../workflows';
import { SA_IMPORTED_VERSION, SA_LAG_SECONDS } from '../../workflows/search-attributes';
import { importInput, sessionOf } from '../support/import';
import { expectParityAtEveryVersion } from '../support/parity';
import { integrationSuite } from '../support/suite';
import { sharedWorkflowBundle } from '../support/workflow-bundle';
import { append, lastVersion, liveTable, sleep, waitFor, waitForVersion } from './helpers';

const suite = integrationSuite('sync-follow');
const { tmp, open } = suite;

test('follow: bursts of commits and a checkpoint converge with parity at every version; lag 0; stop signal', async () => {
  const dir = await liveTable(path.join(tmp, 'live'), 12);
  const catalog = `sqlite:///${path.join(tmp, 'follow.db')}`;
  const input = syncInput({ source: dir, catalog });
  const store = await open(catalog);
  let latest = 11;
  await suite.h.withWorker(async () => {
    const f = await startFollow(suite.h.client, suite.h.env, input, {
      pollIntervalMs: 100,
      longPollMs: 1000,
      continueAsNewAfterPolls: 4,
    });
    expect(f.attached).toBe(false);
    await waitForVersion(store, input.name, 11);
    for (const burst of [3, 5, 4]) {
      latest = await append(dir, latest, burst); // versions 12..23, checkpoint at 20
      await sleep(300);
    }
    expect(fs.existsSync(path.join(dir, '_delta_log', '00000000000000000020.checkpoint.parquet'))).toBe(true);
    await waitForVersion(store, input.name, latest);
    // continue-as-new after 4 polls carries the state (rounds, samples) into the next run
    const st = await waitFor('follow status caught up after continue-as-new', async () => {
      const s = await followStatus(suite.h.client, f.workflowId);
      return s.importedVersion === latest && s.lagSeconds === 0 && s.continuedAsNew >= 1 ? s : undefined;
    });
    expect(st.sourceVersion).toBe(latest);
    expect(st.rounds).toBeGreaterThanOrEqual(2);
    expect(st.continuedAsNew).toBeGreaterThanOrEqual(1);
    expect(st.wallLag.samples.length).toBe(st.rounds <= 100 ? st.rounds : 100);
    expect(st.wallLag.p95Seconds).not.toBeNull();
    // the search attributes are published once per round: the last round left lag 0 at `latest`
    const sa = await waitFor('published lag', async () => {
      const d = await f.handle.describe();
      const lag = d.typedSearchAttributes.get(SA_LAG_SECONDS);
      return lag === 0 && d.typedSearchAttributes.get(SA_IMPORTED_VERSION) === latest ? lag : undefined;
    });
    expect(sa).toBe(0);
    await stopFollow(suite.h.client, f.workflowId);
    const final = await f.handle.result();
    expect(final.stopping).toBe(true);
    expect(final.importedVersion).toBe(latest);
  });
  const row = await store.findTable(input.name);
  expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(latest + 1);
  // every round ran under the table's fixed import id and completed
  const runs = await store.listRuns(row!.tableId, 100);
  expect(runs.every((r) => r.status === 'completed' && r.workflowId === input.importWorkflowId)).toBe(true);
});

/** Activity deps whose table opener blocks while the gate is closed: holds an import in planImport. */
function gatedDeps(): { deps: ActivityDeps; close(): void; open(): void; dispose(): Promise<void> } {
  const base = defaultDeps();
  let gate: Promise<void> = Promise.resolve();
  let release: () => void = () => undefined;
  return {
    deps: {
      catalog: base.catalog,
      table: async (uri) => {
        await gate;
        return base.table(uri);
      },
    },
    close() {
      gate = new Promise((r) => (release = r));
    },
    open: () => release(),
    dispose: () => base.close(),
  };
}

test('single writer: a manual import attaches to the follow round running under the same id, and a sync round waits for a manual import', async () => {
  const dir = await liveTable(path.join(tmp, 'writer'), 6);
  const catalog = `sqlite:///${path.join(tmp, 'writer.db')}`;
  const input = syncInput({ source: dir, catalog, name: 'writer' });
  const store = await open(catalog);
  const gated = gatedDeps();
  const { worker, close } = await createImportWorker({
    connection: suite.h.native,
    namespace: 'default',
    taskQueue: suite.h.taskQueue,
    deps: gated.deps,
    workflowBundlePath: await sharedWorkflowBundle(),
  });
  try {
    await worker.runUntil(async () => {
      // 1. the follow's round holds the import id (blocked in planImport); a manual import attaches to it
      gated.close();
      const f = await startFollow(suite.h.client, suite.h.env, input, {
        pollIntervalMs: 100,
        longPollMs: 1000,
      });
      const child = suite.h.client.workflow.getHandle(input.importWorkflowId);
      const d = await waitFor('follow child import running', async () => {
        const x = await child.describe();
        return x.status.name === 'RUNNING' ? x : undefined;
      });
      expect(d.parentExecution?.workflowId).toBe(f.workflowId);
      const manual = await startImport(
        sessionOf(suite.h),
        suite.h.env,
        importInput(dir, catalog, { name: 'writer' }),
      );
      expect(manual.attached).toBe(true);
      expect(manual.workflowId).toBe(input.importWorkflowId);
      gated.open();
      const r = await awaitImport(manual, null);
      expect(r.targetVersion).toBe(5);
      await stopFollow(suite.h.client, f.workflowId);
      await f.handle.result();

      // 2. a manual import holds the id; a scheduled-style round waits for it instead of writing too
      const latest = await append(dir, 5, 3);
      gated.close();
      const manual2 = await startImport(
        sessionOf(suite.h),
        suite.h.env,
        importInput(dir, catalog, { name: 'writer' }),
      );
      expect(manual2.attached).toBe(false);
      const round = suite.h.client.workflow.execute(syncOnceWorkflow, {
        taskQueue: suite.h.taskQueue,
        workflowId: `sync-round-${Date.now()}`,
        args: [input],
      });
      await sleep(1500);
      expect(await lastVersion(store, 'writer')).toBe(5);
      gated.open();
      const done = await round;
      expect(done.waitedForRunningImport).toBe(true);
      expect(done.status).toBe('up-to-date');
      expect((await awaitImport(manual2, null)).targetVersion).toBe(latest);
    });
  } finally {
    await close();
    await gated.dispose();
  }
  const row = await store.findTable('writer');
  const runs = (await store.listRuns(row!.tableId, 100)).sort((a, b) => a.startedAt - b.startedAt);
  expect(runs.map((r) => r.status)).toEqual(['completed', 'completed']);
  expect(runs[0].finishedAt!).toBeLessThanOrEqual(runs[1].startedAt);
  expect(await expectParityAtEveryVersion(store, row!.tableId, dir)).toBe(9);
});
