/**
 * The export half of `--only=largecommit`: `deltasql export` of the imported >600 MB commit, run
 * as the export workflow on a fresh worker process (its VmHWM is the figure), then checked
 * outside the timing: the exported commit's sha256 must be the source's. Next to it, `cp` of
 * the same file on the same disk, the floor for writing those bytes.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { readEnv } from '../common/config';
import { sendableInput } from '../common/credentials';
import { exportTableWorkflow } from '../workflows';
import { sha256File } from './large-commit';
import { round, timed } from './measure';
import { startWorker } from './worker-process';

export interface LargeExportRun {
  seconds: number;
  mbPerSecond: number;
  peakRssMB: number | null;
  /** `cp` of the same commit file on the same disk, seconds. */
  cpSeconds: number;
}

const COMMIT0 = path.join('_delta_log', '00000000000000000000.json');

/** Export `table` of `catalog` to `dest` on a fresh worker; checks the commit against `sha256`. */
export async function exportLargeCommit(opts: {
  root: string;
  temporalAddress: string;
  engine: string;
  catalog: string;
  table: string;
  source: string;
  dest: string;
  commitBytes: number;
  sha256: string;
}): Promise<LargeExportRun> {
  const worker = await startWorker({
    root: opts.root,
    taskQueue: `bench-largecommit-export-${opts.engine}-${process.pid}`,
    temporalAddress: opts.temporalAddress,
    catalogs: [opts.catalog],
  });
  const connection = await Connection.connect({ address: opts.temporalAddress });
  try {
    const client = new Client({ connection, namespace: readEnv().TEMPORAL_NAMESPACE });
    const run = await timed(async () => {
      const handle = await client.workflow.start(exportTableWorkflow, {
        taskQueue: worker.taskQueue,
        workflowId: `bench-largecommit-export-${opts.engine}-${randomUUID()}`,
        args: [
          sendableInput({
            catalog: opts.catalog,
            table: opts.table,
            dest: opts.dest,
            overwrite: false,
            checkpointInterval: 0,
          }),
        ],
      });
      const died = worker.exited.then(async (why) => {
        await handle.terminate(`deltasql bench: ${why}`).catch(() => undefined);
        throw new Error(why);
      });
      return Promise.race([handle.result(), died]);
    });
    const peakRssMB = worker.peakRssMB();
    if (run.value.outcomes.created !== 4) {
      throw new Error(
        `largecommit export ${opts.engine}: ${JSON.stringify(run.value.outcomes)}, expected 4 created`,
      );
    }
    const got = sha256File(path.join(opts.dest, COMMIT0));
    if (got !== opts.sha256)
      throw new Error(`largecommit export ${opts.engine}: sha256 ${got} != ${opts.sha256}`);
    const cpTo = path.join(opts.dest, 'cp-reference.json');
    const cp = await timed(async () => execFileSync('cp', [path.join(opts.source, COMMIT0), cpTo]));
    fs.rmSync(cpTo, { force: true });
    return {
      seconds: round(run.seconds, 1),
      mbPerSecond: round(opts.commitBytes / 2 ** 20 / run.seconds, 1),
      peakRssMB,
      cpSeconds: round(cp.seconds, 2),
    };
  } finally {
    await connection.close();
    await worker.stop();
  }
}
