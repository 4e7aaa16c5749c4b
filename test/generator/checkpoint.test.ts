import * as fs from 'node:fs';
import * as path from 'node:path';
import { generateTable } from '../../bench/generator';
import { fixture } from '../support/env';
import { type FileAction, keyOf, logDir, pad20, readParquet, replay, schemaLines, tmpDir } from './helpers';

const SPARK_CHECKPOINT = fixture(
  'delta-rs/table_with_deletion_logs/_delta_log/00000000000000000020.checkpoint.parquet',
);
type Row = Record<string, Record<string, unknown> | undefined>;

describe('generator checkpoints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = tmpDir('cp');
    await generateTable({
      dir,
      versions: 25,
      addsPerVersion: 8,
      removesPerVersion: 3,
      checkpointInterval: 10,
      deletionVectors: true,
      partitions: true,
      schemaEvolutionEvery: 10,
      seed: 11,
    });
  });

  test('has the Spark checkpoint column layout (same nodes as a real Spark checkpoint)', async () => {
    const ours = await schemaLines(path.join(logDir(dir), `${pad20(20)}.checkpoint.parquet`));
    const spark = new Set(await schemaLines(SPARK_CHECKPOINT));
    // Every column we write for txn/add/remove/metaData/protocol exists in Spark's file with the same
    // repetition, physical type and converted type (MAP / LIST / UTF8), except domainMetadata which
    // that table does not use.
    const missing = ours.filter((l) => !l.startsWith('domainMetadata') && !spark.has(l));
    expect(missing).toEqual([]);
    for (const col of [
      'add.partitionValues.key_value.key REQUIRED BYTE_ARRAY UTF8',
      'metaData.partitionColumns.list.element OPTIONAL BYTE_ARRAY UTF8',
      'protocol.writerFeatures OPTIONAL GROUP LIST',
      'add.deletionVector.offset OPTIONAL INT32',
    ]) {
      expect(ours).toContain(col);
    }
    expect(ours.filter((l) => !l.includes('.'))).toEqual([
      'txn OPTIONAL GROUP',
      'add OPTIONAL GROUP',
      'remove OPTIONAL GROUP',
      'metaData OPTIONAL GROUP',
      'protocol OPTIONAL GROUP',
      'domainMetadata OPTIONAL GROUP',
    ]);
  });

  test('rows read back with hyparquet equal the replayed state at that version', async () => {
    for (const v of [10, 20]) {
      const rows = (await readParquet(path.join(logDir(dir), `${pad20(v)}.checkpoint.parquet`))) as Row[];
      for (const r of rows)
        expect(Object.values(r).filter((x) => x !== null && x !== undefined)).toHaveLength(1);
      const oracle = replay(dir, v);
      const adds = rows.filter((r) => r.add).map((r) => r.add as unknown as FileAction);
      expect(adds.map(keyOf).sort()).toEqual([...oracle.files.keys()].sort());
      for (const a of adds) {
        const o = oracle.files.get(keyOf(a))!;
        expect(Number(a.size)).toBe(o.size);
        expect(a.partitionValues).toEqual(o.partitionValues); // a plain object, null kept
        expect(a.stats).toBe(o.stats);
      }
      const meta = rows.find((r) => r.metaData)!.metaData as Record<string, unknown>;
      const om = oracle.metadata as Record<string, unknown>;
      expect(meta.schemaString).toBe(om.schemaString);
      expect(meta.partitionColumns).toEqual(['date', 'region']);
      expect(meta.configuration).toEqual(om.configuration);
      expect(meta.format).toEqual({ provider: 'parquet', options: {} });
      const proto = rows.find((r) => r.protocol)!.protocol as Record<string, unknown>;
      expect(proto.readerFeatures).toEqual((oracle.protocol as Record<string, unknown>).readerFeatures);
      expect(proto.writerFeatures).toEqual((oracle.protocol as Record<string, unknown>).writerFeatures);
      const txns = rows.filter((r) => r.txn).map((r) => [r.txn!.appId, Number(r.txn!.version)]);
      expect(new Map(txns as [string, number][])).toEqual(oracle.txns);
      // tombstones: every remove row is a file that is not active
      const removes = rows.filter((r) => r.remove).map((r) => r.remove as unknown as FileAction);
      expect(removes.length).toBeGreaterThan(0);
      for (const rm of removes) expect(oracle.files.has(keyOf(rm))).toBe(false);
      const last = JSON.parse(fs.readFileSync(path.join(logDir(dir), '_last_checkpoint'), 'utf8'));
      if (v === 20)
        expect(last).toMatchObject({ version: 20, size: rows.length, numOfAddFiles: oracle.files.size });
    }
  });

  test('a multi-part checkpoint has all parts, whose union equals the classic checkpoint', async () => {
    const multi = tmpDir('cp-multi');
    const common = {
      versions: 13,
      addsPerVersion: 9,
      removesPerVersion: 2,
      checkpointInterval: 12,
      seed: 5,
      deletionVectors: true,
    };
    await generateTable({ ...common, dir: multi, checkpointParts: 4 });
    const single = tmpDir('cp-single');
    await generateTable({ ...common, dir: single, checkpointParts: 1 });
    const parts = fs.readdirSync(logDir(multi)).filter((f) => f.includes('.checkpoint.'));
    expect(parts).toEqual(
      [1, 2, 3, 4].map((i) => `${pad20(12)}.checkpoint.${String(i).padStart(10, '0')}.0000000004.parquet`),
    );
    const all: unknown[] = [];
    for (const p of parts) {
      const rows = await readParquet(path.join(logDir(multi), p));
      expect(rows.length).toBeGreaterThan(0);
      all.push(...rows);
    }
    const classic = await readParquet(path.join(logDir(single), `${pad20(12)}.checkpoint.parquet`));
    expect(all).toEqual(classic);
    const last = JSON.parse(fs.readFileSync(path.join(logDir(multi), '_last_checkpoint'), 'utf8'));
    expect(last).toMatchObject({ version: 12, parts: 4, size: classic.length });
  });
});
