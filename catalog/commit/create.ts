/**
 * `create`: a new sql-primary table, born in the catalog. Version 0 holds protocol and metaData
 * (PROTOCOL.md: version 0 must carry both) and is written like every other SQL commit; the
 * publisher then writes `_delta_log/00000000000000000000.json`. The location must not hold a Delta
 * table already: an existing table is imported and cut over instead.
 */
import { randomUUID } from 'node:crypto';
import { DeltaSqlError } from '../../common/errors';
import { commitPath } from '../../delta/log-path';
import type { ObjectStore } from '../../storage/object-store';
import type { SqlDriver } from '../sql';
import { ensureTable } from '../tables';
import { writeVersions } from '../writer';
import { assembleCommit } from './prepare';
import { acceptActions } from './prepare';
import { commitInfoAction } from './commit-info';
import { inCommitTimestampsEnabled } from './features';

export interface CreateRequest {
  name: string;
  /** Table root URI (local path, file:// or s3://). */
  location: string;
  /** Delta schema: `{"type":"struct","fields":[...]}`. */
  schema: unknown;
  partitionBy?: readonly string[];
  properties?: Record<string, string>;
  description?: string;
}

/** Protocol for the properties asked for: (1, 2) unless a feature needs table features. */
function protocolFor(props: Record<string, string>): Record<string, unknown> {
  const ict = (props['delta.enableInCommitTimestamps'] ?? '').toLowerCase() === 'true';
  if (!ict) return { minReaderVersion: 1, minWriterVersion: 2 };
  return {
    minReaderVersion: 1,
    minWriterVersion: 7,
    writerFeatures: ['appendOnly', 'invariants', 'inCommitTimestamp'],
  };
}

export async function createTable(
  db: SqlDriver,
  objects: ObjectStore,
  req: CreateRequest,
): Promise<{ tableId: string; version: 0 }> {
  if (await objects.head(commitPath(0))) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `${req.location} already holds a Delta table (${commitPath(0)} exists): import it (deltasql import) and cut it over (deltasql cutover)`,
      { file: commitPath(0) },
    );
  }
  const schema = req.schema as { fields?: { name?: unknown }[] } | null;
  const names = new Set((schema?.fields ?? []).map((f) => f.name));
  for (const c of req.partitionBy ?? []) {
    if (!names.has(c))
      throw new DeltaSqlError('InvalidArgument', `partition column ${c} is not in the schema`);
  }
  const now = Date.now();
  const props = req.properties ?? {};
  const input = [
    { protocol: protocolFor(props) },
    {
      metaData: {
        id: randomUUID(),
        ...(req.description !== undefined ? { description: req.description } : {}),
        format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify(req.schema),
        partitionColumns: [...(req.partitionBy ?? [])],
        configuration: props,
        createdTime: now,
      },
    },
  ];
  const { actions, metadata } = acceptActions(
    input,
    req.location,
    req.name,
    { protocol: null, metadata: null },
    now,
  );
  const info = commitInfoAction({
    operation: 'CREATE TABLE',
    operationParameters: { partitionBy: JSON.stringify(req.partitionBy ?? []) },
    readVersion: null,
    isolation: 'Serializable',
    blindAppend: false,
    txnId: randomUUID(),
    now,
    inCommitTimestamp: inCommitTimestampsEnabled(metadata) ? now : undefined,
  });
  if (
    await db.query(`SELECT 1 AS x FROM {T:dl_tables} WHERE name = ?`, [req.name]).then((r) => r.length > 0)
  ) {
    throw new DeltaSqlError('InvalidArgument', `table ${req.name} already exists in the catalog`);
  }
  const t = await ensureTable(db, { location: req.location, name: req.name });
  await db.transaction(async (tx) => {
    await tx.lockTable(t.tableId);
    await writeVersions(tx, t.tableId, [assembleCommit(0, now, [info, ...actions])]);
    await tx.query(
      `UPDATE {T:dl_tables} SET mode = 'sql-primary', published_version = NULL WHERE table_id = ?`,
      [t.tableId],
    );
  });
  return { tableId: t.tableId, version: 0 };
}
