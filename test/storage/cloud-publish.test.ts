/**
 * SQL-primary tables on the GCS and Azure emulators, through the CLI as users run it: `create
 * --location gs://…` (az://), four `append --copy` (the parquet files are uploaded into the
 * bucket), each commit waking the publisher workflow (real Temporal, in-process worker), which
 * writes every version to `_delta_log` with put-if-absent (`ifGenerationMatch: 0` on GCS,
 * `If-None-Match: *` on Azure), its `.crc`, and a checkpoint every 2 versions. delta-rs (the
 * independent reader, its own object_store client) then reads the published table from the
 * emulator at every version: files, sizes, schema and the rows of the uploaded files. A file a
 * foreign writer put at the next version stops `deltasql publish` with ForeignCommit, untouched.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStore } from '../../storage/object-store';
import { AZURE_CONNECTION_STRING, GCS_ENDPOINT, TEMPORAL_ADDRESS } from '../support/env';
import { runCli } from '../support/run-cli';
import { integrationSuite } from '../support/suite';
import {
  deltaRsVersions,
  expectSameStateAtEveryVersion,
  makeParquetFiles,
  SCHEMA,
  type ParquetInput,
} from '../sql-primary/helpers';
import { createBucket, deltaRsOptions, storeFor, unique, type StoreKind } from './stores';

jest.setTimeout(180_000);
const suite = integrationSuite('cloud-publish');
const saved = { ...process.env };
const APPENDS = 4;
const v20 = (v: number): string => String(v).padStart(20, '0');
let inputs: ParquetInput[];
let schemaFile: string;

beforeAll(async () => {
  Object.assign(process.env, {
    TEMPORAL_ADDRESS,
    DELTASQL_TASK_QUEUE: suite.h.taskQueue,
    STORAGE_EMULATOR_HOST: GCS_ENDPOINT,
    AZURE_STORAGE_CONNECTION_STRING: AZURE_CONNECTION_STRING,
  });
  inputs = await makeParquetFiles(path.join(suite.tmp, 'src'), APPENDS + 1);
  schemaFile = path.join(suite.tmp, 'schema.json');
  fs.writeFileSync(schemaFile, JSON.stringify(SCHEMA));
});
afterAll(() => {
  process.env = saved;
});

async function logNames(store: ObjectStore): Promise<string[]> {
  const out: string[] = [];
  for await (const m of store.list('_delta_log/')) out.push(m.path.slice('_delta_log/'.length));
  return out;
}

describe.each([
  ['gcs', (b: string) => `gs://${b}`],
  ['azure', (b: string) => `az://${b}`],
] as const)('%s', (kind: StoreKind & ('gcs' | 'azure'), uriOf) => {
  const bucket = unique(`pub-${kind}`);
  const location = `${uriOf(bucket)}/events`;
  const db = `sqlite:///${path.join(suite.tmp, `${kind}.db`)}`;
  const base = ['--catalog', db, '--table', 'events'];
  let log: ObjectStore;

  beforeAll(async () => {
    await createBucket(kind, bucket);
    log = storeFor(kind, bucket, 'events');
  });

  test('create + 4 appends through the CLI: the publisher workflow publishes; delta-rs reads every version', async () => {
    await suite.h.withWorker(async () => {
      const c = await runCli([
        'create',
        ...base,
        '--location',
        location,
        '--schema',
        schemaFile,
        '--property',
        'delta.checkpointInterval=2',
        '--json',
      ]);
      expect([c.code, c.stdout]).toEqual([0, expect.stringContaining(location)]);
      for (let i = 0; i < APPENDS; i++) {
        const a = await runCli(['append', ...base, inputs[i].path, '--copy', '--json']);
        expect([a.code, JSON.parse(a.stdout)]).toEqual([0, expect.objectContaining({ version: i + 1 })]);
      }
      const deadline = Date.now() + 60_000;
      for (;;) {
        const st = await runCli(['status', ...base, '--format', 'json']);
        const row = JSON.parse(st.stdout).tables[0] as { publishedVersion: number | null };
        if (row.publishedVersion === APPENDS) break;
        if (Date.now() > deadline) throw new Error(`published ${row.publishedVersion} of ${APPENDS}`);
        await sleep(200);
      }
    });
    // Every version once, its crc, checkpoints at 2 and 4 and _last_checkpoint; nothing else.
    const commits = Array.from({ length: APPENDS + 1 }, (_, v) => v);
    expect(await logNames(log)).toEqual(
      [
        ...commits.flatMap((v) => [`${v20(v)}.json`, `${v20(v)}.crc`]),
        `${v20(2)}.checkpoint.parquet`,
        `${v20(4)}.checkpoint.parquet`,
        '_last_checkpoint',
      ].sort(),
    );
    expect(JSON.parse((await log.get('_delta_log/_last_checkpoint')).toString())).toMatchObject({
      version: 4,
    });
    const cat = await suite.open(db);
    for (const v of commits) {
      const bytes = await log.get(`_delta_log/${v20(v)}.json`);
      expect([v, bytes.equals((await cat.commitBytes('events', v)) as Buffer)]).toEqual([v, true]);
    }
    // The independent reader, straight from the emulator.
    const rs = await deltaRsVersions(location, commits, deltaRsOptions(kind, suite.tmp));
    const tableId = (await cat.findTable('events'))?.tableId ?? '';
    for (const v of commits) {
      const snap = await cat.snapshot(tableId, { version: v, includeFiles: true });
      const files = (snap.files ?? []).map((f) => decodeURIComponent(f.path)).sort();
      expect({ v, files: rs[v].files }).toEqual({ v, files });
      expect(rs[v].sizes).toEqual(
        Object.fromEntries((snap.files ?? []).map((f) => [decodeURIComponent(f.path), f.size])),
      );
      expect(JSON.parse(rs[v].schema)).toEqual(JSON.parse(snap.metadata.schemaString));
      expect(rs[v].ids).toEqual(
        inputs
          .slice(0, v)
          .flatMap((f) => f.ids)
          .sort((a, b) => a - b),
      );
    }
    // The uploaded data files are in the bucket under the table root.
    for (const f of rs[APPENDS].files) expect((await log.head(f))?.size).toBe(rs[APPENDS].sizes[f]);
    // Our own log reader agrees with the catalog at every version too.
    expect(await expectSameStateAtEveryVersion(cat, 'events', location)).toBe(APPENDS + 1);
  });

  test('a foreign file at the next version: publish stops with ForeignCommit and overwrites nothing', async () => {
    process.env.TEMPORAL_ADDRESS = ''; // the one-shot `publish` below is the only publisher
    try {
      const a = await runCli(['append', ...base, inputs[APPENDS].path, '--copy', '--json']);
      expect([a.code, JSON.parse(a.stdout).version]).toEqual([0, APPENDS + 1]);
      const file = `_delta_log/${v20(APPENDS + 1)}.json`;
      const foreign = '{"commitInfo":{"operation":"WRITE","engineInfo":"foreign"}}\n';
      expect(await log.putIfAbsent(file, foreign)).toBe(true);
      const p = await runCli(['publish', ...base, '--json']);
      expect([p.code, JSON.parse(p.stdout).error]).toEqual([
        1,
        expect.objectContaining({ type: 'ForeignCommit', message: expect.stringContaining(file) }),
      ]);
      expect((await log.get(file)).toString()).toBe(foreign);
      const st = await runCli(['status', ...base, '--format', 'json']);
      expect(JSON.parse(st.stdout).tables[0]).toMatchObject({
        lastImportedVersion: APPENDS + 1,
        publishedVersion: APPENDS,
      });
    } finally {
      process.env.TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
    }
  });
});
