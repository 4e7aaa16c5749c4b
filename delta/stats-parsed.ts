/**
 * `add.stats` rebuilt from `add.stats_parsed`, for checkpoints written with
 * `delta.checkpoint.writeStatsAsJson=false` (the mirror of checkpoint-writer-stats.ts). Spark
 * reads such a checkpoint as `to_json(stats_parsed)`, so the text is what Spark's JSON generator
 * writes: nulls dropped, fields in schema order, int64 and decimals exact (a decimal as Java's
 * BigDecimal.toString, e.g. -5.67800), dates as yyyy-MM-dd, timestamps as
 * yyyy-MM-dd'T'HH:mm:ss.SSS plus `Z` when adjusted to UTC (INT96 included: Spark's TimestampType).
 * To stay exact the stats leaves are decoded without hyparquet's conversions (statsDecoder): a
 * decimal arrives as its unscaled integer or bytes, a date as days, a timestamp as a bigint in
 * its unit, never through a JS number or a Date.
 */
import type { SchemaElement, SchemaTree } from 'hyparquet';
import { type ColumnDecoder, DEFAULT_PARSERS } from './hyparquet-internals';

/** The checkpoint column path whose value is rebuilt into `add.stats`. */
export const STATS_PARSED: readonly string[] = ['add', 'stats_parsed'];

export const isStatsParsedPath = (path: readonly string[]): boolean =>
  path.length >= 2 && path[0] === STATS_PARSED[0] && path[1] === STATS_PARSED[1];

/** A JSON fragment already rendered (a leaf of the rebuilt stats). */
export class JsonText {
  constructor(readonly text: string) {}
}

const identity = <T>(v: T): T => v;
/** Timestamps and dates as their stored integers; the formatter knows the unit from the schema. */
const RAW_PARSERS = {
  ...DEFAULT_PARSERS,
  timestampFromMilliseconds: identity,
  timestampFromMicroseconds: identity,
  timestampFromNanoseconds: identity,
  dateFromDays: identity,
};

const isDecimal = (el: SchemaElement): boolean =>
  el.converted_type === 'DECIMAL' || el.logical_type?.type === 'DECIMAL';

/** The decoder for a stats_parsed leaf: raw integers for decimals, dates and timestamps. */
export function statsDecoder(d: ColumnDecoder): ColumnDecoder {
  if (!isStatsParsedPath(d.pathInSchema)) return d;
  const element = isDecimal(d.element)
    ? { ...d.element, converted_type: undefined, logical_type: undefined }
    : d.element;
  return { ...d, element, parsers: RAW_PARSERS, utf8: isDecimal(d.element) ? false : d.utf8 };
}

/** Two's-complement big-endian bytes (FIXED_LEN_BYTE_ARRAY / BYTE_ARRAY decimals) as a bigint. */
function signedBytes(b: Uint8Array): bigint {
  let v = 0n;
  for (const x of b) v = (v << 8n) | BigInt(x);
  return b.length > 0 && b[0] & 0x80 ? v - (1n << BigInt(b.length * 8)) : v;
}

/** Java's BigDecimal.toString of unscaled × 10^-scale (what Spark's to_json writes). */
export function javaDecimal(unscaled: bigint, scale: number): string {
  const neg = unscaled < 0n;
  const digits = (neg ? -unscaled : unscaled).toString();
  const adjusted = -scale + (digits.length - 1);
  let body: string;
  if (scale >= 0 && adjusted >= -6) {
    if (scale === 0) body = digits;
    else if (digits.length > scale) body = `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
    else body = `0.${'0'.repeat(scale - digits.length)}${digits}`;
  } else {
    const mant = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    body = `${mant}E${adjusted >= 0 ? '+' : ''}${adjusted}`;
  }
  return neg ? `-${body}` : body;
}

const pad = (n: number, w: number): string => String(n).padStart(w, '0');

/** yyyy-MM-dd of a day count (proleptic Gregorian, as java.time). */
function isoDate(days: number): string {
  const d = new Date(days * 86_400_000);
  const y = d.getUTCFullYear();
  const year = y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
  return `${year}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`;
}

/** Milliseconds of a timestamp, floored like java.time (stats carry milliseconds). */
function floorMillis(v: bigint, unit: 'MILLIS' | 'MICROS' | 'NANOS'): bigint {
  const per = unit === 'MILLIS' ? 1n : unit === 'MICROS' ? 1000n : 1_000_000n;
  const q = v / per;
  return v % per < 0n ? q - 1n : q;
}

function isoTimestamp(ms: bigint, utc: boolean): string {
  const days = Number(ms >= 0n ? ms / 86_400_000n : -((-ms + 86_399_999n) / 86_400_000n));
  const rest = Number(ms - BigInt(days) * 86_400_000n);
  const h = Math.floor(rest / 3_600_000);
  const m = Math.floor(rest / 60_000) % 60;
  const s = Math.floor(rest / 1000) % 60;
  const time = `${pad(h, 2)}:${pad(m, 2)}:${pad(s, 2)}.${pad(rest % 1000, 3)}`;
  return `${isoDate(days)}T${time}${utc ? 'Z' : ''}`;
}

/** Java's Float.toString digits: the shortest decimal that reads back as the same float32. */
function float32Text(v: number): string {
  for (let p = 1; p < 10; p++) {
    const s = v.toPrecision(p);
    if (Math.fround(Number(s)) === v) return JSON.stringify(Number(s));
  }
  return JSON.stringify(v);
}

function numberText(v: number, float32: boolean): string {
  // Jackson writes non-finite numbers as strings.
  if (!Number.isFinite(v)) return JSON.stringify(Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity');
  return float32 ? float32Text(v) : JSON.stringify(v);
}

const toBigInt = (v: unknown): bigint =>
  typeof v === 'bigint' ? v : v instanceof Uint8Array ? signedBytes(v) : BigInt(v as number);

/** JSON text of one stats leaf (as statsDecoder decodes it), given its parquet element; null: absent. */
export function statsLeafJson(el: SchemaElement, v: unknown): JsonText | undefined {
  if (v === null || v === undefined) return undefined;
  const lt = el.logical_type;
  if (isDecimal(el)) {
    return new JsonText(javaDecimal(toBigInt(v), lt?.type === 'DECIMAL' ? lt.scale : (el.scale ?? 0)));
  }
  if (el.converted_type === 'DATE' || lt?.type === 'DATE') return new JsonText(`"${isoDate(Number(v))}"`);
  if (lt?.type === 'TIMESTAMP') {
    return new JsonText(`"${isoTimestamp(floorMillis(toBigInt(v), lt.unit), lt.isAdjustedToUTC)}"`);
  }
  if (el.converted_type === 'TIMESTAMP_MILLIS' || el.converted_type === 'TIMESTAMP_MICROS') {
    const unit = el.converted_type === 'TIMESTAMP_MILLIS' ? 'MILLIS' : 'MICROS';
    return new JsonText(`"${isoTimestamp(floorMillis(toBigInt(v), unit), true)}"`);
  }
  if (el.type === 'INT96') return new JsonText(`"${isoTimestamp(floorMillis(toBigInt(v), 'NANOS'), true)}"`);
  if (typeof v === 'bigint') return new JsonText(v.toString());
  if (typeof v === 'number') return new JsonText(numberText(v, el.type === 'FLOAT'));
  if (v instanceof Uint8Array) return new JsonText(JSON.stringify(Buffer.from(v).toString('base64')));
  return new JsonText(JSON.stringify(v));
}

/** Serialise a built stats struct (plain objects whose leaves are JsonText). */
export function statsText(v: unknown): string {
  if (v instanceof JsonText) return v.text;
  if (Array.isArray(v))
    return `[${v.map((x) => (x === null || x === undefined ? 'null' : statsText(x))).join(',')}]`;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const k in o) {
    const x = o[k];
    if (x !== undefined && x !== null) parts.push(`${JSON.stringify(k)}:${statsText(x)}`);
  }
  return `{${parts.join(',')}}`;
}

/** The stats text of a stats_parsed value assembled by hyparquet's generic path (statsDecoder leaves). */
export function statsFromAssembled(schema: SchemaTree, v: unknown): string | undefined {
  const walk = (s: SchemaTree, x: unknown): unknown => {
    if (x === null || x === undefined) return undefined;
    if (s.children.length === 0) return statsLeafJson(s.element, x);
    if (typeof x !== 'object') return undefined;
    const o = x as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const c of s.children) out[c.element.name] = walk(c, o[c.element.name]);
    return out;
  };
  const built = walk(schema, v);
  return built === undefined ? undefined : statsText(built);
}
