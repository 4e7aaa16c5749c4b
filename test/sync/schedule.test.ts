/**
 * Sync schedules on the real dev server: one Temporal Schedule per table (overlap SKIP) whose
 * action imports the versions appended since the last round; trigger, pause (appended commits
 * stay unimported), unpause (converges), list, describe and delete.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import type { CatalogStore } from '../../catalog/store';
import { DeltaSqlError } from '../../common/errors';
import {
  createSyncSchedule,
  describeSyncSchedule,
  listSyncSchedules,
  resolveScheduleId,
  scheduleOp,
  syncInput,
} from '../../client/sync-client';
import { SA_LAG_SECONDS } from '../../workflows/search-attributes';
import { expectParityAtEveryVersion } from '../support/parity';
import { temporalHarness, type TemporalHarness } from '../support/temporal';
import { append, lastVersion, liveTable, scratch, sleep, waitFor, waitForVersion } from './helpers';

const EVERY_MS = 2_000;
let h: TemporalHarness;
const tmp = scratch('schedule');
let store: CatalogStore | null = null;
const created: string[] = [];

beforeAll(async () => {
  h = await temporalHarness();
});

afterAll(async () => {
  for (const id of created) await scheduleOp(h.client, id, 'delete').catch(() => undefined);
  await store?.close();
  await h?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('schedule: trigger imports appended commits; paused schedules import nothing; unpause converges; delete', async () => {
  const dir = await liveTable(path.join(tmp, 'sched'), 8);
  const catalog = `sqlite:///${path.join(tmp, 'sched.db')}`;
  const input = syncInput({ source: dir, catalog, name: `sched_${process.pid}` });
  store = await openCatalog(catalog);
  const s = store;
  const { scheduleId } = await createSyncSchedule(h.client, h.env, input, EVERY_MS);
  created.push(scheduleId);
  expect(resolveScheduleId(input.name, catalog)).toBe(scheduleId);
  await expect(createSyncSchedule(h.client, h.env, input, EVERY_MS)).rejects.toThrow(/already exists/);

  await h.withWorker(async () => {
    await scheduleOp(h.client, scheduleId, 'trigger');
    await waitForVersion(s, input.name, 7);
    let latest = await append(dir, 7, 6); // 8..13, checkpoint at 10
    await scheduleOp(h.client, scheduleId, 'trigger');
    await waitForVersion(s, input.name, latest);

    const d = await describeSyncSchedule(h.client, h.env, scheduleId);
    expect(d).toMatchObject({
      table: input.name,
      source: input.source,
      everySeconds: 2,
      overlap: 'SKIP',
      paused: false,
    });
    expect(d.actionsTaken).toBeGreaterThanOrEqual(2);
    // the round publishes its lag on its own workflow: 0 once caught up
    const lastRound = h.client.workflow.getHandle(d.recent[d.recent.length - 1].workflowId);
    const result = await lastRound.result();
    expect(result.lagSeconds).toBe(0);
    expect((await lastRound.describe()).typedSearchAttributes.get(SA_LAG_SECONDS)).toBe(0);

    await scheduleOp(h.client, scheduleId, 'pause', 'test pause');
    const paused = await describeSyncSchedule(h.client, h.env, scheduleId);
    expect(paused.paused).toBe(true);
    expect(paused.note).toBe('test pause');
    await waitFor('no running sync round', async () =>
      (await describeSyncSchedule(h.client, h.env, scheduleId)).running.length === 0 ? true : undefined,
    );
    const before = await lastVersion(s, input.name);
    latest = await append(dir, latest, 4);
    await sleep(EVERY_MS * 3);
    expect(await lastVersion(s, input.name)).toBe(before);

    await scheduleOp(h.client, scheduleId, 'unpause');
    expect((await describeSyncSchedule(h.client, h.env, scheduleId)).paused).toBe(false);
    await waitForVersion(s, input.name, latest, EVERY_MS * 5);

    const listed = await waitFor('schedule listed', async () =>
      (await listSyncSchedules(h.client)).find((r) => r.scheduleId === scheduleId),
    );
    expect(listed).toMatchObject({ table: input.name, everySeconds: 2 });
    // leave no round behind on this test's task queue
    await scheduleOp(h.client, scheduleId, 'pause');
    await waitFor('no running sync round', async () =>
      (await describeSyncSchedule(h.client, h.env, scheduleId)).running.length === 0 ? true : undefined,
    );
  });

  const row = await s.findTable(input.name);
  expect(await expectParityAtEveryVersion(s, row!.tableId, dir)).toBe(18);
  await scheduleOp(h.client, scheduleId, 'delete');
  const gone = await describeSyncSchedule(h.client, h.env, scheduleId).catch((e: unknown) => e);
  expect(gone).toBeInstanceOf(DeltaSqlError);
  expect((gone as DeltaSqlError).type).toBe('InvalidArgument');
});
