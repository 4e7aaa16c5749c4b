/**
 * The largecommit scenario's validated cases (issue 14), each on a fresh worker process whose
 * peak RSS (VmHWM) is its figure, into a fresh catalog:
 * - the 610 MiB commit table imported WITH validation: by path ranges (the default for a state
 *   this large) and, for the before figure, as one whole-snapshot diff
 *   (DELTASQL_VALIDATE_RANGE_BYTES set above the state's size);
 * - a table whose state is one >600 MB V2 JSON checkpoint (bench/large-checkpoint.ts), imported
 *   checkpoint-only without and with validation; the catalog must hold exactly the generated
 *   file counts and sizes at the checkpoint version and after the tail commit.
 */
import * as path from 'node:path';
import { openCatalog } from '../catalog/open';
import type { ImportMode } from '../workflows/types';
import { CHECKPOINT_VERSION, writeLargeCheckpointTable } from './large-checkpoint';
import { importRunner } from './import-runner';
import { round } from './measure';
import { dropSchema, withSchema } from './pg-admin';
import { startWorker } from './worker-process';

const MIN_BYTES = 610 * 1024 * 1024;
/** A range budget above any state here: validation takes the whole-snapshot path. */
const WHOLE_SNAPSHOT_BYTES = String(2 ** 40);

type Engine = 'postgres' | 'sqlite';

export interface ValidatedRun {
  table: 'commit' | 'json-checkpoint';
  engine: Engine;
  validation: 'skipped' | 'ranges' | 'whole';
  seconds: number;
  /** The validateImport activity's run time, s (null when skipped). */
  validateSeconds: number | null;
  passed: boolean | null;
  peakRssMB: number | null;
}

export interface LargeValidateResult {
  jsonCheckpointMB: number;
  jsonCheckpointAdds: number;
  runs: ValidatedRun[];
}

interface Ctx {
  root: string;
  dbUrl: string;
  temporalAddress: string;
  dir: string;
  log: (line: string) => void;
  /** Smallest JSON checkpoint to generate (default 610 MiB; smaller for a smoke run). */
  minBytes?: number;
}

/** One import on a fresh worker into a fresh catalog; returns the run and the catalog URL. */
async function runOne(
  ctx: Ctx,
  o: {
    table: ValidatedRun['table'];
    source: string;
    engine: Engine;
    mode: ImportMode;
    validation: ValidatedRun['validation'];
    check: (catalog: string, result: { add: number; remove: number }) => Promise<void>;
  },
): Promise<ValidatedRun> {
  const tag = `${o.table.replace('-', '')}_${o.validation}_${o.engine}_${process.pid}`;
  const schema = `bench_largeval_${tag}`;
  const catalog =
    o.engine === 'postgres'
      ? withSchema(ctx.dbUrl, schema)
      : `sqlite:///${path.join(ctx.dir, `catalog-${tag}.db`)}`;
  const worker = await startWorker({
    root: ctx.root,
    taskQueue: `bench-largeval-${tag}`,
    temporalAddress: ctx.temporalAddress,
    catalogs: [catalog],
    env: o.validation === 'whole' ? { DELTASQL_VALIDATE_RANGE_BYTES: WHOLE_SNAPSHOT_BYTES } : {},
  });
  const runner = await importRunner(ctx.temporalAddress, worker.taskQueue, worker.exited);
  try {
    const r = await runner.run({
      source: o.source,
      catalog,
      name: 'largeval',
      mode: o.mode,
      batchSize: 20_000,
      actionsPerActivity: 1_000_000,
      skipValidation: o.validation === 'skipped',
    });
    await o.check(catalog, r.result.counts);
    const v = r.result.validation;
    if (o.validation !== 'skipped' && v?.passed !== true) {
      throw new Error(`largeval ${tag}: validation did not pass:\n${(v?.lines ?? []).join('\n')}`);
    }
    const run: ValidatedRun = {
      table: o.table,
      engine: o.engine,
      validation: o.validation,
      seconds: round(r.seconds, 1),
      validateSeconds: r.activities.validateImport ? round(r.activities.validateImport.runSeconds, 1) : null,
      passed: v ? v.passed : null,
      peakRssMB: worker.peakRssMB(),
    };
    ctx.log(
      `   ${o.table} ${o.engine} validation=${o.validation}: ${run.seconds} s` +
        (run.validateSeconds !== null ? ` (validate ${run.validateSeconds} s)` : '') +
        `, worker peak RSS ${run.peakRssMB} MB`,
    );
    return run;
  } finally {
    await runner.close();
    await worker.stop();
    if (o.engine === 'postgres') await dropSchema(ctx.dbUrl, schema).catch(() => undefined);
  }
}

/** The commit table (already generated at `commitTable` with `adds` adds in all) imported with validation. */
export async function validatedCommitRuns(
  ctx: Ctx,
  commitTable: string,
  adds: number,
): Promise<ValidatedRun[]> {
  const runs: ValidatedRun[] = [];
  const check = async (_catalog: string, counts: { add: number }): Promise<void> => {
    if (counts.add !== adds)
      throw new Error(`largeval commit: imported ${counts.add} adds, expected ${adds}`);
  };
  for (const engine of ['postgres', 'sqlite'] as const) {
    for (const validation of ['ranges', 'whole'] as const) {
      runs.push(
        await runOne(ctx, {
          table: 'commit',
          source: commitTable,
          engine,
          mode: 'full-history',
          validation,
          check,
        }),
      );
    }
  }
  return runs;
}

/** A >600 MB V2 JSON checkpoint table imported checkpoint-only, without and with validation. */
export async function jsonCheckpointRuns(ctx: Ctx): Promise<LargeValidateResult> {
  const source = path.join(ctx.dir, 'json-checkpoint-table');
  const t0 = Date.now();
  const gen = writeLargeCheckpointTable(source, ctx.minBytes ?? MIN_BYTES);
  const jsonCheckpointMB = round(gen.checkpointBytes / 2 ** 20, 1);
  ctx.log(
    `   generated a ${jsonCheckpointMB} MiB V2 JSON checkpoint (${gen.files} adds) in ${round((Date.now() - t0) / 1000, 1)} s`,
  );
  const check = async (catalog: string, counts: { add: number; remove: number }): Promise<void> => {
    if (counts.add !== gen.files + gen.added || counts.remove !== gen.removed + 5) {
      throw new Error(`largeval json-checkpoint: imported counts ${JSON.stringify(counts)}`);
    }
    const store = await openCatalog(catalog);
    try {
      const t = await store.findTable('largeval');
      const id = t?.tableId ?? '';
      const at = await store.snapshot(id, { version: CHECKPOINT_VERSION, includeFiles: false });
      const after = await store.snapshot(id, { version: CHECKPOINT_VERSION + 1, includeFiles: false });
      const want = [gen.files, gen.sizeBytes, gen.files - gen.removed + gen.added, gen.sizeBytesAfter];
      const got = [at.numFiles, at.sizeBytes, after.numFiles, after.sizeBytes];
      if (JSON.stringify(got) !== JSON.stringify(want) || t?.firstVersion !== CHECKPOINT_VERSION) {
        throw new Error(
          `largeval json-checkpoint: catalog holds ${got.join('/')}, expected ${want.join('/')}`,
        );
      }
    } finally {
      await store.close();
    }
  };
  const runs: ValidatedRun[] = [];
  for (const engine of ['postgres', 'sqlite'] as const) {
    for (const validation of ['skipped', 'ranges'] as const) {
      runs.push(
        await runOne(ctx, {
          table: 'json-checkpoint',
          source,
          engine,
          mode: 'checkpoint-only',
          validation,
          check,
        }),
      );
    }
  }
  return { jsonCheckpointMB, jsonCheckpointAdds: gen.files, runs };
}
