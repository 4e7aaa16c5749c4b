/**
 * `append`: one add action per existing parquet file, from its footer alone (formats/parquet-footer.ts:
 * size, record count, min/max/nullCount of the stats-eligible columns). A file already under the
 * table root is referenced where it is; any other file is refused unless `copy` uploads it under
 * the root first (a fresh name, so it can never replace a file the table references). Partition
 * values come from `k=v` folders of the path under the root, or from `partition` (which wins).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DeltaSqlError } from '../../common/errors';
import { encodeRelativePath, parsePartitionPath } from '../../formats/hive-partitions';
import { readFooter } from '../../formats/parquet-footer';
import type { ObjectStore } from '../../storage/object-store';
import { openStore } from '../../storage/uri';

export interface AppendFile {
  /** Local path or URI of an existing parquet file. */
  source: string;
}

export interface AppendOptions {
  /** Upload files that are not under the table root. */
  copy?: boolean;
  /** Partition values for every file (`--partition k=v`). */
  partition?: Record<string, string | null>;
  partitionColumns: readonly string[];
}

const isUri = (s: string): boolean => /^[a-z][a-z0-9+.-]*:\/\//i.test(s);

/** The file's path relative to the table root, or null when it lies elsewhere. */
function relativeToRoot(root: string, source: string): string | null {
  const abs = (s: string): string => (isUri(s) ? s.replace(/^file:\/\//, '') : path.resolve(s));
  const r = abs(root).replace(/\/+$/, '');
  const s = abs(source);
  return s.startsWith(`${r}/`) ? s.slice(r.length + 1) : null;
}

async function bytesOf(source: string): Promise<Buffer> {
  if (!isUri(source) || source.startsWith('file://'))
    return fs.promises.readFile(source.replace(/^file:\/\//, ''));
  const dir = source.slice(0, source.lastIndexOf('/'));
  return openStore(dir).get(source.slice(source.lastIndexOf('/') + 1));
}

function partitionValues(rel: string, opts: AppendOptions): Record<string, string | null> {
  const fromPath = parsePartitionPath(rel).values;
  const out: Record<string, string | null> = {};
  for (const c of opts.partitionColumns) {
    const v = opts.partition && c in opts.partition ? opts.partition[c] : fromPath[c];
    if (v === undefined) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `${rel}: no value for partition column ${c} (give --partition ${c}=… or put the file under ${c}=…/)`,
      );
    }
    out[c] = v;
  }
  for (const k of Object.keys(opts.partition ?? {})) {
    if (!opts.partitionColumns.includes(k))
      throw new DeltaSqlError('InvalidArgument', `${k} is not a partition column of the table`);
  }
  return out;
}

/** The add actions (as JSON objects ready for `commit`) for `files`, uploading with `copy`. */
export async function addActionsFor(
  root: ObjectStore,
  rootUri: string,
  files: readonly string[],
  opts: AppendOptions,
): Promise<Record<string, unknown>[]> {
  const out: Record<string, unknown>[] = [];
  for (const source of files) {
    let rel = relativeToRoot(rootUri, source);
    if (rel === null) {
      if (!opts.copy) {
        throw new DeltaSqlError(
          'InvalidArgument',
          `${source} is not under the table root ${rootUri}: pass --copy to upload it`,
        );
      }
      const dirs = opts.partitionColumns.map(
        (c) => `${c}=${encodeURIComponent(opts.partition?.[c] ?? '__HIVE_DEFAULT_PARTITION__')}`,
      );
      rel = [...dirs, `part-${randomUUID()}-${path.basename(source)}`].join('/');
      const body = await bytesOf(source);
      if (!(await root.putIfAbsent(rel, body)))
        throw new DeltaSqlError('StorageError', `${rel} already exists under ${rootUri}`);
    }
    const meta = await root.head(rel);
    if (meta === null) throw new DeltaSqlError('InvalidArgument', `${source} does not exist`);
    const footer = await readFooter(root, rel, meta.size);
    out.push({
      add: {
        path: encodeRelativePath(rel),
        partitionValues: partitionValues(rel, opts),
        size: meta.size,
        modificationTime: meta.lastModified,
        dataChange: true,
        stats: footer.stats,
      },
    });
  }
  return out;
}
