/**
 * `deltasql catalog migrate --from URL --to URL [--tables a,b] [--exclude c] [--dry-run]
 * [--strategy direct|blue-green] [--incremental] [--parallelism N] [--batch-size N]
 * [--log-diff all-versions|latest|off] [--cleanup]`: move Delta tables from one catalog engine
 * to another through the catalogMigrateWorkflow (one child per table), then validate each. The
 * dry run reads both sides and writes nothing; a real run first checks that both engines answer
 * and the target accepts writes (catalog/migrate/preflight.ts; the workflow runs the same check
 * again as its first activity). Blue-green loads a staging area and switches it live; `--cleanup`
 * (alone: `--to URL --cleanup`) drops the `<name>_old` a switch kept. Passwords stay in this
 * process (only stripped URLs enter the workflow). Registers the `catalog` command group (with
 * `compare`).
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { z } from 'zod';
import { blueGreenUrls, cleanupOld } from '../../catalog/migrate/blue-green';
import { dryRun, type DryRunTable } from '../../catalog/migrate/plan';
import { preflightMigration } from '../../catalog/migrate/preflight';
import { describeMigration, type MigrationState } from '../../catalog/migrate/state';
import { DeltaSqlError, isDeltaSqlError } from '../../common/errors';
import { readEnv } from '../../common/config';
import { keepPasswordLocally } from '../../common/credentials';
import { catalogMigrateWorkflow, type CatalogMigrateResult } from '../../workflows/catalog-migrate';
import { unwrapFailure } from '../import-client';
import { catalogRole, pollMigrationWait } from '../migrate-wait';
import { parseOptions, printJson, runAction } from '../output';
import { parseDuration } from '../sync-client';
import { openTemporal } from '../temporal';
import { registerCompare } from './catalog-compare';

const list = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean),
  )
  .optional();

const OptionsSchema = z.object({
  from: z.string().min(1).optional(),
  to: z.string().min(1),
  tables: list,
  exclude: list,
  dryRun: z.boolean().default(false),
  strategy: z.enum(['direct', 'blue-green']).default('direct'),
  logDiff: z.enum(['all-versions', 'latest', 'off']).default('all-versions'),
  cleanup: z.boolean().default(false),
  incremental: z.boolean().default(false),
  parallelism: z.coerce.number().int().positive().max(64).default(4),
  batchSize: z.coerce.number().int().positive().default(20_000),
  catalogTimeout: z.string().default('2m'),
  format: z.enum(['human', 'json']).default('human'),
});
type Options = z.infer<typeof OptionsSchema>;

function formatDryRun(tables: readonly DryRunTable[], resumes: MigrationState | null): string {
  const lines = tables.map((t) => {
    const rows = Object.entries(t.rows)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k}=${n}`)
      .join(' ');
    return `${t.name}: versions ${t.firstVersion ?? '-'}..${t.lastVersion ?? '-'} (${t.versionsToCopy} to copy${t.targetLastVersion === null ? '' : `, target at ${t.targetLastVersion}`}${t.reset ? ', copied afresh: it failed validation' : ''}); rows ${rows}; ~${t.estimatedBytes} bytes, ~${t.estimatedSeconds} s`;
  });
  const head = resumes ? [`Resumes the target's unfinished ${describeMigration(resumes)}`] : [];
  return ['Dry run: nothing written.', ...head, ...lines].join('\n');
}

function formatResult(r: CatalogMigrateResult): string {
  const lines = r.tables.map(
    (t) =>
      `${t.name}: copied to version ${t.copy.lastVersion ?? '-'} (${t.copy.rows} rows in ${t.copy.batches} batches, ${t.copy.runs} import runs); validated: ${t.validation.rows} rows equal; log diff: ${t.log ? `${t.log.status} (${t.log.versions} versions)` : 'off'}`,
  );
  if (r.switched && r.strategy === 'blue-green')
    lines.push('Switched: the staging catalog is live; the previous one is kept as <name>_old');
  else if (r.switched) lines.push('Switched: every table validated; the target is marked complete');
  return lines.join('\n');
}

async function runMigration(o: Options & { from: string }, json: boolean): Promise<CatalogMigrateResult> {
  const env = readEnv();
  const say = (line: string): void => void (json ? undefined : process.stderr.write(line + '\n'));
  const from = keepPasswordLocally(o.from);
  const to = keepPasswordLocally(o.to);
  if (o.strategy === 'blue-green') {
    // The in-process worker opens the staging and old namespaces with the live one's password.
    const bg = blueGreenUrls(o.to);
    keepPasswordLocally(bg.staging);
    keepPasswordLocally(bg.old);
  }
  const catalogTimeoutMs = parseDuration('--catalog-timeout', o.catalogTimeout, 1000);
  const roles = [
    { role: 'source', url: o.from },
    { role: 'target', url: o.to },
  ];
  const id = createHash('sha256').update(`${from}\n${to}`).digest('hex').slice(0, 16);
  const session = await openTemporal(env, say);
  try {
    const handle = await session.client.workflow.start(catalogMigrateWorkflow, {
      workflowId: `deltasql-catalog-migrate-${id}`,
      taskQueue: env.DELTASQL_TASK_QUEUE,
      args: [
        {
          from,
          to,
          tables: o.tables,
          exclude: o.exclude,
          incremental: o.incremental,
          parallelism: o.parallelism,
          batchSize: o.batchSize,
          strategy: o.strategy,
          logDiff: o.logDiff,
          catalogTimeoutMs,
        },
      ],
      // A rerun after a crash attaches to the running migration instead of starting another.
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: 'catalog migrate',
    });
    say(`Started catalog migration ${handle.workflowId}`);
    return await session.withWorker(async () => {
      const stopPolling = pollMigrationWait(session.client, handle.workflowId, roles, !json);
      try {
        return await handle.result();
      } catch (e) {
        const err = unwrapFailure(e);
        // Name the lost catalog by its role: `source catalog postgresql://u:***@h/db: gave up after 2m: …`.
        if (isDeltaSqlError(err) && err.type === 'CatalogUnavailable') {
          const r = catalogRole(err.message, roles);
          if (r)
            throw new DeltaSqlError(err.type, `${r.role} catalog ${r.display}: ${err.message}`, {
              cause: err,
            });
        }
        throw err;
      } finally {
        await stopPolling();
      }
    });
  } finally {
    await session.close();
  }
}

export function register(program: Command): void {
  const catalog = program.command('catalog').description('Move and compare whole catalogs between engines');
  catalog
    .command('migrate')
    .description('Copy Delta tables from one catalog to another (any engine pair), then validate them')
    .option('--from <url>', 'source catalog URL (not needed for --cleanup alone)')
    .requiredOption('--to <url>', 'target catalog URL')
    .option('--tables <names>', 'only these tables, comma separated')
    .option('--exclude <names>', 'all tables but these, comma separated')
    .option('--dry-run', 'per table: versions, rows, estimated size and time; writes nothing')
    .option(
      '--strategy <s>',
      'direct (copy into the target) | blue-green (copy into <name>_staging, validate, switch atomically, keep <name>_old)',
    )
    .option('--log-diff <mode>', 'diff against each source _delta_log: all-versions (default) | latest | off')
    .option(
      '--cleanup',
      'drop the <name>_old a blue-green switch kept (after this migration, or alone with --to)',
    )
    .option('--incremental', 'copy only versions newer than the target holds; refuses a diverged target')
    .option('--parallelism <n>', 'tables copied at once (default 4)')
    .option('--batch-size <n>', 'actions per target transaction (whole versions; default 20000)')
    .option(
      '--catalog-timeout <duration>',
      'how long a source or target catalog that goes away is waited for before the migration fails (default 2m)',
    )
    .option('--format <fmt>', 'human | json')
    .action(async (raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(OptionsSchema, raw);
        if (o.from === undefined) {
          if (!o.cleanup)
            throw new DeltaSqlError('InvalidArgument', '--from is required (or --cleanup alone)');
          const dropped = await cleanupOld(o.to);
          if (json) printJson({ cleanedUp: dropped });
          else process.stdout.write(dropped === null ? 'Nothing to clean up.\n' : `Dropped ${dropped}\n`);
          return 0;
        }
        if (o.strategy === 'blue-green' && o.incremental)
          throw new DeltaSqlError(
            'InvalidArgument',
            '--incremental cannot be combined with --strategy blue-green (blue-green loads a fresh staging copy)',
          );
        if (o.cleanup && o.strategy !== 'blue-green')
          throw new DeltaSqlError('InvalidArgument', '--cleanup with --from needs --strategy blue-green');
        if (o.dryRun) {
          const d = await dryRun(o.from, o.strategy === 'blue-green' ? blueGreenUrls(o.to).staging : o.to, o);
          if (json) printJson({ dryRun: true, ...d });
          else process.stdout.write(formatDryRun(d.tables, d.resumes) + '\n');
          return 0;
        }
        // Unreachable engines and missing permissions: refused here, before the workflow starts
        // (the workflow runs the same check as its first activity, for runs started without the CLI).
        await preflightMigration(o.from, o.to, o.strategy);
        const r = await runMigration({ ...o, from: o.from }, json);
        const cleanedUp = o.cleanup && r.switched ? await cleanupOld(o.to) : undefined;
        if (json) printJson(cleanedUp === undefined ? r : { ...r, cleanedUp });
        else process.stdout.write(formatResult(r) + '\n');
        return 0;
      });
    });
  registerCompare(catalog);
}
