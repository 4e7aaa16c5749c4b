/**
 * Turn one decoded JSON action object ({"add": {...}}) into a validated `LogAction`. Shared by the
 * commit reader and the checkpoint readers. `add` is by far the most frequent action, so it has a
 * hand-checked fast path that accepts exactly what AddSchema accepts for well-formed JSON input and
 * falls back to zod (for the precise error, or for bigint input) otherwise.
 */
import { ACTION_SCHEMAS, type AddAction, type KnownActionType, type LogAction } from './actions';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNullish = (v: unknown): boolean => v === null || v === undefined;
const optNum = (v: unknown): boolean => isNullish(v) || typeof v === 'number';
const optStr = (v: unknown): boolean => isNullish(v) || typeof v === 'string';

function optStrMap(v: unknown): boolean {
  if (isNullish(v)) return true;
  if (!isObj(v)) return false;
  for (const k in v) {
    const x = v[k];
    if (x !== null && typeof x !== 'string') return false;
  }
  return true;
}

function optDv(v: unknown): boolean {
  if (isNullish(v)) return true;
  if (!isObj(v)) return false;
  return (
    typeof v.storageType === 'string' &&
    typeof v.pathOrInlineDv === 'string' &&
    optNum(v.offset) &&
    typeof v.sizeInBytes === 'number' &&
    typeof v.cardinality === 'number'
  );
}

/** True when `b` already is a valid AddAction body with number fields (the JSON case). */
export function isWellFormedAdd(b: unknown): b is AddAction {
  if (!isObj(b)) return false;
  return (
    typeof b.path === 'string' &&
    b.path.length > 0 &&
    typeof b.size === 'number' &&
    typeof b.modificationTime === 'number' &&
    optStrMap(b.partitionValues) &&
    (isNullish(b.dataChange) || typeof b.dataChange === 'boolean') &&
    optStr(b.stats) &&
    optStrMap(b.tags) &&
    optDv(b.deletionVector) &&
    optNum(b.baseRowId) &&
    optNum(b.defaultRowCommitVersion) &&
    optStr(b.clusteringProvider)
  );
}

const KNOWN = new Set<string>(Object.keys(ACTION_SCHEMAS));

export class ActionShapeError extends Error {}

/**
 * Validate one action object. Throws ActionShapeError with a readable reason; callers wrap it into
 * CorruptCommit / CorruptCheckpoint with the file (and line) named.
 */
export function toLogAction(obj: unknown, raw: string, seq: number): LogAction {
  if (!isObj(obj)) throw new ActionShapeError('an action must be a JSON object');
  let key: string | undefined;
  let n = 0;
  for (const k in obj) {
    if (obj[k] === null || obj[k] === undefined) continue;
    key ??= k;
    n++;
  }
  if (key === undefined) throw new ActionShapeError('empty action object');
  if (n > 1)
    throw new ActionShapeError(`an action must have exactly one key, got ${Object.keys(obj).join(', ')}`);
  const body = obj[key];
  if (!KNOWN.has(key)) return { type: 'unknown', seq, raw, key, body };
  const type = key as KnownActionType;
  if (type === 'add' && isWellFormedAdd(body)) return { type: 'add', seq, raw, body };
  const parsed = ACTION_SCHEMAS[type].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${type}.${issue.path.join('.')}` : type;
    throw new ActionShapeError(`invalid ${where}: ${issue?.message ?? 'schema mismatch'}`);
  }
  return { type, seq, raw, body: parsed.data } as LogAction;
}
