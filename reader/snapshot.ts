/**
 * The TypeScript table reader: a snapshot of a catalog table at a version or timestamp (its file
 * list and metadata come from SQL, never from the log), and `scan()` over it. Parquet files are
 * read through ranged object-store reads in bounded row batches (delta/parquet-stream.ts); each
 * batch drops the rows its file's deletion vector deletes, adds the partition values typed from the
 * schema, and renames physical columns to logical ones under column mapping. Only the column
 * chunks of the requested (and row-filtered) data columns are fetched and decoded. Memory: one
 * file's column windows plus one batch, plus the file list.
 */
import { compressors } from 'hyparquet-compressors';
import { DeltaSqlError } from '../common/errors';
import type { CatalogStore, CatalogTable } from '../catalog/store';
import { locateDataFile } from '../delta/data-path';
import { parquetRowBatches, readParquetMetadata, type ByteSource } from '../delta/parquet-stream';
import type { FileJson, SnapshotJson } from '../delta/snapshot-json';
import type { ObjectStore } from '../storage/object-store';
import { openStore } from '../storage/uri';
import { deletedRows } from './deletion-vector';
import { columnMappingMode, parseSchema, physicalName, type DeltaField } from './schema';
import { logicalValue, parsePartitionValue, sameValue } from './values';

export interface ScanOptions {
  /** Logical column names, in output order; default: every column of the schema. */
  columns?: readonly string[];
  /** Equality filter by logical column: partition columns prune files, others filter rows. */
  filter?: Readonly<Record<string, unknown>>;
  /** Rows per batch read from a file (batches never span files). */
  batchRows?: number;
}

/** Rows of one part of one file, column by column (logical names, in the requested order). */
export interface RecordBatch {
  numRows: number;
  columns: Record<string, unknown[]>;
  /** The data file the rows come from, as the log names it. */
  file: string;
}

/** The rows of a batch as objects (convenience; allocates one object per row). */
export function batchRows(b: RecordBatch): Record<string, unknown>[] {
  const names = Object.keys(b.columns);
  const out: Record<string, unknown>[] = new Array(b.numRows);
  for (let i = 0; i < b.numRows; i++) {
    const r: Record<string, unknown> = {};
    for (const n of names) r[n] = b.columns[n][i];
    out[i] = r;
  }
  return out;
}

type Loc = ReturnType<typeof locateDataFile>;

export class TableSnapshot {
  readonly version: number;
  readonly timestamp: number;
  readonly schema: DeltaField[];
  readonly partitionColumns: readonly string[];
  private readonly mode: 'none' | 'name' | 'id';
  private readonly stores = new Map<string, ObjectStore>();

  constructor(
    readonly table: CatalogTable,
    private readonly snap: SnapshotJson,
  ) {
    this.version = snap.version;
    this.timestamp = snap.timestamp;
    this.schema = parseSchema(snap.metadata.schemaString);
    this.partitionColumns = snap.metadata.partitionColumns;
    this.mode = columnMappingMode(snap.metadata);
  }

  get metadata(): SnapshotJson['metadata'] {
    return this.snap.metadata;
  }

  get protocol(): SnapshotJson['protocol'] {
    return this.snap.protocol;
  }

  /** The data files of the snapshot, in snapshot order. */
  files(): readonly FileJson[] {
    return this.snap.files ?? [];
  }

  private store(loc: Loc): { store: ObjectStore; rel: string } {
    const root = loc.kind === 'relative' ? this.table.location : loc.uri.replace(/\/[^/]*$/, '');
    const rel = loc.kind === 'relative' ? loc.path : loc.uri.slice(root.length + 1);
    let s = this.stores.get(root);
    if (!s) this.stores.set(root, (s = openStore(root)));
    return { store: s, rel };
  }

  private async read(loc: Loc, start: number, end: number): Promise<Buffer> {
    const { store, rel } = this.store(loc);
    if (store.getRange) return store.getRange(rel, start, end);
    return (await store.get(rel)).subarray(start, end);
  }

  private source(f: FileJson): ByteSource {
    const loc = locateDataFile(f.path);
    return { size: f.size, read: (s, e) => this.read(loc, s, e) };
  }

  private field(name: string): DeltaField {
    const f = this.schema.find((x) => x.name === name);
    if (!f) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `table ${this.table.name} has no column "${name}" (columns: ${this.schema.map((x) => x.name).join(', ')})`,
      );
    }
    return f;
  }

  /** Record batches of the snapshot's rows, file by file. */
  async *scan(opts: ScanOptions = {}): AsyncGenerator<RecordBatch> {
    const cols = (opts.columns ?? this.schema.map((f) => f.name)).map((n) => this.field(n));
    const filter = Object.entries(opts.filter ?? {}).map(([k, v]) => ({ field: this.field(k), value: v }));
    const isPart = (f: DeltaField): boolean => this.partitionColumns.includes(f.name);
    const partFilters = filter.filter((x) => isPart(x.field));
    const rowFilters = filter.filter((x) => !isPart(x.field));
    for (const file of this.files()) {
      const parts = new Map<string, unknown>();
      for (const c of this.schema.filter(isPart)) {
        parts.set(c.name, parsePartitionValue(file.partitionValues[physicalName(c, this.mode)], c.type));
      }
      if (!partFilters.every((x) => sameValue(parts.get(x.field.name), x.value))) continue;
      yield* this.scanFile(file, cols, parts, rowFilters, opts.batchRows);
    }
  }

  private async *scanFile(
    file: FileJson,
    cols: DeltaField[],
    parts: Map<string, unknown>,
    rowFilters: { field: DeltaField; value: unknown }[],
    batchSize: number | undefined,
  ): AsyncGenerator<RecordBatch> {
    const deleted = file.deletionVector
      ? await deletedRows(file.deletionVector, (loc, s, e) => this.read(loc, s, e))
      : new Float64Array(0);
    let nextDeleted = 0;
    let rowIndex = 0;
    const src = this.source(file);
    const meta = await readParquetMetadata(src);
    const value = (f: DeltaField, row: Record<string, unknown>): unknown =>
      parts.has(f.name)
        ? parts.get(f.name)
        : logicalValue(row[physicalName(f, this.mode)], f.type, this.mode);
    // Projection: only the chunks of the requested and filtered data columns are read.
    const read = new Set(
      [...cols, ...rowFilters.map((x) => x.field)]
        .filter((f) => !parts.has(f.name))
        .map((f) => physicalName(f, this.mode)),
    );
    const batches = parquetRowBatches(src, meta, { batchRows: batchSize, compressors, columns: read });
    for await (const rows of batches) {
      const columns: Record<string, unknown[]> = Object.fromEntries(cols.map((c) => [c.name, []]));
      let n = 0;
      for (const row of rows) {
        const idx = rowIndex++;
        while (nextDeleted < deleted.length && deleted[nextDeleted] < idx) nextDeleted++;
        if (nextDeleted < deleted.length && deleted[nextDeleted] === idx) continue;
        if (!rowFilters.every((x) => sameValue(value(x.field, row), x.value))) continue;
        for (const c of cols) columns[c.name].push(value(c, row));
        n++;
      }
      if (n > 0) yield { numRows: n, columns, file: file.path };
    }
  }
}

/** The snapshot of a catalog table at `version`, or the newest at or before `timestamp`, or the latest. */
export async function openSnapshot(
  store: CatalogStore,
  idOrName: string,
  at: { version?: number; timestamp?: number | Date } = {},
): Promise<TableSnapshot> {
  const table = await store.findTable(idOrName);
  if (!table) throw new DeltaSqlError('CatalogTableNotFound', `no table "${idOrName}" in the catalog`);
  const timestamp = at.timestamp instanceof Date ? at.timestamp.getTime() : at.timestamp;
  const snap = await store.snapshot(table.tableId, { version: at.version, timestamp, includeFiles: true });
  return new TableSnapshot(table, snap);
}
