/** Pure client helpers of sync: durations, ids derived from (catalog, table), redaction. */
import { DeltaSqlError } from '../../common/errors';
import { importWorkflowId } from '../../client/import-client';
import {
  followWorkflowId,
  parseDuration,
  redactCatalog,
  resolveFollowId,
  resolveScheduleId,
  syncInput,
  syncScheduleId,
} from '../../client/sync-client';

test('durations: ms, s, m, h, d; garbage and too-short values are InvalidArgument', () => {
  expect(['500ms', '30s', '5m', '1h', '1d', '1.5s'].map((d) => parseDuration('--every', d, 1))).toEqual([
    500, 30_000, 300_000, 3_600_000, 86_400_000, 1_500,
  ]);
  for (const bad of ['10x', '', 's', '-1s', '5 m']) {
    expect(() => parseDuration('--every', bad, 1)).toThrow(DeltaSqlError);
  }
  expect(() => parseDuration('--every', '500ms', 1000)).toThrow(/at least 1000 ms/);
});

test('schedule and follow ids share the import id hash; names resolve through the catalog', () => {
  const cat = 'postgresql://u:secret@db:5432/x';
  const imp = importWorkflowId(cat, 'events');
  const hash = imp.slice('deltasql-import-'.length);
  expect(syncScheduleId(cat, 'events')).toBe(`deltasql-sync-${hash}`);
  expect(followWorkflowId(cat, 'events')).toBe(`deltasql-follow-${hash}`);
  expect(resolveScheduleId('events', cat)).toBe(syncScheduleId(cat, 'events'));
  expect(resolveScheduleId('deltasql-sync-abc', undefined)).toBe('deltasql-sync-abc');
  expect(resolveFollowId('events', cat)).toBe(followWorkflowId(cat, 'events'));
  expect(() => resolveScheduleId('events', undefined)).toThrow(/--catalog/);
  expect(redactCatalog(cat)).toBe('postgresql://u:***@db:5432/x');
  expect(redactCatalog('sqlite:///tmp/a.db')).toBe('sqlite:///tmp/a.db');
});

test('syncInput resolves paths and carries the fixed import id', () => {
  const i = syncInput({ source: 'rel/table/', catalog: 'sqlite:///rel.db' });
  expect(i.source).toBe(`${process.cwd()}/rel/table`);
  expect(i.catalog).toBe(`sqlite:///${process.cwd()}/rel.db`);
  expect(i.name).toBe('table');
  expect(i.importWorkflowId).toBe(importWorkflowId(i.catalog, 'table'));
  expect(i).toMatchObject({ mode: 'full-history', skipValidation: false });
});
