/**
 * The catalog reads behind the log writer (`deltasql export` / restore, the SQL-primary
 * publisher): checkpoint rows at a version, streamed in pages, and `.crc` states for a range of
 * versions, computed incrementally. Everything is read from the verbatim `raw` JSON the importer
 * kept, so exported actions are the log's own.
 *
 * Cost: a checkpoint pages through the add rows valid at V one validity class at a time (the
 * index of migration 4, keyset on (version, seq)), so each page is one bounded range scan and the
 * total is proportional to the files valid at V, never the history. Per-version crc states for a
 * range are one pass: the state at the first version, then per-version deltas from grouped
 * aggregates (adds by version, closed adds by removed_version), instead of one snapshot per version.
 */
import { DeltaSqlError } from '../common/errors';
import type { CheckpointAction } from '../delta/checkpoint-writer';
import type { CrcState } from '../delta/crc-writer';
import { MAX_VALIDITY_CLASS, OPEN_VALIDITY_CLASS, VALIDITY_CLASS } from './migrations/004_file_list_indexes';
import { addFilesValidAt, CLASS_INDEXED, queryArrays } from './file-list';
import type { SqlDriver, SqlValue } from './sql';

type Json = Record<string, unknown>;

/** The action body of a stored raw line (`{"add": {...}}`, or a bare body from older rows). */
function body(raw: unknown, key: string, where: string): Json {
  let obj: unknown;
  try {
    obj = JSON.parse(String(raw));
  } catch (e) {
    throw new DeltaSqlError('CatalogError', `stored raw JSON in ${where} is not valid JSON`, { cause: e });
  }
  if (obj === null || typeof obj !== 'object') {
    throw new DeltaSqlError('CatalogError', `stored ${key} in ${where} is not a JSON object`);
  }
  const inner = (obj as Json)[key];
  return inner !== null && typeof inner === 'object' ? (inner as Json) : (obj as Json);
}

const num = (v: unknown): number => (typeof v === 'number' ? v : Number(v));

async function latestBody(
  db: SqlDriver,
  table: string,
  key: string,
  id: string,
  v: number,
): Promise<Json | null> {
  const rows = await db.query(
    `SELECT raw FROM {T:${table}} WHERE table_id = ? AND version <= ? ORDER BY version DESC, seq DESC LIMIT 1`,
    [id, v],
  );
  return rows.length > 0 ? body(rows[0].raw, key, `${table} of table ${id} at ${v}`) : null;
}

/** txn / domainMetadata bodies valid at V (superseded after V or still open), keyed by identity. */
async function identityBodiesAt(
  db: SqlDriver,
  table: 'dl_txns' | 'dl_domain_metadata',
  key: string,
  idCol: string,
  id: string,
  v: number,
): Promise<Map<string, Json>> {
  const sel = `SELECT ${idCol} AS k, raw FROM {T:${table}} WHERE table_id = ? AND version <= ? AND `;
  const rows = await db.query(`${sel}superseded_version IS NULL UNION ALL ${sel}superseded_version > ?`, [
    id,
    v,
    id,
    v,
    v,
  ]);
  const out = new Map<string, Json>();
  for (const r of rows) out.set(String(r.k), body(r.raw, key, `${table} of table ${id}`));
  return out;
}

const sortedValues = (m: Map<string, Json>): Json[] => [...m.keys()].sort().map((k) => m.get(k) as Json);

const liveDomains = (m: Map<string, Json>): Json[] => sortedValues(m).filter((d) => d.removed !== true);

/** The protocol and metaData in force at V; typed errors when a readable state lacks them. */
export async function protocolAndMetadata(
  db: SqlDriver,
  id: string,
  v: number,
): Promise<{ protocol: Json; metadata: Json }> {
  const [protocol, metadata] = await Promise.all([
    latestBody(db, 'dl_protocol_updates', 'protocol', id, v),
    latestBody(db, 'dl_metadata_updates', 'metaData', id, v),
  ]);
  if (protocol === null)
    throw new DeltaSqlError('MissingProtocol', `no protocol at or before version ${v} of ${id}`);
  if (metadata === null)
    throw new DeltaSqlError('MissingMetadata', `no metaData at or before version ${v} of ${id}`);
  return { protocol, metadata };
}

/** The WHERE of one validity class of "add rows valid at V" (see file-list.ts `addFilesValidAt`). */
function classFilter(k: number, v: number): { sql: string; params: SqlValue[] } {
  const head = `table_id = ? AND ${VALIDITY_CLASS} = ${k} AND `;
  if (k === OPEN_VALIDITY_CLASS) return { sql: `${head}version <= ?`, params: [v] };
  if (k === MAX_VALIDITY_CLASS) return { sql: `${head}version <= ? AND removed_version > ?`, params: [v, v] };
  return {
    sql: `${head}version > ? AND version <= ? AND removed_version > ?`,
    params: [v - 2 ** (k + 1), v, v],
  };
}

/**
 * The WHEREs that together select the add rows valid at V: one per validity class where the
 * engine has migration 4's class index, else one plain scan (as `addFilesValidAt` does).
 */
function validFilters(db: SqlDriver, v: number): { sql: string; params: SqlValue[] }[] {
  if (!CLASS_INDEXED.has(db.dialect)) {
    return [
      {
        sql: 'table_id = ? AND version <= ? AND (removed_version IS NULL OR removed_version > ?)',
        params: [v, v],
      },
    ];
  }
  const out = [];
  for (let k = OPEN_VALIDITY_CLASS; k <= MAX_VALIDITY_CLASS; k++) out.push(classFilter(k, v));
  return out;
}

/** Keyset pages of `(version, seq, raw)` rows, ordered by (version, seq). */
async function* keysetPages(
  db: SqlDriver,
  from: string,
  where: string,
  params: readonly SqlValue[],
  pageRows: number,
): AsyncGenerator<unknown[][]> {
  let after: [number, number] | null = null;
  for (;;) {
    const key = after === null ? '' : ' AND version >= ? AND (version > ? OR seq > ?)';
    const keyParams: SqlValue[] = after === null ? [] : [after[0], after[0], after[1]];
    const rows = await queryArrays(
      db,
      `SELECT version, seq, raw FROM ${from} WHERE ${where}${key} ORDER BY version, seq LIMIT ${pageRows}`,
      ['version', 'seq', 'raw'],
      [...params, ...keyParams],
    );
    if (rows.length > 0) yield rows;
    if (rows.length < pageRows) return;
    const last = rows[rows.length - 1];
    after = [num(last[0]), num(last[1])];
  }
}

const DURATION_UNIT_MS: Record<string, number> = {
  nanosecond: 1e-6,
  microsecond: 1e-3,
  millisecond: 1,
  second: 1000,
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
  week: 7 * 86_400_000,
};

/** A table property holding an interval ("interval 1 weeks", "7 days") in ms, or null when unset or unreadable. */
function intervalPropertyMs(metadata: Json, key: string): number | null {
  const conf = (metadata.configuration ?? {}) as Json;
  const raw = conf[key];
  if (typeof raw !== 'string') return null;
  const m = /^\s*(?:interval\s+)?(\d+)\s*([a-z]+?)s?\s*$/i.exec(raw);
  const f = m ? DURATION_UNIT_MS[m[2].toLowerCase()] : undefined;
  return m && f !== undefined ? Number(m[1]) * f : null;
}

/** `delta.deletedFileRetentionDuration` in ms; default one week, as Spark and delta-kernel-rs. */
export function retentionMs(metadata: Json): number {
  return intervalPropertyMs(metadata, 'delta.deletedFileRetentionDuration') ?? DURATION_UNIT_MS.week;
}

export interface CheckpointSource {
  metadata: Json;
  batches: AsyncIterable<CheckpointAction[]>;
}

/**
 * The rows of a checkpoint at V: protocol, metaData, txns, live domains, then the add files valid
 * at V and the remove tombstones within retention, in pages of at most `pageRows` rows.
 *
 * Expiry is measured from `nowMs`, the writer's clock, as Spark (`minFileRetentionTimestamp`) and
 * delta-kernel-rs (`deleted_file_retention_timestamp`) do: a tombstone is kept while
 * `deletionTimestamp` is newer than now minus `delta.deletedFileRetentionDuration`, and a `txn`
 * while `lastUpdated` is newer than now minus `delta.setTransactionRetentionDuration` (only when
 * that property is set). Expired tombstones protect nothing (VACUUM may delete those files
 * anyway), so a restored old table's checkpoints carry the files, not years of removes.
 */
export async function checkpointSource(
  db: SqlDriver,
  id: string,
  v: number,
  nowMs: number,
  pageRows = 20_000,
): Promise<CheckpointSource> {
  const ts = await db.query(`SELECT 1 AS x FROM {T:dl_table_versions} WHERE table_id = ? AND version = ?`, [
    id,
    v,
  ]);
  if (ts.length === 0)
    throw new DeltaSqlError('VersionNotFound', `version ${v} of table ${id} is not in the catalog`);
  const { protocol, metadata } = await protocolAndMetadata(db, id, v);
  const cutoff = nowMs - retentionMs(metadata);
  const txnRetention = intervalPropertyMs(metadata, 'delta.setTransactionRetentionDuration');
  const txnCutoff = txnRetention === null ? null : nowMs - txnRetention;
  const txnKept = (t: Json): boolean =>
    txnCutoff === null || typeof t.lastUpdated !== 'number' || t.lastUpdated > txnCutoff;
  async function* batches(): AsyncGenerator<CheckpointAction[]> {
    const txns = await identityBodiesAt(db, 'dl_txns', 'txn', 'app_id', id, v);
    const doms = await identityBodiesAt(db, 'dl_domain_metadata', 'domainMetadata', 'domain', id, v);
    yield [
      { kind: 'protocol', body: protocol },
      { kind: 'metaData', body: metadata },
      ...sortedValues(txns)
        .filter(txnKept)
        .map((b): CheckpointAction => ({ kind: 'txn', body: b })),
      ...liveDomains(doms).map((b): CheckpointAction => ({ kind: 'domainMetadata', body: b })),
    ];
    for (const f of validFilters(db, v)) {
      for await (const page of keysetPages(db, '{T:dl_add_files}', f.sql, [id, ...f.params], pageRows)) {
        yield page.map((r) => ({ kind: 'add', body: body(r[2], 'add', `dl_add_files of ${id}`) }));
      }
    }
    const lo = await db.query(
      `SELECT MIN(version) AS lo FROM {T:dl_remove_files} WHERE table_id = ? AND version <= ? AND deletion_timestamp > ?`,
      [id, v, cutoff],
    );
    if (lo[0]?.lo === null || lo[0]?.lo === undefined) return;
    const later = (t: string): string =>
      `NOT EXISTS (SELECT 1 FROM {T:${t}} x WHERE x.table_id = r.table_id AND x.path = r.path AND x.dv_id = r.dv_id AND x.version > r.version AND x.version <= ? AND x.version > ?)`;
    const where = `table_id = ? AND version <= ? AND deletion_timestamp > ? AND ${later('dl_add_files')} AND ${later('dl_remove_files')}`;
    const from = '{T:dl_remove_files} r';
    const minV = num(lo[0].lo);
    for await (const page of keysetPages(db, from, where, [id, v, cutoff, v, minV, v, minV], pageRows)) {
      yield page.map((r) => ({ kind: 'remove', body: body(r[2], 'remove', `dl_remove_files of ${id}`) }));
    }
  }
  return { metadata, batches: batches() };
}

/** Per-version (count, size) aggregates, keyed by version. */
async function grouped(
  db: SqlDriver,
  sql: string,
  params: SqlValue[],
): Promise<Map<number, [number, number]>> {
  const out = new Map<number, [number, number]>();
  for (const r of await db.query(sql, params)) out.set(num(r.v), [num(r.n), num(r.s)]);
  return out;
}

async function rowsInRange(
  db: SqlDriver,
  table: string,
  select: string,
  id: string,
  from: number,
  to: number,
): Promise<Map<number, Json[]>> {
  const rows = await db.query(
    `SELECT version, ${select} FROM {T:${table}} WHERE table_id = ? AND version > ? AND version <= ? ORDER BY version, seq`,
    [id, from, to],
  );
  const out = new Map<number, Json[]>();
  for (const r of rows) {
    const list = out.get(num(r.version)) ?? [];
    list.push(r as Json);
    out.set(num(r.version), list);
  }
  return out;
}

/**
 * The `.crc` state of every version in [from, to]: one full state at `from`, then deltas.
 * Yields in version order; null for a version that has no protocol or metaData yet.
 */
export async function* crcStates(
  db: SqlDriver,
  id: string,
  from: number,
  to: number,
): AsyncGenerator<{ version: number; state: CrcState | null }> {
  const where = `table ${id}`;
  const { sql, params } = addFilesValidAt('COUNT(*) AS n, COALESCE(SUM(size), 0) AS s', id, from, db.dialect);
  let numFiles = 0;
  let size = 0;
  for (const r of await db.query(sql, params)) {
    numFiles += num(r.n);
    size += num(r.s);
  }
  // A version without protocol or metaData (readable by nobody) gets no crc: state null.
  let [protocol, metadata] = await Promise.all([
    latestBody(db, 'dl_protocol_updates', 'protocol', id, from),
    latestBody(db, 'dl_metadata_updates', 'metaData', id, from),
  ]);
  const txns = await identityBodiesAt(db, 'dl_txns', 'txn', 'app_id', id, from);
  const doms = await identityBodiesAt(db, 'dl_domain_metadata', 'domainMetadata', 'domain', id, from);
  yield {
    version: from,
    state: state(numFiles, size, metadata, protocol, txns, doms),
  };
  if (to <= from) return;
  const [added, closed, protos, metas, txnRows, domRows] = await Promise.all([
    grouped(
      db,
      `SELECT version AS v, COUNT(*) AS n, COALESCE(SUM(size), 0) AS s FROM {T:dl_add_files} WHERE table_id = ? AND version > ? AND version <= ? GROUP BY version`,
      [id, from, to],
    ),
    grouped(
      db,
      `SELECT removed_version AS v, COUNT(*) AS n, COALESCE(SUM(size), 0) AS s FROM {T:dl_add_files} WHERE table_id = ? AND removed_version > ? AND removed_version <= ? GROUP BY removed_version`,
      [id, from, to],
    ),
    rowsInRange(db, 'dl_protocol_updates', 'raw', id, from, to),
    rowsInRange(db, 'dl_metadata_updates', 'raw', id, from, to),
    rowsInRange(db, 'dl_txns', 'app_id, raw', id, from, to),
    rowsInRange(db, 'dl_domain_metadata', 'domain, raw', id, from, to),
  ]);
  for (let v = from + 1; v <= to; v++) {
    const a = added.get(v);
    const c = closed.get(v);
    numFiles += (a?.[0] ?? 0) - (c?.[0] ?? 0);
    size += (a?.[1] ?? 0) - (c?.[1] ?? 0);
    const p = protos.get(v);
    if (p) protocol = body(p[p.length - 1].raw, 'protocol', where);
    const m = metas.get(v);
    if (m) metadata = body(m[m.length - 1].raw, 'metaData', where);
    for (const t of txnRows.get(v) ?? []) txns.set(String(t.app_id), body(t.raw, 'txn', where));
    for (const d of domRows.get(v) ?? []) doms.set(String(d.domain), body(d.raw, 'domainMetadata', where));
    yield { version: v, state: state(numFiles, size, metadata, protocol, txns, doms) };
  }
}

function state(
  numFiles: number,
  tableSizeBytes: number,
  metadata: Json | null,
  protocol: Json | null,
  txns: Map<string, Json>,
  doms: Map<string, Json>,
): CrcState | null {
  if (metadata === null || protocol === null) return null;
  return {
    numFiles,
    tableSizeBytes,
    metadata,
    protocol,
    setTransactions: sortedValues(txns),
    domainMetadata: liveDomains(doms),
  };
}
