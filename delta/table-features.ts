/**
 * Reader table features (PROTOCOL.md "Table Features", "Valid Feature Names"). A reader must
 * refuse a table whose protocol needs something it does not implement, or it serves a wrong
 * snapshot that validation then "passes": e.g. a `catalogManaged` table keeps its newest commits
 * in a catalog, so its `_delta_log` alone is stale. `readerFeatures` counts only when
 * minReaderVersion is 3; versions above 3 do not exist (Spark refuses them too).
 */
import { DeltaSqlError } from '../common/errors';
import type { LogAction, ProtocolAction } from './actions';

export const MAX_READER_VERSION = 3;

/**
 * Every reader(-writer) feature of PROTOCOL.md, with whether deltasql reads such a table's log
 * correctly. deltasql reads the log, never data files, so features about data encoding (column
 * mapping, types) need nothing beyond keeping the log verbatim; deletion vectors and V2
 * checkpoints are implemented (file identity, sidecars).
 */
export const READER_FEATURES: Readonly<Record<string, { supported: boolean; why: string }>> = {
  columnMapping: { supported: true, why: 'physical names are kept verbatim in the log' },
  deletionVectors: { supported: true, why: 'file identity includes the deletion vector id' },
  timestampNtz: { supported: true, why: 'a schema type; the log is unchanged' },
  v2Checkpoint: { supported: true, why: 'V2 checkpoints and sidecars are read' },
  vacuumProtocolCheck: { supported: true, why: 'affects VACUUM only' },
  variantType: { supported: true, why: 'a schema type; the log is unchanged' },
  'variantType-preview': { supported: true, why: 'a schema type; the log is unchanged' },
  'variantShredding-preview': { supported: true, why: 'a data-file encoding; the log is unchanged' },
  typeWidening: { supported: true, why: 'a schema change; the log is unchanged' },
  'typeWidening-preview': { supported: true, why: 'a schema change; the log is unchanged' },
  catalogManaged: { supported: false, why: 'recent commits live in a catalog, not in _delta_log' },
  'catalogOwned-preview': { supported: false, why: 'recent commits live in a catalog, not in _delta_log' },
};

export const SUPPORTED_READER_FEATURES = Object.keys(READER_FEATURES).filter(
  (f) => READER_FEATURES[f].supported,
);

function unsupported(what: string, why: string, where: string): DeltaSqlError {
  return new DeltaSqlError(
    'UnsupportedFeature',
    `${where} needs ${what}, which deltasql does not support: ${why}`,
    {
      file: where,
    },
  );
}

/** Throw UnsupportedFeature naming the first reader feature (or version) of `p` that deltasql cannot read. */
export function checkReaderProtocol(p: ProtocolAction, where: string): void {
  if (p.minReaderVersion > MAX_READER_VERSION) {
    throw unsupported(
      `minReaderVersion ${p.minReaderVersion}`,
      `deltasql reads up to reader version ${MAX_READER_VERSION}`,
      where,
    );
  }
  if (p.minReaderVersion < 3) return;
  for (const f of p.readerFeatures ?? []) {
    const known = READER_FEATURES[f];
    if (!known)
      throw unsupported(
        `reader feature "${f}"`,
        'it is not a reader feature of the Delta protocol known to deltasql',
        where,
      );
    if (!known.supported) throw unsupported(`reader feature "${f}"`, known.why, where);
  }
}

/**
 * Pass a checkpoint's actions through, checking its protocol's features, and at the end that it
 * held a protocol and a metaData action (MissingProtocol / MissingMetadata otherwise): a
 * checkpoint is the whole state, so a baseline without them is not a readable table.
 */
export async function* checkedCheckpoint(
  actions: AsyncIterable<LogAction>,
  version: number,
  file: string,
): AsyncGenerator<LogAction> {
  let protocol = false;
  let metadata = false;
  for await (const a of actions) {
    if (a.type === 'protocol') {
      checkReaderProtocol(a.body, file);
      protocol = true;
    } else if (a.type === 'metaData') metadata = true;
    yield a;
  }
  if (!protocol) {
    throw new DeltaSqlError(
      'MissingProtocol',
      `checkpoint ${file} of version ${version} holds no protocol action`,
      { file },
    );
  }
  if (!metadata) {
    throw new DeltaSqlError(
      'MissingMetadata',
      `checkpoint ${file} of version ${version} holds no metaData action`,
      { file },
    );
  }
}
