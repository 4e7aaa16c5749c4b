/**
 * Find tables under a folder or S3 prefix (seed 000 `discover`) with one flat listing through the
 * ObjectStore API, so local disk and S3 behave the same. Memory is bounded by the number of
 * folders, not files.
 *
 * Rules (documented contract):
 * - A Delta table is a folder whose `_delta_log/` holds at least one commit or checkpoint.
 * - An Iceberg table is a folder with `metadata/*.metadata.json`.
 * - A plain Parquet folder holds `*.parquet` files and is not inside a Delta/Iceberg table; Hive
 *   style `key=value/` sub-folders belong to the folder above the first one.
 * - Without `recursive`, only the root itself and its direct children are reported, and nothing
 *   inside a table found there. With `recursive`, every depth is searched, and tables nested in
 *   another table's folder are reported too, with `nestedIn` naming the enclosing table.
 *   Data folders of a Delta/Iceberg table are never reported as Parquet folders.
 * - Folders without any object (empty folders) do not exist in an object listing: not reported.
 * - A folder holding several formats is one entry: `formats` lists each found (Delta, Iceberg,
 *   Parquet data files) and `kind` is the primary one, Delta > Iceberg > Parquet (seed 004).
 * - Iceberg tables report their format version, current snapshot id and number of snapshots, read
 *   from the metadata file that `version-hint.text` names, else the highest-numbered one.
 */
import pLimit from 'p-limit';
import { z } from 'zod';
import { errorPayload } from '../common/errors';
import { LOG_DIR, parseLogPath } from '../delta/log-path';
import { DeltaTable } from '../delta/table';
import type { ObjectStore } from '../storage/object-store';
import { openStore } from '../storage/uri';

export type DiscoveredKind = 'delta' | 'iceberg' | 'parquet';

export interface DiscoveredTable {
  kind: DiscoveredKind;
  /** URI to open the table with (root joined with `path`). */
  uri: string;
  /** Folder relative to the discovery root ('' for the root itself). */
  path: string;
  /** Relative path of the enclosing table when nested (only with recursive). */
  nestedIn: string | null;
  latestVersion: number | null;
  latestCheckpoint: number | null;
  numFiles: number | null;
  sizeBytes: number | null;
  /** Where numFiles/sizeBytes came from (delta: crc or snapshot; others: the listing). */
  statsSource: 'crc' | 'snapshot' | 'listing' | null;
  /** Every format found in the folder, primary first. */
  formats: DiscoveredKind[];
  /** Iceberg: newest metadata file name. */
  latestMetadata: string | null;
  /** `currentSnapshotId` is the exact int64 as decimal digits (ids past 2^53 lose digits as numbers). */
  iceberg: { formatVersion: number; currentSnapshotId: string | null; numSnapshots: number } | null;
  /** Plain Parquet: the Hive partition columns (`k=v/` folders), in folder order. */
  partitionColumns: string[];
  error: { type: string; message: string } | null;
}

export interface DiscoverOptions {
  recursive?: boolean;
  /** Tables opened at once to read their version and stats (default 8). */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 8;
const ICEBERG_METADATA = /\.metadata\.json$/;
const HIVE_PARTITION = /^[^=/]+=[^/]*$/;
const FORMAT_ORDER: readonly DiscoveredKind[] = ['delta', 'iceberg', 'parquet'];
/** `v12.metadata.json` (Hadoop tables) or `00012-<uuid>.metadata.json` (catalog-written). */
const METADATA_NUMBER = /^v?(\d+)[-.]/;

const depth = (dir: string): number => (dir === '' ? 0 : dir.split('/').length);
const isInside = (dir: string, root: string): boolean => root === '' || dir.startsWith(`${root}/`);

export function joinUri(root: string, rel: string): string {
  return rel === '' ? root : `${root.replace(/\/+$/, '')}/${rel}`;
}

interface Listing {
  delta: Set<string>;
  iceberg: Map<string, string>;
  parquet: Map<string, { files: number; bytes: number; partitionColumns: string[] }>;
  versionHints: Set<string>;
}

/** The newer of two metadata file names: by their number when both have one, else by name. */
function newerMetadata(a: string, b: string): string {
  const na = METADATA_NUMBER.exec(a);
  const nb = METADATA_NUMBER.exec(b);
  if (na && nb && Number(na[1]) !== Number(nb[1])) return Number(na[1]) > Number(nb[1]) ? a : b;
  return a > b ? a : b;
}

async function scan(store: ObjectStore): Promise<Listing> {
  const out: Listing = { delta: new Set(), iceberg: new Map(), parquet: new Map(), versionHints: new Set() };
  for await (const meta of store.list('')) {
    const segs = meta.path.split('/');
    const logIdx = segs.indexOf(LOG_DIR);
    if (logIdx >= 0) {
      const dir = segs.slice(0, logIdx).join('/');
      const inLog = segs.slice(logIdx).join('/');
      const parsed = parseLogPath(inLog);
      if (parsed !== null && (parsed.kind === 'commit' || (parsed.kind === 'checkpoint' && meta.size > 0)))
        out.delta.add(dir);
      continue;
    }
    const name = segs[segs.length - 1];
    if (segs.length >= 2 && segs[segs.length - 2] === 'metadata' && ICEBERG_METADATA.test(name)) {
      const dir = segs.slice(0, -2).join('/');
      const prev = out.iceberg.get(dir);
      out.iceberg.set(dir, prev === undefined ? name : newerMetadata(prev, name));
      continue;
    }
    if (segs.length >= 2 && segs[segs.length - 2] === 'metadata' && name === 'version-hint.text') {
      out.versionHints.add(segs.slice(0, -2).join('/'));
      continue;
    }
    if (name.endsWith('.parquet')) {
      const dirSegs = segs.slice(0, -1);
      const firstPart = dirSegs.findIndex((s) => HIVE_PARTITION.test(s));
      const dir = (firstPart >= 0 ? dirSegs.slice(0, firstPart) : dirSegs).join('/');
      const partitionColumns = firstPart >= 0 ? dirSegs.slice(firstPart).map((d) => d.split('=')[0]) : [];
      const agg = out.parquet.get(dir) ?? { files: 0, bytes: 0, partitionColumns };
      agg.files++;
      agg.bytes += meta.size;
      out.parquet.set(dir, agg);
    }
  }
  return out;
}

const blank = (
  kind: DiscoveredKind,
  uri: string,
  path: string,
  nestedIn: string | null,
): DiscoveredTable => ({
  kind,
  uri,
  path,
  nestedIn,
  latestVersion: null,
  latestCheckpoint: null,
  numFiles: null,
  sizeBytes: null,
  statsSource: null,
  formats: [kind],
  latestMetadata: null,
  iceberg: null,
  partitionColumns: [],
  error: null,
});

const CURRENT_SNAPSHOT_DIGITS = /"current-snapshot-id"\s*:\s*(-?\d+)/;
const IcebergMetadataSchema = z.object({
  'format-version': z.number().int(),
  'current-snapshot-id': z.number().nullish(),
  snapshots: z.array(z.unknown()).nullish(),
});

/** Format version and snapshots of an Iceberg table; failures are recorded, not thrown. */
async function describeIceberg(store: ObjectStore, t: DiscoveredTable, hasHint: boolean): Promise<void> {
  const dir = t.path === '' ? 'metadata' : `${t.path}/metadata`;
  try {
    if (hasHint) {
      const hint = (await store.get(`${dir}/version-hint.text`)).toString('utf8').trim();
      if (/^\d+$/.test(hint)) t.latestMetadata = `v${hint}.metadata.json`;
    }
    const text = (await store.get(`${dir}/${t.latestMetadata}`)).toString('utf8');
    const m = IcebergMetadataSchema.parse(JSON.parse(text));
    // The only top-level key of that name (snapshots and refs say "snapshot-id"): its exact digits.
    const current = CURRENT_SNAPSHOT_DIGITS.exec(text)?.[1];
    t.iceberg = {
      formatVersion: m['format-version'],
      currentSnapshotId:
        m['current-snapshot-id'] == null || current === undefined || current === '-1' ? null : current,
      numSnapshots: m.snapshots?.length ?? 0,
    };
  } catch (e) {
    if (t.kind === 'iceberg') t.error = errorPayload(e);
  }
}

/** Version, newest checkpoint and size of one Delta table; failures are recorded, not thrown. */
async function describeDelta(t: DiscoveredTable): Promise<void> {
  try {
    const table = await DeltaTable.open(t.uri);
    const latest = await table.latestVersion();
    t.latestVersion = latest;
    const cps = await table.checkpoints(latest);
    t.latestCheckpoint = cps.length > 0 ? cps[cps.length - 1].version : null;
    const crc = await table.crc(latest);
    if (crc !== null) {
      t.numFiles = crc.numFiles;
      t.sizeBytes = crc.tableSizeBytes;
      t.statsSource = 'crc';
    } else {
      const s = await table.snapshot({ version: latest }, { includeFiles: false });
      t.numFiles = s.numFiles;
      t.sizeBytes = s.sizeBytes;
      t.statsSource = 'snapshot';
    }
  } catch (e) {
    t.error = errorPayload(e);
  }
}

/** Discover tables in an already opened store; `rootUri` is what found paths are joined to. */
export async function discoverInStore(
  store: ObjectStore,
  rootUri: string,
  opts: DiscoverOptions = {},
): Promise<DiscoveredTable[]> {
  const l = await scan(store);
  const tableRoots = [...l.delta, ...l.iceberg.keys()];
  const enclosing = (dir: string): string | null => {
    let best: string | null = null;
    for (const r of tableRoots)
      if (r !== dir && isInside(dir, r) && (best === null || r.length > best.length)) best = r;
    return best;
  };
  const wanted = (dir: string): boolean => opts.recursive === true || depth(dir) <= 1;
  const found: DiscoveredTable[] = [];
  // A table holds parquet when its folder or a subfolder (pyiceberg's data/) that belongs to no
  // nested table does.
  const withParquet = new Set<string>();
  for (const p of l.parquet.keys())
    withParquet.add(l.delta.has(p) || l.iceberg.has(p) ? p : (enclosing(p) ?? p));
  const formatsOf = (dir: string): DiscoveredKind[] =>
    FORMAT_ORDER.filter((k) =>
      k === 'delta' ? l.delta.has(dir) : k === 'iceberg' ? l.iceberg.has(dir) : withParquet.has(dir),
    );
  for (const dir of l.delta) {
    const parent = enclosing(dir);
    if (!wanted(dir) || (parent !== null && !opts.recursive)) continue;
    const t = blank('delta', joinUri(rootUri, dir), dir, parent);
    t.formats = formatsOf(dir);
    t.latestMetadata = l.iceberg.get(dir) ?? null;
    found.push(t);
  }
  for (const [dir, latest] of l.iceberg) {
    const parent = enclosing(dir);
    if (l.delta.has(dir) || !wanted(dir) || (parent !== null && !opts.recursive)) continue;
    const t = blank('iceberg', joinUri(rootUri, dir), dir, parent);
    t.formats = formatsOf(dir);
    t.latestMetadata = latest;
    t.statsSource = null;
    found.push(t);
  }
  for (const [dir, agg] of l.parquet) {
    if (!wanted(dir) || tableRoots.some((r) => r === dir || isInside(dir, r))) continue;
    const t = blank('parquet', joinUri(rootUri, dir), dir, null);
    t.numFiles = agg.files;
    t.sizeBytes = agg.bytes;
    t.partitionColumns = agg.partitionColumns;
    t.statsSource = 'listing';
    found.push(t);
  }
  found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.kind < b.kind ? -1 : 1));
  const limit = pLimit(opts.concurrency ?? DEFAULT_CONCURRENCY);
  await Promise.all([
    ...found.filter((t) => t.kind === 'delta').map((t) => limit(() => describeDelta(t))),
    ...found
      .filter((t) => t.latestMetadata !== null)
      .map((t) => limit(() => describeIceberg(store, t, l.versionHints.has(t.path)))),
  ]);
  return found;
}

/** Discover tables under a folder or s3:// prefix (reused by the discover-and-import workflow). */
export async function discoverTables(uri: string, opts: DiscoverOptions = {}): Promise<DiscoveredTable[]> {
  const store = openStore(uri);
  return discoverInStore(store, store.root, opts);
}
