/**
 * Values as the reader yields them, typed by the table schema: partition values parsed from their
 * string form (PROTOCOL.md, "Partition Value Serialization"; an empty string is null), and data
 * values renamed from physical to logical field names inside structs, arrays and maps under
 * column mapping. Types: long → bigint, other integers and floats → number, decimal → number,
 * date and timestamp → Date (UTC), binary → Uint8Array, boolean, string; structs and maps → objects.
 */
import { DeltaSqlError } from '../common/errors';
import { physicalName, type DeltaField, type DeltaType } from './schema';

export type ColumnMappingMode = 'none' | 'name' | 'id';

/** `YYYY-MM-DD HH:MM:SS[.ffffff]` (UTC) or ISO-8601 with a zone. */
function parseTimestampValue(s: string): Date {
  const iso = /[zZ]|[+-]\d{2}:?\d{2}$/.test(s) ? s.replace(' ', 'T') : `${s.replace(' ', 'T')}Z`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()))
    throw new DeltaSqlError('CorruptCommit', `partition value "${s}" is not a timestamp`);
  return d;
}

export function parsePartitionValue(raw: string | null | undefined, type: DeltaType): unknown {
  if (raw === null || raw === undefined || raw === '') return null;
  if (typeof type !== 'string') return raw;
  switch (type) {
    case 'string':
      return raw;
    case 'long':
      return BigInt(raw);
    case 'integer':
    case 'short':
    case 'byte':
    case 'float':
    case 'double':
      return Number(raw);
    case 'boolean':
      return raw.toLowerCase() === 'true';
    case 'date':
      return new Date(`${raw.slice(0, 10)}T00:00:00Z`);
    case 'timestamp':
    case 'timestamp_ntz':
      return parseTimestampValue(raw);
    case 'binary':
      return new Uint8Array(Buffer.from(raw, 'utf8'));
    default:
      if (type.startsWith('decimal')) return Number(raw);
      return raw;
  }
}

/** A data value read from parquet, with physical names replaced by logical ones and types settled. */
export function logicalValue(v: unknown, type: DeltaType, mode: ColumnMappingMode): unknown {
  if (v === null || v === undefined) return null;
  if (typeof type === 'string') {
    if (type === 'long' && typeof v === 'number') return BigInt(v);
    if ((type === 'integer' || type === 'short' || type === 'byte') && typeof v === 'bigint')
      return Number(v);
    if (type === 'binary' && typeof v === 'string') return new Uint8Array(Buffer.from(v, 'utf8'));
    if ((type === 'timestamp' || type === 'timestamp_ntz') && typeof v === 'bigint')
      return new Date(Number(v / 1000n));
    return v;
  }
  if (type.type === 'struct') {
    const src = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const f of type.fields) out[f.name] = logicalValue(src[physicalName(f, mode)], f.type, mode);
    return out;
  }
  if (type.type === 'array') {
    return Array.from(v as ArrayLike<unknown>, (x) => logicalValue(x, type.elementType, mode));
  }
  const m = v as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(m)) out[k] = logicalValue(x, type.valueType, mode);
  return out;
}

/** Equality used by scan filters: numbers, bigints, dates and strings compare by value. */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return (a ?? null) === (b ?? null);
  if (a instanceof Date || b instanceof Date) {
    const ta = a instanceof Date ? a.getTime() : new Date(String(a)).getTime();
    const tb = b instanceof Date ? b.getTime() : new Date(String(b)).getTime();
    return ta === tb;
  }
  if (typeof a === 'bigint' || typeof b === 'bigint' || typeof a === 'number' || typeof b === 'number') {
    return String(a) === String(b);
  }
  return a === b;
}

export type { DeltaField };
