/**
 * Validation of the actions a writer hands to `commit`. The log reader is lenient (unknown fields
 * pass through, PROTOCOL.md says readers must ignore them); a writer is not: whatever we accept is
 * published to `_delta_log` for every other Delta reader, so input is checked strictly (the
 * reader's zod schemas with unknown fields rejected) and completed with the fields PROTOCOL.md
 * requires of a writer (add: partitionValues, modificationTime, dataChange; remove:
 * deletionTimestamp, dataChange). Each accepted action keeps the caller's key order; its `raw` is
 * the exact line that will be stored and published.
 */
import * as path from 'node:path';
import { z } from 'zod';
import { DeltaSqlError } from '../../common/errors';
import {
  AddSchema,
  DeletionVectorSchema,
  DomainMetadataSchema,
  MetadataSchema,
  ProtocolSchema,
  RemoveSchema,
  TxnSchema,
  type LogAction,
} from '../../delta/actions';
import { toLogAction } from '../../delta/action-parse';

/** Actions a writer may commit; commitInfo is generated, cdc and checkpoint-only actions are not ours. */
export const WRITABLE_ACTIONS = ['add', 'remove', 'metaData', 'protocol', 'txn', 'domainMetadata'] as const;
export type WritableAction = (typeof WRITABLE_ACTIONS)[number];

const strictDv = DeletionVectorSchema.strict();
const STRICT: Record<WritableAction, z.ZodType> = {
  add: AddSchema.extend({ deletionVector: strictDv.nullish() }).strict(),
  remove: RemoveSchema.extend({ deletionVector: strictDv.nullish() }).strict(),
  metaData: MetadataSchema.strict(),
  protocol: ProtocolSchema.strict(),
  txn: TxnSchema.strict(),
  domainMetadata: DomainMetadataSchema.strict(),
};

export function invalidAction(index: number, why: string): DeltaSqlError {
  return new DeltaSqlError('InvalidAction', `action ${index}: ${why}`);
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** What the table looks like to the validator (from its snapshot at the read version). */
export interface TableShape {
  /** Table root URI as stored in the catalog (`dl_tables.location`). */
  location: string;
  partitionColumns: readonly string[];
}

/**
 * A data file path must stay inside the table root: relative paths (RFC 2396, percent-encoded)
 * may not climb out with `..` or be rooted; absolute URIs must start with the table's root.
 */
export function checkDataPath(p: string, shape: TableShape, index: number): void {
  if (/^[a-z][a-z0-9+.-]*:/i.test(p)) {
    const root = shape.location.replace(/\/+$/, '');
    const rootUri = root.includes('://') ? root : `file://${root}`;
    if (!p.startsWith(`${rootUri}/`) && !p.startsWith(`${root}/`)) {
      throw invalidAction(index, `path ${p} is outside the table root ${shape.location}`);
    }
    return;
  }
  let decoded: string;
  try {
    decoded = decodeURIComponent(p);
  } catch {
    throw invalidAction(index, `path ${p} is not a valid percent-encoded URI path`);
  }
  const norm = path.posix.normalize(decoded);
  if (decoded.startsWith('/') || norm === '..' || norm.startsWith('../') || norm === '.') {
    throw invalidAction(index, `path ${p} is outside the table root ${shape.location}`);
  }
}

function checkPartitionValues(
  pv: Record<string, string | null> | null | undefined,
  shape: TableShape,
  index: number,
): void {
  const keys = Object.keys(pv ?? {}).sort();
  const want = [...shape.partitionColumns].sort();
  if (keys.length !== want.length || keys.some((k, i) => k !== want[i])) {
    throw invalidAction(
      index,
      `partitionValues must name exactly the partition columns [${want.join(', ')}], got [${keys.join(', ')}]`,
    );
  }
}

const nonNegInt = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/** Fill the fields PROTOCOL.md requires of a writer, keeping the caller's fields and order. */
function complete(type: WritableAction, body: Record<string, unknown>, now: number): Record<string, unknown> {
  if (type === 'add') {
    return {
      ...body,
      partitionValues: body.partitionValues ?? {},
      modificationTime: body.modificationTime ?? now,
      dataChange: body.dataChange ?? true,
    };
  }
  if (type === 'remove') {
    return { ...body, deletionTimestamp: body.deletionTimestamp ?? now, dataChange: body.dataChange ?? true };
  }
  return body;
}

/**
 * Validate and complete one input action (`{"add": {...}}`). `index` is its position in the
 * input, for messages. Returns the LogAction whose raw line will be stored and published.
 */
export function acceptAction(input: unknown, index: number, shape: TableShape, now: number): LogAction {
  if (!isObj(input)) throw invalidAction(index, 'an action must be a JSON object like {"add": {...}}');
  const keys = Object.keys(input);
  if (keys.length !== 1) {
    throw invalidAction(index, `an action must have exactly one key, got ${keys.join(', ') || 'none'}`);
  }
  const key = keys[0];
  if (key === 'commitInfo')
    throw invalidAction(index, 'commitInfo is generated by the commit; pass operation instead');
  if (!(WRITABLE_ACTIONS as readonly string[]).includes(key)) {
    throw invalidAction(
      index,
      `unknown or unsupported action "${key}" (allowed: ${WRITABLE_ACTIONS.join(', ')})`,
    );
  }
  const type = key as WritableAction;
  const rawBody = input[key];
  if (!isObj(rawBody)) throw invalidAction(index, `${type} must be an object`);
  const body = complete(type, rawBody, now);
  const parsed = STRICT[type].safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? `${type}.${issue.path.join('.')}` : type;
    const keysMsg = issue?.code === 'unrecognized_keys' ? ` (${issue.keys.join(', ')})` : '';
    throw invalidAction(index, `invalid ${where}: ${issue?.message ?? 'schema mismatch'}${keysMsg}`);
  }
  if (type === 'add' || type === 'remove') {
    checkDataPath(String(body.path), shape, index);
    if (type === 'add' && !nonNegInt(body.size))
      throw invalidAction(index, 'add.size must be a non-negative integer');
    if (type === 'add' || body.partitionValues !== undefined) {
      checkPartitionValues(body.partitionValues as Record<string, string | null> | undefined, shape, index);
    }
  }
  if (type === 'protocol') {
    const p = body as {
      minReaderVersion: number;
      minWriterVersion: number;
      readerFeatures?: unknown;
      writerFeatures?: unknown;
    };
    if (p.readerFeatures !== undefined && p.minReaderVersion !== 3) {
      throw invalidAction(index, 'protocol.readerFeatures needs minReaderVersion 3');
    }
    if (p.writerFeatures !== undefined && p.minWriterVersion !== 7) {
      throw invalidAction(index, 'protocol.writerFeatures needs minWriterVersion 7');
    }
  }
  if (type === 'metaData') {
    let schema: unknown;
    try {
      schema = JSON.parse(String(body.schemaString));
    } catch {
      throw invalidAction(index, 'metaData.schemaString is not JSON');
    }
    if (!isObj(schema) || schema.type !== 'struct' || !Array.isArray(schema.fields)) {
      throw invalidAction(
        index,
        'metaData.schemaString must be a Delta struct type {"type":"struct","fields":[...]}',
      );
    }
  }
  const raw = JSON.stringify({ [type]: body });
  return toLogAction(JSON.parse(raw), raw, index);
}
