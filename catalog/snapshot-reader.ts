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
import type { SnapshotQuery } from './store';
import type { Row, SqlDriver } from './sql';
import { requireTable } from './tables';

const num = z.union([z.number(), z.string(), z.bigint()]).transform((v) => Number(v));

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

const FileRow = z.object({
  path: z.string(),
  size: num,
  modification_time: num,
  partition_values: z.string().nullable(),
  deletion_vector: z.string().nullable(),
  stats: z.string().nullable(),
});

/**
 * A file entry from its columns. The columns were written from the zod-validated add body, so
 * this equals fileJson(parse(raw)) without re-validating every raw line (1M files stay fast).
 */
function fileFromRow(r: unknown, where: string): FileJson {
  const p = FileRow.safeParse(r);
  if (!p.success)
    throw new DeltaSqlError('CatalogError', `malformed dl_add_files row in ${where}: ${p.error.message}`);
  const d = p.data;
  return fileJson({
    path: d.path,
    size: d.size,
    modificationTime: d.modification_time,
    partitionValues:
      d.partition_values === null ? null : (JSON.parse(d.partition_values) as Record<string, string | null>),
    deletionVector:
      d.deletion_vector === null ? null : DeletionVectorSchema.parse(JSON.parse(d.deletion_vector)),
    stats: d.stats,
  });
}

/**
 * Rows of `table` valid at V: still open (end IS NULL) or closed after V, and started by V. Two
 * index range scans on (table_id, end, version) instead of one OR, so each is indexable; the cost
 * is the rows active at V plus those ended after V, never the whole history.
 */
async function validAt(
  db: SqlDriver,
  select: string,
  table: string,
  endCol: string,
  id: string,
  v: number,
): Promise<Row[]> {
  const open = await db.query(
    `SELECT ${select} FROM {T:${table}} WHERE table_id = ? AND ${endCol} IS NULL AND version <= ?`,
    [id, v],
  );
  const ended = await db.query(
    `SELECT ${select} FROM {T:${table}} WHERE table_id = ? AND ${endCol} > ? AND version <= ?`,
    [id, v, v],
  );
  return open.concat(ended);
}

async function resolveVersion(
  db: SqlDriver,
  tableId: string,
  name: string,
  q: SnapshotQuery,
  first: number,
  last: number,
): Promise<number> {
  if (q.version !== undefined) {
    if (q.version < first || q.version > last) {
      throw new DeltaSqlError(
        'VersionNotFound',
        `version ${q.version} of table ${name} is not in the catalog (it holds ${first}..${last})`,
      );
    }
    return q.version;
  }
  if (q.timestamp !== undefined) {
    const rows = await db.query(
      `SELECT MAX(version) AS v FROM {T:dl_table_versions} WHERE table_id = ? AND commit_timestamp <= ?`,
      [tableId, q.timestamp],
    );
    const v = rows[0]?.v;
    if (v === null || v === undefined) {
      throw new DeltaSqlError(
        'VersionNotFound',
        `table ${name} has no version at or before timestamp ${new Date(q.timestamp).toISOString()} in the catalog`,
      );
    }
    return Number(v);
  }
  return last;
}

async function latestRaw(db: SqlDriver, table: string, tableId: string, v: number): Promise<string | null> {
  const rows = await db.query(
    `SELECT raw FROM {T:${table}} WHERE table_id = ? AND version <= ? ORDER BY version DESC, seq DESC LIMIT 1`,
    [tableId, v],
  );
  return rows.length > 0 ? String(rows[0].raw) : null;
}

export async function readSnapshot(db: SqlDriver, idOrName: string, q: SnapshotQuery): Promise<SnapshotJson> {
  const t = await requireTable(db, idOrName);
  if (t.lastVersion === null || t.firstVersion === null) {
    throw new DeltaSqlError('VersionNotFound', `table ${t.name} has no imported versions yet`);
  }
  const id = t.tableId;
  const v = await resolveVersion(db, id, t.name, q, t.firstVersion, t.lastVersion);
  const where = `catalog table ${t.name} at version ${v}`;
  const ts = await db.query(
    `SELECT commit_timestamp FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`,
    [id, v],
  );
  if (ts.length === 0)
    throw new DeltaSqlError('VersionNotFound', `version ${v} missing from dl_table_versions (${where})`);

  const protoRaw = await latestRaw(db, 'dl_protocol_updates', id, v);
  if (protoRaw === null)
    throw new DeltaSqlError('MissingProtocol', `no protocol action at or before ${where}`);
  const metaRaw = await latestRaw(db, 'dl_metadata_updates', id, v);
  if (metaRaw === null)
    throw new DeltaSqlError('MissingMetadata', `no metaData action at or before ${where}`);

  const files: FileJson[] = [];
  let numFiles = 0;
  let sizeBytes = 0;
  if (q.includeFiles) {
    const cols = 'path, size, modification_time, partition_values, deletion_vector, stats';
    for (const r of await validAt(db, cols, 'dl_add_files', 'removed_version', id, v))
      files.push(fileFromRow(r, where));
  } else {
    const agg = 'COUNT(*) AS n, COALESCE(SUM(size), 0) AS s';
    for (const r of await validAt(db, agg, 'dl_add_files', 'removed_version', id, v)) {
      numFiles += Number(r.n);
      sizeBytes += Number(r.s);
    }
  }

  const txns: Record<string, number> = {};
  for (const r of await validAt(db, 'app_id, txn_version', 'dl_txns', 'superseded_version', id, v)) {
    txns[String(r.app_id)] = Number(r.txn_version);
  }
  const domainMetadata: Record<string, string> = {};
  const doms = await validAt(
    db,
    'domain, configuration, removed',
    'dl_domain_metadata',
    'superseded_version',
    id,
    v,
  );
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
