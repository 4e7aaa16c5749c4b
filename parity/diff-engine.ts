/**
 * The parity engine: compares two snapshot JSON values (one rebuilt from `_delta_log`, one from
 * the SQL catalog) and says exactly where they disagree. It is pure and dependency-free so the
 * CLI (`deltasql diff`) and the import workflow's validation activity share one definition of
 * "the catalog agrees with the log". Files are compared by identity (raw path + DV unique id),
 * never by position, and every difference is counted even when only the first few are listed.
 */
import type { DeletionVectorJson, FileJson, SnapshotJson } from '../delta/snapshot-json';

/** How many files of each kind a report lists by name; all of them are counted. */
export const DEFAULT_MAX_LISTED_FILES = 100;

export type CheckName =
  | 'version'
  | 'numFiles'
  | 'sizeBytes'
  | 'files'
  | 'schema'
  | 'partitionColumns'
  | 'configuration'
  | 'metadata'
  | 'protocol'
  | 'txns'
  | 'domainMetadata';

/** Which family a check belongs to; drives the exit code and the metrics. */
export type CheckCategory = 'version' | 'files' | 'metadata' | 'protocol' | 'state';

export interface Check {
  name: CheckName;
  category: CheckCategory;
  /** null when the check could not run (e.g. a side was loaded without files). */
  ok: boolean | null;
  source: unknown;
  catalog: unknown;
  detail: string;
}

export interface FileRef {
  path: string;
  /** DV unique id (storageType + pathOrInlineDv [+ "@offset"]), null without a DV. */
  deletionVectorId: string | null;
  size: number;
}

export type FileField = 'size' | 'partitionValues' | 'modificationTime' | 'stats' | 'deletionVector';

export interface ChangedFile {
  path: string;
  deletionVectorId: string | null;
  fields: { field: FileField; source: unknown; catalog: unknown }[];
}

export interface FileListing<T> {
  count: number;
  /** The first `maxListedFiles` entries, in identity order. */
  listed: T[];
}

export interface FileDiff {
  missingInCatalog: FileListing<FileRef>;
  extraInCatalog: FileListing<FileRef>;
  changed: FileListing<ChangedFile>;
}

export interface DiffReport {
  sourceVersion: number;
  catalogVersion: number;
  checks: Check[];
  /** null when files were not available on both sides. */
  files: FileDiff | null;
  /** Files missing + extra + changed. */
  driftFiles: number;
  /** A version, metadata, txn or domain-metadata check failed (protocol is reported separately). */
  metadataDrift: boolean;
  protocolDrift: boolean;
  /** Every check that could run passed. */
  ok: boolean;
}

export interface DiffOptions {
  maxListedFiles?: number;
  /** Compare `stats` strings (default true). */
  compareStats?: boolean;
  /** Compare `modificationTime` (default true). */
  compareModificationTime?: boolean;
}

export function dvId(dv: DeletionVectorJson | null): string | null {
  if (dv === null) return null;
  const base = `${dv.storageType}${dv.pathOrInlineDv}`;
  return dv.offset === null ? base : `${base}@${dv.offset}`;
}

const identity = (f: FileJson): string => {
  const id = dvId(f.deletionVector);
  return id === null ? f.path : `${f.path}\u0000${id}`;
};

/** Deterministic JSON for deep equality: object keys sorted, arrays kept in order. */
export function canonical(v: unknown): string {
  if (v === undefined) return 'null';
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

const same = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

function check(
  name: CheckName,
  category: CheckCategory,
  source: unknown,
  catalog: unknown,
  what: string,
): Check {
  const ok = same(source, catalog);
  return {
    name,
    category,
    ok,
    source,
    catalog,
    detail: ok ? `${what} match` : `${what} differ`,
  };
}

const keyDiff = (a: Record<string, unknown>, b: Record<string, unknown>): string[] => {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => !same(a[k], b[k])).sort();
};

function push<T>(l: FileListing<T>, item: T, cap: number): void {
  l.count += 1;
  if (l.listed.length < cap) l.listed.push(item);
}

const ref = (f: FileJson): FileRef => ({
  path: f.path,
  deletionVectorId: dvId(f.deletionVector),
  size: f.size,
});

/** Compare two file lists by identity. Inputs need not be sorted; memory is one map of the source side. */
export function diffFiles(source: FileJson[], catalog: FileJson[], opts: DiffOptions = {}): FileDiff {
  const cap = opts.maxListedFiles ?? DEFAULT_MAX_LISTED_FILES;
  const compareStats = opts.compareStats ?? true;
  const compareMtime = opts.compareModificationTime ?? true;
  const out: FileDiff = {
    missingInCatalog: { count: 0, listed: [] },
    extraInCatalog: { count: 0, listed: [] },
    changed: { count: 0, listed: [] },
  };
  const bySource = new Map<string, FileJson>();
  for (const f of source) bySource.set(identity(f), f);
  const seen = new Set<string>();
  const extra: FileJson[] = [];
  const changed: ChangedFile[] = [];
  for (const c of catalog) {
    const key = identity(c);
    const s = bySource.get(key);
    if (s === undefined || seen.has(key)) {
      extra.push(c);
      continue;
    }
    seen.add(key);
    const fields: ChangedFile['fields'] = [];
    if (s.size !== c.size) fields.push({ field: 'size', source: s.size, catalog: c.size });
    if (!same(s.partitionValues, c.partitionValues))
      fields.push({ field: 'partitionValues', source: s.partitionValues, catalog: c.partitionValues });
    if (compareMtime && s.modificationTime !== c.modificationTime)
      fields.push({ field: 'modificationTime', source: s.modificationTime, catalog: c.modificationTime });
    // A checkpoint written without stats cannot say what they were: stats missing on the source
    // side is not drift; stats missing or different on the catalog side is.
    if (compareStats && s.stats !== undefined && s.stats !== c.stats)
      fields.push({ field: 'stats', source: s.stats ?? null, catalog: c.stats ?? null });
    if (!same(s.deletionVector, c.deletionVector))
      fields.push({ field: 'deletionVector', source: s.deletionVector, catalog: c.deletionVector });
    if (fields.length > 0) changed.push({ path: c.path, deletionVectorId: dvId(c.deletionVector), fields });
  }
  const missing = source.filter((f) => !seen.has(identity(f)));
  const byPath = (a: { path: string }, b: { path: string }): number =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
  for (const f of missing.sort(byPath)) push(out.missingInCatalog, ref(f), cap);
  for (const f of extra.sort(byPath)) push(out.extraInCatalog, ref(f), cap);
  for (const f of changed.sort(byPath)) push(out.changed, f, cap);
  return out;
}

/** A file diff computed elsewhere (range by range, parity/partitioned-diff.ts) and the file counts it saw. */
export interface PrecomputedFiles {
  diff: FileDiff;
  sourceFiles: number;
  catalogFiles: number;
}

/** Merge per-range file diffs: counts add up, listings are concatenated (ranges in path order) and capped. */
export function mergeFileDiffs(
  parts: readonly FileDiff[],
  maxListedFiles = DEFAULT_MAX_LISTED_FILES,
): FileDiff {
  const out: FileDiff = {
    missingInCatalog: { count: 0, listed: [] },
    extraInCatalog: { count: 0, listed: [] },
    changed: { count: 0, listed: [] },
  };
  const add = <T>(into: FileListing<T>, from: FileListing<T>): void => {
    into.count += from.count;
    for (const x of from.listed) if (into.listed.length < maxListedFiles) into.listed.push(x);
  };
  for (const p of parts) {
    add(out.missingInCatalog, p.missingInCatalog);
    add(out.extraInCatalog, p.extraInCatalog);
    add(out.changed, p.changed);
  }
  return out;
}

/**
 * Compare a source (log) snapshot with a catalog snapshot of the same table. `precomputed` gives
 * the file diff when the snapshots were loaded without files and compared range by range.
 */
export function diffSnapshots(
  source: SnapshotJson,
  catalog: SnapshotJson,
  opts: DiffOptions = {},
  precomputed?: PrecomputedFiles,
): DiffReport {
  const sm = source.metadata;
  const cm = catalog.metadata;
  const checks: Check[] = [
    check('version', 'version', source.version, catalog.version, 'versions'),
    check('numFiles', 'files', source.numFiles, catalog.numFiles, 'file counts'),
    check('sizeBytes', 'files', source.sizeBytes, catalog.sizeBytes, 'total sizes'),
  ];
  let files: FileDiff | null = null;
  const compared: PrecomputedFiles | null =
    precomputed ??
    (source.files !== undefined && catalog.files !== undefined
      ? {
          diff: diffFiles(source.files, catalog.files, opts),
          sourceFiles: source.files.length,
          catalogFiles: catalog.files.length,
        }
      : null);
  if (compared !== null) {
    files = compared.diff;
    const n = files.missingInCatalog.count + files.extraInCatalog.count + files.changed.count;
    checks.push({
      name: 'files',
      category: 'files',
      ok: n === 0,
      source: compared.sourceFiles,
      catalog: compared.catalogFiles,
      detail:
        n === 0
          ? 'file sets match'
          : `${files.missingInCatalog.count} missing in catalog, ${files.extraInCatalog.count} extra in catalog, ${files.changed.count} changed`,
    });
  } else {
    checks.push({
      name: 'files',
      category: 'files',
      ok: null,
      source: source.files?.length ?? null,
      catalog: catalog.files?.length ?? null,
      detail: 'file sets not compared (a snapshot was loaded without files)',
    });
  }
  checks.push(check('schema', 'metadata', sm.schemaString, cm.schemaString, 'schemas'));
  checks.push(
    check('partitionColumns', 'metadata', sm.partitionColumns, cm.partitionColumns, 'partition columns'),
  );
  const conf = check('configuration', 'metadata', sm.configuration, cm.configuration, 'configurations');
  if (!conf.ok)
    conf.detail = `configuration keys differ: ${keyDiff(sm.configuration, cm.configuration).join(', ')}`;
  checks.push(conf);
  const rest = (m: typeof sm) => ({
    id: m.id,
    name: m.name,
    description: m.description,
    format: m.format,
    createdTime: m.createdTime,
  });
  const meta = check(
    'metadata',
    'metadata',
    rest(sm),
    rest(cm),
    'table id, name, description, format and createdTime',
  );
  if (!meta.ok) meta.detail = `metadata fields differ: ${keyDiff(rest(sm), rest(cm)).join(', ')}`;
  checks.push(meta);
  checks.push(
    check('protocol', 'protocol', source.protocol, catalog.protocol, 'protocol versions and features'),
  );
  const txns = check('txns', 'state', source.txns, catalog.txns, 'transaction ids');
  if (!txns.ok) txns.detail = `txn appIds differ: ${keyDiff(source.txns, catalog.txns).join(', ')}`;
  checks.push(txns);
  const dm = check(
    'domainMetadata',
    'state',
    source.domainMetadata,
    catalog.domainMetadata,
    'domain metadata',
  );
  if (!dm.ok)
    dm.detail = `domains differ: ${keyDiff(source.domainMetadata, catalog.domainMetadata).join(', ')}`;
  checks.push(dm);

  const driftFiles =
    files === null
      ? Math.abs(source.numFiles - catalog.numFiles)
      : files.missingInCatalog.count + files.extraInCatalog.count + files.changed.count;
  const failed = (c: Check): boolean => c.ok === false;
  return {
    sourceVersion: source.version,
    catalogVersion: catalog.version,
    checks,
    files,
    driftFiles,
    metadataDrift: checks.some((c) => failed(c) && c.category !== 'files' && c.category !== 'protocol'),
    protocolDrift: checks.some((c) => failed(c) && c.category === 'protocol'),
    ok: !checks.some(failed),
  };
}
