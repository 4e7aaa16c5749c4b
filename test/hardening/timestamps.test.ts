/**
 * Timestamps as Spark reads them: file modification times are monotonized before timestamp to
 * version, a timestamp after the latest commit is TimestampAfterLatestCommit, and the Delta 3.2
 * `-preview` in-commit-timestamp keys are honoured. The log reader (commits(), replay, time
 * travel) and the SQL catalog (both engines) give the same answers.
 */
import * as fs from 'node:fs';
import { openCatalog } from '../../catalog/open';
import type { CatalogStore } from '../../catalog/store';
import { DeltaTable } from '../../delta/table';
import {
  collect,
  dropPgSchema,
  pgUrl,
  sqliteUrl,
  tempDir,
  uniqueSchema,
  writeCommit,
} from '../catalog/helpers';

const B = 1_700_000_000_000;
const schema = uniqueSchema('ts');
const dir = tempDir('deltasql-ts-');
let stores: CatalogStore[] = [];

beforeAll(async () => {
  stores = [await openCatalog(sqliteUrl(dir)), await openCatalog(pgUrl(schema))];
});
afterAll(async () => {
  for (const s of stores) await s.close();
  await dropPgSchema(schema);
  fs.rmSync(dir, { recursive: true, force: true });
});

const meta = (configuration: Record<string, string>): object => ({
  metaData: {
    id: 'm',
    format: { provider: 'parquet', options: {} },
    schemaString: '{"type":"struct","fields":[]}',
    partitionColumns: [],
    configuration,
  },
});
const protocol = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };
const add = (p: string): object => ({
  add: { path: p, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true },
});

async function imported(root: string, name: string): Promise<string[]> {
  const dt = await DeltaTable.open(root);
  const commits = await collect(dt.commits(0, await dt.latestVersion()));
  const ids: string[] = [];
  for (const s of stores) {
    const t = await s.ensureTable({ location: root, name });
    await s.writeVersions(t.tableId, commits);
    ids.push(t.tableId);
  }
  return ids;
}

/** The version every reader resolves `ts` to, or the error type; all must agree. */
async function resolveAll(root: string, ids: string[], ts: number): Promise<(number | string)[]> {
  const dt = await DeltaTable.open(root);
  const out: (number | string)[] = [];
  const settle = (p: Promise<{ version: number }>): Promise<number | string> =>
    p.then(
      (s) => s.version,
      (e: { type?: string }) => e.type ?? String(e),
    );
  out.push(await settle(dt.snapshot({ timestamp: ts }, { includeFiles: false })));
  for (const [i, s] of stores.entries())
    out.push(await settle(s.snapshot(ids[i], { timestamp: ts, includeFiles: false })));
  return out;
}

test('modification times are monotonized; a timestamp after the latest commit is an error (log and SQL)', async () => {
  const root = tempDir('deltasql-mono-');
  // Copied out of order: version 0 got the newest file time.
  writeCommit(root, 0, [protocol, meta({}), add('a')], B + 3000);
  writeCommit(root, 1, [add('b')], B + 1000);
  writeCommit(root, 2, [add('c')], B + 2000);
  const ids = await imported(root, 'mono');
  const same = (x: number | string): (number | string)[] => [x, x, x];
  expect(await resolveAll(root, ids, B + 2500)).toEqual(same('VersionNotFound'));
  expect(await resolveAll(root, ids, B + 3000)).toEqual(same(0));
  expect(await resolveAll(root, ids, B + 3001)).toEqual(same(1));
  expect(await resolveAll(root, ids, B + 3002)).toEqual(same(2));
  expect(await resolveAll(root, ids, B + 3003)).toEqual(same('TimestampAfterLatestCommit'));
  fs.rmSync(root, { recursive: true, force: true });
});

test('Delta 3.2 preview ICT keys: commits(), replay and time travel all use inCommitTimestamp', async () => {
  const root = tempDir('deltasql-ict-');
  const ict = (v: number): number => B + 100_000 + v * 1000;
  const info = (v: number): object => ({ commitInfo: { inCommitTimestamp: ict(v), operation: 'WRITE' } });
  const conf = {
    'delta.enableInCommitTimestamps-preview': 'true',
    'delta.inCommitTimestampEnablementVersion-preview': '0',
    'delta.inCommitTimestampEnablementTimestamp-preview': String(ict(0)),
  };
  writeCommit(root, 0, [info(0), protocol, meta(conf), add('a')], B + 5);
  for (let v = 1; v <= 3; v++) writeCommit(root, v, [info(v), add(`f${v}`)], B + 5 - v);
  const dt = await DeltaTable.open(root);
  const fromCommits = (await collect(dt.commits(0, 3))).map((c) => c.timestamp);
  const fromReplay: number[] = [];
  for (let v = 0; v <= 3; v++)
    fromReplay.push((await dt.snapshot({ version: v }, { includeFiles: false })).timestamp);
  expect(fromCommits).toEqual([0, 1, 2, 3].map(ict));
  expect(fromReplay).toEqual(fromCommits);
  const ids = await imported(root, 'ict');
  for (let v = 0; v <= 3; v++) {
    expect(await resolveAll(root, ids, ict(v))).toEqual([v, v, v]);
    if (v < 3) expect(await resolveAll(root, ids, ict(v) + 500)).toEqual([v, v, v]);
  }
  expect(await resolveAll(root, ids, ict(3) + 1)).toEqual(Array(3).fill('TimestampAfterLatestCommit'));
  fs.rmSync(root, { recursive: true, force: true });
});
