/**
 * The `deltasql` package entry: SQL-primary tables from TypeScript.
 *
 * ```ts
 * import { openCatalog } from 'deltasql';
 * const cat = await openCatalog('postgresql://…');
 * const t = await cat.table('events');
 * const { version } = await t.commit({ readVersion: 41, actions, operation: 'WRITE', isolation: 'WriteSerializable' });
 * await cat.commitMany([{ table: 'a', readVersion, actions }, { table: 'b', readVersion, actions }]);
 * await cat.close();
 * ```
 */
export { openCatalog, Catalog, Table } from './catalog';
export type { CommitRequest, CommitResult, OpenCatalogOptions, TableCommit, TableModeState } from './catalog';
export { DeltaSqlError, isDeltaSqlError, type DeltaSqlErrorType } from '../common/errors';
export type { IsolationLevel } from '../catalog/commit/conflicts';
