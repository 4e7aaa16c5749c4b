/**
 * Delta -> Iceberg v2 metadata, next to the Delta log and pointing at the same parquet files (what
 * Delta UniForm and Apache XTable do): `<table>/metadata/vN.metadata.json`, one manifest list and
 * one manifest per snapshot. Each Iceberg snapshot stands for one Delta version and says so in its
 * `delta-version` summary property.
 *
 * - First run: one snapshot at the requested (default latest) version.
 * - Later runs: one snapshot per Delta version since the last converted one, with `append`,
 *   `delete` or `overwrite` from the version's adds and removes; nothing new means nothing written.
 * - Each snapshot's manifest lists every live file (added or existing) plus the files the version
 *   deleted, so it never depends on earlier manifests.
 * - Deletion vectors have no Iceberg v2 equivalent without rewriting data: refused, naming the
 *   version (otherwise Iceberg readers would see deleted rows).
 * - Schema changes become Iceberg schema evolution (schema-evolution.ts); a change of partition
 *   columns is refused, since Iceberg would need a new partition spec for the older files too.
 * - Manifests are written first; the metadata file is written last with put-if-absent, so a failed
 *   run leaves only unreferenced Avro files, never a half-written table.
 */
import { createHash } from 'node:crypto';
import { DeltaSqlError } from '../../common/errors';
import type { FileJson, SnapshotJson } from '../../delta/snapshot-json';
import type { ObjectStore } from '../../storage/object-store';
import { probeWritable } from '../../storage/probe-writable';
import { readParquetMetadata } from '../../delta/parquet-stream';
import { isUuid, uuidFromText } from '../deterministic-uuid';
import { type DataFileEntry, type PartitionFieldSpec, writeManifest, writeManifestList } from './manifests';
import {
  convertedDeltaVersion,
  DELTA_VERSION,
  FIRST_PARTITION_FIELD_ID,
  type IcebergSnapshot,
  METADATA_DIR,
  nameMappingOf,
  readCurrent,
  writeNextMetadata,
} from './metadata';
import { type ConvertedSchema, convertSchema, type PriorIds, priorIdsOf } from './schema';
import { checkEvolution, keepOptional, mergeNameMappings, sameFields } from './schema-evolution';
import { boundBytes, partitionValue } from './values';

export { METADATA_DIR } from './metadata';

/** Where snapshots come from: the Delta log, or the SQL catalog's copy of it. */
export interface SnapshotSource {
  latestVersion(): Promise<number>;
  snapshot(version: number): Promise<SnapshotJson>;
}

export interface IcebergPlanStep {
  deltaVersion: number;
  operation: 'append' | 'delete' | 'overwrite';
  added: number;
  deleted: number;
  liveFiles: number;
}

export interface IcebergConversion {
  tableRoot: string;
  metadataFile: string | null;
  previousDeltaVersion: number | null;
  snapshots: IcebergPlanStep[];
  dryRun: boolean;
}

const sha = (s: string): string => createHash('sha256').update(s).digest('hex');
/** Deterministic 53-bit snapshot id, so a re-run of the same conversion writes the same files. */
const snapshotIdFor = (tableId: string, deltaVersion: number): number =>
  parseInt(sha(`${tableId}:${deltaVersion}`).slice(0, 13), 16);

function tableLocation(root: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(root)
    ? root.replace(/\/+$/, '')
    : `file://${root.replace(/\/+$/, '')}`;
}

function dataFilePath(location: string, deltaPath: string): string {
  if (deltaPath.startsWith('file:'))
    return `file://${decodeURIComponent(deltaPath.replace(/^file:\/*/, '/'))}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(deltaPath)) return deltaPath;
  if (deltaPath.startsWith('/')) return `file://${decodeURIComponent(deltaPath)}`;
  return `${location}/${decodeURIComponent(deltaPath)}`;
}

function partitionSpec(s: SnapshotJson, schema: ConvertedSchema): PartitionFieldSpec[] {
  return s.metadata.partitionColumns.map((c, i) => {
    const col = schema.topLevel.get(c);
    if (col === undefined || typeof col.field.type !== 'string' || col.field.type.startsWith('decimal')) {
      throw new DeltaSqlError(
        'UnsupportedFeature',
        `partition column "${c}" cannot be an Iceberg identity partition`,
      );
    }
    return {
      name: c,
      sourceId: col.field.id,
      fieldId: FIRST_PARTITION_FIELD_ID + i,
      icebergType: col.field.type,
    };
  });
}

/**
 * Rows per data file: Delta stats when they have numRecords, else the parquet footer (ranged
 * reads), since an Iceberg manifest must state every file's record count.
 */
async function recordCounts(
  store: ObjectStore,
  files: Iterable<FileJson>,
  known: Map<string, number>,
): Promise<void> {
  for (const f of files) {
    if (known.has(f.path)) continue;
    const stats = f.stats ? (JSON.parse(f.stats) as { numRecords?: unknown }) : {};
    if (typeof stats.numRecords === 'number') {
      known.set(f.path, stats.numRecords);
      continue;
    }
    if (/^[a-z][a-z0-9+.-]*:|^\//i.test(f.path)) {
      throw new DeltaSqlError(
        'UnsupportedFeature',
        `${f.path} has no numRecords stats and is outside the table root`,
      );
    }
    const rel = decodeURIComponent(f.path);
    const meta = await readParquetMetadata({
      size: f.size,
      read: (start, end) =>
        store.getRange ? store.getRange(rel, start, end) : store.get(rel).then((b) => b.subarray(start, end)),
    });
    known.set(f.path, Number(meta.num_rows));
  }
}

function entryOf(
  f: FileJson,
  status: 0 | 1 | 2,
  snapshotId: number,
  seq: number,
  ctx: { location: string; schema: ConvertedSchema; spec: PartitionFieldSpec[]; counts: Map<string, number> },
): DataFileEntry {
  const stats = f.stats ? (JSON.parse(f.stats) as Record<string, unknown>) : {};
  const records = ctx.counts.get(f.path) ?? 0;
  const e: DataFileEntry = {
    status,
    snapshotId,
    sequenceNumber: seq,
    path: dataFilePath(ctx.location, f.path),
    partition: {},
    recordCount: records,
    sizeBytes: f.size,
    nullCounts: new Map(),
    valueCounts: new Map(),
    lowerBounds: new Map(),
    upperBounds: new Map(),
  };
  for (const p of ctx.spec) {
    const physical = ctx.schema.topLevel.get(p.name)?.physical ?? p.name;
    e.partition[p.name] = partitionValue(
      f.partitionValues[physical] ?? f.partitionValues[p.name],
      p.icebergType,
    );
  }
  const pick = (k: string): Record<string, unknown> => (stats[k] ?? {}) as Record<string, unknown>;
  for (const [, { field, physical }] of ctx.schema.topLevel) {
    if (typeof field.type !== 'string') continue;
    const nulls = pick('nullCount')[physical];
    if (typeof nulls === 'number') {
      e.nullCounts.set(field.id, nulls);
      e.valueCounts.set(field.id, records);
    }
    const lo = boundBytes(pick('minValues')[physical], field.type, false);
    const hi = boundBytes(pick('maxValues')[physical], field.type, true);
    if (lo && hi) {
      e.lowerBounds.set(field.id, lo);
      e.upperBounds.set(field.id, hi);
    }
  }
  return e;
}

function refuseDeletionVectors(s: SnapshotJson): void {
  const dv = (s.files ?? []).find((f) => f.deletionVector !== null);
  if (dv) {
    throw new DeltaSqlError(
      'UnsupportedFeature',
      `version ${s.version} has deletion vectors (${dv.path}): Iceberg v2 readers would see the deleted rows; rewrite the files (OPTIMIZE/PURGE) first`,
    );
  }
}

/** The schema a version is converted with: the previous one when nothing changed, else the next id. */
function evolve(
  s: SnapshotJson,
  previous: { schema: ConvertedSchema['schema']; prior: PriorIds } | null,
  nextSchemaId: number,
): ConvertedSchema {
  const converted = convertSchema(
    s.metadata.schemaString,
    s.metadata.configuration,
    previous?.prior,
    nextSchemaId,
  );
  if (previous === null) return converted;
  checkEvolution(previous.schema, converted.schema, s.version);
  keepOptional(previous.schema, converted.schema);
  if (sameFields(previous.schema, converted.schema))
    converted.schema['schema-id'] = previous.schema['schema-id'];
  return converted;
}

function refusePartitionChange(before: readonly string[], after: readonly string[], version: number): void {
  if (JSON.stringify(before) !== JSON.stringify(after)) {
    throw new DeltaSqlError(
      'UnsupportedFeature',
      `version ${version} changes the partition columns from [${before.join(', ')}] to [${after.join(', ')}]; convert that table afresh (remove ${METADATA_DIR}/)`,
    );
  }
}

/** Convert (or plan, with dryRun) every Delta version not yet in the Iceberg metadata, up to `upTo`. */
export async function convertDeltaToIceberg(
  store: ObjectStore,
  source: SnapshotSource,
  opts: { upTo?: number; dryRun?: boolean; now?: number } = {},
): Promise<IcebergConversion> {
  const target = opts.upTo ?? (await source.latestVersion());
  const current = await readCurrent(store);
  const lastVersion = convertedDeltaVersion(store, current);
  const out: IcebergConversion = {
    tableRoot: store.root,
    metadataFile: null,
    previousDeltaVersion: lastVersion,
    snapshots: [],
    dryRun: opts.dryRun === true,
  };
  if (lastVersion !== null && lastVersion >= target) return out;
  if (opts.dryRun !== true) await probeWritable(store, METADATA_DIR);
  const versions =
    lastVersion === null
      ? [target]
      : Array.from({ length: target - lastVersion }, (_, i) => lastVersion + 1 + i);

  const location = tableLocation(store.root);
  const now = opts.now ?? Date.now();
  let live = new Map<string, FileJson>();
  const counts = new Map<string, number>();
  if (lastVersion !== null)
    for (const f of (await source.snapshot(lastVersion)).files ?? []) live.set(f.path, f);
  let seq = current?.meta['last-sequence-number'] ?? 0;
  let parent = current?.meta['current-snapshot-id'] ?? null;
  const schemas = [...(current?.meta.schemas ?? [])];
  const currentSchema = schemas.find((x) => x['schema-id'] === current?.meta['current-schema-id']);
  let nameMapping = current ? nameMappingOf(current.meta) : [];
  let lastColumnId = current?.meta['last-column-id'] ?? 0;
  let previous =
    currentSchema === undefined
      ? null
      : { schema: currentSchema, prior: priorIdsOf(currentSchema, lastColumnId, nameMapping) };
  let partitionColumns = current?.meta['partition-specs']?.[0]?.fields.map((f) => f.name) ?? null;
  const newSnapshots: IcebergSnapshot[] = [];
  let last: { s: SnapshotJson; schema: ConvertedSchema; spec: PartitionFieldSpec[] } | null = null;

  for (const v of versions) {
    const s = await source.snapshot(v);
    refuseDeletionVectors(s);
    if (partitionColumns !== null) refusePartitionChange(partitionColumns, s.metadata.partitionColumns, v);
    partitionColumns = s.metadata.partitionColumns;
    const nextSchemaId = schemas.reduce((m, x) => Math.max(m, x['schema-id'] + 1), 0);
    const schema = evolve(s, previous, nextSchemaId);
    if (!schemas.some((x) => x['schema-id'] === schema.schema['schema-id'])) schemas.push(schema.schema);
    lastColumnId = Math.max(lastColumnId, schema.lastColumnId);
    nameMapping = mergeNameMappings(nameMapping, schema.nameMapping);
    const prior = priorIdsOf(schema.schema, lastColumnId, nameMapping);
    // Ids stay claimed after a column is dropped: Iceberg never hands an id out twice.
    for (const [k, id] of previous?.prior.byPath ?? []) if (!prior.byPath.has(k)) prior.byPath.set(k, id);
    previous = { schema: schema.schema, prior };
    const spec = partitionSpec(s, schema);
    const next = new Map((s.files ?? []).map((f) => [f.path, f]));
    const added = [...next.values()].filter((f) => !live.has(f.path));
    const deleted = [...live.values()].filter((f) => !next.has(f.path));
    const operation = deleted.length === 0 ? 'append' : added.length === 0 ? 'delete' : 'overwrite';
    out.snapshots.push({
      deltaVersion: v,
      operation,
      added: added.length,
      deleted: deleted.length,
      liveFiles: next.size,
    });
    last = { s, schema, spec };
    if (opts.dryRun) {
      live = next;
      continue;
    }
    seq += 1;
    const snapshotId = snapshotIdFor(s.metadata.id, v);
    await recordCounts(store, [...next.values(), ...deleted], counts);
    const ctx = { location, schema, spec, counts };
    const entries = [
      ...[...next.values()].map((f) => entryOf(f, live.has(f.path) ? 0 : 1, snapshotId, seq, ctx)),
      ...deleted.map((f) => entryOf(f, 2, snapshotId, seq, ctx)),
    ];
    const manifestRel = `${METADATA_DIR}/delta-${v}-${snapshotId}-m0.avro`;
    const manifest = await writeManifest(schema.schema, spec, entries);
    await store.put(manifestRel, manifest);
    // Record counts only: building a whole entry (stats bounds) per file just to sum them is waste.
    const rows = (fs: Iterable<FileJson>): number => {
      let n = 0;
      for (const f of fs) n += counts.get(f.path) ?? 0;
      return n;
    };
    const addedRows = rows(added);
    const deletedRows = rows(deleted);
    const totalRows = rows(next.values());
    const listRel = `${METADATA_DIR}/snap-${snapshotId}-delta-${v}.avro`;
    const list = await writeManifestList(snapshotId, parent, seq, [
      {
        path: `${location}/${manifestRel}`,
        length: manifest.length,
        sequenceNumber: seq,
        minSequenceNumber: seq,
        snapshotId,
        added: added.length,
        existing: next.size - added.length,
        deleted: deleted.length,
        addedRows,
        existingRows: totalRows - addedRows,
        deletedRows,
      },
    ]);
    await store.put(listRel, list);
    newSnapshots.push({
      'snapshot-id': snapshotId,
      ...(parent === null ? {} : { 'parent-snapshot-id': parent }),
      'sequence-number': seq,
      'timestamp-ms': s.timestamp,
      'manifest-list': `${location}/${listRel}`,
      summary: {
        operation,
        [DELTA_VERSION]: String(v),
        'added-data-files': String(added.length),
        'deleted-data-files': String(deleted.length),
        'total-data-files': String(next.size),
        'added-records': String(addedRows),
        'deleted-records': String(deletedRows),
        'total-records': String(totalRows),
      },
      'schema-id': schema.schema['schema-id'],
    });
    parent = snapshotId;
    live = next;
  }
  if (opts.dryRun || last === null) return out;
  out.metadataFile = await writeNextMetadata(store, {
    current,
    tableUuid: isUuid(last.s.metadata.id) ? last.s.metadata.id : uuidFromText(last.s.metadata.id),
    location,
    now,
    lastSequenceNumber: seq,
    lastColumnId,
    schemas,
    currentSchemaId: last.schema.schema['schema-id'],
    spec: last.spec,
    nameMapping,
    newSnapshots,
  });
  return out;
}
