/**
 * Typed errors shared by every layer. Each carries a stable `type` string, which is what the CLI
 * prints in `{"error": {"type", "message"}}` and what Temporal sees as the ApplicationFailure type.
 * `retryable` tells the activity layer whether a retry could possibly help: corrupt input never heals.
 */
export type DeltaSqlErrorType =
  | 'TableNotFound'
  | 'VersionNotFound'
  | 'LogGap'
  | 'LogTruncated'
  | 'MissingMetadata'
  | 'MissingProtocol'
  | 'CorruptCommit'
  | 'CorruptCheckpoint'
  | 'IncompleteCheckpoint'
  | 'StorageError'
  | 'InvalidUri'
  | 'InvalidArgument'
  | 'CatalogError'
  | 'CatalogUnavailable'
  /** The catalog cannot work as configured (bad password, unknown database, missing folder). */
  | 'CatalogMisconfigured'
  | 'CatalogTableNotFound'
  | 'VersionConflict'
  /** An export destination that cannot be written (permissions, read-only store). */
  | 'DestinationNotWritable'
  /** `deltasql restore` onto a log that still has valid commits, without --overwrite. */
  | 'RestoreRefused'
  | 'ImportInProgress'
  | 'ValidationFailed'
  /** A table needs a reader feature deltasql does not implement (delta/table-features.ts). */
  | 'UnsupportedFeature'
  /** The bytes rebuilt from the catalog do not match the commit file's stored size/sha256. */
  | 'CommitBytesMismatch'
  /** Time travel to a timestamp after the latest commit (Spark: DELTA_TIMESTAMP_GREATER_THAN_COMMIT). */
  | 'TimestampAfterLatestCommit'
  /** The workflow was cancelled (deltasql cancel, or Ctrl-C and "yes"). */
  | 'Cancelled'
  | 'TemporalUnavailable'
  // SQL-primary commits (catalog/commit): Delta's conflict classes, bad commit input, table modes.
  | 'ConcurrentAppend'
  | 'ConcurrentDeleteRead'
  | 'ConcurrentDeleteDelete'
  | 'MetadataChanged'
  | 'ProtocolChanged'
  | 'ConcurrentTransaction'
  | 'CommitRetriesExhausted'
  | 'InvalidAction'
  | 'UnsupportedWriterFeature'
  | 'TableNotSqlPrimary'
  | 'TableIsSqlPrimary'
  | 'CommitsClosed'
  | 'ForeignCommit'
  | 'CutoverRefused'
  | 'CorruptParquet'
  | 'IncompatibleSchema'
  /** A catalog whose latest `catalog migrate` did not switch (failed or unfinished) used as complete. */
  | 'CatalogNotSwitched';

/**
 * Error types a retry cannot fix (corrupt or impossible input). Workflow code imports this list
 * for its activity retry policies, so this module must stay free of Node built-ins.
 */
export const NON_RETRYABLE_ERROR_TYPES: readonly DeltaSqlErrorType[] = [
  'TableNotFound',
  'VersionNotFound',
  'LogGap',
  'LogTruncated',
  'MissingMetadata',
  'MissingProtocol',
  'CorruptCommit',
  'CorruptCheckpoint',
  'IncompleteCheckpoint',
  'InvalidUri',
  'InvalidArgument',
  'CatalogMisconfigured',
  'CatalogTableNotFound',
  'VersionConflict',
  'DestinationNotWritable',
  'RestoreRefused',
  'ImportInProgress',
  'ValidationFailed',
  'UnsupportedFeature',
  'CommitBytesMismatch',
  'TimestampAfterLatestCommit',
  'ConcurrentAppend',
  'ConcurrentDeleteRead',
  'ConcurrentDeleteDelete',
  'MetadataChanged',
  'ProtocolChanged',
  'ConcurrentTransaction',
  'CommitRetriesExhausted',
  'InvalidAction',
  'UnsupportedWriterFeature',
  'TableNotSqlPrimary',
  'TableIsSqlPrimary',
  'CommitsClosed',
  'ForeignCommit',
  'CutoverRefused',
  'CorruptParquet',
  'IncompatibleSchema',
  'CatalogNotSwitched',
];
const NON_RETRYABLE: ReadonlySet<DeltaSqlErrorType> = new Set(NON_RETRYABLE_ERROR_TYPES);

export class DeltaSqlError extends Error {
  readonly type: DeltaSqlErrorType;
  /** The file (log path, checkpoint part, catalog object) the error is about, when there is one. */
  readonly file?: string;
  constructor(type: DeltaSqlErrorType, message: string, opts: { file?: string; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = type;
    this.type = type;
    this.file = opts.file;
  }
  get retryable(): boolean {
    return !NON_RETRYABLE.has(this.type);
  }
}

export const isDeltaSqlError = (e: unknown): e is DeltaSqlError => e instanceof DeltaSqlError;

export function tableNotFound(root: string): DeltaSqlError {
  return new DeltaSqlError(
    'TableNotFound',
    `no Delta table at ${root}: ${root}/_delta_log does not exist or is empty`,
    {
      file: `${root}/_delta_log`,
    },
  );
}

export function logGap(missing: readonly number[], file: string): DeltaSqlError {
  const shown =
    missing.length > 10
      ? `${missing.slice(0, 10).join(', ')} … (${missing.length} in all)`
      : missing.join(', ');
  return new DeltaSqlError('LogGap', `the log has a gap: missing version(s) ${shown} in ${file}`, { file });
}

/** Convert anything thrown into the `{type, message}` shape the CLI prints. */
export function errorPayload(e: unknown): { type: string; message: string } {
  if (isDeltaSqlError(e)) return { type: e.type, message: e.message };
  if (e instanceof Error) return { type: e.name || 'Error', message: e.message };
  return { type: 'Error', message: String(e) };
}
