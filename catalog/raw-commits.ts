/**
 * Commit files rebuilt byte for byte from the catalog: the version's action lines (`commitLines`)
 * framed by the stored framing (delta/commit-framing.ts), checked against the stored size and
 * sha256 so a caller (export) never writes bytes that differ from the source file.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DeltaSqlError } from '../common/errors';
import { FramingSchema, rebuildCommit, type Framing } from '../delta/commit-framing';
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

/**
 * The exact bytes of `version`'s commit file, or null when the catalog holds no commit for it
 * (a version it does not have, or a checkpoint baseline whose json was absent). Versions imported
 * before migration 5 have no stored sha256: they are rebuilt in the plain form, unverified.
 * Throws CommitBytesMismatch when the rebuilt bytes differ from the stored size or sha256.
 */
export async function readCommitBytes(
  db: SqlDriver,
  idOrName: string,
  version: number,
): Promise<Buffer | null> {
  const t = await requireTable(db, idOrName);
  const rows = await db.query(
    `SELECT is_baseline, commit_size, commit_sha256, commit_framing FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`,
    [t.tableId, version],
  );
  if (rows.length === 0) return null;
  const r = VersionRow.safeParse(rows[0]);
  if (!r.success)
    throw new DeltaSqlError('CatalogError', `malformed dl_table_versions row: ${r.error.message}`);
  const where = `version ${version} of table ${t.name}`;
  const framing = parseFraming(r.data.commit_framing, where);
  if (r.data.commit_sha256 === null && r.data.is_baseline) return null;
  const whole = framing?.b !== undefined || framing?.x !== undefined;
  const lines = whole ? [] : await commitLines(db, t.tableId, version, ACTION_TABLES);
  const bytes = rebuildCommit(lines, framing);
  if (r.data.commit_sha256 === null) return bytes;
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== r.data.commit_sha256 || bytes.length !== r.data.commit_size) {
    throw new DeltaSqlError(
      'CommitBytesMismatch',
      `the commit file of ${where} rebuilt from the catalog is ${bytes.length} bytes with sha256 ${sha.slice(0, 12)}, but was stored as ${r.data.commit_size} bytes with sha256 ${r.data.commit_sha256.slice(0, 12)}`,
    );
  }
  return bytes;
}
