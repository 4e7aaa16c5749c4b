/**
 * The streaming checkpoint reader (ranged reads, page-by-page decoding in row batches) yields
 * exactly what the old whole-file reader did: same rows for every fixture checkpoint, same
 * LogActions (raw, seq, body) for a multi-row-group checkpoint, through ranged and whole-file
 * stores; and it really reads through getRange.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { compressors } from 'hyparquet-compressors';
import type { LogAction } from '../../delta/actions';
import { readCheckpoint } from '../../delta/checkpoint-reader';
import { type ByteSource, parquetRowBatches, readParquetMetadata } from '../../delta/parquet-stream';
import { LocalStore } from '../../storage/local-store';
import type { ObjectMeta, ObjectStore } from '../../storage/object-store';
import { fixturesRoot } from '../support/env';
import { wholeFileActions, wholeFileRows, writeCheckpoint } from './checkpoint-files';
import { errorOf } from './helpers';

const fileSource = (file: string): ByteSource => {
  const store = new LocalStore(path.dirname(file));
  const name = path.basename(file);
  return { size: fs.statSync(file).size, read: (a, b) => store.getRange(name, a, b) };
};

async function streamRows(src: ByteSource, opts: Parameters<typeof parquetRowBatches>[2]) {
  const rows: Record<string, unknown>[] = [];
  for await (const batch of parquetRowBatches(src, await readParquetMetadata(src), opts)) {
    expect(batch.length).toBeLessThanOrEqual(opts?.batchRows ?? Infinity);
    rows.push(...batch);
  }
  return rows;
}

async function collect(it: AsyncIterable<LogAction>): Promise<LogAction[]> {
  const out: LogAction[] = [];
  for await (const a of it) out.push(a);
  return out;
}

/** A store without getRange: the whole-file fallback. */
function wholeFileOnly(inner: ObjectStore): ObjectStore {
  return {
    root: inner.root,
    list: (p, o) => inner.list(p, o),
    get: (p) => inner.get(p),
    head: (p) => inner.head(p),
    put: (p, b) => inner.put(p, b),
    putIfAbsent: (p, b) => inner.putIfAbsent(p, b),
    delete: (p) => inner.delete(p),
  };
}

function findCheckpoints(dir: string, out: string[] = []): string[] {
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) findCheckpoints(p, out);
    else if (p.includes(`${path.sep}_delta_log${path.sep}`) && e.name.endsWith('.parquet')) out.push(p);
  }
  return out.sort();
}

let dir: string;
let cp: Awaited<ReturnType<typeof writeCheckpoint>>;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-cpstream-'));
  // 7 row groups of 500 rows, 64-row pages: rows and repeated values cross page and batch edges.
  cp = await writeCheckpoint(dir, { adds: 3000, removes: 400, rowGroupSize: 500, pageSize: 64 });
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('every fixture checkpoint/sidecar decodes to the same rows as the whole-file reader', async () => {
  const files = findCheckpoints(path.join(fixturesRoot(), 'delta'));
  expect(files.length).toBeGreaterThanOrEqual(20);
  for (const file of files) {
    const expected = await wholeFileRows(file);
    // Tiny windows and header probes force refills and page headers split across windows.
    const got = await streamRows(fileSource(file), {
      compressors,
      batchRows: 3,
      windowBytes: 97,
      headerProbeBytes: 5,
    });
    expect({ file, rows: got }).toEqual({ file, rows: expected });
  }
});

test('multi-row-group checkpoint: ranged, whole-file and small-batch reads match the old actions', async () => {
  const meta = await readParquetMetadata(fileSource(cp.file));
  expect(meta.row_groups.length).toBe(7);
  const expected = await wholeFileActions(cp.file);
  // protocol, metaData, 2 txns, 3000 adds, 400 removes: one action per row, seq = row number.
  expect(expected.length).toBe(3404);
  expect(expected.map((a) => a.seq)).toEqual(expected.map((_, i) => i));
  expect(expected.filter((a) => a.type === 'add').length).toBe(3000);

  const local = new LocalStore(dir);
  expect(await collect(readCheckpoint(local, cp.ref))).toEqual(expected);
  expect(await collect(readCheckpoint(wholeFileOnly(local), cp.ref))).toEqual(expected);
  // Unknown size in the ref: the reader asks head().
  const noSize = { ...cp.ref, files: [{ ...cp.ref.files[0], size: 0 }] };
  expect(await collect(readCheckpoint(local, noSize))).toEqual(expected);

  const rows = await streamRows(fileSource(cp.file), {
    compressors,
    batchRows: 37,
    windowBytes: 1000,
    headerProbeBytes: 16,
  });
  expect(rows).toEqual(await wholeFileRows(cp.file));
});

test('parquet checkpoints are read with ranged reads only, never fetched whole', async () => {
  const inner = new LocalStore(dir);
  const calls: { start: number; end: number }[] = [];
  const gets: string[] = [];
  const counting: ObjectStore = {
    ...wholeFileOnly(inner),
    get: (p) => {
      gets.push(p);
      return inner.get(p);
    },
    getRange: (p, start, end) => {
      calls.push({ start, end });
      return inner.getRange(p, start, end);
    },
  };
  const n = (await collect(readCheckpoint(counting, cp.ref))).length;
  expect(n).toBe(3404);
  expect(gets).toEqual([]);
  const size = cp.ref.files[0].size;
  const meta = await readParquetMetadata(fileSource(cp.file));
  const chunks = meta.row_groups.reduce((s, rg) => s + rg.columns.length, 0);
  // Footer read(s) plus at least one window per column chunk.
  expect(chunks).toBeGreaterThan(100);
  expect(calls.length).toBeGreaterThan(chunks);
  for (const c of calls) expect(c.start >= 0 && c.end <= size && c.start < c.end).toBe(true);
  const fetched = calls.reduce((s, c) => s + (c.end - c.start), 0);
  // Every byte of column data is needed, but none is fetched twice beyond the footer probe.
  expect(fetched).toBeLessThan(size * 2);
});

test('missing and damaged checkpoint files raise typed errors naming the file', async () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-cpbad-'));
  try {
    const store = new LocalStore(d);
    const missing = await errorOf(collect(readCheckpoint(store, cp.ref)));
    expect(missing.type).toBe('IncompleteCheckpoint');
    expect(missing.message).toContain(cp.ref.files[0].path);

    // Column data overwritten with garbage (the footer stays valid).
    const bytes = fs.readFileSync(cp.file);
    for (let i = 4; i < bytes.length / 2; i += 3) bytes[i] = 0xff;
    fs.mkdirSync(path.join(d, '_delta_log'));
    fs.writeFileSync(path.join(d, cp.ref.files[0].path), bytes);
    const bad = await errorOf(collect(readCheckpoint(store, cp.ref)));
    expect(bad.type).toBe('CorruptCheckpoint');
    expect(bad.message).toContain(cp.ref.files[0].path);

    // Truncated: no footer.
    fs.writeFileSync(path.join(d, cp.ref.files[0].path), bytes.subarray(0, 1000));
    const meta: ObjectMeta = { ...cp.ref.files[0], size: 1000 };
    const trunc = await errorOf(collect(readCheckpoint(store, { ...cp.ref, files: [meta] })));
    expect(trunc.type).toBe('CorruptCheckpoint');
  } finally {
    fs.rmSync(d, { recursive: true, force: true });
  }
});
