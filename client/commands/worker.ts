/**
 * `deltasql worker`: a long-running import worker. Graceful on SIGINT/SIGTERM: in-flight
 * activities get --shutdown-grace to finish (their versions are atomic either way).
 * --heap-growth: V8 lets old space grow up to ~4x the live heap between full GCs, so a worker
 * streaming a 1M-file checkpoint (little live data, lots of short-lived rows) peaked near 750 MB
 * RSS; growing by 100 % collects sooner (peak ~450 MB, about 1 s slower). It caps nothing:
 * large imports and validations still get all the heap they need.
 */
import * as v8 from 'node:v8';
import type { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { localTemporalAddress, readEnv } from '../../common/config';
import { DeltaSqlError } from '../../common/errors';
import { createImportWorker, installQuietRuntime } from '../../workers/worker';
import { runAction } from '../output';

/** Old-space growth per full GC, in percent of the live heap (V8's own factor is up to 300 %). */
const DEFAULT_HEAP_GROWTH_PERCENT = 100;
const MAX_HEAP_GROWTH_PERCENT = 1000;

const OptionsSchema = z.object({
  taskQueue: z.string().min(1).optional(),
  maxActivities: z.coerce.number().int().positive().default(4),
  maxWorkflows: z.coerce.number().int().positive().default(40),
  shutdownGrace: z
    .string()
    .regex(/^\d+(ms|s|m)$/)
    .default('30s'),
  heapGrowth: z.coerce
    .number()
    .int()
    .min(0)
    .max(MAX_HEAP_GROWTH_PERCENT)
    .default(DEFAULT_HEAP_GROWTH_PERCENT),
});

export function register(program: Command): void {
  program
    .command('worker')
    .description('Run an import worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DELTASQL_TASK_QUEUE)')
    .option('--task-queue <name>', 'task queue (default $DELTASQL_TASK_QUEUE or deltasql-import)')
    .option('--max-activities <n>', 'concurrent activities')
    .option('--max-workflows <n>', 'concurrent workflow tasks')
    .option('--shutdown-grace <duration>', 'e.g. 30s')
    .option(
      '--heap-growth <percent>',
      `old-space growth between full GCs, % of live heap (default ${DEFAULT_HEAP_GROWTH_PERCENT}; 0 = V8's own)`,
    )
    .action(async (raw: Record<string, unknown>) => {
      await runAction(false, async () => {
        const parsed = OptionsSchema.safeParse(raw);
        if (!parsed.success)
          throw new DeltaSqlError('InvalidArgument', parsed.error.issues.map((i) => i.message).join('; '));
        const o = parsed.data;
        const env = readEnv();
        // Read by V8 at every full GC, so setting it now takes effect for the whole run.
        if (o.heapGrowth > 0) v8.setFlagsFromString(`--heap-growing-percent=${o.heapGrowth}`);
        installQuietRuntime();
        const address = env.TEMPORAL_ADDRESS ?? localTemporalAddress(env);
        const connection = await NativeConnection.connect({ address }).catch((e: Error) => {
          throw new DeltaSqlError('TemporalUnavailable', `cannot reach Temporal at ${address}: ${e.message}`);
        });
        const taskQueue = o.taskQueue ?? env.DELTASQL_TASK_QUEUE;
        const { worker, close } = await createImportWorker({
          connection,
          namespace: env.TEMPORAL_NAMESPACE,
          taskQueue,
          maxConcurrentActivityTaskExecutions: o.maxActivities,
          maxConcurrentWorkflowTaskExecutions: o.maxWorkflows,
          shutdownGraceTime: o.shutdownGrace,
        });
        process.stderr.write(
          `deltasql worker polling ${taskQueue} on ${address} (namespace ${env.TEMPORAL_NAMESPACE})\n`,
        );
        try {
          await worker.run();
        } finally {
          await close();
          await connection.close();
        }
        return 0;
      });
    });
}
