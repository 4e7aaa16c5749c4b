/**
 * Shared test plumbing for the catalog: fresh SQLite files and fresh Postgres schemas per test
 * file, and loading a fixture's history through the real DeltaTable reader.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import type { Commit, LogAction } from '../../delta/actions';
import { DeltaTable } from '../../delta/table';
import { quoteIdent } from '../../catalog/sql';
import { PG_URL } from '../support/env';

export function tempDir(prefix = 'deltasql-cat-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function sqliteUrl(dir: string, name = 'catalog.db'): string {
  return `sqlite:///${path.join(dir, name)}`;
}

export function pgUrl(schema: string): string {
  return `${PG_URL}?schema=${encodeURIComponent(schema)}`;
}

export function uniqueSchema(tag: string): string {
  return `t_${tag}_${process.pid}_${Date.now().toString(36)}`;
}

export async function dropPgSchema(schema: string): Promise<void> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${quoteIdent(schema)} CASCADE`);
  } finally {
    await c.end();
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

export interface History {
  table: DeltaTable;
  latest: number;
  /** Present when the log cannot be read from version 0 (checkpoint-first import). */
  baseline: {
    version: number;
    timestamp: number;
    file: string;
    actions: () => AsyncIterable<LogAction>;
  } | null;
  first: number;
  commits: Commit[];
}

/** Everything needed to write a table's full readable history into a catalog. */
export async function loadHistory(root: string): Promise<History> {
  const table = await DeltaTable.open(root);
  const latest = await table.latestVersion();
  const oldest = await table.oldestReconstructableVersion();
  let baseline: History['baseline'] = null;
  if (oldest > 0) {
    const cps = await table.checkpoints(oldest);
    const cp = cps[cps.length - 1];
    if (!cp || cp.version !== oldest) throw new Error(`no checkpoint at oldest version ${oldest} of ${root}`);
    const snap = await table.snapshot({ version: oldest }, { includeFiles: false });
    baseline = {
      version: oldest,
      timestamp: snap.timestamp,
      file: cp.files[0].path,
      actions: () => table.checkpointActions(cp),
    };
  }
  const from = baseline ? baseline.version + 1 : 0;
  const commits = from <= latest ? await collect(table.commits(from, latest)) : [];
  return { table, latest, baseline, first: oldest, commits };
}

/** Write a NDJSON commit file into a synthetic table's _delta_log. */
export function writeCommit(root: string, version: number, actions: object[], mtime?: number): void {
  const dir = path.join(root, '_delta_log');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${String(version).padStart(20, '0')}.json`);
  fs.writeFileSync(file, actions.map((a) => JSON.stringify(a)).join('\n') + '\n');
  if (mtime !== undefined) fs.utimesSync(file, mtime / 1000, mtime / 1000);
}
