/**
 * The Iceberg table metadata file (`metadata/vN.metadata.json`, Iceberg spec "Table Metadata")
 * and its version hint, as Hadoop-style tables keep them: read the current one, and write the
 * next one last and put-if-absent, so a conversion that fails or races another leaves the table
 * exactly as it was.
 */
import { DeltaSqlError } from '../../common/errors';
import type { ObjectStore } from '../../storage/object-store';
import { displayPath, isNotFound } from '../../storage/storage-error';
import type { PartitionFieldSpec } from './manifests';
import type { IcebergStruct, NameMapping } from './schema';

export const METADATA_DIR = 'metadata';
export const VERSION_HINT = `${METADATA_DIR}/version-hint.text`;
export const FIRST_PARTITION_FIELD_ID = 1000;
/** The snapshot summary property naming the Delta version a snapshot stands for. */
export const DELTA_VERSION = 'delta-version';
const NAME_MAPPING = 'schema.name-mapping.default';

export interface IcebergSnapshot {
  'snapshot-id': number;
  'timestamp-ms': number;
  'schema-id'?: number;
  summary: Record<string, string>;
  [k: string]: unknown;
}

export interface IcebergMetadata {
  'table-uuid': string;
  'last-sequence-number': number;
  'last-column-id': number;
  'current-snapshot-id': number | null;
  'current-schema-id': number;
  schemas: (IcebergStruct & { 'schema-id': number })[];
  'partition-specs': { 'spec-id': number; fields: { name: string }[] }[];
  snapshots: IcebergSnapshot[];
  'metadata-log': { 'timestamp-ms': number; 'metadata-file': string }[];
  properties: Record<string, string>;
  [k: string]: unknown;
}

export interface CurrentMetadata {
  n: number;
  meta: IcebergMetadata;
}

export async function readCurrent(store: ObjectStore): Promise<CurrentMetadata | null> {
  let hint: string;
  try {
    hint = (await store.get(VERSION_HINT)).toString('utf8').trim();
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
  const n = Number(hint);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new DeltaSqlError(
      'CorruptCommit',
      `${displayPath(store.root, VERSION_HINT)} holds "${hint}", not a version`,
    );
  }
  const meta = JSON.parse(
    (await store.get(`${METADATA_DIR}/v${n}.metadata.json`)).toString('utf8'),
  ) as IcebergMetadata;
  return { n, meta };
}

/** The Delta version the current snapshot stands for, or null for a table not yet converted. */
export function convertedDeltaVersion(store: ObjectStore, current: CurrentMetadata | null): number | null {
  if (current === null) return null;
  const snap = current.meta.snapshots.find((s) => s['snapshot-id'] === current.meta['current-snapshot-id']);
  const v = Number(snap?.summary[DELTA_VERSION]);
  if (!Number.isSafeInteger(v)) {
    throw new DeltaSqlError(
      'CorruptCommit',
      `${store.root}/${METADATA_DIR}: the current snapshot has no ${DELTA_VERSION}`,
    );
  }
  return v;
}

export const nameMappingOf = (meta: IcebergMetadata): NameMapping[] =>
  JSON.parse(meta.properties?.[NAME_MAPPING] ?? '[]') as NameMapping[];

export interface NextMetadata {
  current: CurrentMetadata | null;
  tableUuid: string;
  location: string;
  now: number;
  lastSequenceNumber: number;
  lastColumnId: number;
  schemas: (IcebergStruct & { 'schema-id': number })[];
  currentSchemaId: number;
  spec: PartitionFieldSpec[];
  nameMapping: NameMapping[];
  newSnapshots: IcebergSnapshot[];
}

/** Write `v(N+1).metadata.json` put-if-absent, then the hint; returns the file written. */
export async function writeNextMetadata(store: ObjectStore, m: NextMetadata): Promise<string> {
  const { current, location, now, spec } = m;
  const n = (current?.n ?? 0) + 1;
  const file = `${METADATA_DIR}/v${n}.metadata.json`;
  const snapshots = [...(current?.meta.snapshots ?? []), ...m.newSnapshots];
  const head = snapshots[snapshots.length - 1]['snapshot-id'];
  const doc = {
    'format-version': 2,
    'table-uuid': current?.meta['table-uuid'] ?? m.tableUuid,
    location,
    'last-sequence-number': m.lastSequenceNumber,
    'last-updated-ms': now,
    'last-column-id': m.lastColumnId,
    'current-schema-id': m.currentSchemaId,
    schemas: m.schemas,
    'default-spec-id': 0,
    'partition-specs': [
      {
        'spec-id': 0,
        fields: spec.map((p) => ({
          name: p.name,
          transform: 'identity',
          'source-id': p.sourceId,
          'field-id': p.fieldId,
        })),
      },
    ],
    'last-partition-id':
      spec.length === 0 ? FIRST_PARTITION_FIELD_ID - 1 : FIRST_PARTITION_FIELD_ID + spec.length - 1,
    'default-sort-order-id': 0,
    'sort-orders': [{ 'order-id': 0, fields: [] }],
    properties: { [NAME_MAPPING]: JSON.stringify(m.nameMapping) },
    'current-snapshot-id': head,
    refs: { main: { 'snapshot-id': head, type: 'branch' } },
    snapshots,
    'snapshot-log': snapshots.map((x) => ({
      'timestamp-ms': x['timestamp-ms'],
      'snapshot-id': x['snapshot-id'],
    })),
    'metadata-log': current
      ? [
          ...(current.meta['metadata-log'] ?? []),
          { 'timestamp-ms': now, 'metadata-file': `${location}/${METADATA_DIR}/v${current.n}.metadata.json` },
        ]
      : [],
  };
  if (!(await store.putIfAbsent(file, JSON.stringify(doc, null, 2)))) {
    throw new DeltaSqlError(
      'VersionConflict',
      `${displayPath(store.root, file)} was written by another converter; nothing was changed`,
      { file: displayPath(store.root, file) },
    );
  }
  await store.put(VERSION_HINT, String(n));
  return displayPath(store.root, file);
}
