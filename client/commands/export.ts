/**
 * `deltasql export --catalog URL --table NAME --to DEST`: rebuild the table's `_delta_log` at DEST
 * from the catalog (commits byte for byte, checkpoints and `.crc` from SQL) through the
 * exportTable workflow. `--dry-run` plans in-process and lists what would be written.
 * `runExport` is shared with `deltasql restore`.
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { z } from 'zod';
import { DEFAULT_CATALOG_URL, readEnv, workflowUiLink } from '../../common/config';
import { keepPasswordLocally, passwordNotSendable, sendableInput } from '../../common/credentials';
import { DeltaSqlError } from '../../common/errors';
import { redactUrl, urlPassword } from '../../catalog/url';
import { openCatalog } from '../../catalog/open';
import { planExport, type ExportInput, type ExportPlan } from '../../activities/export-steps';
import { commitPath, crcPath, LAST_CHECKPOINT } from '../../delta/log-path';
import { checkpointPath } from '../../delta/checkpoint-writer';
import { exportProgressQuery, exportTableWorkflow } from '../../workflows';
import type { ExportProgress, ExportResult, ExportWorkflowInput } from '../../workflows/export-table';
import { absoluteCatalog, absoluteSource, unwrapFailure, waitingLine } from '../import-client';
import { parseOptions as parseCliOptions, printJson, runAction } from '../output';
import { parseDuration } from '../sync-client';
import { openTemporal } from '../temporal';
import { waitLine } from '../wait-line';

const int = z.coerce.number().int().nonnegative();
export const ExportOptionsSchema = z.object({
  catalog: z.string().min(1).optional(),
  table: z.string().min(1),
  to: z.string().min(1).optional(),
  upToVersion: int.optional(),
  fromVersion: int.optional(),
  checkpointInterval: z.coerce.number().int().positive().optional(),
  checkpoints: z.boolean().default(true),
  overwrite: z.boolean().default(false),
  dryRun: z.boolean().default(false),
  format: z.enum(['human', 'json']).default('human'),
  progress: z.boolean().default(true),
  inProcessWorker: z.boolean().default(false),
  catalogTimeout: z.string().default('2m'),
});
export type ExportOptions = z.infer<typeof ExportOptionsSchema>;

export function parseOptions(raw: Record<string, unknown>): ExportOptions {
  const o = parseCliOptions(ExportOptionsSchema, raw);
  if (!o.checkpoints && o.checkpointInterval !== undefined)
    throw new DeltaSqlError(
      'InvalidArgument',
      '--checkpoint-interval and --no-checkpoints are mutually exclusive',
    );
  return o;
}

/** The catalog reference as given (it may carry a password: never put it in a workflow). */
export function catalogRef(o: ExportOptions): string {
  return absoluteCatalog(o.catalog ?? readEnv().DELTASQL_CATALOG ?? DEFAULT_CATALOG_URL);
}

/** The workflow input: the catalog URL without its password (kept in this process only). */
export function exportInput(o: ExportOptions, dest: string): ExportWorkflowInput {
  return {
    catalog: keepPasswordLocally(catalogRef(o)),
    table: o.table,
    dest: absoluteSource(dest),
    fromVersion: o.fromVersion,
    upToVersion: o.upToVersion,
    checkpointInterval: o.checkpoints ? o.checkpointInterval : 0,
    overwrite: o.overwrite,
    catalogTimeoutMs: parseDuration('--catalog-timeout', o.catalogTimeout, 1000),
  };
}

function exportWorkflowId(input: ExportInput): string {
  const redacted = input.catalog.replace(/\/\/([^/@]*)@/, '//');
  const hash = createHash('sha256')
    .update(`${redacted}\n${input.table}\n${input.dest}`)
    .digest('hex')
    .slice(0, 12);
  return `deltasql-export-${input.table.replace(/[^A-Za-z0-9_.-]+/g, '_').slice(0, 60)}-${hash}`;
}

/** What `--dry-run` prints: the plan and the files it would write. */
export async function dryRunExport(input: ExportInput): Promise<ExportPlan & { files: string[] }> {
  const store = await openCatalog(input.catalog);
  try {
    const plan = await planExport(store, input);
    const files: string[] = [];
    for (let v = plan.from; v <= plan.to; v++) {
      if (v >= plan.commitFrom) files.push(commitPath(v));
      files.push(crcPath(v));
    }
    for (const v of plan.checkpoints) files.push(checkpointPath(v));
    if (plan.checkpoints.length > 0) files.push(LAST_CHECKPOINT);
    return { ...plan, files };
  } finally {
    await store.close();
  }
}

export function planLines(p: ExportPlan): string[] {
  const lines = [
    `Table ${p.name}: versions ${p.from}–${p.to}; commits ${p.commitFrom}–${p.to}; ${p.to - p.from + 1} .crc file(s)`,
    `Checkpoints (${p.checkpointRule}): ${p.checkpoints.length === 0 ? 'none' : p.checkpoints.join(', ')}`,
  ];
  if (p.notRebuildable)
    lines.push(
      `Versions ${p.notRebuildable.from}–${p.notRebuildable.to} cannot be rebuilt as commits (not in the catalog, or only as its checkpoint baseline)`,
    );
  return lines;
}

interface ExportBar {
  update(p: ExportProgress): void;
  /** Draw `line` in the bar's phase place; false when no bar is up. */
  status(line: string): boolean;
  stop(): void;
}

function progressBar(json: boolean): ExportBar {
  if (json || !process.stderr.isTTY)
    return { update: () => undefined, status: () => false, stop: () => undefined };
  const bar = new SingleBar(
    { format: 'export {phase} [{bar}] {value}/{total}', stream: process.stderr, hideCursor: true },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(p) {
      if (p.from === null || p.to === null) return;
      const total = p.to - p.from + 1 + p.checkpointsTotal;
      const done = (p.doneVersion === null ? 0 : p.doneVersion - p.from + 1) + p.checkpointsDone;
      if (!started) bar.start(total, 0, { phase: p.phase });
      started = true;
      bar.update(done, { phase: p.phase });
    },
    status(line) {
      if (started) bar.update({ phase: line });
      return started;
    },
    stop: () => void (started && bar.stop()),
  };
}

/** How `runExport` runs for these command-line options. */
export function runOptions(o: ExportOptions, json: boolean): RunOptions {
  return {
    json,
    progress: o.progress,
    inProcessWorker: o.inProcessWorker,
    catalogHasPassword: urlPassword(catalogRef(o)) !== null,
    catalogDisplay: redactUrl(catalogRef(o)),
  };
}

export interface RunOptions {
  json: boolean;
  progress: boolean;
  inProcessWorker: boolean;
  /** The catalog URL as given carries a password: only an in-process worker may use it. */
  catalogHasPassword: boolean;
  /** The catalog as the user gave it, password masked (the `waiting for catalog …` line). */
  catalogDisplay?: string;
}

/**
 * Run the export workflow and wait for it (with an in-process worker when embedded). The catalog
 * URL enters the workflow without its password whoever calls (`sendableInput`).
 */
export async function runExport(
  given: ExportWorkflowInput,
  o: RunOptions,
  say: (line: string) => void,
): Promise<ExportResult & { workflowId: string; uiLink: string; seconds: number }> {
  const input = sendableInput(given);
  const hasPassword = o.catalogHasPassword || urlPassword(given.catalog) !== null;
  const env = readEnv();
  const session = await openTemporal(env, say, o.inProcessWorker ? { inProcessWorker: true } : {});
  try {
    if (hasPassword && !session.runsWorker)
      throw passwordNotSendable(
        input.catalog,
        'the export would run on a worker this command does not control (TEMPORAL_ADDRESS is set; --in-process-worker runs one here)',
      );
    const workflowId = exportWorkflowId(input);
    const uiLink = workflowUiLink(env, workflowId);
    const t0 = Date.now();
    const result = await session.withWorker(async () => {
      const handle = await session.client.workflow.start(exportTableWorkflow, {
        workflowId,
        taskQueue: env.DELTASQL_TASK_QUEUE,
        args: [input],
        workflowIdConflictPolicy: 'USE_EXISTING',
      });
      say(`Export workflow ${workflowId}\nTemporal UI: ${uiLink}`);
      const bar = o.progress ? progressBar(o.json) : progressBar(true);
      // The wait line is shown even with --no-progress: it says why nothing moves.
      const wait = waitLine(process.stderr, !o.json);
      const display = o.catalogDisplay ?? redactUrl(input.catalog);
      const show = (p: ExportProgress): void => {
        if (p.catalogWait) {
          const line = waitingLine(display, p.catalogWait.message, p.catalogWait.attempt);
          if (!bar.status(line)) wait.show(line);
          return;
        }
        wait.show(null);
        bar.update(p);
      };
      let finished = false;
      const poll = (async () => {
        while (!finished) {
          await handle.query(exportProgressQuery).then(show, () => undefined);
          await new Promise((r) => setTimeout(r, 300));
        }
      })();
      try {
        return await handle.result();
      } catch (e) {
        throw unwrapFailure(e);
      } finally {
        finished = true;
        await poll;
        bar.stop();
        wait.stop();
      }
    });
    return { ...result, workflowId, uiLink, seconds: (Date.now() - t0) / 1000 };
  } finally {
    await session.close();
  }
}

export function summaryLines(r: ExportResult, seconds: number): string[] {
  const o = r.outcomes;
  return [
    ...planLines(r.plan),
    `Wrote ${o.created} new file(s), ${o.identical} already identical, ${o.overwritten} overwritten, ${o.kept} existing kept; ` +
      `${r.checkpointsWritten} checkpoint(s) (${r.checkpointBytes} bytes), commits ${r.commitBytes} bytes` +
      `${r.lastCheckpointWritten ? ', _last_checkpoint updated' : ''} in ${seconds.toFixed(1)}s`,
  ];
}

export function register(program: Command): void {
  program
    .command('export')
    .description(
      "Write a table's _delta_log from the catalog (commits byte for byte, checkpoints and .crc from SQL) to DEST; never touches data files",
    )
    .requiredOption('--table <name>', 'catalog table name or id')
    .requiredOption('--to <dest>', 'table root to write _delta_log/ under (path, file://, s3://)')
    .option('--catalog <url>', `catalog URL; default ${DEFAULT_CATALOG_URL} or $DELTASQL_CATALOG`)
    .option('--up-to-version <n>', 'last version to export')
    .option('--from-version <m>', 'first version to export')
    .option(
      '--checkpoint-interval <k>',
      'write a checkpoint every K versions (default: where the source had them)',
    )
    .option('--no-checkpoints', 'write no checkpoints')
    .option(
      '--overwrite',
      'replace existing files that have other bytes (default: VersionConflict for commits)',
    )
    .option('--dry-run', 'list what would be written; writes nothing')
    .option('--format <fmt>', 'human | json')
    .option('--no-progress', 'no progress bar')
    .option('--in-process-worker', 'also run a worker inside this command')
    .option(
      '--catalog-timeout <duration>',
      'how long a catalog that goes away is waited for before the export fails (default 2m)',
    )
    .action(async (raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(raw);
        const input = exportInput(o, o.to as string);
        const say = (line: string): void => void (json ? undefined : process.stderr.write(line + '\n'));
        if (o.dryRun) {
          const plan = await dryRunExport(input);
          if (json) printJson(plan);
          else
            process.stdout.write(
              [...planLines(plan), `Would write ${plan.files.length} file(s) under ${input.dest}`].join(
                '\n',
              ) + '\n',
            );
          return 0;
        }
        const r = await runExport(input, runOptions(o, json), say);
        if (json) printJson(r);
        else process.stdout.write(summaryLines(r, r.seconds).join('\n') + '\n');
        return 0;
      });
    });
}
