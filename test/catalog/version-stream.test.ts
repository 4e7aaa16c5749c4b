/**
 * One version written as a stream in bounded chunks (catalog/version-stream.ts), on all four
 * engines. A 4 MB commit of ~2k adds, flushed every 512 KiB of JSON here (16 MiB in production),
 * so rows really are flushed mid-version many times. Proves: the streamed version equals the same
 * commit written whole (every add row with its validity range, the snapshot the log replays, the
 * commit bytes with their framing: '\r\n', a blank line, no final newline), a stream that breaks
 * after rows were flushed leaves nothing behind, and a retry is skipped by content hash or
 * refused with VersionConflict when the content differs.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { largeFilePath, writeLargeCommitTable, type LargeCommitTable } from '../../bench/large-commit';
import { ROW_TABLES } from '../../catalog/rows';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import type { WriteResult } from '../../catalog/store';
import { STREAM_FLUSH_CHARS, writeVersionStream } from '../../catalog/version-stream';
import type { Commit, LogAction } from '../../delta/actions';
import { isStreamed, type StreamedCommit } from '../../delta/commit-stream';
import { DeltaTable } from '../../delta/table';
import { ENGINES, freshCatalog, type TestCatalog } from './conformance-support';
import { tempDir } from './helpers';

const MIN_BYTES = 4 * 1024 * 1024;
const FLUSH_CHARS = 512 * 1024;
let dir: string;
let gen: LargeCommitTable;
let table: DeltaTable;

beforeAll(async () => {
  dir = tempDir('deltasql-vstream-');
  gen = writeLargeCommitTable(dir, MIN_BYTES);
  // Version 1 with the framing a streamed commit must keep: '\r\n' endings, a blank line, and no
  // newline at the end.
  const v1 = path.join(dir, '_delta_log', '00000000000000000001.json');
  const lines = fs.readFileSync(v1, 'utf8').trimEnd().split('\n');
  lines.splice(2, 0, '   ');
  fs.writeFileSync(v1, lines.join('\r\n'));
  table = await DeltaTable.open(dir);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function streamed(version: number): Promise<StreamedCommit> {
  for await (const c of table.commits(version, version, { streamAbove: 0 })) {
    if (isStreamed(c)) return c;
  }
  throw new Error(`version ${version} was not streamed`);
}

async function whole(version: number): Promise<Commit> {
  for await (const c of table.commits(version, version)) return c;
  throw new Error(`no version ${version}`);
}

/** The same commit, whose stream fails after `after` actions. */
function breaking(c: StreamedCommit, after: number): StreamedCommit {
  async function* actions(): AsyncGenerator<LogAction> {
    let n = 0;
    for await (const a of c.actions) {
      if (++n > after) throw new Error('storage went away mid-commit');
      yield a;
    }
  }
  return { ...c, actions: { [Symbol.asyncIterator]: actions } };
}

async function rowCount(store: SqlCatalogStore, tableId: string): Promise<number> {
  let n = 0;
  for (const t of ROW_TABLES) {
    const r = await store.driver.query(`SELECT COUNT(*) AS n FROM {T:${t}} WHERE table_id = ?`, [tableId]);
    n += Number(r[0].n);
  }
  return n;
}

/** Every add row in (version, seq) order, engine-neutral. */
async function addRows(store: SqlCatalogStore, tableId: string): Promise<string[]> {
  const rows = await store.driver.query(
    `SELECT version, seq, path, removed_version, raw FROM {T:dl_add_files} WHERE table_id = ? ORDER BY version, seq`,
    [tableId],
  );
  return rows.map((r) =>
    [
      Number(r.version),
      Number(r.seq),
      r.path,
      r.removed_version === null ? null : Number(r.removed_version),
      r.raw,
    ].join('|'),
  );
}

const sha = (b: Buffer | null): string | null => (b ? createHash('sha256').update(b).digest('hex') : null);

/** The store's transaction around the writer, with the test's small flush bound. */
const writeStream = (store: SqlCatalogStore, tableId: string, c: StreamedCommit): Promise<WriteResult> =>
  store.driver.transaction((tx) => writeVersionStream(tx, tableId, c, FLUSH_CHARS));

test('the generated commit crosses the flush bound several times', () => {
  expect(gen.commitBytes).toBeGreaterThan(4 * FLUSH_CHARS);
  expect(FLUSH_CHARS).toBeLessThan(STREAM_FLUSH_CHARS);
});

describe.each(ENGINES)('%s', (engine) => {
  let cat: TestCatalog;
  let store: SqlCatalogStore;
  beforeAll(async () => {
    cat = await freshCatalog(engine, 'vstream');
    store = cat.store as SqlCatalogStore;
  });
  afterAll(async () => cat?.drop());

  test('a streamed version is all-or-nothing, equals the whole write, and retries idempotently', async () => {
    const t = await store.ensureTable({ location: dir, name: 'streamed' });
    // Broken near the end, after several flushes: those rows were sent, and must roll back.
    await expect(writeStream(store, t.tableId, breaking(await streamed(0), gen.files - 100))).rejects.toThrow(
      'storage went away mid-commit',
    );
    expect((await store.findTable(t.tableId))?.lastVersion).toBeNull();
    expect(await rowCount(store, t.tableId)).toBe(0);

    const w0 = await writeStream(store, t.tableId, await streamed(0));
    expect(w0).toMatchObject({ versionsWritten: 1, versionsSkipped: 0 });
    expect(w0.counts).toMatchObject({ add: gen.files, protocol: 1, metaData: 1, commitInfo: 1 });
    const w1 = await writeStream(store, t.tableId, await streamed(1));
    expect(w1.counts).toMatchObject({ add: gen.added, remove: gen.removed, commitInfo: 1 });

    // A retry of a stored version (through the store) is hashed from its stream and skipped.
    expect(await store.writeVersionStream(t.tableId, await streamed(1))).toMatchObject({
      versionsWritten: 0,
      versionsSkipped: 1,
    });

    // The same commits written whole, into another table of the same catalog.
    const ref = await store.ensureTable({ location: dir, name: 'whole' });
    await store.writeVersions(ref.tableId, [await whole(0)]);
    await store.writeVersions(ref.tableId, [await whole(1)]);
    expect(await addRows(store, t.tableId)).toEqual(await addRows(store, ref.tableId));
    expect(await rowCount(store, t.tableId)).toBe(await rowCount(store, ref.tableId));

    for (const v of [0, 1]) {
      expect(await store.snapshot(t.tableId, { version: v, includeFiles: true })).toEqual(
        await table.snapshot({ version: v }),
      );
      const file = fs.readFileSync(path.join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`));
      expect(sha(await store.commitBytes(t.tableId, v))).toBe(sha(file));
    }
    const live = await store.files(t.tableId, { version: 1 });
    expect(live.length).toBe(gen.files - gen.removed + gen.added);
    expect(live).not.toContain(largeFilePath(0));
    expect(live).toContain(largeFilePath(gen.files + gen.added - 1));
  });

  test('a stored version streamed again with other content is a VersionConflict', async () => {
    const t = await store.findTable('streamed');
    if (!t) throw new Error('table missing');
    const v1 = await streamed(1);
    const other: StreamedCommit = { ...v1, version: 0 };
    await expect(store.writeVersionStream(t.tableId, other)).rejects.toMatchObject({
      type: 'VersionConflict',
    });
    expect((await store.findTable(t.tableId))?.lastVersion).toBe(1);
  });
});
