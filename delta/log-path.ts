/**
 * Classify one file name in `_delta_log/` (PROTOCOL.md "Delta Log Entries"). Everything the reader
 * decides about the log starts from this parse, so anything not recognised here (dot-files,
 * `_staged_commits/`, `_sidecars/`, temp files) is invisible to listing.
 */
import type { ObjectMeta } from '../storage/object-store';

export const LOG_DIR = '_delta_log';
export const SIDECAR_DIR = `${LOG_DIR}/_sidecars`;
export const LAST_CHECKPOINT = `${LOG_DIR}/_last_checkpoint`;
const VERSION_DIGITS = 20;

export type ParsedLogPath =
  | { kind: 'commit'; version: number }
  | { kind: 'crc'; version: number }
  | { kind: 'compacted'; version: number; endVersion: number }
  | { kind: 'checkpoint'; version: number; checkpoint: 'classic' }
  | { kind: 'checkpoint'; version: number; checkpoint: 'multi-part'; part: number; numParts: number }
  | { kind: 'checkpoint'; version: number; checkpoint: 'v2'; uuid: string; format: 'json' | 'parquet' };

const COMMIT = /^(\d{20})\.json$/;
const CRC = /^(\d{20})\.crc$/;
const COMPACTED = /^(\d{20})\.(\d{20})\.compacted\.json$/;
const CLASSIC = /^(\d{20})\.checkpoint\.parquet$/;
const MULTI = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/;
const V2 =
  /^(\d{20})\.checkpoint\.([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})\.(json|parquet)$/;

/** Zero-padded log file stem for a version. */
export const padVersion = (v: number): string => String(v).padStart(VERSION_DIGITS, '0');
export const commitPath = (v: number): string => `${LOG_DIR}/${padVersion(v)}.json`;
export const crcPath = (v: number): string => `${LOG_DIR}/${padVersion(v)}.crc`;

/**
 * Parse a path relative to the table root (e.g. "_delta_log/00000000000000000003.json").
 * Returns null for anything that is not a direct, non-hidden log entry we understand.
 */
export function parseLogPath(relPath: string): ParsedLogPath | null {
  const prefix = `${LOG_DIR}/`;
  if (!relPath.startsWith(prefix)) return null;
  const name = relPath.slice(prefix.length);
  if (name === '' || name.includes('/') || name.startsWith('.')) return null;
  let m: RegExpExecArray | null;
  if ((m = COMMIT.exec(name))) return { kind: 'commit', version: Number(m[1]) };
  if ((m = CLASSIC.exec(name))) return { kind: 'checkpoint', version: Number(m[1]), checkpoint: 'classic' };
  if ((m = MULTI.exec(name))) {
    const part = Number(m[2]);
    const numParts = Number(m[3]);
    if (part < 1 || numParts < 1 || part > numParts) return null;
    return { kind: 'checkpoint', version: Number(m[1]), checkpoint: 'multi-part', part, numParts };
  }
  if ((m = V2.exec(name))) {
    return {
      kind: 'checkpoint',
      version: Number(m[1]),
      checkpoint: 'v2',
      uuid: m[2],
      format: m[3] as 'json' | 'parquet',
    };
  }
  if ((m = CRC.exec(name))) return { kind: 'crc', version: Number(m[1]) };
  if ((m = COMPACTED.exec(name))) {
    const version = Number(m[1]);
    const endVersion = Number(m[2]);
    return endVersion >= version ? { kind: 'compacted', version, endVersion } : null;
  }
  return null;
}

export type ParsedLogFile = ParsedLogPath & { meta: ObjectMeta };

/** Parse a listed object; 0-byte checkpoints are partial writes and are skipped. */
export function parseLogFile(meta: ObjectMeta): ParsedLogFile | null {
  const p = parseLogPath(meta.path);
  if (p === null) return null;
  if (p.kind === 'checkpoint' && meta.size === 0) return null;
  return { ...p, meta };
}
