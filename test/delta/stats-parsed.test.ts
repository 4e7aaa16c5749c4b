/**
 * Checkpoints that carry stats only as `stats_parsed` (delta.checkpoint.writeStatsAsJson=false):
 * the reader rebuilds `add.stats` as Spark's to_json(stats_parsed) does, exactly.
 *   - every fixture checkpoint with stats_parsed: the rebuilt text equals the stats JSON the
 *     table's own commits wrote for that file, in the reader and, after a checkpoint-first
 *     import, in the catalog (SQLite and PostgreSQL's streamed COPY path);
 *   - a generated checkpoint (pyarrow) with the values a JS number or Date would corrupt: int64
 *     beyond 2^53, decimal(38,18), negative and tiny decimals, microsecond and pre-1970
 *     timestamps, timestamp_ntz, dates, float32, nested structs; judged by literal expectations
 *     and by delta-rs reading the same checkpoint.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetMetadata, parquetSchema } from 'hyparquet';
import type { AddAction } from '../../delta/actions';
import { hasCleanPlan } from '../../delta/checkpoint-rows';
import { DeltaTable } from '../../delta/table';
import { fixture } from '../support/env';
import { runPython } from '../support/python';
import { openCatalog } from '../../catalog/open';
import { dropPgSchema, pgUrl, sqliteUrl, tempDir, uniqueSchema } from '../catalog/helpers';

interface Rebuilt {
  version: number;
  path: string;
  stats: string | null | undefined;
  raw: string;
}

async function checkpointAdds(root: string): Promise<Rebuilt[]> {
  const t = await DeltaTable.open(root);
  const out: Rebuilt[] = [];
  for (const ref of await t.checkpoints()) {
    for await (const a of t.checkpointActions(ref)) {
      if (a.type === 'add')
        out.push({ version: ref.version, path: a.body.path, stats: a.body.stats, raw: a.raw });
    }
  }
  return out;
}

/** The stats of each file's add, as the commits up to `version` wrote them. */
function commitStats(root: string, version: number): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (let v = 0; v <= version; v++) {
    const f = path.join(root, '_delta_log', `${String(v).padStart(20, '0')}.json`);
    if (!fs.existsSync(f)) continue;
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      const add = (JSON.parse(line) as { add?: AddAction }).add;
      if (add) out.set(add.path, add.stats ?? undefined);
    }
  }
  return out;
}

test('fixture checkpoints with only stats_parsed: stats equal the commits own JSON stats', async () => {
  const tables = ['delta-rs/delta-1.2.1-only-struct-stats', 'delta-rs/delta-checkpoint-stats-optional'];
  let compared = 0;
  for (const rel of tables) {
    const root = fixture(rel);
    for (const a of await checkpointAdds(root)) {
      const expected = commitStats(root, a.version).get(a.path);
      expect({ rel, path: a.path, stats: a.stats }).toEqual({ rel, path: a.path, stats: expected });
      expect(a.raw).not.toContain('stats_parsed');
      if (expected) compared++;
    }
  }
  expect(compared).toBeGreaterThanOrEqual(10);
});

const pgSchema = uniqueSchema('stats_parsed');
afterAll(async () => {
  await dropPgSchema(pgSchema);
});

test.each([
  ['sqlite', (dir: string) => sqliteUrl(dir)],
  ['postgres', () => pgUrl(pgSchema)],
])('%s: a checkpoint-first import stores the rebuilt stats', async (_engine, url) => {
  const rel = 'delta-rs/delta-1.2.1-only-struct-stats';
  const root = fixture(rel);
  const dir = tempDir('deltasql-stats-parsed-cat-');
  const store = await openCatalog(url(dir));
  try {
    const dt = await DeltaTable.open(root);
    const [ref] = await dt.checkpoints();
    const t = await store.ensureTable({ location: root, name: `stats-parsed-${_engine}` });
    await store.writeBaseline(
      t.tableId,
      { version: ref.version, timestamp: 0, file: ref.files[0].path },
      dt.checkpointActions(ref),
    );
    const snap = await store.snapshot(t.tableId, { version: ref.version, includeFiles: true });
    const expected = commitStats(root, ref.version);
    const files = snap.files ?? [];
    expect(files.length).toBeGreaterThanOrEqual(5);
    for (const f of files)
      expect({ path: f.path, stats: f.stats }).toEqual({ path: f.path, stats: expected.get(f.path) });
  } finally {
    await store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

/**
 * pyarrow writes a checkpoint whose adds carry stats_parsed only (one add also has its own stats,
 * which must win) and prints, per path, the text Spark's to_json gives for the exact values it
 * wrote: Python's Decimal str() is Java's BigDecimal.toString, numpy's float32 repr is Java's
 * Float.toString, timestamps truncated to milliseconds.
 */
const GENERATE = String.raw`
import json, sys, datetime as dt, decimal as D
import numpy as np, pyarrow as pa, pyarrow.parquet as pq
args = json.load(sys.stdin)
out = args['file']
num = [('big', pa.int64()), ('dec', pa.decimal128(38, 18)), ('tiny', pa.decimal128(10, 9)),
       ('fixed', pa.decimal128(18, 0)), ('ts', pa.timestamp('us', tz='UTC')), ('tsns', pa.timestamp('ns', tz='UTC')),
       ('ntz', pa.timestamp('us')), ('d', pa.date32()), ('f', pa.float32()), ('x', pa.float64()), ('b', pa.bool_()),
       ('s', pa.struct([('inner', pa.int64()), ('name', pa.string())]))]
vals = pa.struct(num)
counts = pa.struct([(n, pa.int64()) for n, t in num if n != 's'] + [('s', pa.struct([('inner', pa.int64()), ('name', pa.int64())]))])
sp = pa.struct([('numRecords', pa.int64()), ('minValues', vals), ('maxValues', vals), ('nullCount', counts), ('tightBounds', pa.bool_())])
add = pa.struct([('path', pa.string()), ('size', pa.int64()), ('modificationTime', pa.int64()), ('dataChange', pa.bool_()),
                 ('stats', pa.string()), ('stats_parsed', sp)]
                + ([('extra', pa.list_(pa.struct([('a', pa.int64())])))] if args['fallback'] else []))
utc = dt.timezone.utc
lo = dict(big=-9007199254740995, dec=D.Decimal('-0.000000000000000001'), tiny=D.Decimal('-1.500000000'), fixed=D.Decimal('-999999999999999999'),
          ts=dt.datetime(1969, 12, 31, 23, 59, 59, 999999, tzinfo=utc), tsns=dt.datetime(1900, 1, 1, 0, 0, 0, 1000, tzinfo=utc),
          ntz=dt.datetime(1970, 1, 1), d=dt.date(1900, 1, 1), f=1.1, x=-0.1, b=False, s=dict(inner=-9223372036854775807, name='é"x\n'))
hi = dict(big=9007199254740993, dec=D.Decimal('12345678901234567890.123456789012345678'), tiny=D.Decimal('0.000000001'), fixed=D.Decimal('0'),
          ts=dt.datetime(2262, 1, 1, 0, 0, 0, 1, tzinfo=utc), tsns=dt.datetime(2024, 2, 29, 23, 59, 59, 999999, tzinfo=utc),
          ntz=dt.datetime(2024, 2, 29, 12, 34, 56, 789123), d=dt.date(2999, 12, 31), f=3.4e38, x=1e300, b=True, s=dict(inner=None, name=None))
nulls = {n: 0 for n, t in num if n != 's'}
nulls['s'] = dict(inner=1, name=None)
parsed = dict(numRecords=9223372036854775807, minValues=lo, maxValues=hi, nullCount=nulls, tightBounds=True)
rows = [
  dict(path='a.parquet', size=1, modificationTime=1, dataChange=True, stats=None, stats_parsed=parsed),
  dict(path='b.parquet', size=2, modificationTime=2, dataChange=True, stats='{"numRecords":5}', stats_parsed=parsed),
  dict(path='c.parquet', size=3, modificationTime=3, dataChange=True, stats=None, stats_parsed=None),
  dict(path='d.parquet', size=4, modificationTime=4, dataChange=True, stats=None,
       stats_parsed=dict(numRecords=0, minValues=dict(s=dict(inner=None)), maxValues=None, nullCount=None, tightBounds=None)),
]
types = dict(num)
def text(v, t):
    if isinstance(v, dict):
        fields = {f.name: f.type for f in t}
        return '{' + ','.join(json.dumps(k, ensure_ascii=False) + ':' + text(x, fields[k]) for k, x in v.items() if x is not None) + '}'
    if isinstance(v, bool): return 'true' if v else 'false'
    if isinstance(v, D.Decimal): return str(v)
    if isinstance(v, dt.datetime):
        return json.dumps(v.replace(tzinfo=None).isoformat(timespec='milliseconds') + ('Z' if v.tzinfo else ''))
    if isinstance(v, dt.date): return json.dumps(v.isoformat())
    if isinstance(v, float): return str(np.float32(v)) if t == pa.float32() else repr(v)
    if isinstance(v, int): return str(v)
    return json.dumps(v, ensure_ascii=False)
pq.write_table(pa.Table.from_pydict({'add': pa.array(rows, type=add)}), out, use_deprecated_int96_timestamps=False)
expected = {r['path']: r['stats'] if r['stats'] is not None else (text(r['stats_parsed'], sp) if r['stats_parsed'] else None) for r in rows}
# pyarrow's own reading of what it wrote: the values really are the ones formatted above.
back = pq.read_table(out).column('add').to_pylist()
assert back[0]['stats_parsed']['maxValues']['dec'] == hi['dec'] and back[0]['stats_parsed']['minValues']['big'] == lo['big']
print(json.dumps(expected, ensure_ascii=False))
`;

test.each([
  ['the direct row builder', false],
  // A list of structs in `add` is a shape checkpoint-rows.ts leaves to hyparquet's assembly.
  ['the generic assembly', true],
])(
  'exact int64, decimal, timestamp, date, float32 and nested values from a generated checkpoint: %s',
  async (_path, fallback) => {
    const root = tempDir('deltasql-stats-parsed-');
    try {
      fs.mkdirSync(path.join(root, '_delta_log'));
      const file = path.join(root, '_delta_log', `${'0'.repeat(20)}.checkpoint.parquet`);
      const expected = await runPython<Record<string, string | null>>(GENERATE, { file, fallback });
      const bytes = fs.readFileSync(file);
      const schema = parquetSchema(
        parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)),
      );
      const add = schema.children.find((c) => c.element.name === 'add');
      expect(add && hasCleanPlan(add)).toBe(!fallback);
      const got = Object.fromEntries((await checkpointAdds(root)).map((a) => [a.path, a.stats ?? null]));
      expect(got).toEqual(expected);
      // Spot checks of the values a JS number or Date would have corrupted.
      const a = got['a.parquet'] ?? '';
      expect(a).toContain('"numRecords":9223372036854775807');
      expect(a).toContain('"big":9007199254740993');
      expect(a).toContain('"dec":12345678901234567890.123456789012345678');
      expect(a).toContain('"dec":-1E-18');
      expect(a).toContain('"tiny":1E-9');
      expect(a).toContain('"ts":"1969-12-31T23:59:59.999Z"');
      expect(a).toContain('"ntz":"2024-02-29T12:34:56.789"');
      expect(a).toContain('"f":1.1,');
      expect(got['b.parquet']).toBe('{"numRecords":5}');
      expect(got['c.parquet']).toBeNull();
      expect(got['d.parquet']).toBe('{"numRecords":0,"minValues":{"s":{}}}');
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  },
);
