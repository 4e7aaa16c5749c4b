/**
 * Formats (issue 19), each side by side with the independent tool that does the same job, run
 * interleaved (bench/interleave.ts):
 *
 * - **Parquet -> Delta.** `deltasql convert DIR --to delta` (the Temporal workflow, one worker
 *   process, footer batches) against delta-rs `convert_to_deltalake` on the same Hive-partitioned
 *   folder of small pyarrow files. The headline is footer reads per second (files / our seconds).
 *   Correctness: both logs hold the same paths with the same numRecords (read by delta-rs).
 * - **Delta -> Iceberg.** `deltasql convert TABLE --to iceberg` against pyiceberg's own `add_files`
 *   of the same parquet files into a SqlCatalog table. Both tables must hold the same file count
 *   and record total (read by pyiceberg). pyiceberg reads every footer; deltasql uses the Delta
 *   stats, which is why a Delta table exposed to Iceberg readers needs no footer reads at all.
 *
 * Both sides are timed in-process, start-up excluded: Python after its imports, deltasql through
 * the same calls the CLI makes (the convert workflow on a worker process; the Iceberg converter).
 *
 * The bench tables of the other scenarios have logs only, no data files; these folders hold real
 * parquet files, generated once with pyarrow and cached under .deltasql/bench-data.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client, Connection } from '@temporalio/client';
import { z } from 'zod';
import { convertToIceberg } from '../client/convert-iceberg';
import { newRunId } from '../client/import-client';
import type { ConvertInput, ConvertResult } from '../workflows/convert-table';
import { type InterleavedResult, interleave } from './interleave';
import { round } from './measure';
import { startWorker } from './worker-process';

const run = promisify(execFile);
const RUN_TIMEOUT_MS = 30 * 60_000;
const PARTITIONS = 100;
/** The CLI's default `--parallelism`. */
const CONVERT_PARALLELISM = 4;

export interface FormatsSizes {
  parquetFiles: number;
  icebergFiles: number;
  pairs: number;
}
export const FORMATS_FULL: FormatsSizes = { parquetFiles: 100_000, icebergFiles: 20_000, pairs: 3 };
export const FORMATS_QUICK: FormatsSizes = { parquetFiles: 5_000, icebergFiles: 2_000, pairs: 3 };

export interface FormatsResult {
  parquetToDelta: InterleavedResult & { files: number; footerReadsPerSecond: number };
  deltaToIceberg: InterleavedResult & { files: number; records: number };
}

interface Ctx {
  root: string;
  python: string;
  dataRoot: string;
  temporalAddress: string;
  log: (line: string) => void;
}

const Seconds = z.object({ seconds: z.number() });
const Counts = z.object({ files: z.number().int(), records: z.number().int() });
const DeltaFiles = z.object({ files: z.record(z.string(), z.number().nullable()) });

async function py<T>(ctx: Ctx, schema: z.ZodType<T>, args: string[]): Promise<T> {
  const script = path.join(ctx.root, 'bench', 'formats.py');
  const { stdout } = await run(ctx.python, [script, ...args], {
    timeout: RUN_TIMEOUT_MS,
    maxBuffer: 256 * 1024 * 1024,
  });
  return schema.parse(JSON.parse(stdout.trim().split('\n').pop() ?? ''));
}

/** The convert workflow, exactly as `deltasql convert DIR --to delta` starts it. */
async function convertWorkflow(client: Client, taskQueue: string, dir: string): Promise<ConvertResult> {
  const input: ConvertInput = { source: dir, runId: newRunId(), parallelism: CONVERT_PARALLELISM };
  return client.workflow.execute<(i: ConvertInput) => Promise<ConvertResult>>('convertToDeltaWorkflow', {
    workflowId: `bench-formats-${randomUUID()}`,
    taskQueue,
    args: [input],
  });
}

/** A cached folder of `files` parquet files (generation is slower than any run measured here). */
async function folder(ctx: Ctx, name: string, files: number, partitions: number): Promise<string> {
  const dir = path.join(ctx.dataRoot, `formats-${name}-${files}`);
  const ready = path.join(dir, '.bench-ready');
  if (fs.existsSync(ready)) return dir;
  fs.rmSync(dir, { recursive: true, force: true });
  ctx.log(`  generating ${files} parquet files in ${dir} (pyarrow; cached afterwards)`);
  await py(ctx, z.object({ files: z.number() }), ['generate', dir, String(files), String(partitions)]);
  fs.writeFileSync(ready, '');
  return dir;
}

const timedMs = async (fn: () => Promise<unknown>): Promise<number> => {
  const t0 = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
};

async function parquetToDelta(
  ctx: Ctx,
  files: number,
  pairs: number,
): Promise<FormatsResult['parquetToDelta']> {
  const dir = await folder(ctx, 'hive', files, PARTITIONS);
  const log = path.join(dir, '_delta_log');
  const worker = await startWorker({
    root: ctx.root,
    taskQueue: `bench-formats-${randomUUID()}`,
    temporalAddress: ctx.temporalAddress,
  });
  const connection = await Connection.connect({ address: ctx.temporalAddress });
  const client = new Client({ connection });
  let reference: Record<string, number | null> | null = null;
  /** Both sides, on their warm-up run: the same paths with the same numRecords. */
  const check = async (side: string): Promise<void> => {
    const got = (await py(ctx, DeltaFiles, ['delta-files', dir])).files;
    if (Object.keys(got).length !== files)
      throw new Error(`${side}: ${Object.keys(got).length} files, not ${files}`);
    if (reference === null) reference = got;
    else if (JSON.stringify(Object.entries(got).sort()) !== JSON.stringify(Object.entries(reference).sort()))
      throw new Error(`${side}: the converted file set or its numRecords differ from the other side's`);
  };
  try {
    const r = await interleave({
      a: {
        name: 'deltasql',
        run: async (i) => {
          fs.rmSync(log, { recursive: true, force: true });
          let out: ConvertResult | null = null;
          const s = await timedMs(async () => (out = await convertWorkflow(client, worker.taskQueue, dir)));
          if (out!.files !== files) throw new Error(`deltasql converted ${JSON.stringify(out)}`);
          if (i < 2) await check('deltasql');
          return s;
        },
      },
      b: {
        name: 'delta-rs convert_to_deltalake',
        run: async (i) => {
          fs.rmSync(log, { recursive: true, force: true });
          const s = (await py(ctx, Seconds, ['deltars-convert', dir, '1'])).seconds;
          if (i < 2) await check('delta-rs');
          return s;
        },
      },
      pairs,
      log: ctx.log,
    });
    return { ...r, files, footerReadsPerSecond: Math.round(files / r.a.median) };
  } finally {
    fs.rmSync(log, { recursive: true, force: true });
    await connection.close();
    await worker.stop();
  }
}

async function deltaToIceberg(
  ctx: Ctx,
  files: number,
  pairs: number,
): Promise<FormatsResult['deltaToIceberg']> {
  const dir = await folder(ctx, 'flat', files, 0);
  const metadata = path.join(dir, 'metadata');
  if (!fs.existsSync(path.join(dir, '_delta_log'))) {
    const worker = await startWorker({
      root: ctx.root,
      taskQueue: `bench-formats-${randomUUID()}`,
      temporalAddress: ctx.temporalAddress,
    });
    const connection = await Connection.connect({ address: ctx.temporalAddress });
    try {
      await convertWorkflow(new Client({ connection }), worker.taskQueue, dir);
    } finally {
      await connection.close();
      await worker.stop();
    }
  }
  let expected: z.infer<typeof Counts> | null = null;
  const same = (side: string, c: z.infer<typeof Counts>): void => {
    if (c.files !== files) throw new Error(`${side}: ${c.files} Iceberg data files, not ${files}`);
    expected ??= c;
    if (c.records !== expected.records)
      throw new Error(`${side}: ${c.records} records, not ${expected.records}`);
  };
  const work = path.join(ctx.dataRoot, `formats-pyiceberg-${process.pid}`);
  try {
    const r = await interleave({
      a: {
        name: 'deltasql',
        run: async () => {
          fs.rmSync(metadata, { recursive: true, force: true });
          const s = await timedMs(() => convertToIceberg(dir, { dryRun: false }));
          same('deltasql', await py(ctx, Counts, ['iceberg-files', path.join(metadata, 'v1.metadata.json')]));
          return s;
        },
      },
      b: {
        name: 'pyiceberg add_files',
        run: async () => {
          fs.rmSync(work, { recursive: true, force: true });
          fs.mkdirSync(work, { recursive: true });
          const out = await py(ctx, Seconds.merge(Counts), ['pyiceberg-add', dir, work]);
          same('pyiceberg', out);
          return out.seconds;
        },
      },
      pairs,
      log: ctx.log,
    });
    return { ...r, files, records: expected!.records };
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
    fs.rmSync(metadata, { recursive: true, force: true });
  }
}

export async function formatsScenario(ctx: Ctx, sizes: FormatsSizes): Promise<FormatsResult> {
  ctx.log(`  parquet -> Delta: ${sizes.parquetFiles} files, deltasql vs delta-rs convert_to_deltalake`);
  const p = await parquetToDelta(ctx, sizes.parquetFiles, sizes.pairs);
  ctx.log(`  ${p.footerReadsPerSecond} footer reads/s; deltasql/delta-rs time ratio ${round(p.ratioMedian)}`);
  ctx.log(`  Delta -> Iceberg: ${sizes.icebergFiles} files, deltasql vs pyiceberg add_files`);
  const i = await deltaToIceberg(ctx, sizes.icebergFiles, sizes.pairs);
  ctx.log(`  deltasql is ${round(i.speedupMedian)}x pyiceberg add_files`);
  return { parquetToDelta: p, deltaToIceberg: i };
}
