/**
 * The one CatalogStore implementation, over a SqlDriver. Engines differ only in their driver;
 * this class wires the shared modules (tables, writer, snapshot reader, runs) together.
 */
import type { Commit, LogAction } from '../delta/actions';
import type { StreamedCommit } from '../delta/commit-stream';
import type { SnapshotJson } from '../delta/snapshot-json';
import { readFileList } from './file-list';
import { runMigrations } from './migrations';
import { readCommitBytes } from './raw-commits';
import { ACTION_TABLES, ROW_TABLES } from './rows';
import * as runs from './runs';
import { commitLines, readSnapshot } from './snapshot-reader';
import type { SqlDialect, SqlDriver } from './sql';
import type {
  BaselineInfo,
  CatalogStore,
  CatalogTable,
  FileListQuery,
  ImportRun,
  PreparedVersions,
  RunStatus,
  SnapshotQuery,
  WriteResult,
} from './store';
import { assertMirror, readMode, type TableModeState } from './commit/table-mode';
import * as tables from './tables';
import { writeVersionStream } from './version-stream';
import * as writer from './writer';

export class SqlCatalogStore implements CatalogStore {
  constructor(readonly driver: SqlDriver) {}
  get dialect(): SqlDialect {
    return this.driver.dialect;
  }
  async migrate(): Promise<void> {
    await runMigrations(this.driver);
  }
  findTable(idOrName: string): Promise<CatalogTable | null> {
    return tables.findTable(this.driver, idOrName);
  }
  listTables(): Promise<CatalogTable[]> {
    return tables.listTables(this.driver);
  }
  ensureTable(opts: { location: string; name?: string; tableId?: string }): Promise<CatalogTable> {
    return tables.ensureTable(this.driver, opts);
  }
  prepareVersions(tableId: string, commits: readonly Commit[]): PreparedVersions {
    return writer.prepareVersions(tableId, commits);
  }
  /** Imports and syncs: refused for sql-primary tables (TableIsSqlPrimary), checked in the same transaction. */
  writeVersions(tableId: string, commits: readonly Commit[] | PreparedVersions): Promise<WriteResult> {
    return this.driver.transaction(async (tx) => {
      await assertMirror(tx, tableId);
      return writer.writeVersions(tx, tableId, commits);
    });
  }
  writeVersionStream(tableId: string, commit: StreamedCommit): Promise<WriteResult> {
    return this.driver.transaction(async (tx) => {
      await assertMirror(tx, tableId);
      return writeVersionStream(tx, tableId, commit);
    });
  }
  writeBaseline(
    tableId: string,
    baseline: BaselineInfo,
    actions: AsyncIterable<LogAction>,
  ): Promise<WriteResult> {
    return this.driver.transaction(async (tx) => {
      await assertMirror(tx, tableId);
      return writer.writeBaseline(tx, tableId, baseline, actions);
    });
  }
  tableMode(idOrName: string): Promise<TableModeState> {
    return readMode(this.driver, idOrName);
  }
  snapshot(tableId: string, q: SnapshotQuery): Promise<SnapshotJson> {
    return readSnapshot(this.driver, tableId, q);
  }
  files(tableId: string, q: FileListQuery): Promise<string[]> {
    return readFileList(this.driver, tableId, q);
  }
  optimize(): Promise<void> {
    return this.driver.optimize(ROW_TABLES);
  }
  commitLines(tableId: string, version: number): Promise<string[]> {
    return commitLines(this.driver, tableId, version, ACTION_TABLES);
  }
  commitBytes(tableId: string, version: number): Promise<Buffer | null> {
    return readCommitBytes(this.driver, tableId, version);
  }
  dropTable(tableId: string): Promise<void> {
    return tables.dropTable(this.driver, tableId);
  }
  startRun(run: Omit<ImportRun, 'finishedAt' | 'status'> & { status?: RunStatus }): Promise<void> {
    return runs.startRun(this.driver, run);
  }
  finishRun(runId: string, patch: Partial<ImportRun>): Promise<void> {
    return runs.finishRun(this.driver, runId, patch);
  }
  listRuns(tableId: string, limit?: number): Promise<ImportRun[]> {
    return runs.listRuns(this.driver, tableId, limit);
  }
  close(): Promise<void> {
    return this.driver.close();
  }
}
