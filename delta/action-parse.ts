/**
 * Turn one decoded JSON action object ({"add": {...}}) into a validated `LogAction`. Shared by the
 * commit reader and the checkpoint readers. `add` and `remove` are nearly every action of a log,
 * so each has a hand-written check that accepts exactly what its zod schema accepts for JSON input
 * and gives the same body; anything it does not accept (a wrong type, bigint checkpoint input, a
 * "__proto__" key) goes to zod, which then accepts it or builds the precise error. The equivalence
 * is tested field by field against the schemas (test/delta/action-fast-path.test.ts).
 */
import {
  ACTION_SCHEMAS,
  type AddAction,
  type KnownActionType,
  type LogAction,
  type RemoveAction,
} from './actions';

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const isNullish = (v: unknown): boolean => v === null || v === undefined;
/** jsonInt's z.number() refuses NaN and ±Infinity, and JSON.parse reads 1e999 as Infinity. */
const isNum = (v: unknown): boolean => typeof v === 'number' && Number.isFinite(v);
const optNum = (v: unknown): boolean => isNullish(v) || isNum(v);
const optStr = (v: unknown): boolean => isNullish(v) || typeof v === 'string';
const optBool = (v: unknown): boolean => isNullish(v) || typeof v === 'boolean';
const isPath = (v: unknown): boolean => typeof v === 'string' && v.length > 0;

/**
 * zod leaves an own "__proto__" key out of what it returns (objects and records alike), so an
 * object holding one is not passed through as is: zod builds its body.
 */
const PROTO = '__proto__';
const hasOwnProto = (o: object): boolean => Object.prototype.hasOwnProperty.call(o, PROTO);

function optStrMap(v: unknown): boolean {
  if (isNullish(v)) return true;
  if (!isObj(v)) return false;
  for (const k in v) {
    const x = v[k];
    if ((x !== null && typeof x !== 'string') || k === PROTO) return false;
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
    isNum(v.sizeInBytes) &&
    isNum(v.cardinality) &&
    !hasOwnProto(v)
  );
}

/** True when `b` already is the AddAction AddSchema would return (number fields: the JSON case). */
export function isWellFormedAdd(b: unknown): b is AddAction {
  if (!isObj(b)) return false;
  return (
    isPath(b.path) &&
    isNum(b.size) &&
    isNum(b.modificationTime) &&
    optStrMap(b.partitionValues) &&
    optBool(b.dataChange) &&
    optStr(b.stats) &&
    optStrMap(b.tags) &&
    optDv(b.deletionVector) &&
    optNum(b.baseRowId) &&
    optNum(b.defaultRowCommitVersion) &&
    optStr(b.clusteringProvider) &&
    !hasOwnProto(b)
  );
}

/** True when `b` already is the RemoveAction RemoveSchema would return. */
export function isWellFormedRemove(b: unknown): b is RemoveAction {
  if (!isObj(b)) return false;
  return (
    isPath(b.path) &&
    optNum(b.deletionTimestamp) &&
    optBool(b.dataChange) &&
    optBool(b.extendedFileMetadata) &&
    optStrMap(b.partitionValues) &&
    optNum(b.size) &&
    optStr(b.stats) &&
    optStrMap(b.tags) &&
    optDv(b.deletionVector) &&
    optNum(b.baseRowId) &&
    optNum(b.defaultRowCommitVersion) &&
    !hasOwnProto(b)
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
  if (key === 'add') {
    if (isWellFormedAdd(body)) return { type: 'add', seq, raw, body };
  } else if (key === 'remove') {
    if (isWellFormedRemove(body)) return { type: 'remove', seq, raw, body };
  } else if (!KNOWN.has(key)) return { type: 'unknown', seq, raw, key, body };
  return schemaAction(key as KnownActionType, body, raw, seq);
}

/** The zod path: every kind without a fast check, and whatever a fast check did not accept. */
export function schemaAction(type: KnownActionType, body: unknown, raw: string, seq: number): LogAction {
  const parsed = ACTION_SCHEMAS[type].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${type}.${issue.path.join('.')}` : type;
    throw new ActionShapeError(`invalid ${where}: ${issue?.message ?? 'schema mismatch'}`);
  }
  return { type, seq, raw, body: parsed.data } as LogAction;
}
