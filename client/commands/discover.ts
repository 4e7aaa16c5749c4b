/**
 * `deltasql discover <dir|s3://bucket/prefix>`: list the Delta tables (and, flagged as such, the
 * Iceberg tables and plain Parquet folders) under a root. Rules in parity/discover.ts.
 */
import { type Command, Option } from 'commander';
import { type DiscoveredTable, discoverTables } from '../../parity/discover';
import {
  DEFAULT_ACTIONS_PER_ACTIVITY,
  DEFAULT_BATCH_SIZE,
  DEFAULT_CATALOG_URL,
  readEnv,
} from '../../common/config';
import { DeltaSqlError } from '../../common/errors';
import { absoluteCatalog } from '../import-client';
import { runDiscoverImport } from '../discover-import';
import { openTemporal } from '../temporal';
import { ExitCode, printJson, runAction } from '../output';

const cell = (v: number | string | null): string => (v === null ? '-' : String(v));

export function renderDiscovered(root: string, tables: DiscoveredTable[]): string {
  const delta = tables.filter((t) => t.kind === 'delta');
  const lines = [`Found ${delta.length} Delta table(s) under ${root}`];
  for (const t of tables) {
    const where = t.path === '' ? '.' : t.path;
    const nested = t.nestedIn !== null ? ` (nested in ${t.nestedIn === '' ? '.' : t.nestedIn})` : '';
    if (t.kind === 'delta') {
      lines.push(
        t.error !== null
          ? `  ✗ delta    ${where}${nested}: ${t.error.type}: ${t.error.message}`
          : `  ✓ delta    ${where}${nested}: version ${cell(t.latestVersion)}, checkpoint ${cell(t.latestCheckpoint)}, ` +
              `${cell(t.numFiles)} file(s), ${cell(t.sizeBytes)} bytes (from ${t.statsSource})` +
              (t.formats.length > 1 ? `; formats ${t.formats.join(', ')}, primary delta` : ''),
      );
    } else if (t.kind === 'iceberg') {
      const ice = t.iceberg;
      lines.push(
        ice === null
          ? `  ✗ iceberg  ${where}${nested}: ${t.error?.type ?? 'Error'}: ${t.error?.message ?? 'unreadable metadata'}`
          : `  - iceberg  ${where}${nested}: not a Delta table (Iceberg v${ice.formatVersion}, ${ice.numSnapshots} snapshot(s), current ${cell(ice.currentSnapshotId)}, ${t.latestMetadata})`,
      );
    } else {
      lines.push(
        `  - parquet  ${where}: plain Parquet folder, not a table (${t.numFiles} file(s), ${t.sizeBytes} bytes` +
          `${t.partitionColumns.length ? `, partitioned by ${t.partitionColumns.join(', ')}` : ''}); \`deltasql convert ${where} --to delta\` makes it one`,
      );
    }
  }
  return lines.join('\n') + '\n';
}

interface DiscoverCliOptions {
  recursive?: boolean;
  format: 'human' | 'json';
  import?: boolean;
  catalog?: string;
  parallelism: string;
  mode: 'full-history' | 'checkpoint-only';
  skipValidation?: boolean;
}

export function register(program: Command): void {
  program
    .command('discover')
    .description(
      'Find Delta tables under a folder or s3:// prefix; Iceberg tables and plain Parquet folders are ' +
        'flagged as such. Without --recursive only the root and its direct children are searched.',
    )
    .argument('<root>', 'folder, file://, or an s3://, gs:// or az:// bucket/prefix')
    .option('--recursive', 'search every depth, including tables nested inside other tables')
    .addOption(new Option('--format <format>', 'output format').choices(['human', 'json']).default('human'))
    .option('--import', 'import every Delta table found (one parent workflow, a child import per table)')
    .option('--catalog <url>', `catalog for --import (default $DELTASQL_CATALOG or ${DEFAULT_CATALOG_URL})`)
    .option('--parallelism <n>', 'child imports in flight at once', '4')
    .addOption(
      new Option('--mode <mode>', 'import mode')
        .choices(['full-history', 'checkpoint-only'])
        .default('full-history'),
    )
    .option('--skip-validation', 'skip each import’s final parity check')
    .action(async (root: string, o: DiscoverCliOptions) => {
      const json = o.format === 'json';
      await runAction(json, async () => {
        const tables = await discoverTables(root, { recursive: o.recursive === true });
        if (!o.import) {
          if (json) printJson({ root, tables });
          else process.stdout.write(renderDiscovered(root, tables));
          return 0;
        }
        const parallelism = Number(o.parallelism);
        if (!Number.isInteger(parallelism) || parallelism < 1)
          throw new DeltaSqlError('InvalidArgument', '--parallelism must be a positive integer');
        const env = readEnv();
        const log = (line: string): void => void (json ? undefined : process.stderr.write(line + '\n'));
        if (!json) process.stdout.write(renderDiscovered(root, tables));
        const session = await openTemporal(env, log);
        try {
          const result = await runDiscoverImport(
            session,
            env,
            tables,
            {
              root,
              catalog: absoluteCatalog(o.catalog ?? env.DELTASQL_CATALOG ?? DEFAULT_CATALOG_URL),
              mode: o.mode,
              parallelism,
              skipValidation: o.skipValidation === true,
              batchSize: DEFAULT_BATCH_SIZE,
              actionsPerActivity: DEFAULT_ACTIONS_PER_ACTIVITY,
            },
            log,
          );
          if (json) printJson({ root, tables, import: result });
          else {
            for (const t of result.tables) {
              process.stdout.write(
                `  ${t.status === 'completed' ? '✓' : '✗'} ${t.name}: ${t.status}${t.error ? ` (${t.error})` : `, ${t.versionsImported} versions, validation ${t.validation}`}\n`,
              );
            }
            process.stdout.write(
              `Imported ${result.completed}/${result.total} table(s); ${result.failed} failed, ${result.alreadyRunning} already running\n`,
            );
          }
          if (result.failed > 0 || result.alreadyRunning > 0) throw new ExitCode(2);
          return 0;
        } finally {
          await session.close();
        }
      });
    });
}
