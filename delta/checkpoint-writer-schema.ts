/**
 * Spark's classic checkpoint schema (PROTOCOL.md "Checkpoint Schema") as hyparquet-writer schema
 * elements, and the conversion of action bodies into the column values it writes. One optional
 * top-level struct per action kind; each row sets exactly one of them. MAP columns are the standard
 * `key_value {key, value}` repeated group and LIST columns the 3-level `list {element}` group, as
 * parquet-mr writes them, so delta-rs, Spark and pyarrow see plain maps and arrays.
 *
 * Bodies come from the catalog's verbatim JSON: fields this schema does not name are dropped (the
 * Dremel encoder only visits schema children), INT64 fields become BigInt (hyparquet-writer's
 * representation), and checkpoint adds/removes carry dataChange=false, as Spark writes them.
 */
import type { SchemaElement } from 'hyparquet';

type Json = Record<string, unknown>;
/** A schema subtree: its elements in depth-first order, the first one being the subtree's root. */
type Node = SchemaElement[];

const leaf = (name: string, type: SchemaElement['type'], extra: Partial<SchemaElement> = {}): Node => [
  { name, type, repetition_type: 'OPTIONAL', ...extra },
];
export const str = (name: string): Node => leaf(name, 'BYTE_ARRAY', { converted_type: 'UTF8' });
export const i32 = (name: string): Node => leaf(name, 'INT32');
export const i64 = (name: string): Node => leaf(name, 'INT64');
const bool = (name: string): Node => leaf(name, 'BOOLEAN');

/** An optional group of children. */
export function struct(name: string, children: Node[]): Node {
  return [{ name, repetition_type: 'OPTIONAL', num_children: children.length }, ...children.flat()];
}

const map = (name: string): Node => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'MAP', num_children: 1 },
  { name: 'key_value', repetition_type: 'REPEATED', num_children: 2 },
  { name: 'key', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'REQUIRED' },
  { name: 'value', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
];

const list = (name: string): Node => [
  { name, repetition_type: 'OPTIONAL', converted_type: 'LIST', num_children: 1 },
  { name: 'list', repetition_type: 'REPEATED', num_children: 1 },
  { name: 'element', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
];

const dv = (): Node =>
  struct('deletionVector', [
    str('storageType'),
    str('pathOrInlineDv'),
    i32('offset'),
    i32('sizeInBytes'),
    i64('cardinality'),
  ]);

/** The top-level columns, in the order rows are written. */
export const CHECKPOINT_COLUMNS = ['txn', 'add', 'remove', 'metaData', 'protocol', 'domainMetadata'] as const;
export type CheckpointColumn = (typeof CHECKPOINT_COLUMNS)[number];

/**
 * The whole schema. `statsParsed`, when given, is the `add.stats_parsed` struct for this table
 * (checkpoint-writer-stats.ts builds it from the table schema).
 */
export function checkpointSchema(statsParsed: Node | null): SchemaElement[] {
  const add = [
    str('path'),
    map('partitionValues'),
    i64('size'),
    i64('modificationTime'),
    bool('dataChange'),
    str('stats'),
    map('tags'),
    dv(),
    i64('baseRowId'),
    i64('defaultRowCommitVersion'),
    str('clusteringProvider'),
  ];
  if (statsParsed) add.push(statsParsed);
  const columns: Node[] = [
    struct('txn', [str('appId'), i64('version'), i64('lastUpdated')]),
    struct('add', add),
    struct('remove', [
      str('path'),
      i64('deletionTimestamp'),
      bool('dataChange'),
      bool('extendedFileMetadata'),
      map('partitionValues'),
      i64('size'),
      map('tags'),
      dv(),
      i64('baseRowId'),
      i64('defaultRowCommitVersion'),
    ]),
    struct('metaData', [
      str('id'),
      str('name'),
      str('description'),
      struct('format', [str('provider'), map('options')]),
      str('schemaString'),
      list('partitionColumns'),
      map('configuration'),
      i64('createdTime'),
    ]),
    struct('protocol', [
      i32('minReaderVersion'),
      i32('minWriterVersion'),
      list('readerFeatures'),
      list('writerFeatures'),
    ]),
    struct('domainMetadata', [str('domain'), str('configuration'), bool('removed')]),
  ];
  return [{ name: 'spark_schema', num_children: columns.length }, ...columns.flat()];
}

/** A JSON number (or numeric string) as BigInt for INT64 columns; absent stays absent. */
export function big(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.trunc(v));
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return BigInt(v);
  if (typeof v === 'bigint') return v;
  return undefined;
}

function dvValue(d: unknown): Json | undefined {
  if (d === null || typeof d !== 'object') return undefined;
  const o = d as Json;
  return { ...o, cardinality: big(o.cardinality) };
}

/**
 * Column values for one action body, keyed by its column. Adds and removes (nearly every row)
 * name exactly their schema's fields instead of copying the whole body: a 1M-file checkpoint
 * then allocates one small object per row, not a spread copy of every parsed body.
 */
export const toColumn = {
  add: (b: Json, statsParsed?: unknown): Json => ({
    path: b.path,
    partitionValues: b.partitionValues,
    size: big(b.size),
    modificationTime: big(b.modificationTime),
    dataChange: false,
    stats: b.stats,
    tags: b.tags,
    deletionVector: dvValue(b.deletionVector),
    baseRowId: big(b.baseRowId),
    defaultRowCommitVersion: big(b.defaultRowCommitVersion),
    clusteringProvider: b.clusteringProvider,
    stats_parsed: statsParsed,
  }),
  remove: (b: Json): Json => ({
    path: b.path,
    deletionTimestamp: big(b.deletionTimestamp),
    dataChange: false,
    extendedFileMetadata: b.extendedFileMetadata,
    partitionValues: b.partitionValues,
    size: big(b.size),
    tags: b.tags,
    deletionVector: dvValue(b.deletionVector),
    baseRowId: big(b.baseRowId),
    defaultRowCommitVersion: big(b.defaultRowCommitVersion),
  }),
  metaData: (b: Json): Json => ({ ...b, createdTime: big(b.createdTime) }),
  protocol: (b: Json): Json => b,
  txn: (b: Json): Json => ({ ...b, version: big(b.version), lastUpdated: big(b.lastUpdated) }),
  domainMetadata: (b: Json): Json => b,
} satisfies Record<CheckpointColumn, (b: Json, extra?: unknown) => Json>;
