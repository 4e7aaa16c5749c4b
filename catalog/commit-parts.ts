/**
 * The bytes of a commit file too large for one framing value, in `dl_commit_parts` (migration
 * 12): the commit at a checkpoint baseline version whose actions are not rows. Stored from a
 * stream in parts of about PART_BYTES cut after a '\n' (whole UTF-8 text; a part whose bytes are
 * not valid UTF-8 is kept as base64), hashed on the way; read back a part per statement. Memory
 * is a part or two either way.
 */
import { createHash } from 'node:crypto';
import { DeltaSqlError } from '../common/errors';
import type { RawCommit } from '../delta/commit-framing';
import type { SqlDriver } from './sql';

/** Target size of one part. */
export const PART_BYTES = 4 * 1024 * 1024;
/**
 * A part is cut without a '\n' only past this size (a single line that long). Its base64 (~11 MB)
 * stays under MariaDB's default max_allowed_packet (16 MB).
 */
const MAX_PART_BYTES = 2 * PART_BYTES;
const COLUMNS = ['table_id', 'version', 'seq', 'data', 'is_base64'] as const;

/** The part's text, or null when its bytes are not exactly UTF-8 text (then it is base64). */
function asText(buf: Buffer): string | null {
  const text = buf.toString('utf8');
  return Buffer.from(text, 'utf8').equals(buf) ? text : null;
}

/**
 * Store `chunks` (the whole file, in order) as the parts of `version` inside `tx`; returns the
 * RawCommit for the version row (its framing names the part count). Replaces parts left by an
 * earlier attempt of the same transaction's work (a retried baseline runs in a fresh transaction,
 * so there are none; the delete keeps the write idempotent regardless).
 */
export async function storeCommitParts(
  tx: SqlDriver,
  tableId: string,
  version: number,
  chunks: AsyncIterable<Buffer>,
): Promise<RawCommit> {
  await tx.query(`DELETE FROM {T:dl_commit_parts} WHERE table_id = ? AND version = ?`, [tableId, version]);
  const hash = createHash('sha256');
  let size = 0;
  let parts = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const write = async (buf: Buffer): Promise<void> => {
    const text = asText(buf);
    await tx.bulkInsert('dl_commit_parts', COLUMNS, [
      [tableId, version, parts++, text ?? buf.toString('base64'), text === null],
    ]);
  };
  const cut = async (final: boolean): Promise<void> => {
    let buf = Buffer.concat(pending, pendingBytes);
    while (buf.length >= PART_BYTES || (final && buf.length > 0)) {
      let end = buf.length;
      if (!final || buf.length > MAX_PART_BYTES) {
        const nl = buf.lastIndexOf(0x0a, Math.min(buf.length, MAX_PART_BYTES) - 1);
        if (nl >= 0) end = nl + 1;
        else if (buf.length > MAX_PART_BYTES) end = MAX_PART_BYTES;
        else break; // no line end yet: wait for more bytes
      }
      await write(buf.subarray(0, end));
      buf = buf.subarray(end);
      if (!final && buf.length < PART_BYTES) break;
    }
    pending = buf.length > 0 ? [Buffer.from(buf)] : [];
    pendingBytes = buf.length;
  };
  for await (const chunk of chunks) {
    hash.update(chunk);
    size += chunk.length;
    pending.push(chunk);
    pendingBytes += chunk.length;
    if (pendingBytes >= PART_BYTES) await cut(false);
  }
  await cut(true);
  return { size, sha256: hash.digest('hex'), framing: JSON.stringify({ p: parts }) };
}

/** The `parts` parts of `version`, in order, as bytes; a missing part is a CatalogError. */
export async function* commitPartsStream(
  db: SqlDriver,
  tableId: string,
  version: number,
  parts: number,
): AsyncGenerator<Buffer> {
  for (let seq = 0; seq < parts; seq++) {
    const rows = await db.query(
      `SELECT data, is_base64 FROM {T:dl_commit_parts} WHERE table_id = ? AND version = ? AND seq = ?`,
      [tableId, version, seq],
    );
    if (rows.length === 0) {
      throw new DeltaSqlError(
        'CatalogError',
        `part ${seq} of ${parts} of the commit file of version ${version} of table ${tableId} is missing from dl_commit_parts`,
      );
    }
    const b64 = rows[0].is_base64;
    const data = String(rows[0].data);
    yield b64 === true || b64 === 1 || b64 === '1' ? Buffer.from(data, 'base64') : Buffer.from(data, 'utf8');
  }
}
