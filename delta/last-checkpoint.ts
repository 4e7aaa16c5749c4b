/**
 * `_last_checkpoint` is only a hint (PROTOCOL.md "Last Checkpoint File"): it lets listing start
 * near the end of a long log. Missing, empty or unparsable means "no hint", never an error.
 */
import { z } from 'zod';
import { jsonInt } from '../common/zod-ints';
import type { ObjectStore } from '../storage/object-store';
import { isNotFound } from '../storage/storage-error';
import { LAST_CHECKPOINT } from './log-path';

export const LastCheckpointSchema = z
  .object({
    version: jsonInt.pipe(z.number().int().nonnegative()),
    size: jsonInt.nullish(),
    parts: jsonInt.nullish(),
    sizeInBytes: jsonInt.nullish(),
    numOfAddFiles: jsonInt.nullish(),
    checksum: z.string().nullish(),
  })
  .passthrough();
export type LastCheckpoint = z.infer<typeof LastCheckpointSchema>;

export async function readLastCheckpoint(
  store: ObjectStore,
  warn: (m: string) => void,
): Promise<LastCheckpoint | null> {
  let buf: Buffer;
  try {
    buf = await store.get(LAST_CHECKPOINT);
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  const text = buf.toString('utf8').trim();
  if (text === '') return null;
  try {
    const parsed = LastCheckpointSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    /* fall through */
  }
  warn(`ignoring unparsable ${store.root}/${LAST_CHECKPOINT}; listing the log instead`);
  return null;
}
