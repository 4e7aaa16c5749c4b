/**
 * Spark's checkpoint parquet schema (txn, add, remove, metaData, protocol, domainMetadata; one
 * non-null top-level struct per row), expressed for @dsnp/parquetjs, and the conversion of action
 * bodies into parquetjs rows. MAP columns are the standard `key_value {key, value}` repeated group
 * and LIST columns the standard `list {element}` group, exactly like parquet-mr writes them, so
 * readers (hyparquet, delta-rs, Spark) see plain maps and arrays.
 */
import { ParquetSchema, type FieldDefinition, type SchemaDefinition } from '@dsnp/parquetjs';
import type { AddBody, DvBody, MetadataBody, ProtocolBody, RemoveBody, TxnBody } from './table-model';

const COMPRESSION = 'SNAPPY' as const;

const str = (): FieldDefinition => ({ type: 'UTF8', optional: true, compression: COMPRESSION });
const i32 = (): FieldDefinition => ({ type: 'INT32', optional: true, compression: COMPRESSION });
const i64 = (): FieldDefinition => ({ type: 'INT64', optional: true, compression: COMPRESSION });
const bool = (): FieldDefinition => ({ type: 'BOOLEAN', optional: true, compression: COMPRESSION });
const struct = (fields: SchemaDefinition): FieldDefinition => ({ optional: true, fields });
const map = (): FieldDefinition => ({
  type: 'MAP',
  optional: true,
  fields: {
    key_value: { repeated: true, fields: { key: { type: 'UTF8', compression: COMPRESSION }, value: str() } },
  },
});
const list = (): FieldDefinition => ({
  type: 'LIST',
  optional: true,
  fields: { list: { repeated: true, fields: { element: str() } } },
});
const dv = (): FieldDefinition =>
  struct({
    storageType: str(),
    pathOrInlineDv: str(),
    offset: i32(),
    sizeInBytes: i32(),
    cardinality: i64(),
  });

export function checkpointSchema(): ParquetSchema {
  return new ParquetSchema({
    txn: struct({ appId: str(), version: i64(), lastUpdated: i64() }),
    add: struct({
      path: str(),
      partitionValues: map(),
      size: i64(),
      modificationTime: i64(),
      dataChange: bool(),
      tags: map(),
      deletionVector: dv(),
      stats: str(),
    }),
    remove: struct({
      path: str(),
      deletionTimestamp: i64(),
      dataChange: bool(),
      extendedFileMetadata: bool(),
      partitionValues: map(),
      size: i64(),
      deletionVector: dv(),
    }),
    metaData: struct({
      id: str(),
      name: str(),
      description: str(),
      format: struct({ provider: str(), options: map() }),
      schemaString: str(),
      partitionColumns: list(),
      configuration: map(),
      createdTime: i64(),
    }),
    protocol: struct({
      minReaderVersion: i32(),
      minWriterVersion: i32(),
      readerFeatures: list(),
      writerFeatures: list(),
    }),
    domainMetadata: struct({ domain: str(), configuration: str(), removed: bool() }),
  });
}

type KV = { key: string; value?: string };
type Row = Record<string, unknown>;

function mapOf(m: Record<string, string | null> | undefined): { key_value: KV[] } | undefined {
  if (!m) return undefined;
  const kv: KV[] = [];
  for (const key of Object.keys(m)) {
    const v = m[key];
    kv.push(v === null ? { key } : { key, value: v });
  }
  return { key_value: kv };
}

const listOf = (xs: string[] | undefined): { list: { element: string }[] } | undefined =>
  xs ? { list: xs.map((element) => ({ element })) } : undefined;

const dvRow = (d: DvBody | undefined): Row | undefined =>
  d
    ? {
        storageType: d.storageType,
        pathOrInlineDv: d.pathOrInlineDv,
        offset: d.offset,
        sizeInBytes: d.sizeInBytes,
        cardinality: d.cardinality,
      }
    : undefined;

export const protocolRow = (p: ProtocolBody): Row => ({
  protocol: {
    minReaderVersion: p.minReaderVersion,
    minWriterVersion: p.minWriterVersion,
    readerFeatures: listOf(p.readerFeatures),
    writerFeatures: listOf(p.writerFeatures),
  },
});

export const metadataRow = (m: MetadataBody): Row => ({
  metaData: {
    id: m.id,
    name: m.name ?? undefined,
    description: m.description ?? undefined,
    format: { provider: m.format.provider, options: mapOf(m.format.options) },
    schemaString: m.schemaString,
    partitionColumns: listOf(m.partitionColumns),
    configuration: mapOf(m.configuration),
    createdTime: m.createdTime,
  },
});

export const txnRow = (t: TxnBody): Row => ({
  txn: { appId: t.appId, version: t.version, lastUpdated: t.lastUpdated },
});

/** Checkpoint adds carry dataChange=false, as Spark writes them. */
export const addRow = (a: AddBody): Row => ({
  add: {
    path: a.path,
    partitionValues: mapOf(a.partitionValues),
    size: a.size,
    modificationTime: a.modificationTime,
    dataChange: false,
    tags: mapOf(a.tags),
    deletionVector: dvRow(a.deletionVector),
    stats: a.stats,
  },
});

export const removeRow = (r: RemoveBody): Row => ({
  remove: {
    path: r.path,
    deletionTimestamp: r.deletionTimestamp,
    dataChange: false,
    extendedFileMetadata: r.extendedFileMetadata,
    partitionValues: mapOf(r.partitionValues),
    size: r.size,
    deletionVector: dvRow(r.deletionVector),
  },
});
