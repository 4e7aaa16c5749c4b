/**
 * The publisher survives worker crashes: the worker runs as its own process (`deltasql worker`)
 * and is SIGKILLed 5 times while it publishes 120 committed versions in small batches. Afterwards
 * the log holds every version exactly once (0..120, no gap, each file the catalog's bytes), no
 * file that existed at a kill was rewritten (same inode and mtime), and the checkpoint at 100 is
 * there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openCatalog } from '../../api';
import { PublisherClient } from '../../api/publisher-client';
import { createTable } from '../../catalog/commit/create';
import { openStore } from '../../storage/uri';
import { sqliteUrl, tempDir } from '../catalog/helpers';
import { TEMPORAL_ADDRESS } from '../support/env';
import { startWorkerProcess, type WorkerProcess } from '../faults/worker-process';
import { SCHEMA } from './helpers';

jest.setTimeout(240_000);

const VERSIONS = 120;
const KILLS = 5;

const logFiles = (dir: string): string[] =>
  fs
    .readdirSync(dir)
    .filter((f) => /^\d{20}\.json$/.test(f))
    .sort();

test('SIGKILL the worker 5 times while publishing: complete log, no gap, no rewritten file', async () => {
  const dir = tempDir('deltasql-crash-');
  const location = path.join(dir, 'crash');
  fs.mkdirSync(location);
  const url = sqliteUrl(dir);
  const taskQueue = `sqlprim-crash-${Date.now()}`;
  const cat = await openCatalog(url, { temporal: null });
  let worker: WorkerProcess | null = null;
  const publisher = new PublisherClient({ address: TEMPORAL_ADDRESS, taskQueue }, url, {
    maxVersions: 4,
    heartbeatTimeoutMs: 2000,
  });
  try {
    await createTable(cat.store.driver, openStore(location), { name: 'crash', location, schema: SCHEMA });
    const t = await cat.table('crash');
    for (let v = 0; v < VERSIONS; v++) {
      await t.commit({ readVersion: v, actions: [{ add: { path: `p${v}.parquet`, size: 10 + v } }] });
    }
    await publisher.notify('crash');
    const logDir = path.join(location, '_delta_log');
    const env = { ...process.env, TEMPORAL_ADDRESS };
    const seen = new Map<string, { ino: number; mtimeMs: number }>();
    const spawn = async (n: number): Promise<WorkerProcess> =>
      startWorkerProcess({ taskQueue, env, logFile: path.join(dir, `worker-${n}.log`) });
    for (let k = 0; k < KILLS; k++) {
      worker = await spawn(k);
      const before = fs.existsSync(logDir) ? logFiles(logDir).length : 0;
      const deadline = Date.now() + 60_000;
      while ((fs.existsSync(logDir) ? logFiles(logDir).length : 0) < before + 8 && Date.now() < deadline)
        await sleep(25);
      await worker.kill();
      for (const f of logFiles(logDir)) {
        const st = fs.statSync(path.join(logDir, f));
        if (!seen.has(f)) seen.set(f, { ino: st.ino, mtimeMs: st.mtimeMs });
      }
    }
    expect(seen.size).toBeLessThan(VERSIONS + 1); // the kills happened mid-publishing
    worker = await spawn(KILLS);
    const deadline = Date.now() + 120_000;
    while ((await t.state()).publishedVersion !== VERSIONS) {
      if (Date.now() > deadline) throw new Error(`published ${(await t.state()).publishedVersion}`);
      await sleep(200);
    }
    await worker.stop();
    worker = null;
    const files = logFiles(logDir);
    expect(files).toEqual(
      Array.from({ length: VERSIONS + 1 }, (_, v) => `${String(v).padStart(20, '0')}.json`),
    );
    for (const [v, f] of files.entries()) {
      expect(
        fs.readFileSync(path.join(logDir, f)).equals((await cat.store.commitBytes('crash', v)) as Buffer),
      ).toBe(true);
    }
    for (const [f, st] of seen) {
      const now = fs.statSync(path.join(logDir, f));
      expect({ f, ino: now.ino, mtimeMs: now.mtimeMs }).toEqual({ f, ...st });
    }
    expect(fs.existsSync(path.join(logDir, `${String(100).padStart(20, '0')}.checkpoint.parquet`))).toBe(
      true,
    );
    expect(fs.readdirSync(logDir).filter((f) => f.startsWith('.') || f.includes('.tmp'))).toEqual([]);
  } finally {
    await worker?.kill();
    await publisher.close();
    await cat.close();
  }
});
