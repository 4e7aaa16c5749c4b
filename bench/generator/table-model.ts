/**
 * What the generated table looks like: its schema (and how it evolves), partition value pools
 * (including a null and values that need URI encoding), data file paths, stats strings, deletion
 * vectors, and the protocol/metaData actions. Pure functions of their inputs, so the same seed
 * always yields the same bytes.
 */
import type { Rng } from './prng';

/** A type alias (not an interface) so it is assignable to the zod-inferred DeletionVector. */
export type DvBody = {
  storageType: string;
  pathOrInlineDv: string;
  offset?: number;
  sizeInBytes: number;
  cardinality: number;
};

export interface AddBody {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats: string;
  tags?: Record<string, string>;
  deletionVector?: DvBody;
}

export interface RemoveBody {
  path: string;
  deletionTimestamp: number;
  dataChange: boolean;
  extendedFileMetadata: boolean;
  partitionValues: Record<string, string | null>;
  size: number;
  deletionVector?: DvBody;
}

export interface ProtocolBody {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface MetadataBody {
  id: string;
  name: string | null;
  description: string | null;
  format: { provider: string; options: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime: number;
}

export interface TxnBody {
  appId: string;
  version: number;
  lastUpdated: number;
}

interface Field {
  name: string;
  type: 'long' | 'double' | 'string';
  nullable: boolean;
  metadata: Record<string, never>;
}

/** Data columns every generated table starts with. */
const BASE_COLUMNS: Field[] = [
  { name: 'id', type: 'long', nullable: true, metadata: {} },
  { name: 'value', type: 'double', nullable: true, metadata: {} },
  { name: 'name', type: 'string', nullable: true, metadata: {} },
];
/** Columns added by schema evolution are named EXTRA_PREFIX + n. */
const EXTRA_PREFIX = 'extra_';
const MAX_EXTRA_COLUMNS = 6;
/** Table property bumped by metadata changes once the schema stopped growing. */
const REVISION_PROPERTY = 'deltasql.generator.revision';
/** Delta's default `delta.dataSkippingNumIndexedCols`. */
const DATA_SKIPPING_NUM_INDEXED_COLS = 32;

/** Value pools per known partition column; null is a null partition value. */
const PARTITION_POOLS: Record<string, readonly (string | null)[]> = {
  date: ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04'],
  region: ['us-east-1', 'eu west', 'ap%south', 'k=v', null],
};
const GENERIC_POOL: readonly (string | null)[] = ['a', 'b c', 'x%y', 'p=q', null];
/** Spark writes null partition values under this directory name. */
export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__';

const MIN_FILE_BYTES = 1_024;
const MAX_FILE_BYTES = 256 * 1024 * 1024;
const MAX_ROWS_PER_FILE = 1_000_000;
const NAMES = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy'];

export const FEATURES_AFTER_UPGRADE = ['appendOnly', 'checkConstraints', 'invariants'];

export function initialProtocol(deletionVectors: boolean): ProtocolBody {
  if (!deletionVectors) return { minReaderVersion: 1, minWriterVersion: 2 };
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: ['deletionVectors'],
    writerFeatures: ['appendOnly', 'deletionVectors', 'invariants'],
  };
}

/** The protocol upgrade: to table features, keeping whatever features were already on. */
export function upgradedProtocol(p: ProtocolBody): ProtocolBody {
  const writer = new Set([...(p.writerFeatures ?? []), ...FEATURES_AFTER_UPGRADE]);
  return {
    minReaderVersion: 3,
    minWriterVersion: 7,
    readerFeatures: [...(p.readerFeatures ?? [])].sort(),
    writerFeatures: [...writer].sort(),
  };
}

export function initialMetadata(
  rng: Rng,
  partitionColumns: string[],
  opts: { deletionVectors: boolean; checkpointInterval: number; createdTime: number },
): MetadataBody {
  const fields: Field[] = [
    ...BASE_COLUMNS,
    ...partitionColumns.map((name): Field => ({ name, type: 'string', nullable: true, metadata: {} })),
  ];
  const configuration: Record<string, string> = {};
  if (opts.checkpointInterval > 0)
    configuration['delta.checkpointInterval'] = String(opts.checkpointInterval);
  if (opts.deletionVectors) configuration['delta.enableDeletionVectors'] = 'true';
  return {
    id: rng.uuid(),
    name: null,
    description: null,
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify({ type: 'struct', fields }),
    partitionColumns: [...partitionColumns],
    configuration,
    createdTime: opts.createdTime,
  };
}

function fieldsOf(m: MetadataBody): Field[] {
  return (JSON.parse(m.schemaString) as { fields: Field[] }).fields;
}

/**
 * A metaData change. Schema evolution (one more nullable long column) until the table has
 * MAX_EXTRA_COLUMNS added columns — so stats stay realistic in 100k-version tables — and from
 * then on a table property change, which is still a new metaData action.
 */
export function evolvedMetadata(m: MetadataBody): MetadataBody {
  const fields = fieldsOf(m);
  const n = fields.filter((f) => f.name.startsWith(EXTRA_PREFIX)).length + 1;
  if (n > MAX_EXTRA_COLUMNS) {
    const rev = Number(m.configuration[REVISION_PROPERTY] ?? '0') + 1;
    return { ...m, configuration: { ...m.configuration, [REVISION_PROPERTY]: String(rev) } };
  }
  fields.push({ name: `${EXTRA_PREFIX}${n}`, type: 'long', nullable: true, metadata: {} });
  return { ...m, schemaString: JSON.stringify({ type: 'struct', fields }) };
}

/** Data columns (non-partition) that stats describe: the first DATA_SKIPPING_NUM_INDEXED_COLS, like Delta. */
export function statsColumns(m: MetadataBody): { name: string; type: Field['type'] }[] {
  const parts = new Set(m.partitionColumns);
  return fieldsOf(m)
    .filter((f) => !parts.has(f.name))
    .slice(0, DATA_SKIPPING_NUM_INDEXED_COLS)
    .map((f) => ({ name: f.name, type: f.type }));
}

/**
 * Spark's escapePathName: characters unsafe in a Hive partition directory become %XX. The log
 * then URI-encodes the whole relative path, so `%` ends up as `%25` and a space as `%20`.
 */
const HIVE_ESCAPE = new Set(['"', '#', '%', "'", '*', '/', ':', '=', '?', '\\', '\x7f', '{', '[', ']', '^']);
export function escapePartitionValue(v: string | null): string {
  if (v === null) return HIVE_NULL;
  let out = '';
  for (const ch of v) {
    const code = ch.charCodeAt(0);
    out += code < 0x20 || HIVE_ESCAPE.has(ch) ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : ch;
  }
  return out;
}

/** RFC 2396 encoding of a relative path, as Delta writers put it in `add.path`. */
export function encodeLogPath(relPath: string): string {
  return relPath
    .split('/')
    .map((seg) => encodeURIComponent(seg).replace(/%3D/g, '='))
    .join('/');
}

export function partitionValuesFor(rng: Rng, columns: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const c of columns) out[c] = rng.pick(PARTITION_POOLS[c] ?? GENERIC_POOL);
  return out;
}

/** `part-NNNNN-<uuid>.c000.snappy.parquet` under its Hive partition directories, URI-encoded. */
export function dataFilePath(rng: Rng, part: number, pv: Record<string, string | null>): string {
  const dirs = Object.entries(pv).map(([k, v]) => `${k}=${escapePartitionValue(v)}`);
  const file = `part-${String(part % 100_000).padStart(5, '0')}-${rng.uuid()}.c000.snappy.parquet`;
  return encodeLogPath([...dirs, file].join('/'));
}

/** Log-uniform file size: many small files, a few large ones, like real tables. */
export function fileSize(rng: Rng): number {
  const lo = Math.log(MIN_FILE_BYTES);
  const hi = Math.log(MAX_FILE_BYTES);
  return Math.round(Math.exp(lo + rng.float() * (hi - lo)));
}

/** A realistic stats JSON string: numRecords, minValues, maxValues, nullCount over the data columns. */
export function statsString(rng: Rng, size: number, columns: { name: string; type: string }[]): string {
  const numRecords = Math.max(1, Math.min(MAX_ROWS_PER_FILE, Math.floor(size / rng.int(40, 200))));
  const minValues: Record<string, number | string> = {};
  const maxValues: Record<string, number | string> = {};
  const nullCount: Record<string, number> = {};
  for (const c of columns) {
    if (c.type === 'string') {
      const a = rng.pick(NAMES);
      const b = rng.pick(NAMES);
      minValues[c.name] = a < b ? a : b;
      maxValues[c.name] = a < b ? b : a;
    } else if (c.type === 'double') {
      const lo = Math.round(rng.float() * 100_000) / 100;
      minValues[c.name] = lo;
      maxValues[c.name] = Math.round((lo + rng.float() * 1_000) * 100) / 100;
    } else {
      const lo = rng.int(0, 1_000_000_000);
      minValues[c.name] = lo;
      maxValues[c.name] = lo + numRecords - 1;
    }
    nullCount[c.name] = c.name === 'id' ? 0 : rng.int(0, Math.floor(numRecords / 10));
  }
  return JSON.stringify({ numRecords, minValues, maxValues, nullCount });
}

/** A plausible deletion vector: on-disk ('u', random id, offset 1) or inline ('i', Z85 bitmap). */
export function deletionVector(rng: Rng, cardinality: number): DvBody {
  if (rng.float() < 0.5) {
    return {
      storageType: 'u',
      pathOrInlineDv: rng.z85(20),
      offset: 1,
      sizeInBytes: 34 + rng.int(0, 40),
      cardinality,
    };
  }
  const len = 5 * rng.int(4, 8);
  return { storageType: 'i', pathOrInlineDv: rng.z85(len), sizeInBytes: (len / 5) * 4, cardinality };
}

export function numRecordsOf(add: AddBody): number {
  const m = /"numRecords":(\d+)/.exec(add.stats);
  return m ? Number(m[1]) : 1;
}
