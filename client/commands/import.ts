/**
 * `deltasql import <source> [target]`: one durable Temporal workflow per table import.
 * With no TEMPORAL_ADDRESS it runs embedded (local dev server + in-process worker) and with no
 * catalog it writes to sqlite:///./deltasql.db — that is what quickstart uses.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import {
  DEFAULT_ACTIONS_PER_ACTIVITY,
  DEFAULT_BATCH_SIZE,
  DEFAULT_CATALOG_URL,
  readEnv,
} from '../../common/config';
import { parseCatalogUrl, redactUrl, urlPassword } from '../../catalog/url';
import { keepPasswordLocally, passwordNotSendable } from '../../common/credentials';
import { workerLog } from '../../workers/worker';
import { onInterrupt } from '../interrupt';
import { parseDuration } from '../sync-client';
import type { ImportInput, ImportMode, ImportResult } from '../../workflows/types';
import { dryRun, formatDryRun } from '../dry-run';
import {
  absoluteCatalog,
  absoluteSource,
  awaitImport,
  defaultTableName,
  newRunId,
  startImport,
  stuckReason,
} from '../import-client';
import { ExitCode, printJson, parseOptions, runAction } from '../output';
import { progressView } from '../progress';
import { hasWorkers, openTemporal } from '../temporal';

const OptionsSchema = z.object({
  catalog: z.string().min(1).optional(),
  mode: z.enum(['full-history', 'checkpoint-only', 'fast']).default('full-history'),
  checkpointOnly: z.boolean().optional(),
  upToVersion: z.coerce.number().int().nonnegative().optional(),
  resume: z.boolean().optional(),
  force: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  skipValidation: z.boolean().default(false),
  tableId: z.string().min(1).optional(),
  name: z.string().min(1).optional(),
  batchSize: z.coerce.number().int().positive().default(DEFAULT_BATCH_SIZE),
  actionsPerActivity: z.coerce.number().int().positive().default(DEFAULT_ACTIONS_PER_ACTIVITY),
  format: z.enum(['human', 'json']).default('human'),
  wait: z.boolean().default(true),
  progress: z.boolean().default(true),
  inProcessWorker: z.boolean().default(false),
  catalogTimeout: z.string().default('2m'),
});

export function register(program: Command): void {
  program
    .command('import')
    .description(
      'Import a Delta table (local path, file://, s3://, gs://, az:// or abfss://) into a SQL catalog through a Temporal workflow',
    )
    .argument('<source>', 'Delta table URI')
    .argument('[target]', 'seed-style target deltasql://postgres/<db>/<schema>/<table>')
    .option(
      '--catalog <url>',
      `catalog URL (postgresql://… or sqlite:///…); default ${DEFAULT_CATALOG_URL} or $DELTASQL_CATALOG`,
    )
    .option('--mode <mode>', 'full-history | checkpoint-only (alias: fast)')
    .option('--checkpoint-only', 'same as --mode checkpoint-only')
    .option('--up-to-version <n>', 'import only up to this version')
    .option('--resume', 'continue after the last imported version (the default when the table exists)')
    .option('--force', 'drop the catalog table and re-import')
    .option('--dry-run', 'only plan: versions, action counts, estimated size and time; writes nothing')
    .option('--skip-validation', 'do not compare the catalog with the log at the end')
    .option('--table-id <id>', 'catalog table id')
    .option('--name <name>', 'catalog table name (default: last segment of the source)')
    .option('--batch-size <n>', 'actions per catalog transaction')
    .option('--actions-per-activity <n>', 'actions per version-range activity')
    .option('--format <fmt>', 'human | json')
    .option('--no-wait', 'print the workflow id and Temporal UI link, then exit')
    .option('--no-progress', 'no progress bar or lines')
    .option(
      '--catalog-timeout <duration>',
      'how long an unreachable catalog is waited for before the import fails (e.g. 30s, 2m)',
    )
    .option(
      '--in-process-worker',
      'also run a worker inside this command (default only when TEMPORAL_ADDRESS is unset)',
    )
    .action(async (source: string, target: string | undefined, raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(OptionsSchema, raw);
        const env = readEnv();
        const fromTarget = target ? { catalogUrl: target, table: parseCatalogUrl(target).table } : null;
        const catalogRef = absoluteCatalog(
          o.catalog ?? fromTarget?.catalogUrl ?? env.DELTASQL_CATALOG ?? DEFAULT_CATALOG_URL,
        );
        // The workflow only ever sees the URL without its password (common/credentials.ts).
        const hasPassword = urlPassword(catalogRef) !== null;
        const catalog = keepPasswordLocally(catalogRef);
        const catalogTimeoutMs = parseDuration('--catalog-timeout', o.catalogTimeout, 1000);
        const mode: ImportMode =
          o.checkpointOnly || o.mode === 'checkpoint-only' || o.mode === 'fast'
            ? 'checkpoint-only'
            : 'full-history';
        const abs = absoluteSource(source);
        const input: ImportInput = {
          source: abs,
          catalog,
          name: o.name ?? fromTarget?.table ?? defaultTableName(abs),
          tableId: o.tableId,
          mode,
          upToVersion: o.upToVersion,
          force: o.force,
          skipValidation: o.skipValidation,
          batchSize: o.batchSize,
          actionsPerActivity: o.actionsPerActivity,
          runId: newRunId(),
          catalogTimeoutMs,
        };
        const say = (line: string): void => void (json ? undefined : process.stderr.write(line + '\n'));

        if (o.dryRun) {
          const report = await dryRun(input);
          if (json) printJson(report);
          else process.stdout.write(formatDryRun(report) + '\n');
          return 0;
        }

        const session = await openTemporal(env, say, o.inProcessWorker ? { inProcessWorker: true } : {});
        try {
          if (hasPassword && !(session.runsWorker && o.wait))
            throw passwordNotSendable(
              catalogRef,
              session.runsWorker
                ? '--no-wait leaves the import to other workers'
                : 'the import would run on a worker this command does not control (TEMPORAL_ADDRESS is set; --in-process-worker runs one here)',
            );
          const started = await startImport(session, env, input);
          say(
            started.attached
              ? `An import of "${input.name}" is already running: attaching to ${started.workflowId}`
              : `Started import workflow ${started.workflowId}`,
          );
          say(`Temporal UI: ${started.uiLink}`);
          const stuck = started.attached ? await stuckReason(started) : null;
          if (stuck)
            say(
              `warning: the running import looks stuck: ${stuck}; stop it with \`deltasql cancel ${input.name} --catalog ${redactUrl(catalogRef)}\``,
            );
          if (
            !session.runsWorker &&
            !(await hasWorkers(session.client, env.TEMPORAL_NAMESPACE, env.DELTASQL_TASK_QUEUE))
          ) {
            say(
              `warning: no worker polls task queue "${env.DELTASQL_TASK_QUEUE}" yet: start one with \`deltasql worker\` (or use --in-process-worker)`,
            );
          }
          if (!o.wait) {
            if (session.target.embedded)
              say('note: no worker runs after this command exits; start one with `deltasql worker`.');
            if (json)
              printJson({
                workflowId: started.workflowId,
                attached: started.attached,
                uiLink: started.uiLink,
              });
            else process.stdout.write(`${started.workflowId}\n${started.uiLink}\n`);
            return 0;
          }
          const t0 = Date.now();
          const view = o.progress && !json ? progressView() : null;
          const display = redactUrl(catalogRef);
          const stopInterrupt = onInterrupt({
            workflowId: started.workflowId,
            uiLink: started.uiLink,
            cancelHint: `deltasql cancel ${input.name} --catalog ${display}`,
            embedded: session.target.embedded && session.runsWorker === true,
            cancel: async () => void (await started.handle.cancel()),
            say: (line) => {
              view?.stop();
              say(line);
            },
          });
          const log = (): void => {
            const w = workerLog();
            if (w && w.entries > 0) say(`worker log: ${w.path}`);
          };
          const result = await session
            .withWorker(() => awaitImport(started, view, display))
            .finally(() => {
              stopInterrupt();
              log();
            });
          const seconds = (Date.now() - t0) / 1000;
          if (json) printJson({ ...result, workflowId: started.workflowId, uiLink: started.uiLink, seconds });
          else process.stdout.write(formatSummary(result, seconds) + '\n');
          if (result.validation && !result.validation.passed) throw new ExitCode(2);
          return 0;
        } finally {
          await session.close();
        }
      });
    });
}

export function formatSummary(r: ImportResult, seconds: number): string {
  const lines = [
    ...r.notes.filter((n) => !n.startsWith('Overall') && !/[✓✗]/.test(n)),
    `Import complete: ${r.versionsImported} versions (${r.startVersion}–${r.targetVersion}), ${r.counts.add} add actions, ${r.counts.remove} remove actions, ` +
      `${r.counts.metaData} metadata updates, ${r.counts.protocol} protocol updates in ${seconds.toFixed(1)}s`,
  ];
  if (r.validation)
    lines.push(
      ...r.validation.lines.filter((l) => !l.startsWith('Overall')),
      `Validation: ${r.validation.passed ? 'PASSED ✓' : 'FAILED ✗'}`,
    );
  else lines.push('Validation: SKIPPED');
  return lines.join('\n');
}
