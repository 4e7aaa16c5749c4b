/**
 * Parquet folder -> Delta, judged by independent readers: pyarrow writes the folders, delta-rs reads
 * the converted table, and the add stats are compared with pyarrow's own footer statistics.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeltaSqlError } from '../../common/errors';
import { commitConversion, planConversion, readFooterBatch } from '../../formats/convert-to-delta';
import { LocalStore } from '../../storage/local-store';
import { runPython } from '../support/python';
import { runCli } from '../support/run-cli';
import { fixture } from '../support/env';

const MAKE_FOLDERS = String.raw`
import json, sys, datetime, decimal, os
import pyarrow as pa, pyarrow.parquet as pq
args = json.load(sys.stdin)
flat, part = args["flat"], args["part"]
os.makedirs(flat, exist_ok=True)
def table(i):
    n = 5 + i
    return pa.table({
        "id": pa.array([i * 100 + k for k in range(n)], pa.int64()),
        "small": pa.array([k for k in range(n)], pa.int32()),
        "name": pa.array([None if k == 1 else f"n{i}-{k}" for k in range(n)], pa.string()),
        "price": pa.array([decimal.Decimal(f"{k}.25") for k in range(n)], pa.decimal128(10, 2)),
        "day": pa.array([datetime.date(2024, 1, 1 + k) for k in range(n)], pa.date32()),
        "ts": pa.array([datetime.datetime(2024, 1, 1, 0, 0, k, tzinfo=datetime.timezone.utc) for k in range(n)], pa.timestamp("us", tz="UTC")),
        "score": pa.array([k * 0.5 for k in range(n)], pa.float64()),
        "tags": pa.array([[f"t{k}"] for k in range(n)], pa.list_(pa.string())),
        "nested": pa.array([{"a": k, "b": f"x{k}"} for k in range(n)], pa.struct([("a", pa.int32()), ("b", pa.string())])),
    })
for i in range(4):
    pq.write_table(table(i), os.path.join(flat, f"part-{i:05d}.parquet"))
open(os.path.join(flat, "_SUCCESS"), "w").close()
for year in (2023, 2024):
    for region in ("eu", "us west"):
        d = os.path.join(part, f"year={year}", f"region={region}")
        os.makedirs(d, exist_ok=True)
        t = pa.table({"id": pa.array([year * 10 + k for k in range(3)], pa.int64()), "v": pa.array(["a", "b", None])})
        pq.write_table(t, os.path.join(d, "data-0.parquet"))
print(json.dumps({"ok": True}))
`;

const CHECK = String.raw`
import json, sys
import pyarrow as pa, pyarrow.parquet as pq, pyarrow.dataset as ds
from deltalake import DeltaTable
args = json.load(sys.stdin)
out = {}
for name, root in args["tables"].items():
    dt = DeltaTable(root)
    got = dt.to_pandas()
    src = ds.dataset(root, format="parquet", partitioning="hive" if name == "part" else None, exclude_invalid_files=True).to_table().to_pandas()
    cols = sorted(src.columns)
    key = lambda df: sorted(json.dumps({c: str(r[c]) for c in cols}, sort_keys=True) for _, r in df[cols].iterrows())
    stats = {}
    for a in pa.table(dt.get_add_actions(flatten=False)).to_pylist():
        f = pq.ParquetFile(root + "/" + a["path"].replace("%20", " "))
        md = f.metadata
        file_stats = {"rows": md.num_rows}
        for ci in range(md.num_columns):
            col = md.row_group(0).column(ci)
            if col.path_in_schema in ("id", "small", "name", "v") and col.statistics is not None:
                s = col.statistics
                file_stats[col.path_in_schema] = [s.min, s.max, s.null_count]
        stats[a["path"]] = file_stats
    out[name] = {"same_rows": key(got) == key(src), "rows": len(got), "files": len(dt.file_uris()), "pyarrow_stats": stats,
                 "partition_columns": dt.metadata().partition_columns, "version": dt.version()}
print(json.dumps(out))
`;

let dir: string;
beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'convert-'));
  await runPython(MAKE_FOLDERS, { flat: path.join(dir, 'flat'), part: path.join(dir, 'part') });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function convertInProcess(root: string, batchFiles: number, partitionBy?: string[]): Promise<void> {
  const store = new LocalStore(root);
  const plan = await planConversion(store, { batchFiles, partitionBy });
  for (let i = 0; i < plan.batchStarts.length; i++) {
    await readFooterBatch(
      store,
      { index: i, startAfter: plan.batchStarts[i], count: batchFiles },
      'test-run',
    );
  }
  await commitConversion(store, plan, 'test-run', Date.UTC(2024, 0, 1));
}

function addStats(root: string): Map<string, Record<string, unknown>> {
  const text = fs.readFileSync(path.join(root, '_delta_log/00000000000000000000.json'), 'utf8');
  const out = new Map<string, Record<string, unknown>>();
  for (const line of text.trim().split('\n')) {
    const o = JSON.parse(line) as { add?: { path: string; stats: string } };
    if (o.add) out.set(o.add.path, JSON.parse(o.add.stats) as Record<string, unknown>);
  }
  return out;
}

test('a flat and a Hive-partitioned folder convert; delta-rs reads exactly the rows pyarrow reads', async () => {
  const flat = path.join(dir, 'flat');
  const part = path.join(dir, 'part');
  await convertInProcess(flat, 3); // two batches: exercises staging and the cross-batch schema merge
  await convertInProcess(part, 2, ['year', 'region']);
  expect(fs.readdirSync(path.join(flat, '_delta_log'))).toEqual(['00000000000000000000.json']);

  const r = await runPython<Record<string, any>>(CHECK, { tables: { flat, part } });
  expect(r.flat).toMatchObject({ same_rows: true, rows: 5 + 6 + 7 + 8, files: 4, version: 0 });
  expect(r.part).toMatchObject({
    same_rows: true,
    rows: 12,
    files: 4,
    partition_columns: ['year', 'region'],
  });

  for (const root of [flat, part]) {
    const ours = addStats(root);
    const theirs = r[root === flat ? 'flat' : 'part'].pyarrow_stats as Record<
      string,
      Record<string, unknown>
    >;
    expect([...ours.keys()].sort()).toEqual(Object.keys(theirs).sort());
    for (const [p, s] of ours) {
      const t = theirs[p];
      expect(s.numRecords).toBe(t.rows);
      for (const col of ['id', 'small', 'name', 'v']) {
        if (!(col in t)) continue;
        const [min, max, nulls] = t[col] as [unknown, unknown, number];
        expect([(s.minValues as any)[col], (s.maxValues as any)[col], (s.nullCount as any)[col]]).toEqual([
          min,
          max,
          nulls,
        ]);
      }
    }
  }
  const flatStats = [...addStats(flat).values()][0] as any;
  expect(flatStats.minValues).toMatchObject({
    price: 0.25,
    day: '2024-01-01',
    ts: '2024-01-01T00:00:00.000Z',
  });
  expect(flatStats.nullCount.nested).toEqual({ a: 0, b: 0 });
  expect(flatStats.minValues.tags).toBeUndefined();

  const v = await runCli(['validate', part, '--format', 'json']);
  expect(v.code).toBe(0);
});

test('bad input: a non-parquet file and conflicting schemas are refused, and nothing is written', async () => {
  const bad = path.join(dir, 'bad');
  fs.cpSync(path.join(dir, 'flat'), bad, { recursive: true });
  fs.rmSync(path.join(bad, '_delta_log'), { recursive: true, force: true });
  fs.writeFileSync(path.join(bad, 'notes.txt'), 'hello, not parquet');
  const err1 = await convertInProcess(bad, 10).catch((e: unknown) => e);
  expect(isDeltaSqlError(err1) && err1.type).toBe('CorruptParquet');
  expect(String(err1)).toContain('notes.txt');
  expect(fs.existsSync(path.join(bad, '_delta_log/00000000000000000000.json'))).toBe(false);

  fs.rmSync(path.join(bad, 'notes.txt'));
  await runPython(
    String.raw`
import json, sys, pyarrow as pa, pyarrow.parquet as pq
a = json.load(sys.stdin)
pq.write_table(pa.table({"id": pa.array(["not", "a", "number"])}), a["file"])
print(json.dumps({}))
`,
    { file: path.join(bad, 'part-99999.parquet') },
  );
  const err2 = await convertInProcess(bad, 10).catch((e: unknown) => e);
  expect(isDeltaSqlError(err2) && err2.type).toBe('IncompatibleSchema');
  expect(String(err2)).toMatch(/column "id" is long in part-00000.parquet but string in part-99999.parquet/);
  expect(fs.existsSync(path.join(bad, '_delta_log/00000000000000000000.json'))).toBe(false);

  const err3 = await convertInProcess(path.join(dir, 'part'), 10).catch((e: unknown) => e);
  expect(isDeltaSqlError(err3) && err3.type).toBe('VersionConflict');
});

test('Spark-written folders (the golden hive tables without their log) convert to the tables Spark wrote', async () => {
  // Spark's own output: `.crc` sidecars, `k=v` folders, special characters in partition values.
  // With the log removed, the folder converts back to a table with the same rows as the original
  // (every one of these tables has all its files live), read by delta-rs on both sides.
  const names = [
    'deltatbl-partitioned',
    'deltatbl-non-partitioned',
    'deltatbl-special-chars-in-partition-column',
  ];
  const tables = [];
  for (const name of names) {
    const original = fixture(`golden/hive/${name}`);
    const copy = path.join(dir, `spark-${name}`);
    fs.cpSync(original, copy, { recursive: true });
    fs.rmSync(path.join(copy, '_delta_log'), { recursive: true });
    const partitionColumns = (
      JSON.parse(
        fs
          .readFileSync(path.join(original, '_delta_log', '00000000000000000000.json'), 'utf8')
          .split('\n')
          .find((l) => l.includes('"metaData"')) as string,
      ) as { metaData: { partitionColumns: string[] } }
    ).metaData.partitionColumns;
    await convertInProcess(copy, 2, partitionColumns.length > 0 ? partitionColumns : undefined);
    tables.push({ name, original, copy });
  }
  const r = await runPython<Record<string, { same: boolean; rows: number; files: number[] }>>(
    String.raw`
import json, sys
from deltalake import DeltaTable
a = json.load(sys.stdin)
def rows(dt):
    df = dt.to_pandas()
    cols = sorted(df.columns)
    return sorted(json.dumps([str(v) for v in r]) for r in df[cols].itertuples(index=False))
out = {}
for t in a["tables"]:
    o, c = DeltaTable(t["original"]), DeltaTable(t["copy"])
    out[t["name"]] = {"same": rows(o) == rows(c), "rows": len(rows(o)), "files": [len(o.file_uris()), len(c.file_uris())],
                      "partitions": [o.metadata().partition_columns, c.metadata().partition_columns]}
print(json.dumps(out))
`,
    { tables },
  );
  for (const name of names) {
    expect([name, r[name].same]).toEqual([name, true]);
    expect(r[name].rows).toBeGreaterThan(0);
    expect(r[name].files[1]).toBe(r[name].files[0]);
  }
});
