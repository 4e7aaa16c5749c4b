/**
 * `deltasql convert … --to iceberg`: pick the snapshot source (the SQL catalog's copy when
 * `--catalog` and `--table` are given, else the Delta log itself) and run the converter.
 */
import { openCatalog } from '../catalog/open';
import { DeltaSqlError } from '../common/errors';
import { DeltaTable } from '../delta/table';
import {
  type IcebergConversion,
  type SnapshotSource,
  convertDeltaToIceberg,
} from '../formats/iceberg/convert';
import { openStore } from '../storage/uri';

export interface IcebergOptions {
  catalog?: string;
  table?: string;
  version?: number;
  dryRun: boolean;
}

export async function convertToIceberg(src: string, o: IcebergOptions): Promise<IcebergConversion> {
  if ((o.catalog === undefined) !== (o.table === undefined))
    throw new DeltaSqlError(
      'InvalidArgument',
      'converting from the catalog needs both --catalog and --table',
    );
  if (o.catalog !== undefined && o.table !== undefined) {
    const catalog = await openCatalog(o.catalog);
    try {
      const t = await catalog.findTable(o.table);
      if (t === null || t.lastVersion === null)
        throw new DeltaSqlError(
          'CatalogTableNotFound',
          `no table "${o.table}" with imported versions in the catalog`,
        );
      const source: SnapshotSource = {
        latestVersion: async () => t.lastVersion as number,
        snapshot: (version) => catalog.snapshot(t.tableId, { version, includeFiles: true }),
      };
      return await convertDeltaToIceberg(openStore(src), source, { upTo: o.version, dryRun: o.dryRun });
    } finally {
      await catalog.close();
    }
  }
  const table = await DeltaTable.open(src);
  const source: SnapshotSource = {
    latestVersion: () => table.latestVersion(),
    snapshot: (version) => table.snapshot({ version }, { includeFiles: true }),
  };
  return convertDeltaToIceberg(openStore(src), source, { upTo: o.version, dryRun: o.dryRun });
}

export function formatIcebergSummary(r: IcebergConversion): string {
  if (r.snapshots.length === 0)
    return `Nothing to convert: the Iceberg metadata of ${r.tableRoot} is at Delta version ${r.previousDeltaVersion}`;
  const head = r.dryRun
    ? `Dry run: would write ${r.snapshots.length} Iceberg snapshot(s) under ${r.tableRoot}/metadata`
    : `Wrote ${r.snapshots.length} Iceberg snapshot(s): ${r.metadataFile}`;
  return [
    head,
    ...r.snapshots.map(
      (s) =>
        `  delta-version ${s.deltaVersion}: ${s.operation}, +${s.added} -${s.deleted} files, ${s.liveFiles} live`,
    ),
  ].join('\n');
}
