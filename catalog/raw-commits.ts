/**
 * Commit files rebuilt byte for byte from the catalog: the version's action lines (`commitLines`)
 * framed by the stored framing (delta/commit-framing.ts), checked against the stored size and
 * sha256 so a caller (export) never writes bytes that differ from the source file.
 *
 * Two entry points: one version (`readCommitBytes`), and a range of versions in version order
 * (`commitBytesInRange`, the export's): a range reads its version rows with one statement and its
 * action lines with one statement per chunk of versions, instead of four statements per version.
 * A chunk holds at most about `maxActions` lines (one huge commit is a chunk of its own), so
 * memory is bounded by the chunk, never by the range.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DeltaSqlError } from '../common/errors';
import { FramingSchema, rebuildCommit, type Framing } from '../delta/commit-framing';
import { queryArrays } from './file-list';
import { ACTION_TABLES } from './rows';
import { commitLines } from './snapshot-reader';
import type { SqlDriver } from './sql';
import { requireTable } from './tables';

const num = z.union([z.number(), z.string(), z.bigint()]).transform((v) => Number(v));
const VersionRow = z.object({
  is_baseline: z.union([z.boolean(), z.number()]).transform((v) => v === true || v === 1),
  commit_size: num.nullable(),
  commit_sha256: z.string().nullable(),
  commit_framing: z.string().nullable(),
});
type VersionRow = z.infer<typeof VersionRow>;
const RangeRow = VersionRow.extend({ version: num, commit_timestamp: num, action_count: num });
type RangeRow = z.infer<typeof RangeRow>;

const VERSION_COLUMNS = 'is_baseline, commit_size, commit_sha256, commit_framing';

function parseFraming(text: string | null, where: string): Framing | null {
  if (text === null) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const f = FramingSchema.safeParse(parsed);
  if (!f.success) throw new DeltaSqlError('CatalogError', `malformed commit_framing for ${where}`);
  return f.data;
}

function parseRow<T>(schema: z.ZodType<T>, row: unknown): T {
  const r = schema.safeParse(row);
  if (!r.success)
    throw new DeltaSqlError('CatalogError', `malformed dl_table_versions row: ${r.error.message}`);
  return r.data;
}

/** Whether the framing holds the whole file, so no action lines are needed to rebuild it. */
const isWhole = (f: Framing | null): boolean => f?.b !== undefined || f?.x !== undefined;

/**
 * Rebuild one version's bytes from its row and lines and verify them; null when the catalog has no
 * commit file for it (a checkpoint baseline whose json was absent). Versions imported before
 * migration 5 have no stored sha256: they are rebuilt in the plain form, unverified.
 */
function verifiedBytes(
  row: VersionRow,
  framing: Framing | null,
  lines: readonly string[],
  where: string,
): Buffer | null {
  if (row.commit_sha256 === null && row.is_baseline) return null;
  const bytes = rebuildCommit(lines, framing);
  if (row.commit_sha256 === null) return bytes;
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== row.commit_sha256 || bytes.length !== row.commit_size) {
    throw new DeltaSqlError(
      'CommitBytesMismatch',
      `the commit file of ${where} rebuilt from the catalog is ${bytes.length} bytes with sha256 ${sha.slice(0, 12)}, but was stored as ${row.commit_size} bytes with sha256 ${row.commit_sha256.slice(0, 12)}`,
    );
  }
  return bytes;
}

/**
 * The exact bytes of `version`'s commit file, or null when the catalog holds no commit for it
 * (a version it does not have, or a checkpoint baseline whose json was absent).
 * Throws CommitBytesMismatch when the rebuilt bytes differ from the stored size or sha256.
 */
export async function readCommitBytes(
  db: SqlDriver,
  idOrName: string,
  version: number,
): Promise<Buffer | null> {
  const t = await requireTable(db, idOrName);
  const rows = await db.query(
    `SELECT ${VERSION_COLUMNS} FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`,
    [t.tableId, version],
  );
  if (rows.length === 0) return null;
  const row = parseRow(VersionRow, rows[0]);
  const where = `version ${version} of table ${t.name}`;
  const framing = parseFraming(row.commit_framing, where);
  if (row.commit_sha256 === null && row.is_baseline) return null;
  const lines = isWhole(framing) ? [] : await commitLines(db, t.tableId, version, ACTION_TABLES);
  return verifiedBytes(row, framing, lines, where);
}

/** One version of a range: its verified bytes (null: no commit file) and its commit timestamp. */
export interface RangeCommit {
  version: number;
  bytes: Buffer | null;
  timestamp: number;
}

/** Consecutive runs of version rows holding about `maxActions` lines each (at least one row). */
function chunks(rows: readonly RangeRow[], maxActions: number): RangeRow[][] {
  const out: RangeRow[][] = [];
  let cur: RangeRow[] = [];
  let n = 0;
  for (const r of rows) {
    if (cur.length > 0 && n + r.action_count > maxActions) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(r);
    n += r.action_count;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * The verified commit bytes of every version in [from, to] the catalog holds, in version order
 * (a version it does not hold is absent). Throws CommitBytesMismatch like `readCommitBytes`.
 */
export async function* commitBytesInRange(
  db: SqlDriver,
  tableId: string,
  from: number,
  to: number,
  maxActions = 20_000,
): AsyncGenerator<RangeCommit> {
  const rows = (
    await db.query(
      `SELECT version, commit_timestamp, action_count, ${VERSION_COLUMNS} FROM {T:dl_table_versions} WHERE table_id = ? AND version >= ? AND version <= ? ORDER BY version`,
      [tableId, from, to],
    )
  ).map((r) => parseRow(RangeRow, r));
  for (const chunk of chunks(rows, maxActions)) {
    const lo = chunk[0].version;
    const hi = chunk[chunk.length - 1].version;
    const union = ACTION_TABLES.map(
      (t) => `SELECT version, seq, raw FROM {T:${t}} WHERE table_id = ? AND version >= ? AND version <= ?`,
    ).join(' UNION ALL ');
    const lineRows = await queryArrays(
      db,
      `SELECT version, seq, raw FROM (${union}) u ORDER BY version, seq`,
      ['version', 'seq', 'raw'],
      ACTION_TABLES.flatMap(() => [tableId, lo, hi]),
    );
    let k = 0;
    for (const r of chunk) {
      const lines: string[] = [];
      while (k < lineRows.length && Number(lineRows[k][0]) < r.version) k++;
      while (k < lineRows.length && Number(lineRows[k][0]) === r.version)
        lines.push(String(lineRows[k++][2]));
      const where = `version ${r.version} of table ${tableId}`;
      const framing = parseFraming(r.commit_framing, where);
      const bytes = verifiedBytes(r, framing, isWhole(framing) ? [] : lines, where);
      yield { version: r.version, bytes, timestamp: r.commit_timestamp };
    }
  }
}
