/**
 * What a sharing response says about a table, read from SQL only: the table state at a version
 * (the snapshot reader without files), the rows of the add files (streamed in pages by
 * file-stream.ts, through the covering index `files()` uses); the change data feed is streamed
 * from the catalog's cdc/add/remove rows by change-stream.ts. The log is never replayed.
 */
import { DeltaSqlError } from '../common/errors';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import type { SnapshotJson } from '../delta/snapshot-json';

const toNum = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

export function unwrap(raw: unknown, key: string, where: string): Record<string, unknown> {
  let obj: unknown;
  try {
    obj = JSON.parse(String(raw));
  } catch (e) {
    throw new DeltaSqlError('CatalogError', `stored raw ${key} in ${where} is not JSON`, { cause: e });
  }
  const o = obj as Record<string, unknown>;
  const inner = o !== null && typeof o === 'object' && key in o ? o[key] : o;
  if (inner === null || typeof inner !== 'object')
    throw new DeltaSqlError('CatalogError', `stored raw ${key} in ${where} is not an object`);
  return inner as Record<string, unknown>;
}

/**
 * One add (or remove, or cdc) row as a response needs it, from the columns (path, size, version,
 * partition_values, stats[, raw]). The action body (`raw`, the verbatim add/remove/cdc object) and
 * the partition values are parsed only when read: a parquet-format answer needs neither (it does
 * not even select `raw`, half of a row's bytes), and parsing 1M bodies dominated it. Without `raw`
 * the body is `{}`: parquet-format tables have no deletion vectors, the only thing read from it.
 */
export class FileRow {
  readonly path: string;
  readonly size: number;
  readonly version: number;
  readonly stats: string | null;
  private readonly pv: unknown;
  private readonly raw: unknown;
  private parsedBody: Record<string, unknown> | undefined;

  constructor(
    readonly kind: 'add' | 'remove' | 'cdc',
    r: readonly unknown[],
    private readonly where: string,
  ) {
    this.path = String(r[0]);
    this.version = toNum(r[2]);
    this.pv = r[3];
    this.stats = typeof r[4] === 'string' ? r[4] : null;
    this.raw = r[5];
    this.size = r[1] === null || r[1] === undefined ? toNum(this.body.size ?? 0) : toNum(r[1]);
  }

  /** The action body as written in the log (add/remove/cdc object, not wrapped). */
  get body(): Record<string, unknown> {
    if (this.raw === null || this.raw === undefined) return {};
    return (this.parsedBody ??= unwrap(this.raw, this.kind, this.where));
  }

  /** The partition values as JSON text: the stored column verbatim (the writer's JSON.stringify). */
  get partitionValuesJson(): string {
    return typeof this.pv === 'string' && this.pv.startsWith('{')
      ? this.pv
      : JSON.stringify(this.partitionValues);
  }

  get partitionValues(): Record<string, string | null> {
    if (typeof this.pv === 'string') return JSON.parse(this.pv) as Record<string, string | null>;
    // A driver that returns JSON columns parsed (mysql2 for JSON types).
    if (this.pv !== null && typeof this.pv === 'object') return this.pv as Record<string, string | null>;
    return (this.body.partitionValues as Record<string, string | null> | undefined) ?? {};
  }
}

export const rowOf = (kind: FileRow['kind'], r: readonly unknown[], where: string): FileRow =>
  new FileRow(kind, r, where);

export const tableState = (
  store: SqlCatalogStore,
  tableId: string,
  q: { version?: number; timestamp?: number },
) => store.snapshot(tableId, { ...q, includeFiles: false }) as Promise<SnapshotJson>;

/** Records a file holds after its deletion vector, when its stats say; null when unknown. */
export function liveRecords(f: FileRow): number | null {
  if (!f.stats) return null;
  try {
    const n = (JSON.parse(f.stats) as { numRecords?: unknown }).numRecords;
    if (typeof n !== 'number') return null;
    const dv = f.body.deletionVector as { cardinality?: unknown } | undefined | null;
    return n - (typeof dv?.cardinality === 'number' ? dv.cardinality : 0);
  } catch {
    return null;
  }
}

/**
 * limitHint: keep files until their known row counts reach the limit. A file without a count is
 * kept but not counted, so the client always gets at least `limit` rows when the table has them.
 * Stops pulling pages once the limit is reached.
 */
export async function* limitPages(pages: AsyncIterable<FileRow[]>, limit: number): AsyncGenerator<FileRow[]> {
  let rows = 0;
  for await (const page of pages) {
    const out: FileRow[] = [];
    for (const f of page) {
      if (rows >= limit) break;
      out.push(f);
      rows += liveRecords(f) ?? 0;
    }
    if (out.length > 0) yield out;
    if (rows >= limit) return;
  }
}
