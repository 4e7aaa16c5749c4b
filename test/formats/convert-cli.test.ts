/**
 * `deltasql convert SRC --to delta` end to end: the Temporal workflow (footer batches, then the
 * atomic version 0), `--dry-run` writing nothing, and `--import` bringing the new table into the
 * catalog with validation.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import { TEMPORAL_ADDRESS } from '../support/env';
import { runPython } from '../support/python';
import { runCli } from '../support/run-cli';
import { integrationSuite } from '../support/suite';

const s = integrationSuite('convert-cli');
const saved = { ...process.env };
let src: string;

beforeAll(async () => {
  process.env.TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
  process.env.DELTASQL_TASK_QUEUE = s.h.taskQueue;
  src = path.join(s.tmp, 'sales');
  await runPython(
    String.raw`
import json, sys, os, pyarrow as pa, pyarrow.parquet as pq
a = json.load(sys.stdin)
for day in ("2024-01-01", "2024-01-02", "2024-01-03"):
    d = os.path.join(a["src"], f"day={day}")
    os.makedirs(d, exist_ok=True)
    for i in range(2):
        pq.write_table(pa.table({"id": pa.array([i, i + 10], pa.int64()), "amount": [1.5, 2.5]}), os.path.join(d, f"part-{i}.parquet"))
print(json.dumps({}))
`,
    { src },
  );
});
afterAll(() => {
  process.env = saved;
});

test('--dry-run reports files, rows, bytes and the schema, and writes nothing', async () => {
  const r = await runCli(['convert', src, '--to', 'delta', '--dry-run', '--format', 'json']);
  expect(r.code).toBe(0);
  const out = JSON.parse(r.stdout) as {
    files: number;
    rows: number;
    partitionColumns: string[];
    schema: { fields: { name: string; type: string }[] };
  };
  expect(out).toMatchObject({ files: 6, rows: 12, partitionColumns: ['day'] });
  expect(out.schema.fields.map((f) => [f.name, f.type])).toEqual([
    ['id', 'long'],
    ['amount', 'double'],
    ['day', 'date'],
  ]);
  expect(fs.existsSync(path.join(src, '_delta_log'))).toBe(false);
});

test('the workflow converts the folder and --import imports it with validation', async () => {
  const catalog = `sqlite:///${path.join(s.tmp, 'catalog.db')}`;
  const r = await s.h.withWorker(() =>
    runCli([
      'convert',
      src,
      '--to',
      'delta',
      '--partition-by',
      'day',
      '--import',
      '--catalog',
      catalog,
      '--format',
      'json',
    ]),
  );
  expect(r.code).toBe(0);
  expect(fs.readdirSync(path.join(src, '_delta_log'))).toEqual(['00000000000000000000.json']);
  const store = await openCatalog(catalog);
  try {
    const t = await store.findTable('sales');
    expect(t?.lastVersion).toBe(0);
    expect((await store.files(t?.tableId as string, {})).length).toBe(6);
  } finally {
    await store.close();
  }
  const again = await s.h.withWorker(() => runCli(['convert', src, '--to', 'delta', '--format', 'json']));
  expect(again.code).toBe(1);
  expect(JSON.parse(again.stdout).error.type).toBe('VersionConflict');
});

test('a --partition-by that does not match the folders is refused before anything is written', async () => {
  const other = path.join(s.tmp, 'other');
  fs.cpSync(src, other, { recursive: true });
  fs.rmSync(path.join(other, '_delta_log'), { recursive: true });
  const r = await s.h.withWorker(() =>
    runCli(['convert', other, '--to', 'delta', '--partition-by', 'region', '--format', 'json']),
  );
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout).error).toMatchObject({ type: 'InvalidArgument' });
  expect(fs.existsSync(path.join(other, '_delta_log'))).toBe(false);
});

test('an unwritable destination is a DestinationNotWritable error at once, with nothing written', async () => {
  const blocked = path.join(s.tmp, 'blocked');
  fs.cpSync(src, blocked, { recursive: true });
  fs.rmSync(path.join(blocked, '_delta_log'), { recursive: true, force: true });
  // Root ignores permission bits; a regular file where the log folder goes stops every writer.
  fs.writeFileSync(path.join(blocked, '_delta_log'), 'not a folder');
  const before = fs.readdirSync(blocked, { recursive: true }).sort();
  const t0 = Date.now();
  const r = await s.h.withWorker(() => runCli(['convert', blocked, '--to', 'delta', '--format', 'json']));
  expect(r.code).toBe(1);
  expect(JSON.parse(r.stdout).error).toMatchObject({
    type: 'DestinationNotWritable',
    message: expect.stringContaining(`${blocked}/_delta_log`),
  });
  expect(Date.now() - t0).toBeLessThan(30_000); // non-retryable: no retry policy spinning
  expect(fs.readdirSync(blocked, { recursive: true }).sort()).toEqual(before);
  expect(fs.readFileSync(path.join(blocked, '_delta_log'), 'utf8')).toBe('not a folder');
});
