/**
 * Iceberg v2 manifests and manifest lists as Avro container files (Iceberg spec "Manifests" and
 * "Manifest Lists"), written with avsc. The Avro schemas carry Iceberg's reserved `field-id`s,
 * which readers use to resolve fields, so the schema object itself is handed to the encoder (a
 * parsed avsc Type would drop the attributes). Maps with int keys are arrays of key/value records
 * with `logicalType: "map"`, as the spec requires for non-string keys.
 */
import { streams } from 'avsc';
import type { IcebergStruct } from './schema';
import { partitionAvroType, type PartitionValue } from './values';

export interface PartitionFieldSpec {
  name: string;
  sourceId: number;
  fieldId: number;
  icebergType: string;
}

export type EntryStatus = 0 | 1 | 2; // existing, added, deleted

export interface DataFileEntry {
  status: EntryStatus;
  snapshotId: number;
  sequenceNumber: number;
  path: string;
  partition: Record<string, PartitionValue>;
  recordCount: number;
  sizeBytes: number;
  nullCounts: Map<number, number>;
  valueCounts: Map<number, number>;
  lowerBounds: Map<number, Buffer>;
  upperBounds: Map<number, Buffer>;
}

const intMap = (name: string, fieldId: number, keyId: number, valueId: number, value: unknown): unknown => ({
  name,
  'field-id': fieldId,
  default: null,
  type: [
    'null',
    {
      type: 'array',
      logicalType: 'map',
      items: {
        type: 'record',
        name: `k${keyId}_v${valueId}`,
        fields: [
          { name: 'key', type: 'int', 'field-id': keyId },
          { name: 'value', type: value, 'field-id': valueId },
        ],
      },
    },
  ],
});

function manifestEntrySchema(partition: readonly PartitionFieldSpec[]): unknown {
  return {
    type: 'record',
    name: 'manifest_entry',
    fields: [
      { name: 'status', type: 'int', 'field-id': 0 },
      { name: 'snapshot_id', type: ['null', 'long'], default: null, 'field-id': 1 },
      { name: 'sequence_number', type: ['null', 'long'], default: null, 'field-id': 3 },
      { name: 'file_sequence_number', type: ['null', 'long'], default: null, 'field-id': 4 },
      {
        name: 'data_file',
        'field-id': 2,
        type: {
          type: 'record',
          name: 'r2',
          fields: [
            { name: 'content', type: 'int', 'field-id': 134 },
            { name: 'file_path', type: 'string', 'field-id': 100 },
            { name: 'file_format', type: 'string', 'field-id': 101 },
            {
              name: 'partition',
              'field-id': 102,
              type: {
                type: 'record',
                name: 'r102',
                fields: partition.map((p) => ({
                  name: p.name,
                  type: partitionAvroType(p.icebergType),
                  default: null,
                  'field-id': p.fieldId,
                })),
              },
            },
            { name: 'record_count', type: 'long', 'field-id': 103 },
            { name: 'file_size_in_bytes', type: 'long', 'field-id': 104 },
            intMap('value_counts', 109, 119, 120, 'long'),
            intMap('null_value_counts', 110, 121, 122, 'long'),
            intMap('lower_bounds', 125, 126, 127, 'bytes'),
            intMap('upper_bounds', 128, 129, 130, 'bytes'),
          ],
        },
      },
    ],
  };
}

const MANIFEST_FILE_SCHEMA = {
  type: 'record',
  name: 'manifest_file',
  fields: [
    { name: 'manifest_path', type: 'string', 'field-id': 500 },
    { name: 'manifest_length', type: 'long', 'field-id': 501 },
    { name: 'partition_spec_id', type: 'int', 'field-id': 502 },
    { name: 'content', type: 'int', 'field-id': 517 },
    { name: 'sequence_number', type: 'long', 'field-id': 515 },
    { name: 'min_sequence_number', type: 'long', 'field-id': 516 },
    { name: 'added_snapshot_id', type: 'long', 'field-id': 503 },
    { name: 'added_files_count', type: 'int', 'field-id': 504 },
    { name: 'existing_files_count', type: 'int', 'field-id': 505 },
    { name: 'deleted_files_count', type: 'int', 'field-id': 506 },
    { name: 'added_rows_count', type: 'long', 'field-id': 512 },
    { name: 'existing_rows_count', type: 'long', 'field-id': 513 },
    { name: 'deleted_rows_count', type: 'long', 'field-id': 514 },
  ],
};

export interface ManifestFileEntry {
  path: string;
  length: number;
  sequenceNumber: number;
  minSequenceNumber: number;
  snapshotId: number;
  added: number;
  existing: number;
  deleted: number;
  addedRows: number;
  existingRows: number;
  deletedRows: number;
}

function encode(
  schema: unknown,
  metadata: Record<string, string>,
  records: Iterable<unknown>,
): Promise<Buffer> {
  const meta: Record<string, Buffer> = {};
  for (const [k, v] of Object.entries(metadata)) meta[k] = Buffer.from(v, 'utf8');
  // avsc's typings omit `metadata`, which its BlockEncoder writes into the file header; the header
  // is written even for a file without records (an empty table's manifest must still be Avro).
  const opts = { metadata: meta, codec: 'null', writeHeader: 'always' as const };
  const enc = new streams.BlockEncoder(schema as never, opts);
  const chunks: Buffer[] = [];
  return new Promise((resolve, reject) => {
    enc.on('data', (c: Buffer) => chunks.push(c));
    enc.on('end', () => resolve(Buffer.concat(chunks)));
    enc.on('error', reject);
    for (const r of records) enc.write(r);
    enc.end();
  });
}

const pairs = <V>(m: Map<number, V>): { key: number; value: V }[] | null =>
  m.size === 0 ? null : [...m].sort((a, b) => a[0] - b[0]).map(([key, value]) => ({ key, value }));

export function writeManifest(
  schema: IcebergStruct & { 'schema-id': number },
  partition: readonly PartitionFieldSpec[],
  entries: readonly DataFileEntry[],
): Promise<Buffer> {
  const spec = partition.map((p) => ({
    name: p.name,
    transform: 'identity',
    'source-id': p.sourceId,
    'field-id': p.fieldId,
  }));
  const records = entries.map((e) => ({
    status: e.status,
    snapshot_id: e.snapshotId,
    sequence_number: e.sequenceNumber,
    file_sequence_number: e.sequenceNumber,
    data_file: {
      content: 0,
      file_path: e.path,
      file_format: 'PARQUET',
      partition: Object.fromEntries(partition.map((p) => [p.name, e.partition[p.name] ?? null])),
      record_count: e.recordCount,
      file_size_in_bytes: e.sizeBytes,
      value_counts: pairs(e.valueCounts),
      null_value_counts: pairs(e.nullCounts),
      lower_bounds: pairs(e.lowerBounds),
      upper_bounds: pairs(e.upperBounds),
    },
  }));
  return encode(
    manifestEntrySchema(partition),
    {
      schema: JSON.stringify(schema),
      'schema-id': String(schema['schema-id']),
      'partition-spec': JSON.stringify(spec),
      'partition-spec-id': '0',
      'format-version': '2',
      content: 'data',
    },
    records,
  );
}

export function writeManifestList(
  snapshotId: number,
  parentId: number | null,
  sequenceNumber: number,
  manifests: readonly ManifestFileEntry[],
): Promise<Buffer> {
  return encode(
    MANIFEST_FILE_SCHEMA,
    {
      'snapshot-id': String(snapshotId),
      'parent-snapshot-id': parentId === null ? 'null' : String(parentId),
      'sequence-number': String(sequenceNumber),
      'format-version': '2',
    },
    manifests.map((m) => ({
      manifest_path: m.path,
      manifest_length: m.length,
      partition_spec_id: 0,
      content: 0,
      sequence_number: m.sequenceNumber,
      min_sequence_number: m.minSequenceNumber,
      added_snapshot_id: m.snapshotId,
      added_files_count: m.added,
      existing_files_count: m.existing,
      deleted_files_count: m.deleted,
      added_rows_count: m.addedRows,
      existing_rows_count: m.existingRows,
      deleted_rows_count: m.deletedRows,
    })),
  );
}
