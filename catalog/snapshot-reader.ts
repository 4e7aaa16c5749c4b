/**
 * Builds a SnapshotJson from SQL with indexed queries only: the newest protocol/metadata at or
 * below V (primary-key order), and the files/txns/domains valid at V (validity range). Action
 * bodies are re-parsed from their verbatim `raw` JSON with the same zod schemas and the same
 * canonicalisers the log reader uses, so both sides produce identical JSON.
 */
import { z } from 'zod';
import { DeltaSqlError } from '../common/errors';
import { DeletionVectorSchema, MetadataSchema, ProtocolSchema } from '../delta/actions';
import {
  fileJson,
  metadataJson,
  protocolJson,
  snapshotJson,
  type FileJson,
  type SnapshotJson,
} from '../delta/snapshot-json';
import { addFilesValidAt, queryArrays } from './file-list';
import { resolveTableVersion } from './resolve-version';
import type { SnapshotQuery } from './store';
import type { Row, SqlDriver } from './sql';
import { requireTable } from './tables';

/** Parse a stored raw line (`{"add": {...}}` or a bare body) with an action schema. */
export function parseRaw<S extends z.ZodTypeAny>(
  raw: string,
  key: string,
  schema: S,
  where: string,
): z.infer<S> {
  let obj: unknown;
  try {
    obj = JSON.parse(raw);
  } catch (e) {
    throw new DeltaSqlError('CatalogError', `stored raw JSON in ${where} is not valid JSON`, { cause: e });
  }
  const inner =
    obj !== null && typeof obj === 'object' && key in (obj as Record<string, unknown>)
      ? (obj as Record<string, unknown>)[key]
      : obj;
  const p = schema.safeParse(inner);
  if (!p.success)
    throw new DeltaSqlError('CatalogError', `stored ${key} in ${where} is invalid: ${p.error.message}`);
  return p.data;
}

/** Columns a FileJson needs, in the positional order `fileFromRow` reads them (never `raw`). */
export const FILE_COLUMNS = 'path, size, modification_time, partition_values, deletion_vector, stats';
const FILE_COLUMNS_LIST = FILE_COLUMNS.split(', ');

/** A BIGINT column (a string from pg, a number from SQLite) as a number; null when it is not one. */
function num(v: unknown): number | null {
  if (typeof v === 'number') return v;
  if (typeof v !== 'string' || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

/** Parsed `partition_values` by stored text, for one read: a table has few distinct values. */
export type PartitionValuesCache = Map<string, Record<string, string | null>>;

/**
 * A file entry from its columns. The catalog wrote these columns itself from the zod-validated add
 * body, so a cheap type check replaces a per-row zod parse (which dominated 1M-file snapshots);
 * `fileJson` still builds the entry so the key order is the log reader's. With `pvCache`, each
 * distinct partition_values text is parsed once (`fileJson` copies it into every entry anyway).
 */
export function fileFromRow(r: unknown[], where: string, pvCache?: PartitionValuesCache): FileJson {
  const [path, sizeCol, mtimeCol, pv, dv, stats] = r;
  const size = num(sizeCol);
  const mtime = num(mtimeCol);
  if (
    typeof path !== 'string' ||
    size === null ||
    mtime === null ||
    (pv !== null && typeof pv !== 'string') ||
    (dv !== null && typeof dv !== 'string') ||
    (stats !== null && typeof stats !== 'string')
  ) {
    throw new DeltaSqlError('CatalogError', `malformed dl_add_files row in ${where} (path ${String(path)})`);
  }
  let partitionValues: Record<string, string | null> | null = null;
  if (pv !== null) {
    partitionValues = pvCache?.get(pv) ?? null;
    if (partitionValues === null) {
      try {
        partitionValues = JSON.parse(pv) as Record<string, string | null>;
      } catch (e) {
        throw new DeltaSqlError(
          'CatalogError',
          `stored partition_values of ${path} in ${where} is not JSON`,
          {
            cause: e,
          },
        );
      }
      pvCache?.set(pv, partitionValues);
    }
  }
  return fileJson({
    path,
    size,
    modificationTime: mtime,
    partitionValues,
    // Rare; keeps the full schema check for the nested DV object.
    deletionVector: dv === null ? null : parseRaw(dv, 'deletionVector', DeletionVectorSchema, where),
    stats,
  });
}

/** `WHERE` of the two validity range scans (see `validAt`); params are [id, v] and [id, v, v]. */
const OPEN_AT = (endCol: string): string => `table_id = ? AND ${endCol} IS NULL AND version <= ?`;
const ENDED_AFTER = (endCol: string): string => `table_id = ? AND ${endCol} > ? AND version <= ?`;

/**
 * Rows of `table` (txns, domain metadata: few rows) valid at V: still open (end IS NULL) or closed
 * after V, and started by V. Two index range scans on (table_id, end, version) instead of one OR,
 * so each is indexable. One UNION ALL statement, so both halves see the same database snapshot: a
 * version committed meanwhile moves a row from "open" to "ended after V", never into both halves
 * or neither. Add files, which can be millions, use `addFilesValidAt` (file-list.ts) instead.
 */
const validAtSql = (select: string, table: string, endCol: string): string =>
  `SELECT ${select} FROM {T:${table}} WHERE ${OPEN_AT(endCol)} ` +
  `UNION ALL SELECT ${select} FROM {T:${table}} WHERE ${ENDED_AFTER(endCol)}`;

async function validAt(
  db: SqlDriver,
  select: string,
  table: string,
  endCol: string,
  id: string,
  v: number,
): Promise<Row[]> {
  return db.query(validAtSql(select, table, endCol), [id, v, id, v, v]);
}

/** The add files valid at V as FileJson, in no particular order (`snapshotJson` sorts). */
async function filesAt(db: SqlDriver, id: string, v: number, where: string): Promise<FileJson[]> {
  const { sql, params } = addFilesValidAt(FILE_COLUMNS, id, v, db.dialect);
  const rows = await queryArrays(db, sql, FILE_COLUMNS_LIST, params);
  const pvCache: PartitionValuesCache = new Map();
  const files = new Array<FileJson>(rows.length);
  for (let i = 0; i < rows.length; i++) files[i] = fileFromRow(rows[i], where, pvCache);
  return files;
}

/** Number and total size of the add files valid at V (one row per validity class, summed here). */
async function fileCountAt(db: SqlDriver, id: string, v: number): Promise<Row[]> {
  const { sql, params } = addFilesValidAt('COUNT(*) AS n, COALESCE(SUM(size), 0) AS s', id, v, db.dialect);
  return db.query(sql, params);
}

async function latestRaw(db: SqlDriver, table: string, tableId: string, v: number): Promise<string | null> {
  const rows = await db.query(
    `SELECT raw FROM {T:${table}} WHERE table_id = ? AND version <= ? ORDER BY version DESC, seq DESC LIMIT 1`,
    [tableId, v],
  );
  return rows.length > 0 ? String(rows[0].raw) : null;
}

export async function readSnapshot(db: SqlDriver, idOrName: string, q: SnapshotQuery): Promise<SnapshotJson> {
  const { table: t, version: v } = await resolveTableVersion(db, idOrName, q);
  const id = t.tableId;
  const where = `catalog table ${t.name} at version ${v}`;
  // Independent statements, each exact for V on its own: run them concurrently (pool on Postgres).
  const [ts, protoRaw, metaRaw, fileRows, txnRows, doms] = await Promise.all([
    db.query(`SELECT commit_timestamp FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`, [
      id,
      v,
    ]),
    latestRaw(db, 'dl_protocol_updates', id, v),
    latestRaw(db, 'dl_metadata_updates', id, v),
    q.includeFiles ? filesAt(db, id, v, where) : fileCountAt(db, id, v),
    validAt(db, 'app_id, txn_version', 'dl_txns', 'superseded_version', id, v),
    validAt(db, 'domain, configuration, removed', 'dl_domain_metadata', 'superseded_version', id, v),
  ]);
  if (ts.length === 0)
    throw new DeltaSqlError('VersionNotFound', `version ${v} missing from dl_table_versions (${where})`);
  if (protoRaw === null)
    throw new DeltaSqlError('MissingProtocol', `no protocol action at or before ${where}`);
  if (metaRaw === null)
    throw new DeltaSqlError('MissingMetadata', `no metaData action at or before ${where}`);

  const files = q.includeFiles ? (fileRows as FileJson[]) : [];
  let numFiles = 0;
  let sizeBytes = 0;
  if (!q.includeFiles) {
    for (const r of fileRows as Row[]) {
      numFiles += Number(r.n);
      sizeBytes += Number(r.s);
    }
  }
  const txns: Record<string, number> = {};
  for (const r of txnRows) txns[String(r.app_id)] = Number(r.txn_version);
  const domainMetadata: Record<string, string> = {};
  for (const r of doms) if (!r.removed) domainMetadata[String(r.domain)] = String(r.configuration);

  const out = snapshotJson({
    version: v,
    timestamp: Number(ts[0].commit_timestamp),
    protocol: protocolJson(parseRaw(protoRaw, 'protocol', ProtocolSchema, where)),
    metadata: metadataJson(parseRaw(metaRaw, 'metaData', MetadataSchema, where)),
    files,
    txns,
    domainMetadata,
    includeFiles: q.includeFiles,
  });
  return q.includeFiles ? out : { ...out, numFiles, sizeBytes };
}

/** Raw lines of one version in their original order, from every action table. */
export async function commitLines(
  db: SqlDriver,
  idOrName: string,
  version: number,
  tables: readonly string[],
): Promise<string[]> {
  const t = await requireTable(db, idOrName);
  const union = tables
    .map((tb) => `SELECT seq, raw FROM {T:${tb}} WHERE table_id = ? AND version = ?`)
    .join(' UNION ALL ');
  const params = tables.flatMap(() => [t.tableId, version]);
  const rows = await db.query(`SELECT seq, raw FROM (${union}) u ORDER BY seq`, params);
  if (rows.length === 0) {
    const v = await db.query(`SELECT 1 AS x FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`, [
      t.tableId,
      version,
    ]);
    if (v.length === 0)
      throw new DeltaSqlError(
        'VersionNotFound',
        `version ${version} of table ${t.name} is not in the catalog`,
      );
  }
  return rows.map((r) => String(r.raw));
}
