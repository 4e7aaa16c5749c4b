/**
 * Baselines on PostgreSQL stream their add rows through one COPY fed by the checkpoint reader
 * (catalog/writer.ts streamBaseline). These prove the streamed write stores exactly what the
 * buffered SQLite path stores, stays all-or-nothing when the checkpoint breaks mid-way (after
 * rows were already sent to the COPY), and stays right when many non-add rows split the COPY.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parquetMetadata } from 'hyparquet';
import { openCatalog } from '../../catalog/open';
import { ROW_TABLES } from '../../catalog/rows';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import type { SqlDriver } from '../../catalog/sql';
import { FLUSH_ROWS, STREAM_BATCH_ACTIONS } from '../../catalog/writer';
import { toLogAction } from '../../delta/action-parse';
import type { LogAction } from '../../delta/actions';
import { readCheckpoint } from '../../delta/checkpoint-reader';
import { LocalStore } from '../../storage/local-store';
import { writeCheckpoint } from '../delta/checkpoint-files';
import { collect, dropPgSchema, pgUrl, sqliteUrl, tempDir, uniqueSchema } from './helpers';

const PG_SCHEMA = uniqueSchema('basestream');
const ADDS = 3000;
const REMOVES = 400;
/** protocol, metaData, 2 txns, then the adds and removes (see checkpoint-files.ts). */
const ROWS = 4 + ADDS + REMOVES;

let dir: string;
let cp: Awaited<ReturnType<typeof writeCheckpoint>>;
let pg: SqlCatalogStore;
let lite: SqlCatalogStore;

beforeAll(async () => {
  dir = tempDir('deltasql-basestream-');
  cp = await writeCheckpoint(dir, { adds: ADDS, removes: REMOVES, rowGroupSize: 500, pageSize: 64 });
  pg = await openCatalog(pgUrl(PG_SCHEMA));
  lite = await openCatalog(sqliteUrl(tempDir()));
});

afterAll(async () => {
  await pg?.close();
  await lite?.close();
  await dropPgSchema(PG_SCHEMA);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function rowCounts(store: SqlCatalogStore, tableId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of ROW_TABLES) {
    const r = await store.driver.query(`SELECT COUNT(*) AS n FROM {T:${t}} WHERE table_id = ?`, [tableId]);
    out[t] = Number(r[0].n);
  }
  return out;
}

/** Every stored add row, in seq order, engine-neutral. */
async function addRows(store: SqlCatalogStore, tableId: string): Promise<unknown[][]> {
  const rows = await store.driver.query(
    `SELECT seq, path, dv_id, size, modification_time, data_change, stats, partition_values, deletion_vector, removed_version, raw
     FROM {T:dl_add_files} WHERE table_id = ? ORDER BY seq`,
    [tableId],
  );
  return rows.map((r) => [
    Number(r.seq),
    r.path,
    r.dv_id,
    Number(r.size),
    Number(r.modification_time),
    r.data_change === null ? null : Boolean(r.data_change),
    r.stats,
    r.partition_values,
    r.deletion_vector,
    r.removed_version,
    r.raw,
  ]);
}

/** Record the tables of every streamed bulk load (COPY) the store's transactions start. */
function recordStreams(store: SqlCatalogStore): { tables: string[]; restore: () => void } {
  const drv = store.driver;
  const original = drv.transaction;
  const tables: string[] = [];
  drv.transaction = <T>(fn: (tx: SqlDriver) => Promise<T>): Promise<T> =>
    original.call(drv, (tx: SqlDriver) => {
      const inner = tx.bulkInsertStream?.bind(tx);
      if (inner) {
        tx.bulkInsertStream = (table, columns, batches) => {
          tables.push(table);
          return inner(table, columns, batches);
        };
      }
      return fn(tx);
    }) as Promise<T>;
  return { tables, restore: () => void (drv.transaction = original) };
}

/** Pass actions through, counting them. */
async function* counted(it: AsyncIterable<LogAction>, seen: { n: number }): AsyncGenerator<LogAction> {
  for await (const a of it) {
    seen.n++;
    yield a;
  }
}

const base = () => ({ version: cp.ref.version, timestamp: 1_700_000_000_000, file: cp.ref.files[0].path });

test('a streamed PostgreSQL baseline stores the same rows and lines as the buffered SQLite one', async () => {
  const store = new LocalStore(dir);
  const actions = await collect(readCheckpoint(store, cp.ref));
  expect(actions.length).toBe(ROWS);
  const results = [];
  for (const cat of [pg, lite]) {
    const t = await cat.ensureTable({ location: dir, name: `same-${cat.dialect}` });
    const streams = recordStreams(cat);
    const r = await cat
      .writeBaseline(t.tableId, base(), readCheckpoint(store, cp.ref))
      .finally(streams.restore);
    // PostgreSQL: the adds went through one streamed COPY; SQLite keeps prepared statements.
    expect(streams.tables).toEqual(cat.dialect === 'postgres' ? ['dl_add_files'] : []);
    expect(r.versionsWritten).toBe(1);
    expect(r.counts).toMatchObject({ add: ADDS, remove: REMOVES, txn: 2, metaData: 1, protocol: 1 });
    expect(await rowCounts(cat, t.tableId)).toMatchObject({
      dl_add_files: ADDS,
      dl_remove_files: REMOVES,
      dl_txns: 2,
      dl_metadata_updates: 1,
      dl_protocol_updates: 1,
      dl_table_versions: 1,
    });
    // Every action comes back as its original line, in checkpoint order.
    expect(await cat.commitLines(t.tableId, cp.ref.version)).toEqual(actions.map((a) => a.raw));
    results.push({
      adds: await addRows(cat, t.tableId),
      snapshot: await cat.snapshot(t.tableId, { includeFiles: true }),
      table: await cat.findTable(t.tableId),
    });
  }
  expect(results[0].adds).toEqual(results[1].adds);
  expect(results[0].snapshot).toEqual(results[1].snapshot);
  expect(results[0].snapshot.numFiles).toBe(ADDS);
  expect(results[0].table).toMatchObject({ baselineVersion: cp.ref.version, lastVersion: cp.ref.version });
});

test('a checkpoint that breaks after rows went to the COPY leaves nothing; the retry succeeds', async () => {
  // Same checkpoint with its last row group's column data overwritten (the footer stays valid):
  // the reader yields the first six row groups, then fails.
  const badDir = tempDir('deltasql-basestream-bad-');
  try {
    const bytes = fs.readFileSync(cp.file);
    const meta = parquetMetadata(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    const lastGroup = meta.row_groups[meta.row_groups.length - 1];
    const first = lastGroup.columns[0].meta_data;
    if (!first) throw new Error('column chunk without metadata');
    const from = Number(first.dictionary_page_offset || first.data_page_offset);
    const footerStart = bytes.length - 8 - bytes.readUInt32LE(bytes.length - 8);
    for (let i = from; i < footerStart; i++) bytes[i] = 0xff;
    const rel = cp.ref.files[0].path;
    fs.mkdirSync(path.join(badDir, path.dirname(rel)), { recursive: true });
    fs.writeFileSync(path.join(badDir, rel), bytes);

    const t = await pg.ensureTable({ location: dir, name: 'broken' });
    const seen = { n: 0 };
    await expect(
      pg.writeBaseline(t.tableId, base(), counted(readCheckpoint(new LocalStore(badDir), cp.ref), seen)),
    ).rejects.toMatchObject({ type: 'CorruptCheckpoint', message: expect.stringContaining(rel) });
    // Several COPY batches were sent before the failure.
    expect(seen.n).toBeGreaterThanOrEqual(2 * STREAM_BATCH_ACTIONS);
    expect(seen.n).toBeLessThan(ROWS);
    expect(Object.values(await rowCounts(pg, t.tableId)).every((n) => n === 0)).toBe(true);
    expect((await pg.findTable(t.tableId))?.lastVersion).toBeNull();

    const ok = await pg.writeBaseline(t.tableId, base(), readCheckpoint(new LocalStore(dir), cp.ref));
    expect(ok.versionsWritten).toBe(1);
    expect((await rowCounts(pg, t.tableId)).dl_add_files).toBe(ADDS);
    // The same baseline again is skipped, without new rows.
    const again = await pg.writeBaseline(t.tableId, base(), readCheckpoint(new LocalStore(dir), cp.ref));
    expect(again).toMatchObject({ versionsWritten: 0, versionsSkipped: 1 });
    expect((await rowCounts(pg, t.tableId)).dl_add_files).toBe(ADDS);
  } finally {
    fs.rmSync(badDir, { recursive: true, force: true });
  }
});

test('more than FLUSH_ROWS non-add rows split the COPY and keep every line in order', async () => {
  const removes = FLUSH_ROWS + 1500;
  const adds = 2500;
  const lines: string[] = [
    JSON.stringify({ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }),
    JSON.stringify({
      metaData: {
        id: 'm',
        format: { provider: 'parquet', options: {} },
        schemaString: '{"type":"struct","fields":[]}',
        partitionColumns: [],
        configuration: {},
        createdTime: 1,
      },
    }),
  ];
  // Adds and tombstones interleaved, so the COPY of adds is cut while adds are still coming.
  for (let i = 0; i < removes + adds; i++) {
    lines.push(
      i % 10 < 9 && i < removes * 1.1
        ? JSON.stringify({ remove: { path: `gone-${i}.parquet`, deletionTimestamp: i, dataChange: true } })
        : JSON.stringify({
            add: { path: `f-${i}.parquet`, size: i, modificationTime: i, dataChange: false },
          }),
    );
  }
  async function* actions(): AsyncGenerator<LogAction> {
    for (let i = 0; i < lines.length; i++) yield toLogAction(JSON.parse(lines[i]), lines[i], i);
  }
  const expected = { add: 0, remove: 0 };
  for (const l of lines) {
    if (l.startsWith('{"add"')) expected.add++;
    if (l.startsWith('{"remove"')) expected.remove++;
  }
  expect(expected.remove).toBeGreaterThan(FLUSH_ROWS);
  const t = await pg.ensureTable({ location: dir, name: 'tombstones' });
  const streams = recordStreams(pg);
  const r = await pg
    .writeBaseline(t.tableId, { version: 3, timestamp: 5, file: 'x' }, actions())
    .finally(streams.restore);
  // The tombstones were flushed once between two COPYs of adds.
  expect(streams.tables).toEqual(['dl_add_files', 'dl_add_files']);
  expect(r.counts).toMatchObject(expected);
  expect(await rowCounts(pg, t.tableId)).toMatchObject({
    dl_add_files: expected.add,
    dl_remove_files: expected.remove,
    dl_metadata_updates: 1,
    dl_protocol_updates: 1,
    dl_table_versions: 1,
  });
  expect(await pg.commitLines(t.tableId, 3)).toEqual(lines);
  const snap = await pg.snapshot(t.tableId, { includeFiles: true });
  expect(snap.numFiles).toBe(expected.add);
});
