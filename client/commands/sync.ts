/**
 * `deltasql sync …`: keep a catalog table in step with a live Delta table, either with a Temporal
 * Schedule (`schedule`, then `list|describe|pause|unpause|trigger|delete`) or with a long-running
 * follow workflow (`follow`, then `status|stop`). Logic lives in client/sync-client.ts.
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { DEFAULT_CATALOG_URL, readEnv, type DeltaSqlEnv } from '../../common/config';
import { urlPassword } from '../../catalog/url';
import { passwordNotSendable } from '../../common/credentials';
import type { FollowStatus } from '../../workflows/sync-types';
import { absoluteCatalog, unwrapFailure } from '../import-client';
import { parseOptions, printJson, runAction } from '../output';
import {
  createSyncSchedule,
  describeSyncSchedule,
  followStatus,
  listSyncSchedules,
  parseDuration,
  resolveFollowId,
  resolveScheduleId,
  scheduleOp,
  startFollow,
  stopFollow,
  syncInput,
  type ScheduleDetails,
  type ScheduleOp,
  type ScheduleRow,
} from '../sync-client';
import { openTemporal, type TemporalSession } from '../temporal';

const DEFAULT_EVERY = '5m';
const DEFAULT_POLL_INTERVAL = '500ms';
const MIN_SCHEDULE_INTERVAL_MS = 1_000;
const MIN_POLL_INTERVAL_MS = 50;
/** How often the foreground `follow` refreshes its status line. */
const WATCH_MS = 1_000;

const Common = z.object({
  catalog: z.string().min(1).optional(),
  format: z.enum(['human', 'json']).default('human'),
});
const ImportKnobs = Common.extend({
  name: z.string().min(1).optional(),
  mode: z.enum(['full-history', 'checkpoint-only', 'fast']).default('full-history'),
  skipValidation: z.boolean().default(false),
  catalogTimeout: z.string().default('2m'),
});
const ScheduleOptions = ImportKnobs.extend({
  every: z.string().default(DEFAULT_EVERY),
  paused: z.boolean().default(false),
});
const FollowOptions = ImportKnobs.extend({
  pollInterval: z.string().default(DEFAULT_POLL_INTERVAL),
  wait: z.boolean().default(true),
});

const catalogOf = (o: { catalog?: string }, env: DeltaSqlEnv): string =>
  o.catalog ?? env.DELTASQL_CATALOG ?? DEFAULT_CATALOG_URL;

const say = (json: boolean) => (line: string) => void (json ? undefined : process.stderr.write(line + '\n'));

/** Open Temporal, run `fn`, always close. */
async function withSession<T>(
  json: boolean,
  fn: (s: TemporalSession, env: DeltaSqlEnv) => Promise<T>,
): Promise<T> {
  const env = readEnv();
  const session = await openTemporal(env, say(json));
  try {
    return await fn(session, env);
  } finally {
    await session.close();
  }
}

function inputFrom(source: string, o: z.infer<typeof ImportKnobs>, env: DeltaSqlEnv) {
  return syncInput({
    source,
    catalog: catalogOf(o, env),
    name: o.name,
    mode: o.mode === 'full-history' ? 'full-history' : 'checkpoint-only',
    skipValidation: o.skipValidation,
    catalogTimeoutMs: parseDuration('--catalog-timeout', o.catalogTimeout, 1000),
  });
}

export function register(program: Command): void {
  const sync = program
    .command('sync')
    .description('Keep catalog tables in sync with live Delta tables (Temporal Schedules or follow mode)');

  const importFlags = (c: Command): Command =>
    c
      .option('--catalog <url>', `catalog URL; default ${DEFAULT_CATALOG_URL} or $DELTASQL_CATALOG`)
      .option('--name <name>', 'catalog table name (default: last segment of the source)')
      .option('--mode <mode>', 'first import: full-history | checkpoint-only (alias: fast)')
      .option('--skip-validation', 'do not compare the catalog with the log after each round')
      .option('--catalog-timeout <duration>', 'how long an unreachable catalog is waited for (default 2m)')
      .option('--format <fmt>', 'human | json');

  importFlags(
    sync
      .command('schedule')
      .description('Create a Temporal Schedule (overlap SKIP) that imports new versions every interval')
      .argument('<table-uri>', 'Delta table URI'),
  )
    .option('--every <duration>', `interval, e.g. 30s, 5m, 1h (default ${DEFAULT_EVERY})`)
    .option('--paused', 'create the schedule paused')
    .action(async (source: string, raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(ScheduleOptions, raw);
        const everyMs = parseDuration('--every', o.every, MIN_SCHEDULE_INTERVAL_MS);
        await withSession(json, async (s, env) => {
          if (urlPassword(absoluteCatalog(catalogOf(o, env))) !== null)
            throw passwordNotSendable(catalogOf(o, env), 'scheduled rounds run on the workers, later');
          const input = inputFrom(source, o, env);
          const { scheduleId } = await createSyncSchedule(s.client, env, input, everyMs, {
            paused: o.paused,
          });
          const d = await describeSyncSchedule(s.client, env, scheduleId);
          if (json) printJson(d);
          else
            process.stdout.write(
              `Created sync schedule ${scheduleId} for "${input.name}" every ${o.every}\n${d.uiLink}\n`,
            );
          if (s.target.embedded)
            say(json)('note: scheduled rounds need a running worker: start one with `deltasql worker`.');
        });
      });
    });

  sync
    .command('list')
    .description('List sync schedules')
    .option('--format <fmt>', 'human | json')
    .action(async (raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        parseOptions(Common, raw);
        await withSession(json, async (s) => {
          const rows = await listSyncSchedules(s.client);
          if (json) printJson(rows);
          else process.stdout.write(renderList(rows));
        });
      });
    });

  sync
    .command('describe')
    .description('Show one sync schedule: interval, state, recent and running rounds')
    .argument('<name-or-schedule-id>')
    .option('--catalog <url>', 'catalog URL (to find the schedule by table name)')
    .option('--format <fmt>', 'human | json')
    .action(async (ref: string, raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(Common, raw);
        await withSession(json, async (s, env) => {
          const d = await describeSyncSchedule(s.client, env, resolveScheduleId(ref, catalogOf(o, env)));
          if (json) printJson(d);
          else process.stdout.write(renderDetails(d));
        });
      });
    });

  for (const op of ['pause', 'unpause', 'trigger', 'delete'] as const) {
    sync
      .command(op)
      .description(opDescription[op])
      .argument('<name-or-schedule-id>')
      .option('--catalog <url>', 'catalog URL (to find the schedule by table name)')
      .option('--note <text>', 'note recorded on the schedule (pause/unpause)')
      .option('--format <fmt>', 'human | json')
      .action(async (ref: string, raw: Record<string, unknown>) => {
        const json = raw.format === 'json';
        await runAction(json, async () => {
          const o = parseOptions(Common.extend({ note: z.string().optional() }), raw);
          await withSession(json, async (s, env) => {
            const id = resolveScheduleId(ref, catalogOf(o, env));
            await scheduleOp(s.client, id, op as ScheduleOp, o.note);
            if (json) printJson({ scheduleId: id, op });
            else process.stdout.write(`${opDone[op]} ${id}\n`);
          });
        });
      });
  }

  importFlags(
    sync
      .command('follow')
      .description('Follow a live table: poll its log and import new versions as they appear')
      .argument('<table-uri>', 'Delta table URI'),
  )
    .option('--poll-interval <duration>', `pause between looks at the log (default ${DEFAULT_POLL_INTERVAL})`)
    .option('--no-wait', 'start (or find) the follow workflow, print its id and exit')
    .action(async (source: string, raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(FollowOptions, raw);
        const pollIntervalMs = parseDuration('--poll-interval', o.pollInterval, MIN_POLL_INTERVAL_MS);
        await withSession(json, async (s, env) => {
          if (urlPassword(catalogOf(o, env)) !== null && !(s.runsWorker && o.wait))
            throw passwordNotSendable(
              catalogOf(o, env),
              'the follow workflow would run on workers this command does not control',
            );
          const input = inputFrom(source, o, env);
          const f = await startFollow(s.client, env, input, { pollIntervalMs });
          say(json)(
            f.attached
              ? `"${input.name}" is already followed: attaching to ${f.workflowId}`
              : `Started follow workflow ${f.workflowId}`,
          );
          say(json)(`Temporal UI: ${f.uiLink}`);
          if (!o.wait) {
            if (json) printJson({ workflowId: f.workflowId, attached: f.attached, uiLink: f.uiLink });
            else process.stdout.write(`${f.workflowId}\n${f.uiLink}\n`);
            return;
          }
          const final = await s.withWorker(() => watchFollow(s, f.workflowId, json));
          if (json) printJson(final);
          else process.stdout.write(statusLine(final) + '\n');
        });
      });
    });

  sync
    .command('status')
    .description('Query a follow workflow: imported version, lag, rounds')
    .argument('<name-or-workflow-id>')
    .option('--catalog <url>', 'catalog URL (to find the follow workflow by table name)')
    .option('--format <fmt>', 'human | json')
    .action(async (ref: string, raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(Common, raw);
        await withSession(json, async (s, env) => {
          const st = await followStatus(s.client, resolveFollowId(ref, catalogOf(o, env)));
          if (json) printJson(st);
          else process.stdout.write(statusLine(st) + '\n');
        });
      });
    });

  sync
    .command('stop')
    .description('Stop a follow workflow after its current round')
    .argument('<name-or-workflow-id>')
    .option('--catalog <url>', 'catalog URL (to find the follow workflow by table name)')
    .option('--format <fmt>', 'human | json')
    .action(async (ref: string, raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(Common, raw);
        await withSession(json, async (s, env) => {
          const id = resolveFollowId(ref, catalogOf(o, env));
          await stopFollow(s.client, id);
          if (json) printJson({ workflowId: id, stopping: true });
          else process.stdout.write(`Asked ${id} to stop\n`);
        });
      });
    });
}

const opDescription: Record<ScheduleOp, string> = {
  pause: 'Pause a sync schedule (no new rounds until unpaused)',
  unpause: 'Resume a paused sync schedule',
  trigger: 'Run one sync round now (skipped if one is running)',
  delete: 'Delete a sync schedule (the catalog table stays)',
};
const opDone: Record<ScheduleOp, string> = {
  pause: 'Paused',
  unpause: 'Unpaused',
  trigger: 'Triggered',
  delete: 'Deleted',
};

/** Foreground follow: print a line when something changes; Ctrl-C asks the workflow to stop. */
async function watchFollow(s: TemporalSession, workflowId: string, json: boolean): Promise<FollowStatus> {
  const handle = s.client.workflow.getHandle(workflowId);
  const onSigint = (): void => {
    say(json)('stopping after the current round… (Ctrl-C again to leave it running)');
    process.removeListener('SIGINT', onSigint);
    process.once('SIGINT', () => process.exit(130));
    void stopFollow(s.client, workflowId).catch(() => undefined);
  };
  process.on('SIGINT', onSigint);
  let done = false;
  let last = '';
  const watch = (async () => {
    while (!done) {
      try {
        const line = statusLine(await followStatus(s.client, workflowId));
        if (line !== last) say(json)(line);
        last = line;
      } catch {
        /* between runs (continue-as-new) */
      }
      await new Promise((r) => setTimeout(r, WATCH_MS));
    }
  })();
  try {
    return (await handle.result()) as FollowStatus;
  } catch (e) {
    throw unwrapFailure(e);
  } finally {
    done = true;
    process.removeListener('SIGINT', onSigint);
    await watch;
  }
}

function statusLine(st: FollowStatus): string {
  const lag = st.lagSeconds === null ? '-' : `${st.lagSeconds.toFixed(1)}s`;
  const wall = st.wallLag.p95Seconds === null ? '-' : `${st.wallLag.p95Seconds.toFixed(2)}s`;
  return (
    `${st.name}: imported ${st.importedVersion ?? '-'} / source ${st.sourceVersion ?? '-'}, lag ${lag}, ` +
    `wall lag p95 ${wall}, rounds ${st.rounds}${st.busyRounds ? ` (waited ${st.busyRounds}× for another import)` : ''}` +
    (st.stopping ? ', stopping' : '')
  );
}

function renderList(rows: ScheduleRow[]): string {
  if (rows.length === 0) return 'No sync schedules.\n';
  return (
    rows
      .map(
        (r) =>
          `${r.scheduleId}  ${r.table ?? '?'}  every ${r.everySeconds ?? '?'}s  ${r.paused ? 'PAUSED' : 'active'}` +
          `  next ${r.nextActionAt ?? '-'}  source ${r.source ?? '?'}`,
      )
      .join('\n') + '\n'
  );
}

function renderDetails(d: ScheduleDetails): string {
  return [
    `${d.scheduleId}`,
    `  table:        ${d.table ?? '?'} (catalog ${d.catalog ?? '?'})`,
    `  source:       ${d.source ?? '?'}`,
    `  every:        ${d.everySeconds ?? '?'}s, overlap ${d.overlap}, pause on failure ${d.pauseOnFailure}`,
    `  state:        ${d.paused ? 'PAUSED' : 'active'}${d.note ? ` (${d.note})` : ''}`,
    `  rounds:       ${d.actionsTaken} taken, ${d.skippedOverlap} skipped (overlap), running: ${d.running.join(', ') || 'none'}`,
    `  next:         ${d.nextActionAt ?? '-'}`,
    ...d.recent.map((r) => `  recent:       ${r.takenAt} ${r.workflowId}`),
    `  ui:           ${d.uiLink}`,
    '',
  ].join('\n');
}
