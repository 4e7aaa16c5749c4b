/**
 * Where a deletion vector's bytes are (Delta PROTOCOL.md, "Deletion Vectors"): the descriptor's
 * storageType says how to read `pathOrInlineDv`:
 * - `i`: the bitmap itself, Z85-encoded, inline in the log;
 * - `u`: an optional random prefix plus a 20-character Z85 UUID: `<prefix>/deletion_vector_<uuid>.bin`
 *   relative to the table root;
 * - `p`: an absolute path (URI) of the `.bin` file.
 * For file-backed vectors, `offset` points at the 4-byte size before the bitmap.
 */
import { DeltaSqlError } from '../common/errors';
import type { DeletionVectorJson } from '../delta/snapshot-json';
import { locateDataFile } from '../delta/data-path';

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';
const Z85_INDEX = new Map([...Z85].map((c, i) => [c, i]));

/** Z85 (ZeroMQ RFC 32) decoding: every 5 characters are 4 big-endian bytes. */
export function z85Decode(s: string): Buffer {
  if (s.length % 5 !== 0) throw corrupt(`Z85 text of length ${s.length} is not a multiple of 5`);
  const out = Buffer.alloc((s.length / 5) * 4);
  for (let i = 0, o = 0; i < s.length; i += 5, o += 4) {
    let v = 0;
    for (let j = 0; j < 5; j++) {
      const d = Z85_INDEX.get(s[i + j]);
      if (d === undefined) throw corrupt(`invalid Z85 character "${s[i + j]}"`);
      v = v * 85 + d;
    }
    if (v > 0xffffffff) throw corrupt('Z85 group out of range');
    out.writeUInt32BE(v, o);
  }
  return out;
}

const corrupt = (msg: string): DeltaSqlError => new DeltaSqlError('CorruptCommit', `deletion vector: ${msg}`);

/** The `.bin` file of a file-backed vector, relative to the table root or absolute (decoded). */
export type DvLocation = { kind: 'relative'; path: string } | { kind: 'absolute'; uri: string };

export function dvFileLocation(
  dv: Pick<DeletionVectorJson, 'storageType' | 'pathOrInlineDv'>,
): DvLocation | null {
  if (dv.storageType === 'i') return null;
  if (dv.storageType === 'p') return locateDataFile(dv.pathOrInlineDv);
  if (dv.storageType !== 'u') throw corrupt(`unknown storageType "${dv.storageType}"`);
  const s = dv.pathOrInlineDv;
  if (s.length < 20) throw corrupt(`UUID-relative path "${s}" is shorter than 20 characters`);
  const prefix = s.slice(0, s.length - 20);
  const hex = z85Decode(s.slice(s.length - 20)).toString('hex');
  const uuid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  const file = `deletion_vector_${uuid}.bin`;
  return { kind: 'relative', path: prefix === '' ? file : `${prefix}/${file}` };
}
