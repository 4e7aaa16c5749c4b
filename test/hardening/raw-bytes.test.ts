/**
 * Byte-exact commit files: every version of every readable fixture, written into BOTH engines,
 * comes back from `commitBytes` with the source file's exact bytes (sha256 equal), including the
 * commit at a checkpoint baseline; odd framings (CRLF, blank lines, no final newline, invalid
 * UTF-8) round-trip; a tampered row is a CommitBytesMismatch.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import type { CatalogStore } from '../../catalog/store';
import { FramingBuilder, rebuildCommit, FramingSchema } from '../../delta/commit-framing';
import { isBlankLine } from '../../delta/commit-reader';
import { bufferLines } from '../../delta/line-reader';
import { commitPath } from '../../delta/log-path';
import { DeltaTable } from '../../delta/table';
import { allFixtureTables, fixture } from '../support/env';
import {
  collect,
  dropPgSchema,
  loadHistory,
  pgUrl,
  sqliteUrl,
  tempDir,
  uniqueSchema,
} from '../catalog/helpers';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Frame a buffer the way the commit reader does and rebuild it from its action lines. */
function roundTrip(buf: Buffer): { bytes: Buffer; framing: string | null } {
  const f = new FramingBuilder();
  f.bytes(buf);
  const raws: string[] = [];
  for (const l of bufferLines(buf)) {
    const action = !isBlankLine(l.text);
    if (action) raws.push(l.text);
    f.line(l, action);
  }
  const raw = f.finish(buf);
  if (!raw) throw new Error('no raw');
  const framing = raw.framing === null ? null : FramingSchema.parse(JSON.parse(raw.framing));
  const bytes = rebuildCommit(framing?.b !== undefined ? [] : raws, framing);
  expect(raw.sha256).toBe(sha(buf));
  expect(raw.size).toBe(buf.length);
  return { bytes, framing: raw.framing };
}

describe('framing round-trips', () => {
  const a = '{"add":{"path":"a","size":1,"modificationTime":1,"dataChange":true}}';
  const b = '{"commitInfo":{"timestamp":"2024-01-01T00:00:00Z"}}';
  test.each([
    ['plain', `${a}\n${b}\n`, null],
    ['no final newline', `${a}\n${b}`, '{"t":0}'],
    ['crlf everywhere', `${a}\r\n${b}\r\n`, '{"c":1}'],
    ['crlf on one line', `${a}\r\n${b}\n`, '{"c":[0]}'],
    ['blank lines', `\n${a}\n\n  \n${b}\n`, '{"g":[[0,""],[2,""],[3,"  "]]}'],
    ['trailing whitespace', `${a}\n${b}\n \r`, '{"g":[[2," \\r"]],"t":0}'],
    ['two final newlines', `${a}\n\n`, '{"g":[[1,""]]}'],
    ['empty file', '', null],
    ['only a newline', '\n', '{"g":[[0,""]]}'],
  ])('%s', (_name, text, framing) => {
    const buf = Buffer.from(text, 'utf8');
    const r = roundTrip(buf);
    expect(r.framing).toBe(framing);
    expect(r.bytes.equals(buf)).toBe(true);
  });

  test('invalid UTF-8 keeps the whole file', () => {
    const buf = Buffer.concat([
      Buffer.from('{"commitInfo":{"x":"'),
      Buffer.from([0xff, 0xfe]),
      Buffer.from('"}}\n'),
    ]);
    const r = roundTrip(buf);
    expect(r.framing).toMatch(/^\{"b":/);
    expect(r.bytes.equals(buf)).toBe(true);
  });
});

const schema = uniqueSchema('rawbytes');
let sqlite: CatalogStore;
let pg: CatalogStore;
const dir = tempDir('deltasql-rawbytes-');

beforeAll(async () => {
  sqlite = await openCatalog(sqliteUrl(dir));
  pg = await openCatalog(pgUrl(schema));
});

afterAll(async () => {
  await sqlite?.close();
  await pg?.close();
  await dropPgSchema(schema);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Write the table's readable history (checkpoint-first when the log starts late) into `store`. */
async function importInto(
  store: CatalogStore,
  root: string,
  name: string,
): Promise<{ id: string; first: number; latest: number }> {
  const h = await loadHistory(root);
  const t = await store.ensureTable({ location: root, name });
  if (h.baseline) {
    const raw = await h.table.wholeCommitRaw(h.baseline.version);
    await store.writeBaseline(t.tableId, { ...h.baseline, raw }, h.baseline.actions());
  }
  await store.writeVersions(t.tableId, h.commits);
  return { id: t.tableId, first: h.first, latest: h.latest };
}

async function expectExact(
  store: CatalogStore,
  root: string,
  id: string,
  first: number,
  latest: number,
): Promise<number> {
  let checked = 0;
  for (let v = first; v <= latest; v++) {
    const file = path.join(root, commitPath(v));
    const got = await store.commitBytes(id, v);
    if (!fs.existsSync(file)) {
      expect(got).toBeNull();
      continue;
    }
    expect({ v, sha: got ? sha(got) : null }).toEqual({ v, sha: sha(fs.readFileSync(file)) });
    checked++;
  }
  return checked;
}

/** Fixtures the log reader rejects (bad metaData lines, reader version > 3): nothing to import. */
const UNREADABLE = new Set([
  'delta-rs/delta-live-table',
  'golden/deltalog-commit-info',
  'delta-rs/simple_table_features',
  'golden/deltalog-invalid-protocol-version',
]);
const tables = allFixtureTables().filter((t) => !UNREADABLE.has(t));

test('fixtures are present', () => {
  expect(tables.length).toBeGreaterThan(100);
});

test.each(tables)('%s: commitBytes = source N.json at every version (sqlite + postgres)', async (rel) => {
  const root = fixture(rel);
  for (const store of [sqlite, pg]) {
    const { id, first, latest } = await importInto(store, root, rel);
    await expectExact(store, root, id, first, latest);
  }
});

test('odd framings survive the catalog on both engines, and a tampered row is CommitBytesMismatch', async () => {
  const root = tempDir('deltasql-framing-');
  const log = path.join(root, '_delta_log');
  fs.mkdirSync(log);
  const proto = '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}';
  const meta =
    '{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\\"type\\":\\"struct\\",\\"fields\\":[]}","partitionColumns":[],"configuration":{}}}';
  const add = (p: string): string =>
    `{"add":{"path":"${p}","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}`;
  const files = [
    `${proto}\r\n${meta}\r\n${add('a')}\r\n`,
    `\n${add('b')}\n\n`,
    `{"commitInfo":{"timestamp":"2024-01-01T00:00:00Z"}}\n${add('c')}`,
  ];
  files.forEach((f, v) => fs.writeFileSync(path.join(root, commitPath(v)), f));
  try {
    for (const [i, store] of [sqlite, pg].entries()) {
      const { id } = await importInto(store, root, `framing-${i}`);
      expect(await expectExact(store, root, id, 0, 2)).toBe(3);
      expect(await store.commitBytes(id, 7)).toBeNull();
      const driver = (store as unknown as { driver: { query(s: string, p: unknown[]): Promise<unknown> } })
        .driver;
      await driver.query(`UPDATE {T:dl_add_files} SET raw = ? WHERE table_id = ? AND version = 1`, [
        add('B'),
        id,
      ]);
      await expect(store.commitBytes(id, 1)).rejects.toMatchObject({ type: 'CommitBytesMismatch' });
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});

test('the commit at a checkpoint baseline is kept; absent json gives null', async () => {
  const rel = 'delta-rs/checkpoints_vacuumed';
  const table = await DeltaTable.open(fixture(rel));
  const oldest = await table.oldestReconstructableVersion();
  expect(oldest).toBeGreaterThan(0);
  for (const store of [sqlite, pg]) {
    const t = await store.findTable(rel);
    if (!t) throw new Error('imported above');
    expect(t.baselineVersion).toBe(oldest);
    const file = path.join(fixture(rel), commitPath(oldest));
    const got = await store.commitBytes(t.tableId, oldest);
    if (fs.existsSync(file)) expect(got && sha(got)).toBe(sha(fs.readFileSync(file)));
    else expect(got).toBeNull();
  }
  expect(await collect(table.commits(oldest, oldest))).toHaveLength(1);
});
