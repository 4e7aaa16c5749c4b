/**
 * The snapshot JSON contract printed by `deltasql snapshot` (from the log or from the catalog).
 * Both sides build it with the functions here, so parity is a comparison of like with like.
 * Optional protocol fields are always present (null when absent) so that key order and shape
 * never depend on which reader produced the value.
 */
import type { AddAction, DeletionVector, MetadataAction, ProtocolAction } from './actions';

export interface ProtocolJson {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures: string[] | null;
  writerFeatures: string[] | null;
}

export interface MetadataJson {
  id: string;
  name: string | null;
  description: string | null;
  format: { provider: string; options: Record<string, string | null> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string | null>;
  createdTime: number | null;
}

export interface DeletionVectorJson {
  storageType: string;
  pathOrInlineDv: string;
  offset: number | null;
  sizeInBytes: number;
  cardinality: number;
}

export interface FileJson {
  path: string;
  size: number;
  modificationTime: number;
  partitionValues: Record<string, string | null>;
  deletionVector: DeletionVectorJson | null;
  stats?: string;
}

export interface SnapshotJson {
  version: number;
  /** Milliseconds since the epoch: in-commit timestamp when enabled, else the commit file's mtime. */
  timestamp: number;
  protocol: ProtocolJson;
  metadata: MetadataJson;
  numFiles: number;
  sizeBytes: number;
  files?: FileJson[];
  txns: Record<string, number>;
  domainMetadata: Record<string, string>;
}

const sortedRecord = <V>(r: Record<string, V> | null | undefined): Record<string, V> => {
  const out: Record<string, V> = {};
  for (const k of Object.keys(r ?? {}).sort()) out[k] = (r as Record<string, V>)[k];
  return out;
};

export function protocolJson(p: ProtocolAction): ProtocolJson {
  return {
    minReaderVersion: p.minReaderVersion,
    minWriterVersion: p.minWriterVersion,
    readerFeatures: p.readerFeatures ? [...p.readerFeatures].sort() : null,
    writerFeatures: p.writerFeatures ? [...p.writerFeatures].sort() : null,
  };
}

export function metadataJson(m: MetadataAction): MetadataJson {
  return {
    id: m.id,
    name: m.name ?? null,
    description: m.description ?? null,
    format: { provider: m.format.provider, options: sortedRecord(m.format.options) },
    schemaString: m.schemaString,
    partitionColumns: [...m.partitionColumns],
    configuration: sortedRecord(m.configuration),
    createdTime: m.createdTime ?? null,
  };
}

export function deletionVectorJson(dv: DeletionVector | null | undefined): DeletionVectorJson | null {
  if (!dv) return null;
  return {
    storageType: dv.storageType,
    pathOrInlineDv: dv.pathOrInlineDv,
    offset: dv.offset ?? null,
    sizeInBytes: dv.sizeInBytes,
    cardinality: dv.cardinality,
  };
}

export function fileJson(a: AddAction): FileJson {
  const f: FileJson = {
    path: a.path,
    size: a.size,
    modificationTime: a.modificationTime,
    partitionValues: sortedRecord(a.partitionValues),
    deletionVector: deletionVectorJson(a.deletionVector),
  };
  if (a.stats !== null && a.stats !== undefined) f.stats = a.stats;
  return f;
}

/** Files sort by raw path, then by DV unique id (null first). */
export function compareFiles(a: FileJson, b: FileJson): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  const da = a.deletionVector ? dvKey(a.deletionVector) : '';
  const db = b.deletionVector ? dvKey(b.deletionVector) : '';
  return da < db ? -1 : da > db ? 1 : 0;
}

const dvKey = (dv: DeletionVectorJson): string =>
  dv.offset === null
    ? `${dv.storageType}${dv.pathOrInlineDv}`
    : `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset}`;

/** Assemble the contract object with a fixed key order. */
export function snapshotJson(parts: {
  version: number;
  timestamp: number;
  protocol: ProtocolJson;
  metadata: MetadataJson;
  files: FileJson[];
  txns: Record<string, number>;
  domainMetadata: Record<string, string>;
  includeFiles: boolean;
}): SnapshotJson {
  const files = [...parts.files].sort(compareFiles);
  const out: SnapshotJson = {
    version: parts.version,
    timestamp: parts.timestamp,
    protocol: parts.protocol,
    metadata: parts.metadata,
    numFiles: files.length,
    sizeBytes: files.reduce((s, f) => s + f.size, 0),
    txns: sortedRecord(parts.txns),
    domainMetadata: sortedRecord(parts.domainMetadata),
  };
  if (parts.includeFiles) {
    const { txns, domainMetadata, ...head } = out;
    return { ...head, files, txns, domainMetadata };
  }
  return out;
}
