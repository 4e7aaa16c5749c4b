/**
 * `deltasql status` (aliases `migration-status`, `info`): per catalog table, the location, last
 * imported vs source latest version, lag, last run and run history from `dl_import_runs`; and
 * whether the latest `catalog migrate` into this catalog switched (`migration`, null if none).
 */
import { type Command, Option } from 'commander';
import { describeMigration, latestMigration } from '../../catalog/migrate/state';
import { openCatalog } from '../../catalog/open';
import type { ImportRun } from '../../catalog/store';
import { catalogStatus, DEFAULT_RUN_HISTORY, type TableStatus } from '../../parity/status';
import { parseNonNegativeInt, printJson, runAction } from '../output';

const iso = (ms: number | null): string => (ms === null ? '-' : new Date(ms).toISOString());

const runLine = (r: ImportRun): string =>
  `${r.runId} ${r.mode} ${r.status} started ${iso(r.startedAt)}` +
  (r.finishedAt !== null ? ` finished ${iso(r.finishedAt)}` : '') +
  ` versions ${r.fromVersion ?? '-'}..${r.toVersion ?? '-'} (${r.versionsImported} imported)` +
  (r.error !== null ? ` error: ${r.error.split('\n')[0]}` : '');

export function renderStatus(tables: TableStatus[]): string {
  if (tables.length === 0) return 'No tables in the catalog.\n';
  const lines: string[] = [];
  for (const t of tables) {
    const source =
      t.sourceError !== null
        ? `unreachable (${t.sourceError.type}: ${t.sourceError.message.split('\n')[0]})`
        : String(t.sourceLatestVersion);
    lines.push(`${t.name} (${t.tableId})`);
    lines.push(`  location:              ${t.location}`);
    lines.push(
      `  mode:                  ${t.mode}` +
        (t.mode === 'sql-primary'
          ? ` (last committed ${t.lastImportedVersion ?? '-'}, last published ${t.publishedVersion ?? '-'}, ${t.publishLagVersions ?? 0} version(s) to publish)`
          : ''),
    );
    if (t.publishError !== null) lines.push(`  publish error:         ${t.publishError.split('\n')[0]}`);
    lines.push(
      `  last imported version: ${t.lastImportedVersion ?? 'none'} (last commit ${iso(t.lastCommitTimestamp)})`,
    );
    lines.push(`  source latest version: ${source}`);
    lines.push(
      `  lag:                   ${t.lagSeconds === null ? '-' : `${t.lagSeconds.toFixed(3)}s`}` +
        (t.versionDelta === null ? '' : `, ${t.versionDelta} version(s) behind`),
    );
    lines.push(`  last run:              ${t.lastRun === null ? 'none' : runLine(t.lastRun)}`);
    if (t.runs.length > 1) {
      lines.push('  run history:');
      for (const r of t.runs) lines.push(`    - ${runLine(r)}`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

export function register(program: Command): void {
  program
    .command('status')
    .alias('migration-status')
    .alias('info')
    .description('Import status per catalog table: versions, source lag, last run and run history')
    .requiredOption(
      '--catalog <url>',
      'catalog URL: sqlite:///file.db, duckdb:///file.duckdb, postgresql://u@host:5432/db?schema=s, mysql://u@host:3306/db',
    )
    .option('--table <id|name>', 'only this table')
    .option('--runs <n>', 'runs listed per table', parseNonNegativeInt('--runs'), DEFAULT_RUN_HISTORY)
    .addOption(new Option('--format <format>', 'output format').choices(['human', 'json']).default('human'))
    .action(async (o: { catalog: string; table?: string; runs: number; format: 'human' | 'json' }) => {
      await runAction(o.format === 'json', async () => {
        const store = await openCatalog(o.catalog);
        try {
          const tables = await catalogStatus(store, { table: o.table, runLimit: o.runs });
          const migration = await latestMigration(store.driver);
          if (o.format === 'json') printJson({ engine: store.dialect, migration, tables });
          else {
            const m = migration === null ? '' : `Catalog migration: ${describeMigration(migration)}\n`;
            process.stdout.write(`Catalog engine: ${store.dialect}\n${m}\n${renderStatus(tables)}`);
          }
          return 0;
        } finally {
          await store.close();
        }
      });
    });
}
