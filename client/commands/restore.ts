/**
 * `deltasql restore --catalog URL --table NAME [--to DEST]`: `export` onto the table's recorded
 * location (or DEST), for a `_delta_log` that was lost or corrupted. It refuses to touch a log that
 * is still healthy (valid commits) unless --overwrite, then prints the `deltasql diff` result of
 * the restored log against the catalog; the exit code is diff's (0 parity, 2 drift).
 */
import type { Command } from 'commander';
import { DeltaSqlError, isDeltaSqlError } from '../../common/errors';
import { openCatalog } from '../../catalog/open';
import { DeltaTable } from '../../delta/table';
import { compareTable } from '../../parity/compare';
import { renderHuman } from '../../parity/render';
import { checkSourceHealth } from '../../parity/source-health';
import { printJson, runAction } from '../output';
import { diffJson } from './diff';
import { exportInput, parseOptions, runExport, runOptions, summaryLines } from './export';

/** Throws RestoreRefused when `dest` holds a healthy log with at least one commit. */
export async function refuseHealthyLog(dest: string): Promise<void> {
  let table: DeltaTable;
  try {
    table = await DeltaTable.open(dest);
  } catch (e) {
    if (isDeltaSqlError(e)) return; // no log, or not readable: that is what restore is for
    throw e;
  }
  const report = await checkSourceHealth(table).catch(() => null);
  if (report && report.healthy && report.commits > 0) {
    throw new DeltaSqlError(
      'RestoreRefused',
      `${dest}/_delta_log still has valid commits (latest version ${report.latestVersion}); use --overwrite to restore over it, or export elsewhere`,
      { file: `${dest}/_delta_log` },
    );
  }
}

export function register(program: Command): void {
  program
    .command('restore')
    .description(
      "Rebuild a lost or corrupted _delta_log from the catalog at the table's recorded location (or --to), then diff it against the catalog",
    )
    .requiredOption('--table <name>', 'catalog table name or id')
    .option('--catalog <url>', 'catalog URL; default sqlite:///./deltasql.db or $DELTASQL_CATALOG')
    .option('--to <dest>', "table root to restore into (default: the table's recorded location)")
    .option('--checkpoint-interval <k>', 'write a checkpoint every K versions (default: every 10)')
    .option('--overwrite', 'restore over a log that still has valid commits, replacing files that differ')
    .option('--format <fmt>', 'human | json')
    .option('--no-progress', 'no progress bar')
    .option('--in-process-worker', 'also run a worker inside this command')
    .option('--catalog-timeout <duration>', 'how long a catalog that goes away is waited for (default 2m)')
    .action(async (raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(raw);
        const say = (line: string): void => void (json ? undefined : process.stderr.write(line + '\n'));
        const probe = exportInput(o, o.to ?? '.');
        const store = await openCatalog(probe.catalog);
        try {
          const t = await store.findTable(o.table);
          if (!t) throw new DeltaSqlError('CatalogTableNotFound', `no table "${o.table}" in the catalog`);
          const input = exportInput(o, o.to ?? t.location);
          if (!o.overwrite) await refuseHealthyLog(input.dest);
          const r = await runExport(input, runOptions(o, json), say);
          const diff = await compareTable(await DeltaTable.open(input.dest), store, t.tableId, {
            maxDriftFiles: 0,
            maxListedFiles: 20,
          });
          if (json) printJson({ export: r, diff: diffJson(diff) });
          else process.stdout.write(summaryLines(r, r.seconds).join('\n') + '\n\n' + renderHuman(diff));
          return diff.exitCode;
        } finally {
          await store.close();
        }
      });
    });
}
