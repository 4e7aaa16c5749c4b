/**
 * CONVERT TO DELTA for a folder of parquet files (local, file:// or any object store): version 0
 * holds protocol, metaData and one `add` per data file with stats read from its footer. Data files
 * are never moved or rewritten. The work is split so a workflow can run it in bounded pieces:
 *
 * 1. `planConversion` lists the folder once: file count, bytes, the partition layout, and the
 *    batch boundaries (the listing key each batch starts after);
 * 2. `readFooterBatch` reads one batch's footers with ranged reads and stages its add lines under
 *    `_delta_log/_deltasql_convert/<run>/` (never a log entry: no reader parses those names);
 * 3. `commitConversion` merges the staged schemas, writes `00000000000000000000.json` with
 *    put-if-absent as the single atomic step, and removes the staging objects.
 * Until step 3 no Delta table exists, so a failed conversion leaves nothing half-written.
 */
import pLimit from 'p-limit';
import { DeltaSqlError } from '../common/errors';
import { LOG_DIR } from '../delta/log-path';
import { writeCommit } from '../delta/log-writer';
import type { ObjectStore } from '../storage/object-store';
import { uuidFromText } from './deterministic-uuid';
import { readFooter } from './parquet-footer';
import { type DeltaStruct, mergeStructs } from './parquet-schema';
import { encodeRelativePath, inferPartitionType, parsePartitionPath } from './hive-partitions';

/** Footers per activity: large enough to amortise the listing, small enough to retry cheaply. */
export const FOOTER_BATCH_FILES = 2_000;
/** Footers read at once within a batch (each is one or two ranged reads). */
const FOOTER_CONCURRENCY = 16;
const STAGING_DIR = `${LOG_DIR}/_deltasql_convert`;
const PROTOCOL = { protocol: { minReaderVersion: 1, minWriterVersion: 2 } };

export interface ConversionPlan {
  files: number;
  bytes: number;
  partitionColumns: string[];
  partitionTypes: Record<string, string>;
  /** Listing key each batch starts after ('' for the first). */
  batchStarts: string[];
}

export interface BatchSummary {
  files: number;
  rows: number;
  bytes: number;
}

interface DataFile {
  rel: string;
  size: number;
  lastModified: number;
}

/** Spark's rule: `_name` (unless it holds '=') and `.name` files and folders are not data. */
export function isHiddenPath(rel: string): boolean {
  return rel.split('/').some((seg) => seg.startsWith('.') || (seg.startsWith('_') && !seg.includes('=')));
}

async function* dataFiles(store: ObjectStore, startAfter: string): AsyncGenerator<DataFile> {
  const opts = startAfter === '' ? {} : { startAfter };
  for await (const m of store.list('', opts)) {
    if (isHiddenPath(m.path)) continue;
    yield { rel: m.path, size: m.size, lastModified: m.lastModified };
  }
}

async function hasCommits(store: ObjectStore): Promise<boolean> {
  for await (const m of store.list(`${LOG_DIR}/`)) {
    if (!m.path.startsWith(`${STAGING_DIR}/`)) return true;
  }
  return false;
}

/** List the folder once and decide the layout; throws when it is not a convertible folder. */
export async function planConversion(
  store: ObjectStore,
  opts: { partitionBy?: readonly string[]; batchFiles?: number } = {},
): Promise<ConversionPlan> {
  if (await hasCommits(store)) {
    throw new DeltaSqlError(
      'VersionConflict',
      `${store.root} is already a Delta table (${LOG_DIR} has entries)`,
      {
        file: `${store.root}/${LOG_DIR}`,
      },
    );
  }
  const batchFiles = opts.batchFiles ?? FOOTER_BATCH_FILES;
  let columns: string[] | null = null;
  let firstRel = '';
  const values = new Map<string, Set<string | null>>();
  const plan: ConversionPlan = {
    files: 0,
    bytes: 0,
    partitionColumns: [],
    partitionTypes: {},
    batchStarts: [],
  };
  let prev = '';
  for await (const f of dataFiles(store, '')) {
    if (plan.files % batchFiles === 0) plan.batchStarts.push(prev);
    const p = parsePartitionPath(f.rel);
    if (columns === null) {
      columns = p.columns;
      firstRel = f.rel;
    } else if (p.columns.join('/') !== columns.join('/')) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `inconsistent partition folders: ${firstRel} is under [${columns.join(', ')}] but ${f.rel} under [${p.columns.join(', ')}]`,
        { file: f.rel },
      );
    }
    for (const c of p.columns) {
      const set = values.get(c) ?? new Set();
      set.add(p.values[c]);
      values.set(c, set);
    }
    plan.files++;
    plan.bytes += f.size;
    prev = f.rel;
  }
  if (plan.files === 0) {
    throw new DeltaSqlError('InvalidArgument', `no parquet files under ${store.root}`, { file: store.root });
  }
  plan.partitionColumns = columns ?? [];
  if (opts.partitionBy !== undefined && opts.partitionBy.join(',') !== plan.partitionColumns.join(',')) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `--partition-by ${opts.partitionBy.join(',') || '(none)'} does not match the folders, which are partitioned by ${plan.partitionColumns.join(',') || '(nothing)'}`,
      { file: store.root },
    );
  }
  for (const c of plan.partitionColumns) plan.partitionTypes[c] = inferPartitionType(values.get(c) ?? []);
  return plan;
}

const stagingPrefix = (runId: string): string => `${STAGING_DIR}/${runId}/`;
const stagedBatch = (runId: string, i: number): string =>
  `${stagingPrefix(runId)}${String(i).padStart(6, '0')}.ndjson`;

/**
 * Read one batch's footers and return its add lines plus a header line carrying the batch's
 * merged schema (first line). With `runId`, the lines are staged for `commitConversion`.
 */
export async function readFooterBatch(
  store: ObjectStore,
  batch: { index: number; startAfter: string; count: number },
  runId: string | null,
  onProgress: (files: number) => void = () => undefined,
): Promise<BatchSummary & { schema: DeltaStruct }> {
  const files: DataFile[] = [];
  for await (const f of dataFiles(store, batch.startAfter)) {
    files.push(f);
    if (files.length >= batch.count) break;
  }
  const limit = pLimit(FOOTER_CONCURRENCY);
  let done = 0;
  const footers = await Promise.all(
    files.map((f) =>
      limit(async () => {
        const r = await readFooter(store, f.rel, f.size);
        onProgress(++done);
        return r;
      }),
    ),
  );
  let schema: DeltaStruct | null = null;
  const summary = { files: files.length, rows: 0, bytes: 0 };
  const lines: string[] = [];
  footers.forEach((foot, i) => {
    const f = files[i];
    schema =
      schema === null
        ? foot.schema
        : mergeStructs(schema, foot.schema, '', { leftFile: files[0].rel, rightFile: f.rel });
    summary.rows += foot.numRecords;
    summary.bytes += f.size;
    const add = {
      path: encodeRelativePath(f.rel),
      partitionValues: parsePartitionPath(f.rel).values,
      size: f.size,
      modificationTime: f.lastModified,
      dataChange: true,
      stats: foot.stats,
    };
    lines.push(JSON.stringify({ add }));
  });
  const merged = schema ?? { type: 'struct' as const, fields: [] };
  if (runId !== null) {
    const header = JSON.stringify({ schema: merged, firstFile: files[0]?.rel ?? '' });
    await store.put(stagedBatch(runId, batch.index), `${[header, ...lines].join('\n')}\n`);
  }
  return { ...summary, schema: merged };
}

/** Schema of the whole table: the data files' merged schema, then the partition columns. */
export function tableSchema(files: DeltaStruct, plan: ConversionPlan): DeltaStruct {
  for (const c of plan.partitionColumns) {
    if (files.fields.some((f) => f.name.toLowerCase() === c.toLowerCase())) {
      throw new DeltaSqlError(
        'IncompatibleSchema',
        `partition column "${c}" is also a column inside the data files`,
      );
    }
  }
  const parts = plan.partitionColumns.map((c) => ({
    name: c,
    type: plan.partitionTypes[c],
    nullable: true,
    metadata: {},
  }));
  return { type: 'struct', fields: [...files.fields, ...parts] };
}

/** Merge the staged batches, write version 0 atomically, and remove the staging objects. */
export async function commitConversion(
  store: ObjectStore,
  plan: ConversionPlan,
  runId: string,
  now: number,
): Promise<{ version: 0; files: number; created: boolean }> {
  let schema: DeltaStruct | null = null;
  let firstFile = '';
  const adds: string[] = [];
  for (let i = 0; i < plan.batchStarts.length; i++) {
    const text = (await store.get(stagedBatch(runId, i))).toString('utf8');
    const lines = text.split('\n').filter((l) => l !== '');
    const header = JSON.parse(lines[0]) as { schema: DeltaStruct; firstFile: string };
    schema =
      schema === null
        ? header.schema
        : mergeStructs(schema, header.schema, '', { leftFile: firstFile, rightFile: header.firstFile });
    if (firstFile === '') firstFile = header.firstFile;
    for (const l of lines.slice(1)) adds.push(l);
  }
  const full = tableSchema(schema ?? { type: 'struct', fields: [] }, plan);
  const metaData = {
    // A retry of the same run reproduces the id, so a re-sent version 0 is byte-identical.
    id: uuidFromText(`deltasql-convert:${runId}`),
    format: { provider: 'parquet', options: {} },
    schemaString: JSON.stringify(full),
    partitionColumns: plan.partitionColumns,
    configuration: {},
    createdTime: now,
  };
  const commitInfo = {
    timestamp: now,
    operation: 'CONVERT',
    operationParameters: {
      numFiles: adds.length,
      partitionedBy: JSON.stringify(plan.partitionColumns),
      collectStats: true,
    },
    isBlindAppend: false,
    engineInfo: 'deltasql',
  };
  const body = `${[JSON.stringify({ commitInfo }), JSON.stringify(PROTOCOL), JSON.stringify({ metaData }), ...adds].join('\n')}\n`;
  // Through the log writer: put-if-absent, and a retry after a crash that already wrote these exact
  // bytes is an 'identical' success; a different version 0 is a VersionConflict naming the file.
  const outcome = await writeCommit(store, 0, Buffer.from(body));
  await discardStaging(store, runId);
  return { version: 0, files: adds.length, created: outcome === 'created' };
}

/** Remove a run's staging objects (also after a failed conversion). */
export async function discardStaging(store: ObjectStore, runId: string): Promise<void> {
  const doomed: string[] = [];
  for await (const m of store.list(stagingPrefix(runId))) doomed.push(m.path);
  await Promise.all(doomed.map((p) => store.delete(p)));
}
