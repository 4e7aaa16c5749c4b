/**
 * Deleted row indexes of one data file, from its deletion vector (Delta PROTOCOL.md, "Deletion
 * Vectors"). The bitmap is a RoaringBitmapArray, little-endian: magic 1681511377 (u32), the number
 * of buckets (u64), then per bucket its key (u32, the high 32 bits of the row index) and a standard
 * portable 32-bit Roaring bitmap, decoded with roaring-wasm. File-backed vectors (`u`, `p`) sit in
 * a `.bin` file at `offset`: a big-endian u32 size, the bitmap, then a CRC-32; inline ones (`i`) are
 * the bitmap itself, Z85-encoded.
 */
import { RoaringBitmap32, roaringLibraryInitialize } from 'roaring-wasm';
import { DeltaSqlError } from '../common/errors';
import type { DeletionVectorJson } from '../delta/snapshot-json';
import { dvFileLocation, z85Decode } from './dv-descriptor';

const MAGIC = 1681511377;

const corrupt = (msg: string): DeltaSqlError => new DeltaSqlError('CorruptCommit', `deletion vector: ${msg}`);

/** Read `[start, end)` of a file, relative to the table root or absolute. */
export type ReadBytes = (
  loc: { kind: 'relative'; path: string } | { kind: 'absolute'; uri: string },
  start: number,
  end: number,
) => Promise<Buffer>;

/** Sorted deleted row indexes of a RoaringBitmapArray. */
export async function decodeBitmapArray(bytes: Buffer): Promise<Float64Array> {
  await roaringLibraryInitialize();
  if (bytes.length < 12 || bytes.readUInt32LE(0) !== MAGIC) throw corrupt('bad RoaringBitmapArray magic');
  const buckets = Number(bytes.readBigUInt64LE(4));
  let pos = 12;
  const parts: Float64Array[] = [];
  for (let b = 0; b < buckets; b++) {
    if (pos + 4 > bytes.length) throw corrupt('RoaringBitmapArray ends inside a bucket key');
    const key = bytes.readUInt32LE(pos);
    pos += 4;
    const bitmap = RoaringBitmap32.deserialize('portable', bytes.subarray(pos));
    try {
      pos += bitmap.getSerializationSizeInBytes('portable');
      const low = bitmap.toUint32Array();
      const rows = new Float64Array(low.length);
      for (let i = 0; i < low.length; i++) rows[i] = key * 2 ** 32 + low[i];
      parts.push(rows);
    } finally {
      bitmap.dispose();
    }
  }
  const out = new Float64Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** The deleted row indexes of a file, sorted ascending; checked against the descriptor's cardinality. */
export async function deletedRows(dv: DeletionVectorJson, read: ReadBytes): Promise<Float64Array> {
  let bitmap: Buffer;
  const loc = dvFileLocation(dv);
  if (loc === null) {
    bitmap = z85Decode(dv.pathOrInlineDv).subarray(0, dv.sizeInBytes);
  } else {
    const offset = dv.offset ?? 1;
    const head = await read(loc, offset, offset + 4);
    if (head.length < 4) throw corrupt(`file ends before offset ${offset}`);
    const size = head.readUInt32BE(0);
    bitmap = await read(loc, offset + 4, offset + 4 + size);
    if (bitmap.length < size) throw corrupt(`file ends inside the vector at offset ${offset}`);
  }
  const rows = await decodeBitmapArray(bitmap);
  if (rows.length !== dv.cardinality) {
    throw corrupt(`holds ${rows.length} rows, descriptor says cardinality ${dv.cardinality}`);
  }
  return rows;
}
