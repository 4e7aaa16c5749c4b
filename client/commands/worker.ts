/**
 * `deltasql worker`: a long-running import worker. Graceful on SIGINT/SIGTERM: in-flight
 * activities get --shutdown-grace to finish (their versions are atomic either way).
 */
import type { Command } from 'commander';
import { NativeConnection } from '@temporalio/worker';
import { z } from 'zod';
import { localTemporalAddress, readEnv } from '../../common/config';
import { DeltaSqlError } from '../../common/errors';
import { createImportWorker, installQuietRuntime } from '../../workers/worker';
import { runAction } from '../output';

const OptionsSchema = z.object({
  taskQueue: z.string().min(1).optional(),
  maxActivities: z.coerce.number().int().positive().default(4),
  maxWorkflows: z.coerce.number().int().positive().default(40),
  shutdownGrace: z
    .string()
    .regex(/^\d+(ms|s|m)$/)
    .default('30s'),
});

export function register(program: Command): void {
  program
    .command('worker')
    .description('Run an import worker (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, DELTASQL_TASK_QUEUE)')
    .option('--task-queue <name>', 'task queue (default $DELTASQL_TASK_QUEUE or deltasql-import)')
    .option('--max-activities <n>', 'concurrent activities')
    .option('--max-workflows <n>', 'concurrent workflow tasks')
    .option('--shutdown-grace <duration>', 'e.g. 30s')
    .action(async (raw: Record<string, unknown>) => {
      await runAction(false, async () => {
        const parsed = OptionsSchema.safeParse(raw);
        if (!parsed.success)
          throw new DeltaSqlError('InvalidArgument', parsed.error.issues.map((i) => i.message).join('; '));
        const o = parsed.data;
        const env = readEnv();
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
