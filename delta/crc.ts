/**
 * `N.crc` version checksum files: the writer's own account of the state at N. Optional; readers
 * must work without them, so absence is null and a malformed file is a warning, not a failure.
 */
import { z } from 'zod';
import { jsonInt } from '../common/zod-ints';
import type { ObjectStore } from '../storage/object-store';
import { displayPath, isNotFound } from '../storage/storage-error';
import { crcPath } from './log-path';
import type { Crc } from './table';

const CrcSchema = z.object({ tableSizeBytes: jsonInt, numFiles: jsonInt }).passthrough();

export async function readCrc(
  store: ObjectStore,
  version: number,
  warn: (m: string) => void,
): Promise<Crc | null> {
  const rel = crcPath(version);
  let buf: Buffer;
  try {
    buf = await store.get(rel);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  let json: unknown;
  try {
    json = JSON.parse(buf.toString('utf8'));
  } catch {
    warn(`ignoring unparsable checksum file ${displayPath(store.root, rel)}`);
    return null;
  }
  const parsed = CrcSchema.safeParse(json);
  if (!parsed.success) {
    warn(
      `ignoring checksum file ${displayPath(store.root, rel)}: ${parsed.error.issues[0]?.message ?? 'bad shape'}`,
    );
    return null;
  }
  return {
    version,
    numFiles: parsed.data.numFiles,
    tableSizeBytes: parsed.data.tableSizeBytes,
    raw: json as Record<string, unknown>,
  };
}
