/**
 * Export of a commit too large for one string (issue 14): above a threshold the export streams
 * the commit from SQL (lines a window at a time, framed with the stored framing), hashes while
 * writing and makes the file visible only when size and sha256 match: local disk (temp + link)
 * and S3 (moto: multipart upload completed with If-None-Match: *), on SQLite and PostgreSQL.
 * The threshold is lowered to 1 MiB here so a ~12 MB commit takes the streamed path (the 600 MB
 * case is test/hardening/large-commit-import); `beat` counts the chunks, proving the path taken.
 * Covered: plain and odd framing (CRLF, a blank line, no final newline) byte for byte, a re-export
 * is 'identical', a different file there is a VersionConflict (untouched), --overwrite replaces
 * it, and a tampered catalog row is a CommitBytesMismatch that leaves no file, no temp file and no
 * open multipart upload.
 */
import { createHash, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ListMultipartUploadsCommand } from '@aws-sdk/client-s3';
import { exportRange, planExport } from '../../activities/export-steps';
import { writeLargeCommitTable } from '../../bench/large-commit';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import type { CatalogStore } from '../../catalog/store';
import { FramingBuilder, FramingSchema, frameCommit, rebuildCommit } from '../../delta/commit-framing';
import { isBlankLine } from '../../delta/commit-reader';
import { bufferLines } from '../../delta/line-reader';
import { s3ClientFromEnv } from '../../storage/s3-store';
import { openStore } from '../../storage/uri';
import { dropPgSchema, loadHistory, pgUrl, sqliteUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { createBucket, useMotoEnv } from '../support/s3';

const STREAM_ABOVE = 1024 * 1024;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const dir = tempDir('deltasql-large-export-');
const bucket = `large-export-${randomUUID().slice(0, 8)}`;
const pgSchema = uniqueSchema('largeexport');
const commit0 = (root: string): string => path.join(root, '_delta_log', '00000000000000000000.json');
const commit1 = (root: string): string => path.join(root, '_delta_log', '00000000000000000001.json');

/** A generated ~12 MB version 0, and a copy whose version 0 has CRLF lines, a blank line and no final newline. */
const plain = path.join(dir, 'plain');
const odd = path.join(dir, 'odd');

beforeAll(async () => {
  useMotoEnv();
  process.env.AWS_S3_FORCE_PATH_STYLE = 'true';
  await createBucket(bucket);
  writeLargeCommitTable(plain, 12 * 1024 * 1024);
  fs.cpSync(plain, odd, { recursive: true });
  const lines = fs.readFileSync(commit0(plain), 'utf8').split('\n');
  lines.pop(); // the empty element after the final '\n'
  const text = lines.map((l, i) => (i % 3 === 0 ? `${l}\r` : l));
  text.splice(2, 0, '');
  fs.writeFileSync(commit0(odd), text.join('\n'));
});

afterAll(async () => {
  await dropPgSchema(pgSchema);
  fs.rmSync(dir, { recursive: true, force: true });
});

async function importInto(store: CatalogStore, root: string, name: string): Promise<void> {
  const h = await loadHistory(root);
  const t = await store.ensureTable({ location: root, name });
  await store.writeVersions(t.tableId, h.commits);
}

async function exportTo(store: CatalogStore, name: string, dest: string, overwrite = false) {
  const plan = await planExport(store, { catalog: '', table: name, dest, overwrite });
  let beats = 0;
  const r = await exportRange(
    store,
    openStore(dest),
    { tableId: plan.tableId, from: plan.from, to: plan.to, commitFrom: plan.commitFrom, overwrite },
    () => undefined,
    () => beats++,
    STREAM_ABOVE,
  );
  return { ...r, beats };
}

test('frameCommit gives rebuildCommit’s bytes for every framing', async () => {
  const a = '{"add":{"path":"a","size":1,"modificationTime":1,"dataChange":true}}';
  const b = '{"commitInfo":{"timestamp":1}}';
  const texts = [
    `${a}\n${b}\n`,
    `${a}\n${b}`,
    `${a}\r\n${b}\r\n`,
    `${a}\r\n${b}\n`,
    `\n${a}\n\n  \n${b}\n`,
    `${a}\n${b}\n \r`,
    `${a}\n\n`,
    '',
    '\n',
    `\n\n${a}`,
  ];
  for (const text of texts) {
    const buf = Buffer.from(text, 'utf8');
    const f = new FramingBuilder();
    f.bytes(buf);
    const raws: string[] = [];
    for (const l of bufferLines(buf)) {
      const action = !isBlankLine(l.text);
      if (action) raws.push(l.text);
      f.line(l, action);
    }
    const raw = f.finish(buf);
    const framing = raw?.framing ? FramingSchema.parse(JSON.parse(raw.framing)) : null;
    async function* lines(): AsyncGenerator<string> {
      yield* raws;
    }
    const parts: Buffer[] = [];
    // A tiny chunk size, so chunk boundaries fall everywhere.
    for await (const c of frameCommit(lines(), framing, 7)) parts.push(c);
    expect([text, Buffer.concat(parts).toString('utf8')]).toEqual([text, text]);
    expect(rebuildCommit(raws, framing).equals(buf)).toBe(true);
  }
});

describe.each([
  ['sqlite', () => sqliteUrl(dir, 'catalog.db')],
  ['postgres', () => pgUrl(pgSchema)],
])('%s', (engine, url) => {
  let store: CatalogStore;
  beforeAll(async () => {
    store = await openCatalog(url());
    await importInto(store, plain, 'plain');
    await importInto(store, odd, 'odd');
  });
  afterAll(async () => store?.close());

  test.each([
    ['local', (n: string) => path.join(dir, `out-${engine}-${n}`)],
    ['s3', (n: string) => `s3://${bucket}/${engine}/${n}`],
  ])('%s: a streamed commit exports byte for byte, again identical', async (_kind, dest) => {
    for (const [name, root] of [
      ['plain', plain],
      ['odd', odd],
    ] as const) {
      const out = dest(name);
      const r = await exportTo(store, name, out);
      expect(r.outcomes).toMatchObject({ created: 4, identical: 0 });
      expect(r.beats).toBeGreaterThan(5);
      const d = openStore(out);
      expect(sha(await d.get('_delta_log/00000000000000000000.json'))).toBe(
        sha(fs.readFileSync(commit0(root))),
      );
      expect(sha(await d.get('_delta_log/00000000000000000001.json'))).toBe(
        sha(fs.readFileSync(commit1(root))),
      );
      const again = await exportTo(store, name, out);
      expect(again.outcomes).toMatchObject({ created: 0, identical: 4 });
    }
  });

  test.each([
    ['local', (n: string) => path.join(dir, `conflict-${engine}-${n}`)],
    ['s3', (n: string) => `s3://${bucket}/${engine}/conflict-${n}`],
  ])('%s: other bytes there are a VersionConflict, --overwrite replaces them', async (_kind, dest) => {
    const out = dest('plain');
    const d = openStore(out);
    const source = fs.readFileSync(commit0(plain));
    const foreign = Buffer.from(source);
    foreign[100] = foreign[100] === 0x61 ? 0x62 : 0x61; // same size, other bytes
    await d.put('_delta_log/00000000000000000000.json', foreign);
    await expect(exportTo(store, 'plain', out)).rejects.toMatchObject({
      type: 'VersionConflict',
      message: expect.stringContaining('00000000000000000000.json'),
    });
    expect((await d.get('_delta_log/00000000000000000000.json')).equals(foreign)).toBe(true);
    const r = await exportTo(store, 'plain', out, true);
    expect(r.outcomes.overwritten).toBe(1);
    expect(sha(await d.get('_delta_log/00000000000000000000.json'))).toBe(sha(source));
  });

  test('a tampered line is a CommitBytesMismatch that leaves nothing behind', async () => {
    const db = (store as SqlCatalogStore).driver;
    const t = await store.findTable('odd');
    const id = t?.tableId ?? '';
    const where = 'table_id = ? AND version = 0 AND seq = 1000';
    const [row] = await db.query(`SELECT raw FROM {T:dl_add_files} WHERE ${where}`, [id]);
    const raw = String(row.raw);
    await db.query(`UPDATE {T:dl_add_files} SET raw = ? WHERE ${where}`, [
      raw.replace('"size":', '"size": '),
      id,
    ]);
    try {
      const local = path.join(dir, `tampered-${engine}`);
      await expect(exportTo(store, 'odd', local)).rejects.toMatchObject({ type: 'CommitBytesMismatch' });
      // Version 1 (a small commit, written alongside) is there; version 0 and any temp file are not.
      const left = fs.readdirSync(path.join(local, '_delta_log'));
      expect(left.filter((f) => f.startsWith('00000000000000000000.json'))).toEqual([]);
      expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
      const prefix = `${engine}/tampered`;
      await expect(exportTo(store, 'odd', `s3://${bucket}/${prefix}`)).rejects.toMatchObject({
        type: 'CommitBytesMismatch',
      });
      expect(
        await openStore(`s3://${bucket}/${prefix}`).head('_delta_log/00000000000000000000.json'),
      ).toBeNull();
      const uploads = await s3ClientFromEnv().send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefix }),
      );
      expect(uploads.Uploads ?? []).toEqual([]);
    } finally {
      await db.query(`UPDATE {T:dl_add_files} SET raw = ? WHERE ${where}`, [raw, id]);
    }
  });
});

test.each([
  ['local', () => path.join(dir, 'race')],
  ['s3', () => `s3://${bucket}/race`],
])(
  '%s: putStream loses to a writer that creates the file mid-stream, and writes nothing',
  async (kind, root) => {
    const store = openStore(root());
    const rel = '_delta_log/00000000000000000007.json';
    const theirs = Buffer.from('{"commitInfo":{"operation":"other writer"}}\n');
    async function* body(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(6 * 1024 * 1024, 0x61);
      expect(await store.putIfAbsent(rel, theirs)).toBe(true);
      yield Buffer.alloc(6 * 1024 * 1024, 0x62);
    }
    const putStream = store.putStream?.bind(store);
    if (!putStream) throw new Error('no putStream');
    expect(await putStream(rel, body(), { ifAbsent: true })).toBe(false);
    expect((await store.get(rel)).equals(theirs)).toBe(true);
    if (kind === 's3') {
      const open = await s3ClientFromEnv().send(
        new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: 'race' }),
      );
      expect(open.Uploads ?? []).toEqual([]);
    } else
      expect(fs.readdirSync(path.join(root(), '_delta_log')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  },
);
