/**
 * The file lines of a (non-change) query answer, from the cheapest source there is: a kept answer
 * on disk re-signed for this response (sharing/answer-store.ts), else SQL (sharing/query-lines.ts),
 * written down for next time as it streams when the answer can be kept. `keepAnswer` builds a kept
 * answer with no client waiting (the prewarmer, sharing/prewarm.ts, does so for new versions).
 */
import type { CatalogTable } from '../catalog/store';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import type { SnapshotJson } from '../delta/snapshot-json';
import { partitionKeyMap } from '../reader/schema';
import type { AnswerStore, AnswerWriter, Backlog } from './answer-store';
import { compilePredicate, parsePredicate } from './predicates';
import { pgQueryLines, rowQueryLines } from './query-lines';
import type { ResponseFormat, SignFn } from './responses';

export interface AnswerSources {
  store: SqlCatalogStore;
  /** Kept answers, valid for the file-tag key `fileKeyId` only; null when off. */
  stored: { store: AnswerStore; fileKeyId: string } | null;
  pageRows?: number;
}

export interface AnswerRequest {
  t: CatalogTable;
  s: SnapshotJson;
  format: ResponseFormat;
  hints?: string;
  limitHint?: number;
  /** `scheme://host/base` the URLs start with. */
  base: string;
}

/** Everything an answer's bytes depend on, but the instant it is signed at. */
export const answerKey = (r: AnswerRequest): string =>
  JSON.stringify([
    r.t.tableId,
    r.t.location,
    r.s.version,
    r.format,
    r.hints ?? null,
    r.limitHint ?? null,
    r.base,
  ]);

/** Where a kept answer for `r` signed by `sign` lives, when it can be kept at all. */
function keptPlace(src: AnswerSources, r: AnswerRequest, sign: SignFn): { key: string; slot: string } | null {
  if (src.stored === null || r.format !== 'parquet' || sign.slot === undefined) return null;
  return { key: `${src.stored.fileKeyId}\n${answerKey(r)}`, slot: sign.slot };
}

/** The answer's lines read from SQL (the first page already read: a failing statement throws here). */
function linesFromSql(src: AnswerSources, r: AnswerRequest, sign: SignFn): Promise<AsyncGenerator<string>> {
  const pred = r.hints === undefined ? null : parsePredicate(r.hints);
  const where = pred ? compilePredicate(pred, partitionKeyMap(r.s.metadata), src.store.dialect) : null;
  return r.format === 'parquet' && r.limitHint === undefined && src.store.dialect === 'postgres'
    ? pgQueryLines(src.store, r.t.tableId, r.s.version, where, sign, src.pageRows)
    : rowQueryLines(src.store, r.t.tableId, r.s.version, where, sign, {
        format: r.format,
        limitHint: r.limitHint,
        pageRows: src.pageRows,
      });
}

/** The kept answer re-signed, or null; a file that cannot be read is dropped (built afresh next time). */
async function keptLines(
  stored: AnswerStore,
  place: { key: string; slot: string },
  backlog?: Backlog,
): Promise<AsyncGenerator<Buffer> | null> {
  const kept = await stored.open(place.key, place.slot, backlog);
  if (kept === null) return null;
  const first = await kept.next().catch(async () => {
    await stored.discard(place.key);
    return null;
  });
  if (first === null) return null;
  return (async function* () {
    try {
      for (let p = first; !p.done; p = await kept.next()) yield p.value;
    } catch (e) {
      await stored.discard(place.key); // damaged further on: this answer fails, the next is rebuilt
      throw e;
    }
  })();
}

/**
 * The file lines of the answer, and (for an answer from SQL that can be kept) the writer the
 * caller feeds every chunk it sends to, then finishes, or aborts when the answer did not finish.
 * With `backlog`, chunks of a kept answer are valid only until the consumer is past them
 * (sharing/answer-store.ts): they must be sent, not kept.
 */
export async function answerLines(
  src: AnswerSources,
  r: AnswerRequest,
  sign: SignFn,
  backlog?: Backlog,
): Promise<{ lines: AsyncIterable<string | Buffer>; write?: AnswerWriter }> {
  const place = keptPlace(src, r, sign);
  if (place && src.stored) {
    const kept = await keptLines(src.stored.store, place, backlog);
    if (kept) return { lines: kept };
  }
  const lines = await linesFromSql(src, r, sign);
  return { lines, write: place && src.stored ? src.stored.store.writer(place.key, place.slot) : undefined };
}

/** Build the kept answer for `r` unless it is kept already; true when one was written. */
export async function keepAnswer(src: AnswerSources, r: AnswerRequest, sign: SignFn): Promise<boolean> {
  const place = keptPlace(src, r, sign);
  if (place === null || src.stored === null) return false;
  if (await src.stored.store.has(place.key, place.slot)) return false;
  const lines = await linesFromSql(src, r, sign);
  const write = src.stored.store.writer(place.key, place.slot);
  try {
    for await (const chunk of lines) if (!(await write.add(chunk))) return false;
    await write.finish();
    return true;
  } finally {
    await write.abort(); // nothing once finished
  }
}
