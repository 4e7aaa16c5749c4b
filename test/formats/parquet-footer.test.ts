/**
 * Footer reads: one ranged read of the tail serves the magic and a usual footer; a footer larger
 * than that guess (a wide file: 900 columns, ~150 KB of metadata) is fetched whole with a second
 * read, and the stats are the same as pyarrow's footer statistics.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readFooter } from '../../formats/parquet-footer';
import { LocalStore } from '../../storage/local-store';
import { runPython } from '../support/python';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parquet-footer-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('a footer larger than the first read is read whole, with the stats pyarrow records', async () => {
  const info = await runPython<{ metadataBytes: number; min: number; max: number }>(
    String.raw`
import json, sys, os, pyarrow as pa, pyarrow.parquet as pq
a = json.load(sys.stdin)
cols = {f"column_with_a_long_name_{i:04d}": pa.array([i, i + 1, None], pa.int64()) for i in range(900)}
p = os.path.join(a["dir"], "wide.parquet")
pq.write_table(pa.table(cols), p)
md = pq.ParquetFile(p).metadata
s = md.row_group(0).column(899).statistics
print(json.dumps({"metadataBytes": md.serialized_size, "min": s.min, "max": s.max}))
`,
    { dir },
  );
  expect(info.metadataBytes).toBeGreaterThan(64 * 1024);
  const store = new LocalStore(dir);
  const reads: Array<[number, number]> = [];
  const counting = Object.assign(Object.create(store) as LocalStore, {
    getRange: (rel: string, start: number, end: number) => {
      reads.push([start, end]);
      return store.getRange(rel, start, end);
    },
  });
  const size = fs.statSync(path.join(dir, 'wide.parquet')).size;
  const f = await readFooter(counting, 'wide.parquet', size);
  expect(reads).toHaveLength(2);
  expect(f.numRecords).toBe(3);
  expect(f.schema.fields).toHaveLength(900);
  const stats = JSON.parse(f.stats) as Record<string, Record<string, number>>;
  expect(stats.minValues.column_with_a_long_name_0899).toBe(info.min);
  expect(stats.maxValues.column_with_a_long_name_0899).toBe(info.max);
  expect(stats.nullCount.column_with_a_long_name_0899).toBe(1);
});
