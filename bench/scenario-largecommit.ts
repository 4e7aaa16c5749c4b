/**
 * A commit of more than 600 MB (issue 14: CONVERT TO DELTA or a first CTAS over many files of a
 * wide table) imported through the real pipeline into PostgreSQL and SQLite, each on a fresh
 * worker process whose peak RSS (VmHWM) is its figure. Before the streamed single-version write
 * (catalog/version-stream.ts) such an import peaked at 3.3 GB; the commit is read line by line and
 * written in bounded chunks inside one transaction now. These runs skip validation (their figure is
 * the import alone); the validated runs and the >600 MB JSON checkpoint follow
 * (bench/scenario-largevalidate.ts). The table is generated fresh
 * (a few seconds) in a RAM disk when there is one, and deleted afterwards. Each import is then
 * exported back (the export workflow on a fresh worker: the commit streamed from SQL, verified
 * by sha256) with that worker's peak RSS, next to `cp` of the same file.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeLargeCommitTable } from './large-commit';
import { exportLargeCommit, type LargeExportRun } from './large-commit-export';
import {
  type LargeValidateResult,
  type ValidatedRun,
  jsonCheckpointRuns,
  validatedCommitRuns,
} from './scenario-largevalidate';
import { importRunner } from './import-runner';
import { round } from './measure';
import { dropSchema, withSchema } from './pg-admin';
import { startWorker } from './worker-process';

const MIN_BYTES = 610 * 1024 * 1024;

export interface LargeCommitRun {
  engine: 'postgres' | 'sqlite';
  seconds: number;
  mbPerSecond: number;
  peakRssMB: number | null;
  /** `deltasql export` of the imported commit back to a folder (bench/large-commit-export.ts). */
  export: LargeExportRun;
}

export interface LargeCommitResult {
  commitMB: number;
  adds: number;
  generateSeconds: number;
  runs: LargeCommitRun[];
  /** With validation (by path ranges, and whole for the before figure): bench/scenario-largevalidate.ts. */
  validatedRuns: ValidatedRun[];
  /** The >600 MB V2 JSON checkpoint imported checkpoint-only. */
  jsonCheckpoint: LargeValidateResult;
}

export async function largeCommitScenario(opts: {
  root: string;
  dbUrl: string;
  temporalAddress: string;
  log: (line: string) => void;
}): Promise<LargeCommitResult> {
  const scratch = fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir();
  const dir = fs.mkdtempSync(path.join(scratch, 'deltasql-bench-largecommit-'));
  const schema = `bench_largecommit_${process.pid}`;
  try {
    const t0 = Date.now();
    const gen = writeLargeCommitTable(path.join(dir, 'table'), MIN_BYTES);
    const generateSeconds = round((Date.now() - t0) / 1000, 1);
    const commitMB = round(gen.commitBytes / 2 ** 20, 1);
    opts.log(`   generated a ${commitMB} MiB commit (${gen.files} adds) in ${generateSeconds} s`);
    const runs: LargeCommitRun[] = [];
    const catalogs = [
      ['postgres', withSchema(opts.dbUrl, schema)],
      ['sqlite', `sqlite:///${path.join(dir, 'catalog.db')}`],
    ] as const;
    for (const [engine, catalog] of catalogs) {
      const worker = await startWorker({
        root: opts.root,
        taskQueue: `bench-largecommit-${engine}-${process.pid}`,
        temporalAddress: opts.temporalAddress,
        catalogs: [catalog],
      });
      const runner = await importRunner(opts.temporalAddress, worker.taskQueue, worker.exited);
      try {
        const r = await runner.run({
          source: path.join(dir, 'table'),
          catalog,
          name: 'largecommit',
          mode: 'full-history',
          batchSize: 20_000,
          actionsPerActivity: 1_000_000,
          skipValidation: true,
        });
        if (r.result.counts.add !== gen.files + gen.added) {
          throw new Error(
            `largecommit ${engine}: imported ${r.result.counts.add} adds, expected ${gen.files + gen.added}`,
          );
        }
        const imported = {
          seconds: round(r.seconds, 1),
          mbPerSecond: round(gen.commitBytes / 2 ** 20 / r.seconds, 1),
          peakRssMB: worker.peakRssMB(),
        };
        opts.log(
          `   ${engine}: import ${imported.seconds} s (${imported.mbPerSecond} MiB/s), worker peak RSS ${imported.peakRssMB} MB`,
        );
        await runner.close();
        await worker.stop();
        const exported = await exportLargeCommit({
          root: opts.root,
          temporalAddress: opts.temporalAddress,
          engine,
          catalog,
          table: 'largecommit',
          source: path.join(dir, 'table'),
          dest: path.join(dir, `export-${engine}`),
          commitBytes: gen.commitBytes,
          sha256: gen.commitSha256,
        });
        opts.log(
          `   ${engine}: export ${exported.seconds} s (${exported.mbPerSecond} MiB/s, cp ${exported.cpSeconds} s), worker peak RSS ${exported.peakRssMB} MB`,
        );
        runs.push({ engine, ...imported, export: exported });
        fs.rmSync(path.join(dir, `export-${engine}`), { recursive: true, force: true });
      } finally {
        await runner.close().catch(() => undefined);
        await worker.stop();
      }
    }
    const ctx = { ...opts, dir };
    const validatedRuns = await validatedCommitRuns(ctx, path.join(dir, 'table'), gen.files + gen.added);
    const jsonCheckpoint = await jsonCheckpointRuns(ctx);
    return { commitMB, adds: gen.files, generateSeconds, runs, validatedRuns, jsonCheckpoint };
  } finally {
    await dropSchema(opts.dbUrl, schema).catch(() => undefined);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
