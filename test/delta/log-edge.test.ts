import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeltaTable } from '../../delta/table';
import { copyFixture, fixture } from '../support/env';
import { METADATA, PROTOCOL, add, errorOf, tempTable, writeCommit } from './helpers';

const log = (dir: string, name: string) => path.join(dir, '_delta_log', name);
const pad = (v: number) => String(v).padStart(20, '0');
const chmodAll = (dir: string) => {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    fs.chmodSync(p, 0o755);
    if (e.isDirectory()) chmodAll(p);
  }
};
const copy = (rel: string) => {
  const d = copyFixture(rel);
  chmodAll(d);
  return d;
};

describe('log segment errors', () => {
  test('LogGap names the missing versions', async () => {
    const dir = copy('delta-rs/checkpoints');
    fs.rmSync(log(dir, `${pad(4)}.json`));
    fs.rmSync(log(dir, `${pad(5)}.json`));
    const t = await DeltaTable.open(dir);
    const e = await errorOf(t.snapshot({ version: 7 }));
    expect(e.type).toBe('LogGap');
    expect(e.message).toContain('4, 5');
    expect(e.file).toContain(`${pad(4)}.json`);
    expect((await t.snapshot({ version: 3 })).version).toBe(3);
    const it = t.commits(2, 6)[Symbol.asyncIterator]();
    expect((await errorOf(it.next())).type).toBe('LogGap');
  });

  test('corrupt JSON line -> CorruptCommit with file and line', async () => {
    const dir = tempTable();
    writeCommit(dir, 0, [PROTOCOL, METADATA]);
    writeCommit(dir, 1, `${JSON.stringify(add('a'))}\n\n{"add": {"path": "b", "size": 1,\n`);
    const e = await errorOf((await DeltaTable.open(dir)).snapshot());
    expect(e.type).toBe('CorruptCommit');
    expect(e.message).toContain(`${pad(1)}.json at line 3`);
    const dir2 = tempTable();
    writeCommit(dir2, 0, [PROTOCOL, METADATA, { add: { path: 'x', size: 'big', modificationTime: 1 } }]);
    const e2 = await errorOf((await DeltaTable.open(dir2)).snapshot());
    expect(e2.type).toBe('CorruptCommit');
    expect(e2.message).toMatch(/line 3: invalid add\.size/);
  });

  test('version beyond the log -> VersionNotFound; no log -> TableNotFound', async () => {
    const t = await DeltaTable.open(fixture('delta-rs/simple_table'));
    expect((await errorOf(t.snapshot({ version: 5 }))).type).toBe('VersionNotFound');
    expect((await errorOf(DeltaTable.open(tempTable()))).type).toBe('TableNotFound');
  });

  test('truncated checkpoint parquet -> CorruptCheckpoint naming the file', async () => {
    const dir = copy('delta-rs/checkpoints_vacuumed');
    const cp = log(dir, `${pad(10)}.checkpoint.parquet`);
    const buf = fs.readFileSync(cp);
    fs.writeFileSync(cp, buf.subarray(0, Math.floor(buf.length / 2)));
    const e = await errorOf((await DeltaTable.open(dir)).snapshot({ version: 11 }));
    expect(e.type).toBe('CorruptCheckpoint');
    expect(e.message).toContain(`${pad(10)}.checkpoint.parquet`);
  });
});

describe('checkpoints', () => {
  /** A 2-part checkpoint made of two copies of the classic one (duplicate rows reconcile to the same state). */
  const multiPart = () => {
    const dir = copy('delta-rs/simple_table_with_checkpoint');
    const classic = log(dir, `${pad(10)}.checkpoint.parquet`);
    for (const p of [1, 2])
      fs.copyFileSync(classic, log(dir, `${pad(10)}.checkpoint.000000000${p}.0000000002.parquet`));
    return dir;
  };

  test('multi-part preferred over classic at the same version; same state', async () => {
    const expected = await (
      await DeltaTable.open(fixture('delta-rs/simple_table_with_checkpoint'))
    ).snapshot();
    const dir = multiPart();
    const t = await DeltaTable.open(dir);
    const seg = await t.segment(10);
    expect(seg.checkpoint?.kind).toBe('multi-part');
    expect(seg.checkpoint?.files).toHaveLength(2);
    const s = await t.snapshot();
    expect({ ...s, timestamp: 0 }).toEqual({ ...expected, timestamp: 0 });
  });

  test('missing part: the incomplete checkpoint is skipped, or IncompleteCheckpoint when it is needed', async () => {
    const dir = multiPart();
    fs.rmSync(log(dir, `${pad(10)}.checkpoint.parquet`));
    fs.rmSync(log(dir, `${pad(10)}.checkpoint.0000000002.0000000002.parquet`));
    const warnings: string[] = [];
    const t = await DeltaTable.open(dir, { onWarning: (m) => warnings.push(m) });
    const seg = await t.segment(10);
    expect(seg.checkpoint).toBeNull();
    expect(seg.commits).toHaveLength(11);
    expect(warnings.join()).toMatch(/_last_checkpoint points at checkpoint 10/);
    for (let v = 0; v < 10; v++) fs.rmSync(log(dir, `${pad(v)}.json`));
    const e = await errorOf(t.snapshot({ version: 10 }));
    expect(e.type).toBe('IncompleteCheckpoint');
    expect(e.message).toContain('0000000002.0000000002.parquet');
  });

  test('stale _last_checkpoint: newer checkpoint used, with a warning', async () => {
    const warnings: string[] = [];
    const t = await DeltaTable.open(fixture('delta-rs/table_failed_last_checkpoint_update'), {
      onWarning: (m) => warnings.push(m),
    });
    expect((await t.segment()).checkpoint?.version).toBe(3);
    expect(warnings.some((w) => w.includes('stale'))).toBe(true);
  });

  test('dangling _last_checkpoint: falls back to an older checkpoint, with a warning', async () => {
    const dir = copy('delta-rs/checkpoints_vacuumed');
    const expected = await (
      await DeltaTable.open(fixture('delta-rs/checkpoints_vacuumed'))
    ).snapshot({ version: 12 });
    fs.writeFileSync(log(dir, '_last_checkpoint'), '{"version":10,"size":13}');
    fs.rmSync(log(dir, `${pad(10)}.checkpoint.parquet`));
    const warnings: string[] = [];
    const t = await DeltaTable.open(dir, { onWarning: (m) => warnings.push(m) });
    expect((await t.segment()).checkpoint?.version).toBe(5);
    expect(warnings.join()).toContain('points at checkpoint 10');
    expect({ ...(await t.snapshot()), timestamp: 0 }).toEqual({ ...expected, timestamp: 0 });
  });

  test('V2 checkpoint with sidecars is expanded and preferred', async () => {
    const t = await DeltaTable.open(fixture('delta-rs/checkpoint-v2-table'));
    const seg = await t.segment(8);
    expect(seg.checkpoint?.kind).toBe('v2');
    const types: string[] = [];
    for await (const a of t.checkpointActions(seg.checkpoint!)) types.push(a.type);
    expect(types.filter((x) => x === 'add')).toHaveLength(7);
    expect(types).toContain('sidecar');
    expect(types).toContain('checkpointMetadata');
    const crc = await t.crc(8);
    const s = await t.snapshot({ version: 8 });
    expect([s.numFiles, s.sizeBytes]).toEqual([crc?.numFiles, crc?.tableSizeBytes]);
  });
});

describe('paths, time travel, timestamps', () => {
  test('escaped characters: raw path is the identity', async () => {
    const s = await (await DeltaTable.open(fixture('golden/data-reader-escaped-chars'))).snapshot();
    expect(s.files?.every((f) => /%/.test(f.path) || !/[ #]/.test(f.path))).toBe(true);
    const special = await (
      await DeltaTable.open(fixture('delta-rs/delta-0.8.0-special-partition'))
    ).snapshot();
    expect(special.files?.some((f) => f.path.includes('%'))).toBe(true);
    const t = await DeltaTable.open(fixture('golden/data-reader-absolute-paths-escaped-chars'));
    const paths: string[] = [];
    for await (const c of t.commits(0, 1))
      for (const a of c.actions) if (a.type === 'add') paths.push(a.body.path);
    expect(paths[1]).toBe('bar%2Dbar.snappy.parquet');
  });

  test('time travel by version and by timestamp on golden/time-travel-*', async () => {
    const dir = copy('golden/time-travel-start-start20-start40');
    const base = Date.UTC(2024, 0, 1);
    for (let v = 0; v <= 2; v++)
      fs.utimesSync(log(dir, `${pad(v)}.json`), (base + v * 60000) / 1000, (base + v * 60000) / 1000);
    const t = await DeltaTable.open(dir);
    const counts = [];
    for (let v = 0; v <= 2; v++) counts.push((await t.snapshot({ version: v })).numFiles);
    expect(counts[0]).toBeGreaterThan(0);
    expect((await t.snapshot({ timestamp: base + 30000 })).version).toBe(0);
    expect((await t.snapshot({ timestamp: base + 60000 })).version).toBe(1);
    expect((await t.snapshot({ timestamp: base + 120000 })).version).toBe(2);
    // After the latest commit: an error, as in Spark (issue 14), not silently the latest.
    expect((await errorOf(t.snapshot({ timestamp: base + 10 ** 9 }))).type).toBe(
      'TimestampAfterLatestCommit',
    );
    expect((await t.snapshot({ timestamp: base + 60000 })).timestamp).toBe(base + 60000);
    expect((await errorOf(t.snapshot({ timestamp: base - 1 }))).type).toBe('VersionNotFound');
  });

  test('in-commit timestamps on delta-rs/cdc_ict_table', async () => {
    const t = await DeltaTable.open(fixture('delta-rs/cdc_ict_table'));
    expect((await t.snapshot({ version: 0 })).timestamp).toBe(1783874203271);
    expect((await t.snapshot({ version: 1 })).timestamp).toBe(1683874206883);
    expect((await t.snapshot({ version: 3 })).timestamp).toBe(1783874213881);
    const h = await t.history();
    expect(h.map((e) => [e.version, e.timestamp, e.operation])).toEqual([
      [3, 1783874213881, 'UPDATE'],
      [2, 1783874212175, 'DELETE'],
      [1, 1683874206883, 'WRITE'],
      [0, 1783874203271, 'CREATE OR REPLACE TABLE'],
    ]);
    expect(h[0].counts).toMatchObject({ add: 2, remove: 2, cdc: 2, commitInfo: 1 });
  });
});
