/**
 * `deltasql cancel <table>`: cancel the running import and/or follow workflow of one catalog table.
 * Cancellation reaches activities through their heartbeats; the import workflow then records
 * `cancelled` in dl_import_runs. In embedded mode this command runs a worker while it waits, so
 * the cancellation is processed even when the CLI that started the import is gone.
 */
import type { Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { z } from 'zod';
import { DEFAULT_CATALOG_URL, readEnv } from '../../common/config';
import { DeltaSqlError } from '../../common/errors';
import { redactUrl, stripPassword } from '../../catalog/url';
import { absoluteCatalog, importWorkflowId } from '../import-client';
import { printJson, runAction } from '../output';
import { followWorkflowId, parseDuration } from '../sync-client';
import { openTemporal } from '../temporal';

const OptionsSchema = z.object({
  catalog: z.string().min(1).optional(),
  wait: z.string().default('30s'),
  format: z.enum(['human', 'json']).default('human'),
});

export interface CancelledWorkflow {
  kind: 'import' | 'follow';
  workflowId: string;
  /** Status after waiting: CANCELLED once the workflow has wound down, else still RUNNING. */
  status: string;
}

export function register(program: Command): void {
  program
    .command('cancel')
    .description("Cancel a table's running import or follow workflow")
    .argument('<table>', 'catalog table name')
    .option('--catalog <url>', `catalog URL or name; default ${DEFAULT_CATALOG_URL} or $DELTASQL_CATALOG`)
    .option('--wait <duration>', 'how long to wait for the workflow to wind down (default 30s)')
    .option('--format <fmt>', 'human | json')
    .action(async (table: string, raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const parsed = OptionsSchema.safeParse(raw);
        if (!parsed.success)
          throw new DeltaSqlError('InvalidArgument', parsed.error.issues.map((i) => i.message).join('; '));
        const o = parsed.data;
        const waitMs = parseDuration('--wait', o.wait, 0);
        const env = readEnv();
        const catalog = stripPassword(
          absoluteCatalog(o.catalog ?? env.DELTASQL_CATALOG ?? DEFAULT_CATALOG_URL),
        );
        const say = (line: string): void => void (json ? undefined : process.stderr.write(line + '\n'));
        const session = await openTemporal(env, say);
        try {
          const candidates = [
            { kind: 'import' as const, workflowId: importWorkflowId(catalog, table) },
            { kind: 'follow' as const, workflowId: followWorkflowId(catalog, table) },
          ];
          const running: (CancelledWorkflow & { handle: WorkflowHandle })[] = [];
          for (const c of candidates) {
            const h = session.client.workflow.getHandle(c.workflowId);
            const d = await h.describe().catch(() => null);
            if (d?.status.name !== 'RUNNING') continue;
            await h.cancel();
            running.push({ ...c, status: 'RUNNING', handle: h });
          }
          if (running.length === 0) {
            throw new DeltaSqlError(
              'InvalidArgument',
              `nothing is running for table "${table}" in catalog ${redactUrl(catalog)}`,
            );
          }
          const out: CancelledWorkflow[] = await session.withWorker(async () => {
            const deadline = new Promise((r) => setTimeout(r, waitMs).unref());
            await Promise.race([
              Promise.all(running.map((r) => r.handle.result().catch(() => undefined))),
              deadline,
            ]);
            return Promise.all(
              running.map(async (r) => ({
                kind: r.kind,
                workflowId: r.workflowId,
                status: (await r.handle.describe()).status.name,
              })),
            );
          });
          if (json) printJson(out);
          else for (const r of out) process.stdout.write(`${r.kind} workflow ${r.workflowId}: ${r.status}\n`);
          return out.every((r) => r.status === 'CANCELLED') ? 0 : 1;
        } finally {
          await session.close();
        }
      });
    });
}
