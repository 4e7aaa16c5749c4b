/**
 * The commit file at a checkpoint baseline version is kept byte for byte even when it is too
 * large for one framing value (issue 14: "keep the commit file at a checkpoint baseline version
 * too"): above 64 MiB it is stored in `dl_commit_parts` (migration 12) while the baseline loads,
 * and export streams it back. A 65 MiB generated commit on SQLite and PostgreSQL: the parts
 * exist, `commitBytes` and the exported N.json have the source's sha256, the baseline's file set
 * is the checkpoint's, and the seed's SQL rollback (`DELETE FROM dl_tables`) and `dropTable`
 * remove the parts. The 600 MB case runs through the real import in large-commit-import.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { exportCheckpoint, exportRange, planExport } from '../../activities/export-steps';
import { writeLargeCommitTable, type LargeCommitTable } from '../../bench/large-commit';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { isStreamedRaw } from '../../delta/commit-framing';
import { DeltaTable, STREAM_COMMIT_BYTES } from '../../delta/table';
import { openStore } from '../../storage/uri';
import { dropPgSchema, loadHistory, pgUrl, sqliteUrl, tempDir, uniqueSchema } from '../catalog/helpers';

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const dir = tempDir('deltasql-large-baseline-');
const root = path.join(dir, 'table');
const pgSchema = uniqueSchema('largebaseline');
let gen: LargeCommitTable;

beforeAll(() => {
  gen = writeLargeCommitTable(root, STREAM_COMMIT_BYTES + 1024 * 1024);
});
afterAll(async () => {
  await dropPgSchema(pgSchema);
  fs.rmSync(dir, { recursive: true, force: true });
});

const parts = async (store: SqlCatalogStore, id: string): Promise<number> =>
  Number(
    (await store.driver.query(`SELECT COUNT(*) AS n FROM {T:dl_commit_parts} WHERE table_id = ?`, [id]))[0].n,
  );

test.each([
  ['sqlite', () => sqliteUrl(dir, 'catalog.db')],
  ['postgres', () => pgUrl(pgSchema)],
])(
  '%s: a >64 MiB commit at a checkpoint baseline is kept in parts and exports byte for byte',
  async (engine, url) => {
    const store = await openCatalog(url());
    try {
      // A checkpoint at version 0 in the source log (written from a full import of it), so a
      // checkpoint-first load has a baseline whose commit is the huge one.
      const h = await loadHistory(root);
      const full = await store.ensureTable({ location: root, name: 'full' });
      await store.writeVersions(full.tableId, h.commits);
      if (engine === 'sqlite') {
        await exportCheckpoint(store, openStore(root), {
          tableId: full.tableId,
          version: 0,
          overwrite: false,
        });
      }
      const table = await DeltaTable.open(root);
      const ref = (await table.checkpoints(0)).find((c) => c.version === 0);
      if (!ref) throw new Error('no checkpoint at version 0');
      const raw = await table.wholeCommitRaw(0);
      expect(raw !== null && isStreamedRaw(raw)).toBe(true);
      const t = await store.ensureTable({ location: root, name: 'baseline' });
      await store.writeBaseline(
        t.tableId,
        { version: 0, timestamp: 1_700_000_000_000, file: ref.files[0].path, raw },
        table.checkpointActions(ref),
      );
      await store.writeVersions(t.tableId, h.commits.slice(1));

      const [row] = await store.driver.query(
        `SELECT commit_size, commit_sha256, commit_framing FROM {T:dl_table_versions} WHERE table_id = ? AND version = 0`,
        [t.tableId],
      );
      const n = await parts(store, t.tableId);
      expect(n).toBeGreaterThanOrEqual(Math.floor(gen.commitBytes / (8 * 1024 * 1024)));
      expect([Number(row.commit_size), row.commit_sha256, row.commit_framing]).toEqual([
        gen.commitBytes,
        gen.commitSha256,
        JSON.stringify({ p: n }),
      ]);
      expect(sha((await store.commitBytes(t.tableId, 0)) as Buffer)).toBe(gen.commitSha256);
      expect((await store.files(t.tableId, { version: 0 })).length).toBe(gen.files);

      // Export writes the baseline's commit (streamed from its parts) and the later one.
      const out = path.join(dir, `out-${engine}`);
      const plan = await planExport(store, { catalog: '', table: 'baseline', dest: out, overwrite: false });
      expect({ commitFrom: plan.commitFrom, notRebuildable: plan.notRebuildable }).toEqual({
        commitFrom: 0,
        notRebuildable: null,
      });
      let beats = 0;
      const r = await exportRange(
        store,
        openStore(out),
        { tableId: t.tableId, from: 0, to: 1, commitFrom: plan.commitFrom, overwrite: false },
        () => undefined,
        () => beats++,
      );
      expect(r.outcomes.created).toBe(4);
      expect(beats).toBeGreaterThan(0);
      for (const v of [0, 1]) {
        const name = `${String(v).padStart(20, '0')}.json`;
        expect(sha(fs.readFileSync(path.join(out, '_delta_log', name)))).toBe(
          sha(fs.readFileSync(path.join(root, '_delta_log', name))),
        );
      }

      // The rollback removes the parts with the table, on every engine that has the trigger.
      await store.driver.query(`DELETE FROM {T:dl_tables} WHERE table_id = ?`, [t.tableId]);
      expect(await parts(store, t.tableId)).toBe(0);
    } finally {
      await store.close();
    }
  },
);

test('dropTable removes the parts too', async () => {
  const store = await openCatalog(sqliteUrl(dir, 'drop.db'));
  try {
    const table = await DeltaTable.open(root);
    const ref = (await table.checkpoints(0)).find((c) => c.version === 0);
    if (!ref) throw new Error('no checkpoint at version 0 (the first test writes it)');
    const t = await store.ensureTable({ location: root, name: 'baseline' });
    await store.writeBaseline(
      t.tableId,
      { version: 0, timestamp: 1, file: ref.files[0].path, raw: await table.wholeCommitRaw(0) },
      table.checkpointActions(ref),
    );
    expect(await parts(store, t.tableId)).toBeGreaterThan(0);
    await store.dropTable(t.tableId);
    expect(await parts(store, t.tableId)).toBe(0);
  } finally {
    await store.close();
  }
});
