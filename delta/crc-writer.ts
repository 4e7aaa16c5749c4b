/**
 * `N.crc` version checksum files (PROTOCOL.md "Version Checksum File"), the mirror of crc.ts: the
 * writer's account of the state at N, which readers such as Trino and Spark use to skip log replay
 * for metadata, and to verify a snapshot. Keys follow Spark's order; action bodies are the catalog's
 * verbatim JSON, so metadata/protocol equal the commit's byte for byte once re-serialised.
 */
import type { ObjectStore } from '../storage/object-store';
import { crcPath } from './log-path';
import { writeDerivedFile, type WriteOptions, type WriteOutcome } from './log-writer';

type Json = Record<string, unknown>;

export interface CrcState {
  tableSizeBytes: number;
  numFiles: number;
  /** The `metaData` action body in force at the version. */
  metadata: Json;
  /** The `protocol` action body in force at the version. */
  protocol: Json;
  /** Latest `txn` body per appId (sorted by appId). */
  setTransactions: Json[];
  /** Live `domainMetadata` bodies (removed domains excluded; sorted by domain). */
  domainMetadata: Json[];
}

/** The file's JSON text. numMetadata/numProtocol are always 1 for a readable version. */
export function crcJson(s: CrcState): string {
  return JSON.stringify({
    tableSizeBytes: s.tableSizeBytes,
    numFiles: s.numFiles,
    numMetadata: 1,
    numProtocol: 1,
    setTransactions: s.setTransactions,
    domainMetadata: s.domainMetadata,
    metadata: s.metadata,
    protocol: s.protocol,
  });
}

/** Write `N.crc` (an existing different one is kept unless `overwrite`: see writeDerivedFile). */
export function writeCrc(
  store: ObjectStore,
  version: number,
  state: CrcState,
  opts: WriteOptions = {},
): Promise<WriteOutcome> {
  return writeDerivedFile(store, crcPath(version), Buffer.from(crcJson(state)), opts);
}
