/**
 * The NDJSON lines of Delta Sharing responses (PROTOCOL.md, "API Response Format"), in both
 * formats. Parquet format: `protocol {minReaderVersion: 1}`, a sharing `metaData`, and `file`
 * (or `add`/`cdf`/`remove` for changes) objects carrying a URL. Delta format: the table's own Delta
 * `deltaProtocol`/`deltaMetadata`, and each file as the Delta action (`deltaSingleAction`) with its
 * path, and any deletion-vector file, replaced by expiring URLs (a `p` descriptor), so a Delta
 * reader on the client applies deletion vectors and column mapping itself.
 */
import { createHash } from 'node:crypto';
import type { MetadataJson, ProtocolJson, SnapshotJson } from '../delta/snapshot-json';
import { locateDataFile } from '../delta/data-path';
import { dvFileLocation } from '../reader/dv-descriptor';
import type { FileRef } from './signer';
import type { FileRow } from './table-data';

export type ResponseFormat = 'parquet' | 'delta';

/** Sign one file reference of the table being answered for. */
export type SignFn = (ref: FileRef) => Promise<{ url: string; expiresAt: number }>;

const withoutNulls = (o: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

/** Stable file id: the protocol only asks that it identify the file within the table. */
export const fileId = (path: string): string => createHash('sha256').update(path).digest('hex').slice(0, 32);

export function protocolLine(p: ProtocolJson, format: ResponseFormat): string {
  return JSON.stringify(
    format === 'delta'
      ? { protocol: { deltaProtocol: withoutNulls(p) } }
      : { protocol: { minReaderVersion: 1 } },
  );
}

export function metadataLine(
  m: MetadataJson | Record<string, unknown>,
  format: ResponseFormat,
  extra: { version?: number; size?: number; numFiles?: number },
): string {
  if (format === 'delta') return JSON.stringify({ metaData: { ...withoutNulls(extra), deltaMetadata: m } });
  const md = m as MetadataJson;
  return JSON.stringify({
    metaData: withoutNulls({
      id: md.id,
      name: md.name,
      description: md.description,
      format: { provider: md.format?.provider ?? 'parquet' },
      schemaString: md.schemaString,
      partitionColumns: md.partitionColumns ?? [],
      configuration: md.configuration ?? {},
      ...extra,
    }),
  });
}

export const stateLines = (s: SnapshotJson, format: ResponseFormat): string[] => [
  protocolLine(s.protocol, format),
  metadataLine(s.metadata, format, { version: s.version, size: s.sizeBytes, numFiles: s.numFiles }),
];

/** True when only a Delta reader reads the table right: deletion vectors, column mapping, timestamp_ntz or variant types. */
export function needsDeltaFormat(s: Pick<SnapshotJson, 'protocol' | 'metadata'>): boolean {
  const features = s.protocol.readerFeatures ?? [];
  const conf = s.metadata.configuration ?? {};
  const mapping = conf['delta.columnMapping.mode'];
  // Types the parquet format's schema cannot carry: its clients reject the table.
  const types = /"type":"(timestamp_ntz|variant)"/.test(s.metadata.schemaString.replace(/\s+/g, ''));
  return (
    types ||
    features.includes('deletionVectors') ||
    conf['delta.enableDeletionVectors'] === 'true' ||
    (mapping !== undefined && mapping !== null && mapping !== 'none')
  );
}

export interface LineOptions {
  format: ResponseFormat;
  /** `file` for table queries, `add`/`cdf`/`remove` wrappers for changes. */
  wrapper: 'file' | 'change';
  /** Version and timestamp on each line (changes, and queries from a starting version). */
  timestamp?: number;
}

const CHANGE_KEY = { add: 'add', remove: 'remove', cdc: 'cdf' } as const;
const DELTA_KEY = { add: 'add', remove: 'remove', cdc: 'cdc' } as const;

/** One response line for a file row, with its data file (and deletion vector) signed. */
export async function fileLine(f: FileRow, sign: SignFn, o: LineOptions): Promise<string> {
  const { url, expiresAt } = await sign(locateDataFile(f.path));
  const id = fileId(f.path);
  const versioned = o.timestamp === undefined ? {} : { version: f.version, timestamp: o.timestamp };
  if (o.format === 'parquet') {
    const body = withoutNulls({
      url,
      id,
      partitionValues: f.partitionValues,
      size: f.size,
      stats: f.kind === 'add' ? (f.stats ?? undefined) : undefined,
      ...versioned,
      expirationTimestamp: expiresAt,
    });
    const key = o.wrapper === 'file' ? 'file' : CHANGE_KEY[f.kind];
    return JSON.stringify({ [key]: body });
  }
  const action: Record<string, unknown> = { ...f.body, path: url };
  let deletionVectorFileId: string | undefined;
  let expires = expiresAt;
  const dv = f.body.deletionVector as { storageType: string; pathOrInlineDv: string } | null | undefined;
  if (dv) {
    const loc = dvFileLocation(dv);
    if (loc) {
      const signed = await sign(loc);
      action.deletionVector = { ...dv, storageType: 'p', pathOrInlineDv: signed.url };
      deletionVectorFileId = fileId(`${dv.storageType}${dv.pathOrInlineDv}`);
      expires = Math.min(expires, signed.expiresAt);
    }
  }
  return JSON.stringify({
    file: withoutNulls({
      id,
      deletionVectorFileId,
      ...versioned,
      expirationTimestamp: expires,
      deltaSingleAction: { [DELTA_KEY[f.kind]]: action },
    }),
  });
}
