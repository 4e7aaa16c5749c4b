/**
 * A worker SIGKILLed in the middle of `catalog migrate` (a real `deltasql worker` process, as
 * deployed): the copy activity's heartbeat times out, a fresh worker takes the retry and resumes
 * right after the last batch that committed. Afterwards `compare` is 0 (row counts and every
 * version's content hash equal: nothing duplicated, nothing lost) and the log diff inside the
 * workflow holds. Needs `npm run build` (the worker runs from dist/).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { generateTable } from '../../bench/generator';
import { openCatalog, openDriver } from '../../catalog/open';
import { stripPassword } from '../../catalog/url';
import { catalogMigrateWorkflow } from '../../workflows/catalog-migrate';
import { dropPgSchema, loadHistory, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { startWorkerProcess, type WorkerProcess } from '../faults/worker-process';
import { TEMPORAL_ADDRESS } from '../support/env';
import { runCli } from '../support/run-cli';

const VERSIONS = 1500;
const TIMEOUT_MS = 400_000;
const workers: WorkerProcess[] = [];
const schema = uniqueSchema('crash');
const dir = tempDir('deltasql-mig-crash-');

afterAll(async () => {
  for (const w of workers) await w.kill();
  await dropPgSchema(schema).catch(() => undefined);
});

async function spawn(taskQueue: string, n: number): Promise<WorkerProcess> {
  const w = await startWorkerProcess({
    taskQueue,
    env: { ...process.env, TEMPORAL_ADDRESS },
    logFile: path.join(dir, `worker-${n}.log`),
  });
  workers.push(w);
  return w;
}

test(
  'SIGKILL of the worker mid-copy: a new worker resumes, nothing duplicated or lost',
  async () => {
    const gen = path.join(dir, 'gen');
    await generateTable({
      dir: gen,
      versions: VERSIONS,
      addsPerVersion: 2,
      removesPerVersion: 1,
      checkpointInterval: 500,
      seed: 7,
    });
    const from = `sqlite:///${dir}/source.db`;
    const src = await openCatalog(from);
    const hist = await loadHistory(gen);
    const t = await src.ensureTable({ location: gen, name: 'gen' });
    for (let i = 0; i < hist.commits.length; i += 500)
      await src.writeVersions(t.tableId, hist.commits.slice(i, i + 500));
    await src.close();
    const to = stripPassword(pgUrl(schema));

    const taskQueue = `migrate-crash-${randomUUID()}`;
    const connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
    try {
      const client = new Client({ connection });
      let worker = await spawn(taskQueue, 0);
      const handle = await client.workflow.start(catalogMigrateWorkflow, {
        taskQueue,
        workflowId: `migrate-crash-${randomUUID()}`,
        args: [{ from, to, parallelism: 1, batchSize: 120, logDiff: 'latest' }],
      });
      // Kill once some batches are in the target, well before the last one.
      const dst = await openDriver(pgUrl(schema));
      let reached = -1;
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline) {
        const r = await dst
          .query(`SELECT last_version FROM {T:dl_tables} WHERE table_id = ?`, [t.tableId])
          .catch(() => []);
        reached = r[0]?.last_version == null ? -1 : Number(r[0].last_version);
        if (reached >= 100) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      await worker.kill();
      const atKill = Number(
        (await dst.query(`SELECT last_version FROM {T:dl_tables} WHERE table_id = ?`, [t.tableId]))[0]
          .last_version,
      );
      expect(atKill).toBeGreaterThanOrEqual(100);
      expect(atKill).toBeLessThan(VERSIONS - 1);
      await dst.close();

      worker = await spawn(taskQueue, 1);
      const result = await handle.result();
      expect(result.tables).toEqual([
        expect.objectContaining({
          name: 'gen',
          copy: expect.objectContaining({ lastVersion: VERSIONS - 1 }),
          validation: expect.objectContaining({ equal: true, lastVersion: VERSIONS - 1 }),
          log: expect.objectContaining({ status: 'parity' }),
        }),
      ]);
      // The resumed copy started after the batches the killed worker committed.
      expect(result.tables[0].copy.rows).toBeLessThan(
        hist.commits.reduce((n, c) => n + c.actions.length + 1, 0),
      );
      await worker.stop();
    } finally {
      await connection.close();
    }
    const c = await runCli(['catalog', 'compare', '--from', from, '--to', pgUrl(schema), '--format', 'json']);
    expect(c.code).toBe(0);
    const report = JSON.parse(c.stdout);
    const rows = report.tables[0].target.rows;
    expect(rows.dl_table_versions).toBe(VERSIONS);
    expect(rows.dl_add_files).toBe(
      hist.commits.reduce((n, cm) => n + cm.actions.filter((a) => a.type === 'add').length, 0),
    );
  },
  TIMEOUT_MS,
);
