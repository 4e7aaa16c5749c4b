/**
 * The NDJSON lines of Delta Sharing responses (PROTOCOL.md, "API Response Format"), in both
 * formats. Parquet format: `protocol {minReaderVersion: 1}`, a sharing `metaData`, and `file`
 * (or `add`/`cdf`/`remove` for changes) objects carrying a URL. Delta format: the table's own Delta
 * `deltaProtocol`/`deltaMetadata`, and each file as the Delta action (`deltaSingleAction`) with its
 * path, and any deletion-vector file, replaced by expiring URLs (a `p` descriptor), so a Delta
 * reader on the client applies deletion vectors and column mapping itself.
 */
import { hash } from 'node:crypto';
import type { MetadataJson, ProtocolJson, SnapshotJson } from '../delta/snapshot-json';
import { locateDataFile } from '../delta/data-path';
import { dvFileLocation } from '../reader/dv-descriptor';
import type { FileRef } from './signer';
import type { FileRow } from './table-data';

export type ResponseFormat = 'parquet' | 'delta';

export interface Signed {
  url: string;
  expiresAt: number;
}

/**
 * Sign one file reference of the table being answered for (local URLs synchronously).
 * `jsonSafe`: every URL it returns is a JSON string's content as it is (nothing to escape).
 * `slot`: set when every parquet-format line this signer's URLs go into holds this same text, and
 * nothing else of the line depends on the response (local URLs: `expirySlot`).
 */
export type SignFn = ((ref: FileRef) => Signed | Promise<Signed>) & { jsonSafe?: boolean; slot?: string };

/**
 * The part of a parquet-format line that is the same for all the files of one response and
 * differs between responses: the end of the URL from the expiry on (`UrlSigner.localUrlParts`)
 * and the line's `expirationTimestamp`, which follows the URL. Its width is fixed while expiries
 * have 13 digits (until the year 2286).
 */
export const expirySlot = (expiry: string, expiresAt: number): string =>
  `${expiry}","expirationTimestamp":${expiresAt}`;

const withoutNulls = (o: object): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== null && v !== undefined));

/** Stable file id: the protocol only asks that it identify the file within the table. */
export const fileId = (path: string): string => hash('sha256', path, 'hex').slice(0, 32);

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

/**
 * One response line for a file row, with its data file (and deletion vector) signed. Synchronous
 * when signing is (local tables, parquet format): a 1M-file answer must not cost a promise, an
 * object and a generic JSON.stringify per file, so the parquet line is built as text.
 */
export function fileLine(f: FileRow, sign: SignFn, o: LineOptions): string | Promise<string> {
  const signed = sign(locateDataFile(f.path));
  if (o.format === 'parquet') {
    return signed instanceof Promise
      ? signed.then((x) => parquetLine(f, x, o))
      : parquetLine(f, signed, o, sign.jsonSafe);
  }
  return deltaLine(f, sign, o, signed);
}

/** The start of a parquet-format line: the URL, then its expiry (so the two form one `expirySlot`). */
const urlAndExpiry = (key: string, signed: Signed, jsonSafe: boolean | undefined): string =>
  `{"${key}":{"url":"${jsonSafe ? signed.url : JSON.stringify(signed.url).slice(1, -1)}","expirationTimestamp":${signed.expiresAt}`;

function parquetLine(f: FileRow, signed: Signed, o: LineOptions, jsonSafe?: boolean): string {
  // The protocol's object as JSON.stringify writes it (nulls left out), expirationTimestamp second.
  const key = o.wrapper === 'file' ? 'file' : CHANGE_KEY[f.kind];
  let line = `${urlAndExpiry(key, signed, jsonSafe)},"id":"${fileId(f.path)}","partitionValues":${f.partitionValuesJson},"size":${f.size}`;
  if (f.kind === 'add' && f.stats !== null) line += `,"stats":${JSON.stringify(f.stats)}`;
  if (o.timestamp !== undefined) line += `,"version":${f.version},"timestamp":${o.timestamp}`;
  return `${line}}}`;
}

/**
 * PostgreSQL builds every parquet-format query line but its URL and expiry: the id (the same
 * sha256 prefix as `fileId`), the partition values (the stored JSON text), the size and the stats
 * (quoted by to_json), so the server only signs and concatenates, and decodes one text column per
 * row instead of four. Other engines build the same line in JS (`fileLine`).
 */
export const PG_QUERY_LINE_TAIL =
  `',"id":"' || left(encode(sha256(convert_to(path, 'UTF8')), 'hex'), 32)` +
  ` || '","partitionValues":' || coalesce(partition_values, '{}') || ',"size":' || size` +
  ` || coalesce(',"stats":' || to_json(stats)::text, '') || '}}'`;

/** A query line from its signed URL and the tail PostgreSQL built (`PG_QUERY_LINE_TAIL`). */
export const queryLineFromTail = (signed: Signed, jsonSafe: boolean | undefined, tail: string): string =>
  urlAndExpiry('file', signed, jsonSafe) + tail;

async function deltaLine(
  f: FileRow,
  sign: SignFn,
  o: LineOptions,
  dataFile: Signed | Promise<Signed>,
): Promise<string> {
  const { url, expiresAt } = await dataFile;
  const id = fileId(f.path);
  const versioned = o.timestamp === undefined ? {} : { version: f.version, timestamp: o.timestamp };
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
