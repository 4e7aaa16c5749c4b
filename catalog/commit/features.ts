/**
 * Writer features (PROTOCOL.md "Table Features"): a writer must understand every writer feature a
 * table's protocol lists (writer version 7) or implies (versions 2..6), or it must not write.
 * deltasql commits log actions that the caller built, so it supports the features whose writer
 * duties are about the log itself, and refuses those that need the data writer's cooperation
 * (row tracking's row ids, identity columns' high-water marks, V2 checkpoints, ...). Actions that
 * use a feature the table has not enabled are refused too (a deletion vector on a table without
 * `deletionVectors`, a domainMetadata action without `domainMetadata`).
 */
import { DeltaSqlError } from '../../common/errors';
import type { LogAction } from '../../delta/actions';
import type { MetadataJson, ProtocolJson } from '../../delta/snapshot-json';

/** Features whose writer requirements deltasql meets (or that have none at the log level). */
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly',
  'invariants',
  'checkConstraints',
  'changeDataFeed',
  'generatedColumns',
  'columnMapping',
  'timestampNtz',
  'domainMetadata',
  'inCommitTimestamp',
  'deletionVectors',
  'vacuumProtocolCheck',
  'typeWidening',
  'typeWidening-preview',
  'clustering',
]);

/** Features implied by a legacy writer version (PROTOCOL.md "Writer Version Requirements"). */
const LEGACY: readonly [number, string][] = [
  [2, 'appendOnly'],
  [2, 'invariants'],
  [3, 'checkConstraints'],
  [4, 'changeDataFeed'],
  [4, 'generatedColumns'],
  [5, 'columnMapping'],
  [6, 'identityColumns'],
];

export function writerFeatures(p: ProtocolJson): Set<string> {
  if (p.minWriterVersion >= 7) return new Set(p.writerFeatures ?? []);
  return new Set(LEGACY.filter(([v]) => p.minWriterVersion >= v).map(([, f]) => f));
}

const unsupported = (msg: string): DeltaSqlError => new DeltaSqlError('UnsupportedWriterFeature', msg);

/** The table's protocol must only require writer features deltasql supports. */
export function checkProtocolWritable(p: ProtocolJson, table: string, metadata: MetadataJson | null): void {
  if (p.minWriterVersion > 7) {
    throw unsupported(`table ${table} needs writer version ${p.minWriterVersion}; deltasql writes up to 7`);
  }
  const missing = [...writerFeatures(p)].filter((f) => {
    if (f === 'identityColumns') return metadata !== null && metadata.schemaString.includes('delta.identity');
    return !SUPPORTED_WRITER_FEATURES.has(f);
  });
  if (missing.length > 0) {
    throw unsupported(
      `table ${table} requires writer feature(s) ${missing.join(', ')}, which deltasql cannot honour when committing`,
    );
  }
}

export const isAppendOnly = (m: MetadataJson): boolean =>
  (m.configuration['delta.appendOnly'] ?? '').toLowerCase() === 'true';

export const inCommitTimestampsEnabled = (m: MetadataJson): boolean =>
  (m.configuration['delta.enableInCommitTimestamps'] ?? '').toLowerCase() === 'true';

/** Each action must only use features the (new) protocol enables; appendOnly forbids data removal. */
export function checkActionFeatures(
  actions: readonly LogAction[],
  p: ProtocolJson,
  m: MetadataJson,
  table: string,
): void {
  const features = writerFeatures(p);
  for (const [i, a] of actions.entries()) {
    if (
      (a.type === 'add' || a.type === 'remove') &&
      a.body.deletionVector &&
      !features.has('deletionVectors')
    ) {
      throw unsupported(
        `action ${i}: ${a.type} of ${a.body.path} has a deletion vector, but table ${table} does not enable deletionVectors`,
      );
    }
    if (a.type === 'domainMetadata' && !features.has('domainMetadata')) {
      throw unsupported(
        `action ${i}: domainMetadata needs the domainMetadata writer feature, which table ${table} does not enable`,
      );
    }
    if (a.type === 'remove' && a.body.dataChange !== false && isAppendOnly(m)) {
      throw unsupported(
        `action ${i}: table ${table} is append-only (delta.appendOnly=true): data cannot be removed (${a.body.path})`,
      );
    }
  }
  if (inCommitTimestampsEnabled(m) && !features.has('inCommitTimestamp')) {
    throw unsupported(
      `table ${table} sets delta.enableInCommitTimestamps but its protocol lacks the inCommitTimestamp writer feature`,
    );
  }
}
