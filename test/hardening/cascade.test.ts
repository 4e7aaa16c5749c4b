/**
 * Seed 001's SQL rollback: `DELETE FROM dl_tables WHERE table_id = '<uuid>'` removes every row of
 * that table (versions, every action table, runs) and nothing of any other table, on both engines;
 * on SQLite also from a plain connection that never set `PRAGMA foreign_keys` (the sqlite3 shell).
 */
import Database from 'better-sqlite3';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import type { CatalogStore } from '../../catalog/store';
import type { SqlDriver } from '../../catalog/sql';
import { CHILD_TABLES } from '../../catalog/migrations/005_raw_commits_cascade';
import { fixture } from '../support/env';
import { dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';

const schema = uniqueSchema('cascade');
const dir = tempDir('deltasql-cascade-');
afterAll(async () => {
  await dropPgSchema(schema);
});

/** A fixture with every kind of row: adds, removes, metadata, protocol, txns, commitInfo, cdc. */
const ROOTS = ['delta-rs/simple_table', 'delta-rs/cdf-table'];

async function rowCounts(d: SqlDriver, tableId: string): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of [...CHILD_TABLES, 'dl_tables']) {
    const r = await d.query(`SELECT COUNT(*) AS n FROM {T:${t}} WHERE table_id = ?`, [tableId]);
    out[t] = Number(r[0].n);
  }
  return out;
}

async function importTwo(store: CatalogStore): Promise<[string, string]> {
  const ids: string[] = [];
  for (const rel of ROOTS) {
    const h = await loadHistory(fixture(rel));
    const t = await store.ensureTable({ location: fixture(rel), name: rel });
    await store.writeVersions(t.tableId, h.commits);
    await store.startRun({
      runId: `run-${t.tableId}`,
      tableId: t.tableId,
      workflowId: null,
      temporalRunId: null,
      mode: 'full-history',
      startedAt: 1,
      fromVersion: 0,
      toVersion: h.latest,
      versionsImported: h.commits.length,
      counts: {},
      validation: null,
      error: null,
    });
    ids.push(t.tableId);
  }
  return [ids[0], ids[1]];
}

const zero = Object.fromEntries([...CHILD_TABLES, 'dl_tables'].map((t) => [t, 0]));

test.each([
  ['sqlite', `sqlite:///${path.join(dir, 'c.db')}`],
  ['postgres', pgUrl(schema)],
])('%s: DELETE FROM dl_tables cascades to every row of that table only', async (_e, url) => {
  const store = await openCatalog(url);
  try {
    const [gone, keep] = await importTwo(store);
    const before = await rowCounts(store.driver, keep);
    const goneBefore = await rowCounts(store.driver, gone);
    for (const t of [
      'dl_table_versions',
      'dl_add_files',
      'dl_remove_files',
      'dl_commit_info',
      'dl_import_runs',
    ]) {
      expect(goneBefore[t]).toBeGreaterThan(0);
    }
    await store.driver.query(`DELETE FROM {T:dl_tables} WHERE table_id = ?`, [gone]);
    expect(await rowCounts(store.driver, gone)).toEqual(zero);
    expect(await rowCounts(store.driver, keep)).toEqual(before);
    // `deltasql drop` (explicit deletes, then the table row) still works with the trigger in place.
    await store.dropTable(keep);
    expect(await rowCounts(store.driver, keep)).toEqual(zero);
  } finally {
    await store.close();
  }
});

test('sqlite: the rollback works from a connection without PRAGMA foreign_keys (sqlite3 shell)', async () => {
  const file = path.join(dir, 'shell.db');
  const store = await openCatalog(`sqlite:///${file}`);
  const [gone, keep] = await importTwo(store);
  const before = await rowCounts(store.driver, keep);
  await store.close();
  const shell = new Database(file);
  // better-sqlite3 turns foreign keys on by default; the sqlite3 shell does not.
  shell.pragma('foreign_keys = OFF');
  expect(shell.pragma('foreign_keys', { simple: true })).toBe(0);
  shell.prepare(`DELETE FROM dl_tables WHERE table_id = ?`).run(gone);
  shell.close();
  const again = await openCatalog(`sqlite:///${file}`);
  try {
    expect(await rowCounts(again.driver, gone)).toEqual(zero);
    expect(await rowCounts(again.driver, keep)).toEqual(before);
  } finally {
    await again.close();
  }
});
