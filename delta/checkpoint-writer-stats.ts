/**
 * `add.stats_parsed` for tables with `delta.checkpoint.writeStatsAsStruct=true`: the JSON stats
 * (numRecords, minValues, maxValues, nullCount) as a typed struct derived from the table schema,
 * as Spark writes it. Keys are physical column names (column mapping), like the JSON stats.
 * min/max cover the types Spark collects them for (numbers, strings, dates, timestamps); decimals,
 * booleans, binary and nested collections carry null counts only. A value that does not convert
 * becomes null: stats are optional, a wrong stat is worse than none.
 */
import type { SchemaElement } from 'hyparquet';
import { big, i32, i64, str, struct } from './checkpoint-writer-schema';

type Json = Record<string, unknown>;
type Node = SchemaElement[];

type Kind =
  'int8' | 'int16' | 'int32' | 'int64' | 'float' | 'double' | 'string' | 'date' | 'ts' | 'tsntz' | 'other';
interface Field {
  name: string;
  kind: Kind | 'struct';
  children: Field[];
}

const PRIMITIVE: Record<string, Kind> = {
  byte: 'int8',
  short: 'int16',
  integer: 'int32',
  long: 'int64',
  float: 'float',
  double: 'double',
  string: 'string',
  date: 'date',
  timestamp: 'ts',
  timestamp_ntz: 'tsntz',
};

function fieldsOf(structType: unknown, mapped: boolean): Field[] {
  const fields = (structType as { fields?: unknown }).fields;
  if (!Array.isArray(fields)) return [];
  return fields.flatMap((f: unknown): Field[] => {
    if (f === null || typeof f !== 'object') return [];
    const o = f as Json;
    const meta = (o.metadata ?? {}) as Json;
    const physical = meta['delta.columnMapping.physicalName'];
    const name = mapped && typeof physical === 'string' ? physical : String(o.name);
    const t = o.type;
    if (typeof t === 'string') return [{ name, kind: PRIMITIVE[t] ?? 'other', children: [] }];
    if (t !== null && typeof t === 'object' && (t as Json).type === 'struct') {
      return [{ name, kind: 'struct', children: fieldsOf(t, mapped) }];
    }
    return [{ name, kind: 'other', children: [] }];
  });
}

function leafNode(f: Field): Node | null {
  switch (f.kind) {
    // parquet-mr annotates narrow integers, and readers match stats columns to the table's types.
    case 'int8':
      return [{ name: f.name, type: 'INT32', converted_type: 'INT_8', repetition_type: 'OPTIONAL' }];
    case 'int16':
      return [{ name: f.name, type: 'INT32', converted_type: 'INT_16', repetition_type: 'OPTIONAL' }];
    case 'int32':
      return i32(f.name);
    case 'int64':
      return i64(f.name);
    case 'float':
      return [{ name: f.name, type: 'FLOAT', repetition_type: 'OPTIONAL' }];
    case 'double':
      return [{ name: f.name, type: 'DOUBLE', repetition_type: 'OPTIONAL' }];
    case 'string':
      return str(f.name);
    case 'date':
      return [{ name: f.name, type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' }];
    case 'ts':
    case 'tsntz':
      return [
        {
          name: f.name,
          type: 'INT64',
          repetition_type: 'OPTIONAL',
          logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: f.kind === 'ts', unit: 'MICROS' },
        },
      ];
    default:
      return null;
  }
}

/** Min/max struct (fields without min/max dropped; empty structs dropped). */
function minMaxNode(name: string, fields: Field[]): Node | null {
  const children = fields
    .map((f) => (f.kind === 'struct' ? minMaxNode(f.name, f.children) : leafNode(f)))
    .filter((n): n is Node => n !== null);
  return children.length > 0 ? struct(name, children) : null;
}

function nullCountNode(name: string, fields: Field[]): Node {
  return struct(
    name,
    fields.map((f) => (f.kind === 'struct' ? nullCountNode(f.name, f.children) : i64(f.name))),
  );
}

const DATE = /^(-?\d{4,})-(\d{2})-(\d{2})$/;
const TS = /^(\d{4,}-\d{2}-\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:?\d{2})?$/;

/** Microseconds since the epoch of a stats timestamp (ISO-8601, fraction up to 9 digits). */
function micros(v: unknown): bigint | undefined {
  if (typeof v !== 'string') return undefined;
  const m = TS.exec(v);
  if (!m) return undefined;
  const secs = Date.parse(`${m[1]}T${m[2]}:${m[3]}:${m[4]}${m[6] ?? 'Z'}`);
  if (!Number.isFinite(secs)) return undefined;
  const frac = (m[5] ?? '').padEnd(6, '0').slice(0, 6);
  return BigInt(secs) * 1000n + BigInt(frac);
}

function convertLeaf(kind: Kind, v: unknown): unknown {
  if (v === null || v === undefined) return undefined;
  switch (kind) {
    case 'int8':
    case 'int16':
    case 'int32':
      return typeof v === 'number' && Number.isInteger(v) ? v : undefined;
    case 'int64':
      return big(v);
    case 'float':
    case 'double':
      return typeof v === 'number' ? v : undefined;
    case 'string':
      return typeof v === 'string' ? v : undefined;
    case 'date': {
      const m = typeof v === 'string' ? DATE.exec(v) : null;
      return m ? Math.floor(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) / 86_400_000) : undefined;
    }
    case 'ts':
    case 'tsntz':
      return micros(v);
    default:
      return undefined;
  }
}

function convertStruct(
  fields: Field[],
  v: unknown,
  leaf: (f: Field, x: unknown) => unknown,
): Json | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const o = v as Json;
  const out: Json = {};
  for (const f of fields) {
    out[f.name] = f.kind === 'struct' ? convertStruct(f.children, o[f.name], leaf) : leaf(f, o[f.name]);
  }
  return out;
}

export interface StatsParsed {
  /** The `stats_parsed` schema subtree. */
  node: Node;
  /** The struct value for one JSON stats string (undefined when unparsable). */
  convert(stats: string): Json | undefined;
}

/** The stats struct for a table, from its metaData body (null when the schema is unusable). */
export function statsParsedFor(metadata: Json): StatsParsed | null {
  let schema: unknown;
  try {
    schema = JSON.parse(String(metadata.schemaString));
  } catch {
    return null;
  }
  const conf = (metadata.configuration ?? {}) as Json;
  const mode = conf['delta.columnMapping.mode'];
  const fields = fieldsOf(schema, mode === 'name' || mode === 'id');
  const min = minMaxNode('minValues', fields);
  const max = minMaxNode('maxValues', fields);
  const children: Node[] = [i64('numRecords')];
  if (min) children.push(min);
  if (max) children.push(max);
  children.push(nullCountNode('nullCount', fields));
  const node = struct('stats_parsed', children);
  const minMax = (f: Field, x: unknown): unknown =>
    f.kind === 'struct' ? undefined : convertLeaf(f.kind, x);
  const count = (_f: Field, x: unknown): unknown => big(x);
  return {
    node,
    convert(stats) {
      let s: Json;
      try {
        s = JSON.parse(stats) as Json;
      } catch {
        return undefined;
      }
      if (s === null || typeof s !== 'object') return undefined;
      return {
        numRecords: big(s.numRecords),
        minValues: min ? convertStruct(fields, s.minValues, minMax) : undefined,
        maxValues: max ? convertStruct(fields, s.maxValues, minMax) : undefined,
        nullCount: convertStruct(fields, s.nullCount, count),
      };
    },
  };
}
