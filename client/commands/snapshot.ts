/**
 * `deltasql snapshot`: the exact state of a table at a version (or timestamp), read from the Delta
 * log, or from a catalog with --catalog/--table. Its --json output is the SnapshotJson contract
 * other tools compare against, so it must stay stable. `--files` prints only the paths of the data
 * files valid at the version (what delta-rs `DeltaTable(...).files()` returns), which the catalog
 * answers from one index-only query (`CatalogStore.files`).
 */
import type { Command } from 'commander';
import { DeltaSqlError } from '../../common/errors';
import { openCatalog } from '../../catalog/open';
import { DeltaTable } from '../../delta/table';
import type { SnapshotJson } from '../../delta/snapshot-json';
import { printJson, runAction } from '../output';

interface SnapshotOpts {
  version?: string;
  timestamp?: string;
  json?: boolean;
  /** true: only the file paths (--files); false: no file list (--no-files); unset: everything. */
  files?: boolean;
  catalog?: string;
  table?: string;
}

const invalidArg = (m: string): DeltaSqlError => new DeltaSqlError('InvalidArgument', m);

export function parseVersionArg(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw invalidArg(`--version must be a non-negative integer, got "${v}"`);
  return Number(v);
}

/** Milliseconds since the epoch, or an ISO-8601 date/time. */
export function parseTimestampArg(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw invalidArg(`--timestamp must be ISO-8601 or epoch milliseconds, got "${v}"`);
  return ms;
}

export function formatSnapshot(s: SnapshotJson): string {
  const p = s.protocol;
  const features = [...(p.readerFeatures ?? []), ...(p.writerFeatures ?? [])];
  const lines = [
    `version    ${s.version}`,
    `timestamp  ${new Date(s.timestamp).toISOString()} (${s.timestamp})`,
    `protocol   reader ${p.minReaderVersion}, writer ${p.minWriterVersion}` +
      (features.length ? ` [${[...new Set(features)].join(', ')}]` : ''),
    `table id   ${s.metadata.id}${s.metadata.name ? ` (${s.metadata.name})` : ''}`,
    `partition  ${s.metadata.partitionColumns.join(', ') || '-'}`,
    `numFiles   ${s.numFiles}`,
    `sizeBytes  ${s.sizeBytes}`,
  ];
  if (Object.keys(s.txns).length) lines.push(`txns       ${JSON.stringify(s.txns)}`);
  if (Object.keys(s.domainMetadata).length)
    lines.push(`domains    ${Object.keys(s.domainMetadata).join(', ')}`);
  if (s.files) {
    lines.push('files:');
    for (const f of s.files) lines.push(`  ${f.path}  ${f.size}${f.deletionVector ? '  (dv)' : ''}`);
  }
  return lines.join('\n') + '\n';
}

type Output = { snapshot: SnapshotJson } | { paths: string[] };

async function fromCatalog(
  o: SnapshotOpts,
  version: number | undefined,
  timestamp: number | undefined,
): Promise<Output> {
  if (!o.table) throw invalidArg('--catalog needs --table <id|name>');
  const store = await openCatalog(o.catalog as string);
  try {
    const t = await store.findTable(o.table);
    if (!t) throw new DeltaSqlError('CatalogTableNotFound', `no table "${o.table}" in the catalog`);
    if (o.files === true) return { paths: await store.files(t.tableId, { version, timestamp }) };
    return {
      snapshot: await store.snapshot(t.tableId, { version, timestamp, includeFiles: o.files !== false }),
    };
  } finally {
    await store.close();
  }
}

async function fromLog(
  uri: string,
  o: SnapshotOpts,
  version: number | undefined,
  timestamp: number | undefined,
): Promise<Output> {
  const table = await DeltaTable.open(uri);
  const snap = await table.snapshot({ version, timestamp }, { includeFiles: o.files !== false });
  if (o.files !== true) return { snapshot: snap };
  // Already in snapshot file order (path, then deletion-vector id), like CatalogStore.files.
  return { paths: (snap.files ?? []).map((f) => f.path) };
}

export function register(program: Command): void {
  // The root program's own --version would otherwise swallow `snapshot --version N`.
  program.enablePositionalOptions();
  program
    .command('snapshot')
    .description('Print the state of a Delta table at a version (from the log, or from a catalog)')
    .argument('[table-uri]', 'table location: path, file://, s3://, gs://, az:// or abfss:// URI')
    .option('--version <n>', 'version to read (default: latest)')
    .option('--timestamp <ts>', 'newest version at or before this time (ISO-8601 or epoch ms)')
    .option('--json', 'print the snapshot JSON contract')
    .option('--files', 'print only the paths of the data files valid at the version (JSON array with --json)')
    .option('--no-files', 'omit the file list')
    .option('--catalog <url>', 'read the snapshot from a catalog instead of the log')
    .option('--table <id|name>', 'catalog table (with --catalog)')
    .action(async (uri: string | undefined, o: SnapshotOpts) => {
      await runAction(Boolean(o.json), async () => {
        const version = parseVersionArg(o.version);
        const timestamp = parseTimestampArg(o.timestamp);
        if (version !== undefined && timestamp !== undefined)
          throw invalidArg('use --version or --timestamp, not both');
        let out: Output;
        if (o.catalog !== undefined) {
          out = await fromCatalog(o, version, timestamp);
        } else {
          if (!uri) throw invalidArg('a <table-uri> (or --catalog with --table) is required');
          out = await fromLog(uri, o, version, timestamp);
        }
        if ('paths' in out) {
          if (o.json) printJson(out.paths);
          else process.stdout.write(out.paths.map((p) => `${p}\n`).join(''));
        } else if (o.json) printJson(out.snapshot);
        else process.stdout.write(formatSnapshot(out.snapshot));
      });
    });
}
