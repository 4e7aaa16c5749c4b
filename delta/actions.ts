/**
 * Action schemas from Delta's PROTOCOL.md ("Actions"). Every line of a commit and every row of a
 * checkpoint becomes one `LogAction`: the validated body plus the verbatim JSON it came from, so the
 * catalog can store it losslessly. Unknown action kinds and unknown fields pass through untouched
 * (`.passthrough()`); they never change table state.
 */
import { z } from 'zod';
import { jsonInt } from '../common/zod-ints';
import type { RawCommit } from './commit-framing';

/** Checkpoint readers hand us int64 as bigint; commits give numbers. Both become JS numbers. */
const strMap = z.record(z.string(), z.string().nullable());

export const DeletionVectorSchema = z
  .object({
    storageType: z.string(),
    pathOrInlineDv: z.string(),
    offset: jsonInt.nullish(),
    sizeInBytes: jsonInt,
    cardinality: jsonInt,
  })
  .passthrough();
export type DeletionVector = z.infer<typeof DeletionVectorSchema>;

export const AddSchema = z
  .object({
    path: z.string().min(1),
    partitionValues: strMap.nullish(),
    size: jsonInt,
    modificationTime: jsonInt,
    dataChange: z.boolean().nullish(),
    stats: z.string().nullish(),
    tags: strMap.nullish(),
    deletionVector: DeletionVectorSchema.nullish(),
    baseRowId: jsonInt.nullish(),
    defaultRowCommitVersion: jsonInt.nullish(),
    clusteringProvider: z.string().nullish(),
  })
  .passthrough();
export type AddAction = z.infer<typeof AddSchema>;

export const RemoveSchema = z
  .object({
    path: z.string().min(1),
    deletionTimestamp: jsonInt.nullish(),
    dataChange: z.boolean().nullish(),
    extendedFileMetadata: z.boolean().nullish(),
    partitionValues: strMap.nullish(),
    size: jsonInt.nullish(),
    stats: z.string().nullish(),
    tags: strMap.nullish(),
    deletionVector: DeletionVectorSchema.nullish(),
    baseRowId: jsonInt.nullish(),
    defaultRowCommitVersion: jsonInt.nullish(),
  })
  .passthrough();
export type RemoveAction = z.infer<typeof RemoveSchema>;

export const MetadataSchema = z
  .object({
    id: z.string(),
    name: z.string().nullish(),
    description: z.string().nullish(),
    format: z.object({ provider: z.string(), options: strMap.nullish() }).passthrough(),
    schemaString: z.string(),
    partitionColumns: z.array(z.string()),
    configuration: strMap.nullish(),
    createdTime: jsonInt.nullish(),
  })
  .passthrough();
export type MetadataAction = z.infer<typeof MetadataSchema>;

export const ProtocolSchema = z
  .object({
    minReaderVersion: jsonInt,
    minWriterVersion: jsonInt,
    readerFeatures: z.array(z.string()).nullish(),
    writerFeatures: z.array(z.string()).nullish(),
  })
  .passthrough();
export type ProtocolAction = z.infer<typeof ProtocolSchema>;

export const TxnSchema = z
  .object({ appId: z.string(), version: jsonInt, lastUpdated: jsonInt.nullish() })
  .passthrough();
export type TxnAction = z.infer<typeof TxnSchema>;

export const CdcSchema = z
  .object({
    path: z.string().min(1),
    partitionValues: strMap.nullish(),
    size: jsonInt,
    dataChange: z.boolean().nullish(),
    tags: strMap.nullish(),
  })
  .passthrough();
export type CdcAction = z.infer<typeof CdcSchema>;

export const DomainMetadataSchema = z
  .object({ domain: z.string(), configuration: z.string(), removed: z.boolean() })
  .passthrough();
export type DomainMetadataAction = z.infer<typeof DomainMetadataSchema>;

export const CheckpointMetadataSchema = z.object({ version: jsonInt, tags: strMap.nullish() }).passthrough();
export type CheckpointMetadataAction = z.infer<typeof CheckpointMetadataSchema>;

export const SidecarSchema = z
  .object({
    path: z.string().min(1),
    sizeInBytes: jsonInt,
    modificationTime: jsonInt,
    tags: strMap.nullish(),
  })
  .passthrough();
export type SidecarAction = z.infer<typeof SidecarSchema>;

/**
 * commitInfo is free-form (PROTOCOL.md): writers put anything there, e.g. an ISO string as
 * `timestamp`. The line is kept verbatim in `raw`; the few fields we read are read leniently, a
 * value of another type reading as null instead of failing the commit.
 */
export const CommitInfoSchema = z
  .object({
    inCommitTimestamp: jsonInt.nullish().catch(null),
    operation: z.string().nullish().catch(null),
    timestamp: jsonInt.nullish().catch(null),
  })
  .passthrough();
export type CommitInfoAction = z.infer<typeof CommitInfoSchema>;

export const ACTION_SCHEMAS = {
  add: AddSchema,
  remove: RemoveSchema,
  metaData: MetadataSchema,
  protocol: ProtocolSchema,
  txn: TxnSchema,
  commitInfo: CommitInfoSchema,
  cdc: CdcSchema,
  domainMetadata: DomainMetadataSchema,
  checkpointMetadata: CheckpointMetadataSchema,
  sidecar: SidecarSchema,
} as const;

export type KnownActionType = keyof typeof ACTION_SCHEMAS;
export const KNOWN_ACTION_TYPES = Object.keys(ACTION_SCHEMAS) as KnownActionType[];

type BodyOf<K extends KnownActionType> = z.infer<(typeof ACTION_SCHEMAS)[K]>;

/**
 * One action as read from the log. `raw` is the exact JSON text (commit line, or the JSON
 * serialisation of a checkpoint row with nulls dropped); `seq` is its 0-based position in the file.
 */
export type LogAction =
  | { [K in KnownActionType]: { type: K; seq: number; raw: string; body: BodyOf<K> } }[KnownActionType]
  | { type: 'unknown'; seq: number; raw: string; key: string; body: unknown };

export { emptyCounts, type ActionCounts } from './action-counts';

/** One commit file, parsed. `timestamp` is ICT when enabled, else the file's modification time. */
export interface Commit {
  version: number;
  timestamp: number;
  /** Path of the commit file relative to the table root, for error messages. */
  file: string;
  actions: LogAction[];
  /** Size, sha256 and framing of the commit file, so the catalog can rebuild it byte for byte. */
  raw?: RawCommit;
  /** The table root as its store names it: file identity resolves absolute paths under it (path-canonical.ts). */
  root?: string;
}

/**
 * The identity of a data file: (path exactly as written, deletion-vector unique id). The DV id is
 * storageType + pathOrInlineDv, plus "@offset" when an offset is present (PROTOCOL.md).
 */
export function dvUniqueId(dv: DeletionVector | null | undefined): string | null {
  if (!dv) return null;
  const base = `${dv.storageType}${dv.pathOrInlineDv}`;
  return dv.offset === null || dv.offset === undefined ? base : `${base}@${dv.offset}`;
}

export function fileKey(path: string, dv: DeletionVector | null | undefined): string {
  const id = dvUniqueId(dv);
  return id === null ? path : `${path}\u0000${id}`;
}
