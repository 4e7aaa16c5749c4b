/**
 * Delta's text values as Iceberg values. Delta stores partition values as strings and stats as
 * JSON; Iceberg manifests want partition tuples typed by the schema, and column bounds in the
 * spec's binary single-value serialization (Iceberg spec, Appendix D): little-endian ints, longs
 * and floats, days for dates, microseconds for timestamps, UTF-8 for strings, and the unscaled
 * big-endian two's complement for decimals.
 */

const MICROS_PER_MS = 1000n;
const MS_PER_DAY = 86_400_000;
/** Delta stats keep timestamps in milliseconds; an upper bound must cover the whole millisecond. */
const TIMESTAMP_UPPER_SLACK_MICROS = 999n;
const DECIMAL = /^decimal\((\d+), (\d+)\)$/;

export type PartitionValue = number | string | boolean | null;

function parseTimestampMicros(s: string): bigint | null {
  const ms = Date.parse(/[zZ]|[+-]\d\d:?\d\d$/.test(s) ? s : `${s.replace(' ', 'T')}Z`);
  if (Number.isNaN(ms)) return null;
  const frac = /\.(\d+)/.exec(s)?.[1] ?? '';
  const extraMicros = frac.length > 3 ? BigInt(frac.slice(3, 6).padEnd(3, '0')) : 0n;
  return BigInt(ms) * MICROS_PER_MS + extraMicros;
}

const days = (s: string): number | null => {
  const ms = Date.parse(`${s.slice(0, 10)}T00:00:00Z`);
  return Number.isNaN(ms) ? null : Math.floor(ms / MS_PER_DAY);
};

/** A partition value for an Avro manifest (identity transform), typed by the Iceberg type. */
export function partitionValue(raw: string | null | undefined, icebergType: string): PartitionValue {
  if (raw === null || raw === undefined) return null;
  switch (icebergType) {
    case 'int':
    case 'long':
      return Number(raw);
    case 'float':
    case 'double':
      return Number(raw);
    case 'boolean':
      return raw.toLowerCase() === 'true';
    case 'date':
      return days(raw);
    case 'timestamp':
    case 'timestamptz': {
      const us = parseTimestampMicros(raw);
      return us === null ? null : Number(us);
    }
    default:
      return raw;
  }
}

/** The Avro type of a partition field for `icebergType`, nullable. */
export function partitionAvroType(icebergType: string): unknown {
  const d = DECIMAL.exec(icebergType);
  if (d) return ['null', 'string'];
  const base: Record<string, unknown> = {
    int: 'int',
    long: 'long',
    float: 'float',
    double: 'double',
    boolean: 'boolean',
    string: 'string',
    binary: 'bytes',
    date: { type: 'int', logicalType: 'date' },
    timestamp: { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': false },
    timestamptz: { type: 'long', logicalType: 'timestamp-micros', 'adjust-to-utc': true },
  };
  return ['null', base[icebergType] ?? 'string'];
}

function decimalBytes(v: number | string, scale: number): Buffer {
  const [int, frac = ''] = String(v).split('.');
  const neg = int.startsWith('-');
  let unscaled = BigInt(`${int.replace('-', '')}${frac.padEnd(scale, '0').slice(0, scale)}` || '0');
  if (neg) unscaled = -unscaled;
  let hex = (unscaled < 0n ? -unscaled : unscaled).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (unscaled >= 0n) {
    if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
    return bytes;
  }
  // Two's complement of the magnitude, with a sign byte when needed.
  const width = bytes.length + (bytes[0] & 0x80 ? 1 : 0);
  const mod = 1n << BigInt(width * 8);
  let h = (mod + unscaled).toString(16).padStart(width * 2, '0');
  if (!(parseInt(h.slice(0, 2), 16) & 0x80)) h = `ff${h}`;
  return Buffer.from(h, 'hex');
}

/**
 * One stats value in binary single-value form, or null when it cannot be represented (the bound
 * is then left out, which readers treat as unknown).
 */
export function boundBytes(v: unknown, icebergType: string, upper: boolean): Buffer | null {
  if (v === null || v === undefined) return null;
  const d = DECIMAL.exec(icebergType);
  if (d) return typeof v === 'number' || typeof v === 'string' ? decimalBytes(v, Number(d[2])) : null;
  switch (icebergType) {
    case 'int': {
      if (typeof v !== 'number' || !Number.isInteger(v)) return null;
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      return b;
    }
    case 'long': {
      if (typeof v !== 'number' && typeof v !== 'bigint') return null;
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(BigInt(v));
      return b;
    }
    case 'float': {
      if (typeof v !== 'number') return null;
      const b = Buffer.alloc(4);
      b.writeFloatLE(v);
      return b;
    }
    case 'double': {
      if (typeof v !== 'number') return null;
      const b = Buffer.alloc(8);
      b.writeDoubleLE(v);
      return b;
    }
    case 'string':
      return typeof v === 'string' ? Buffer.from(v, 'utf8') : null;
    case 'date': {
      const n = typeof v === 'string' ? days(v) : null;
      if (n === null) return null;
      const b = Buffer.alloc(4);
      b.writeInt32LE(n);
      return b;
    }
    case 'timestamp':
    case 'timestamptz': {
      const us = typeof v === 'string' ? parseTimestampMicros(v) : null;
      if (us === null) return null;
      const b = Buffer.alloc(8);
      b.writeBigInt64LE(upper ? us + TIMESTAMP_UPPER_SLACK_MICROS : us);
      return b;
    }
    default:
      return null;
  }
}
