/**
 * What CONVERT TO DELTA needs from one parquet file, read from its footer alone with ranged reads
 * (the data pages are never fetched): its Delta schema, its row count, and Delta file statistics
 * (PROTOCOL.md "Per-file Statistics") aggregated over the row groups from the column chunk
 * statistics the writer recorded.
 *
 * Stats rules, as Spark's data skipping expects them:
 * - `numRecords` always; `nullCount` for every leaf that is not inside a list or map;
 * - `minValues`/`maxValues` only for stats-eligible types (numbers, decimals, strings, dates,
 *   timestamps), and only when every row group has both bounds: a missing bound cannot be guessed;
 * - timestamps in milliseconds ("2024-01-01T00:00:00.000Z"), dates as "YYYY-MM-DD"; int64 values
 *   keep all their digits.
 */
import { parquetMetadataAsync, parquetSchema } from 'hyparquet';
import type { FileMetaData, SchemaTree, Statistics } from 'hyparquet';
import { DeltaSqlError } from '../common/errors';
import { asAsyncBuffer } from '../delta/parquet-stream';
import type { ObjectStore } from '../storage/object-store';
import { displayPath } from '../storage/storage-error';
import { type DeltaStruct, type DeltaType, deltaSchemaOf } from './parquet-schema';

export interface FooterSummary {
  schema: DeltaStruct;
  numRecords: number;
  /** Delta stats JSON text for the add action. */
  stats: string;
}

const MIN_MAX_TYPES =
  /^(byte|short|integer|long|float|double|string|date|timestamp|timestamp_ntz|decimal\(.*\))$/;
const PARQUET_MAGIC = 'PAR1';
/** Tail bytes read first: footers of files with a few hundred columns fit. */
const FOOTER_GUESS_BYTES = 64 * 1024;

type MinMaxType = NonNullable<Statistics['min']>;

type Bound = { min: MinMaxType; max: MinMaxType } | null;
interface LeafStats {
  path: string[];
  deltaType: string;
  nulls: number;
  bounds: Bound;
  /** False once a row group lacks a bound: the column then gets no min/max. */
  complete: boolean;
}

function less(a: MinMaxType, b: MinMaxType): boolean {
  if (a instanceof Date && b instanceof Date) return a.getTime() < b.getTime();
  return (a as number | bigint | string) < (b as number | bigint | string);
}

/** Leaves whose statistics Delta keeps: struct nesting only, never inside a list or map. */
function statLeaves(tree: SchemaTree, schema: DeltaStruct): Map<string, LeafStats> {
  const out = new Map<string, LeafStats>();
  const walk = (node: SchemaTree, type: DeltaStruct, prefix: string[]): void => {
    for (const child of node.children) {
      const field = type.fields.find((f) => f.name === child.element.name);
      if (field === undefined) continue;
      const path = [...prefix, field.name];
      if (typeof field.type === 'string') {
        out.set(path.join('.'), { path, deltaType: field.type, nulls: 0, bounds: null, complete: true });
      } else if (field.type.type === 'struct') walk(child, field.type, path);
    }
  };
  walk(tree, schema, []);
  return out;
}

function jsonValue(v: MinMaxType, deltaType: string): unknown {
  if (v instanceof Date) {
    if (Number.isNaN(v.getTime())) return undefined;
    return deltaType === 'date' ? v.toISOString().slice(0, 10) : v.toISOString();
  }
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string') return v;
  return undefined;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let o = target;
  for (const k of path.slice(0, -1)) {
    o[k] ??= {};
    o = o[k] as Record<string, unknown>;
  }
  o[path[path.length - 1]] = value;
}

/** JSON.stringify that writes bigint values as plain JSON integers, keeping every digit. */
export function stringifyWithBigInts(value: unknown): string {
  const marks: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    marks.push(v.toString());
    return `\u0000${marks.length - 1}\u0000`;
  });
  return text.replace(/"\\u0000(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]);
}

export function statsFromMetadata(meta: FileMetaData, schema: DeltaStruct): string {
  const tree = parquetSchema(meta);
  const leaves = statLeaves(tree, schema);
  for (const rg of meta.row_groups) {
    for (const col of rg.columns) {
      const md = col.meta_data;
      if (md === undefined) continue;
      const leaf = leaves.get(md.path_in_schema.join('.'));
      if (leaf === undefined) continue;
      const st = md.statistics;
      if (st?.null_count === undefined) leaf.complete = false;
      else leaf.nulls += Number(st.null_count);
      const min = st?.min_value ?? st?.min;
      const max = st?.max_value ?? st?.max;
      if (min === undefined || max === undefined || min === null || max === null) {
        leaf.complete = false;
        continue;
      }
      if (leaf.bounds === null) leaf.bounds = { min, max };
      else {
        if (less(min, leaf.bounds.min)) leaf.bounds.min = min;
        if (less(leaf.bounds.max, max)) leaf.bounds.max = max;
      }
    }
  }
  const minValues: Record<string, unknown> = {};
  const maxValues: Record<string, unknown> = {};
  const nullCount: Record<string, unknown> = {};
  for (const leaf of leaves.values()) {
    if (meta.row_groups.length === 0) setPath(nullCount, leaf.path, 0);
    else if (leaf.complete || leaf.bounds !== null) setPath(nullCount, leaf.path, leaf.nulls);
    if (!leaf.complete || leaf.bounds === null || !MIN_MAX_TYPES.test(leaf.deltaType)) continue;
    const lo = jsonValue(leaf.bounds.min, leaf.deltaType);
    const hi = jsonValue(leaf.bounds.max, leaf.deltaType);
    if (lo === undefined || hi === undefined) continue;
    setPath(minValues, leaf.path, lo);
    setPath(maxValues, leaf.path, hi);
  }
  return stringifyWithBigInts({ numRecords: Number(meta.num_rows), minValues, maxValues, nullCount });
}

/** Read one file's footer through ranged reads; anything that is not parquet is CorruptParquet. */
export async function readFooter(store: ObjectStore, rel: string, size: number): Promise<FooterSummary> {
  const file = displayPath(store.root, rel);
  const bad = (why: string, cause?: unknown): DeltaSqlError =>
    new DeltaSqlError('CorruptParquet', `${file} is not a readable parquet file: ${why}`, { file, cause });
  if (size < 12) throw bad(`${size} bytes is too small`);
  const read = async (start: number, end: number): Promise<Uint8Array> =>
    store.getRange ? store.getRange(rel, start, end) : (await store.get(rel)).subarray(start, end);
  // One ranged read fetches the magic and, nearly always, the whole footer: the parser's first
  // slice is served from it, and only a footer larger than the guess costs a second read.
  const tailStart = Math.max(0, size - FOOTER_GUESS_BYTES);
  const tail = await read(tailStart, size);
  if (Buffer.from(tail.subarray(tail.length - 4)).toString('latin1') !== PARQUET_MAGIC)
    throw bad('no PAR1 footer magic');
  const cached = async (start: number, end: number): Promise<Uint8Array> =>
    start >= tailStart ? tail.subarray(start - tailStart, end - tailStart) : read(start, end);
  let meta: FileMetaData;
  try {
    meta = await parquetMetadataAsync(asAsyncBuffer({ size, read: cached }), {
      initialFetchSize: size - tailStart,
    });
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e), e);
  }
  const schema = deltaSchemaOf(parquetSchema(meta));
  return { schema, numRecords: Number(meta.num_rows), stats: statsFromMetadata(meta, schema) };
}

export type { DeltaType };
