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
 *
 * A commit above `streamAbove` bytes (the export passes STREAM_EXPORT_BYTES) is not rebuilt in
 * memory at all: the range yields it as a `StreamedCommitBody` whose chunks are framed from its
 * lines read LINE_WINDOW seqs per statement, for delta/large-commit-writer.ts to verify while
 * writing. A 600 MB commit's text does not fit one V8 string (512 MiB).
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { sqlInt } from '../common/zod-ints';
import { DeltaSqlError } from '../common/errors';
import { FramingSchema, frameCommit, rebuildCommit, type Framing } from '../delta/commit-framing';
import type { StreamedCommitBody } from '../delta/large-commit-writer';
import { queryArrays } from './file-list';
import { commitPartsStream } from './commit-parts';
import { ACTION_TABLES } from './rows';
import { commitLines } from './snapshot-reader';
import type { SqlDriver } from './sql';
import { requireTable } from './tables';

const VersionRow = z.object({
  is_baseline: z.union([z.boolean(), z.number()]).transform((v) => v === true || v === 1),
  commit_size: sqlInt.nullable(),
  commit_sha256: z.string().nullable(),
  commit_framing: z.string().nullable(),
});
type VersionRow = z.infer<typeof VersionRow>;
const RangeRow = VersionRow.extend({ version: sqlInt, commit_timestamp: sqlInt, action_count: sqlInt });
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
/** Whether the file's bytes are kept in dl_commit_parts (a huge commit at a checkpoint baseline). */
const inParts = (f: Framing | null): f is Framing & { p: number } => f?.p !== undefined;

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
  return checkedBytes(bytes, row.commit_size, row.commit_sha256, where);
}

/** `bytes` when they have the stored size and sha256, else CommitBytesMismatch. */
function checkedBytes(bytes: Buffer, size: number | null, sha256: string, where: string): Buffer {
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== sha256 || bytes.length !== size) {
    throw new DeltaSqlError(
      'CommitBytesMismatch',
      `the commit file of ${where} rebuilt from the catalog is ${bytes.length} bytes with sha256 ${sha.slice(0, 12)}, but was stored as ${size} bytes with sha256 ${sha256.slice(0, 12)}`,
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
  if (inParts(framing) || streams(row, framing, STREAM_EXPORT_BYTES)) {
    return gatheredBytes(streamedBody(db, t.tableId, version, row, framing), where);
  }
  const lines = isWhole(framing) ? [] : await commitLines(db, t.tableId, version, ACTION_TABLES);
  return verifiedBytes(row, framing, lines, where);
}

/** Commits above this many bytes are streamed by the export, not rebuilt in memory (64 MiB, as the import). */
export const STREAM_EXPORT_BYTES = 64 * 1024 * 1024;
/** Seqs per statement when a huge commit's lines are streamed (~4k lines of a wide table: ~15 MB). */
const LINE_WINDOW = 4096;

/** A huge commit's action lines in seq order, LINE_WINDOW seqs per statement (seqs are dense). */
async function* commitLineStream(db: SqlDriver, tableId: string, version: number): AsyncGenerator<string> {
  const maxUnion = ACTION_TABLES.map(
    (t) => `SELECT MAX(seq) AS m FROM {T:${t}} WHERE table_id = ? AND version = ?`,
  ).join(' UNION ALL ');
  const maxRows = await db.query(
    `SELECT MAX(m) AS m FROM (${maxUnion}) u`,
    ACTION_TABLES.flatMap(() => [tableId, version]),
  );
  const last = maxRows[0]?.m === null || maxRows[0]?.m === undefined ? -1 : Number(maxRows[0].m);
  const union = ACTION_TABLES.map(
    (t) => `SELECT seq, raw FROM {T:${t}} WHERE table_id = ? AND version = ? AND seq >= ? AND seq < ?`,
  ).join(' UNION ALL ');
  for (let lo = 0; lo <= last; lo += LINE_WINDOW) {
    const rows = await queryArrays(
      db,
      `SELECT seq, raw FROM (${union}) u ORDER BY seq`,
      ['seq', 'raw'],
      ACTION_TABLES.flatMap(() => [tableId, version, lo, lo + LINE_WINDOW]),
    );
    for (const r of rows) yield String(r[1]);
  }
}

/** Whether `row` is streamed rather than rebuilt: large, verifiable, and framed from lines. */
const streams = (row: VersionRow, framing: Framing | null, above: number): boolean =>
  row.commit_sha256 !== null &&
  row.commit_size !== null &&
  row.commit_size > above &&
  (inParts(framing) || !isWhole(framing));

/** The streamed body of a huge commit (see `streams`). */
function streamedBody(
  db: SqlDriver,
  tableId: string,
  version: number,
  row: VersionRow,
  framing: Framing | null,
): StreamedCommitBody {
  return {
    size: row.commit_size ?? 0,
    sha256: row.commit_sha256 ?? '',
    chunks: () =>
      inParts(framing)
        ? commitPartsStream(db, tableId, version, framing.p)
        : frameCommit(commitLineStream(db, tableId, version), framing),
  };
}

/** The body gathered into one Buffer and checked (the single-version reader's huge-commit path). */
async function gatheredBytes(body: StreamedCommitBody, where: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of body.chunks()) parts.push(c);
  return checkedBytes(Buffer.concat(parts), body.size, body.sha256, where);
}

/**
 * Whether the catalog holds a commit file for `version` (false: no such version, or a checkpoint
 * baseline whose json was absent), without rebuilding it.
 */
export async function hasCommitFile(db: SqlDriver, tableId: string, version: number): Promise<boolean> {
  const rows = await db.query(
    `SELECT ${VERSION_COLUMNS} FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`,
    [tableId, version],
  );
  if (rows.length === 0) return false;
  const row = parseRow(VersionRow, rows[0]);
  return !(row.commit_sha256 === null && row.is_baseline);
}

/**
 * One version of a range: its verified bytes (null: no commit file, or streamed), or, for a
 * commit above the range's `streamAbove`, its streamed body; and its commit timestamp.
 */
export interface RangeCommit {
  version: number;
  bytes: Buffer | null;
  streamed?: StreamedCommitBody;
  timestamp: number;
}

/**
 * Consecutive runs of version rows holding about `maxActions` lines each (at least one row); a
 * commit above `streamAbove` bytes is a run of its own.
 */
function chunks(rows: readonly RangeRow[], maxActions: number, streamAbove: number): RangeRow[][] {
  const out: RangeRow[][] = [];
  let cur: RangeRow[] = [];
  let n = 0;
  for (const r of rows) {
    const alone = (r.commit_size ?? 0) > streamAbove;
    if (cur.length > 0 && (alone || n + r.action_count > maxActions)) {
      out.push(cur);
      cur = [];
      n = 0;
    }
    cur.push(r);
    n = alone ? Infinity : n + r.action_count;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/**
 * The verified commit bytes of every version in [from, to] the catalog holds, in version order
 * (a version it does not hold is absent). Throws CommitBytesMismatch like `readCommitBytes`.
 * Commits above `streamAbove` bytes come as `streamed` bodies instead (checked as they are read).
 */
export async function* commitBytesInRange(
  db: SqlDriver,
  tableId: string,
  from: number,
  to: number,
  maxActions = 20_000,
  streamAbove = Infinity,
): AsyncGenerator<RangeCommit> {
  const rows = (
    await db.query(
      `SELECT version, commit_timestamp, action_count, ${VERSION_COLUMNS} FROM {T:dl_table_versions} WHERE table_id = ? AND version >= ? AND version <= ? ORDER BY version`,
      [tableId, from, to],
    )
  ).map((r) => parseRow(RangeRow, r));
  for (const chunk of chunks(rows, maxActions, streamAbove)) {
    if (chunk.length === 1) {
      const r = chunk[0];
      const where = `version ${r.version} of table ${tableId}`;
      const framing = parseFraming(r.commit_framing, where);
      if (streams(r, framing, streamAbove)) {
        const streamed = streamedBody(db, tableId, r.version, r, framing);
        yield { version: r.version, bytes: null, streamed, timestamp: r.commit_timestamp };
        continue;
      }
    }
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
      const bytes = inParts(framing)
        ? await gatheredBytes(streamedBody(db, tableId, r.version, r, framing), where)
        : verifiedBytes(r, framing, isWhole(framing) ? [] : lines, where);
      yield { version: r.version, bytes, timestamp: r.commit_timestamp };
    }
  }
}
