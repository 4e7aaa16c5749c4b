/**
 * Benchmark tables: generated once with the project's generator (commits) plus delta-rs
 * checkpoints, then cached under .deltasql/bench-data keyed by their shape, because generating a
 * 1M-action log takes longer than importing it and the generator is deterministic anyway.
 * Checkpoints come from delta-rs (a real writer, and ~50x faster than the generator's parquetjs
 * writer at these sizes); the generator's own checkpoints are disabled for bench tables.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { z } from 'zod';
import { generateTable } from './generator';
import type { TableShape } from './config';

const READY_MARKER = '.bench-ready.json';
/** Bumped when the way bench tables are built changes, so old caches are not reused. */
const LAYOUT_VERSION = 1;
const SEED = 10;

export interface Dataset {
  name: string;
  dir: string;
  latestVersion: number;
  actions: number;
  numFiles: number;
  checkpoints: number[];
  generateSeconds: number;
  checkpointSeconds: number;
  cached: boolean;
}

const DatasetSchema = z.object({
  name: z.string(),
  dir: z.string(),
  latestVersion: z.number().int(),
  actions: z.number().int(),
  numFiles: z.number().int(),
  checkpoints: z.array(z.number().int()),
  generateSeconds: z.number(),
  checkpointSeconds: z.number(),
  cached: z.boolean(),
});

const CheckpointOutSchema = z.object({ checkpoints: z.array(z.number()), seconds: z.number() });

function checkpointVersions(shape: TableShape): number[] {
  const last = shape.versions - 1;
  const out: number[] = [];
  if (shape.checkpointEvery > 0)
    for (let v = shape.checkpointEvery; v <= last; v += shape.checkpointEvery) out.push(v);
  if (shape.checkpointLatest && out[out.length - 1] !== last) out.push(last);
  return out;
}

/** Write delta-rs checkpoints in chunks (one python process per chunk keeps argv short). */
function writeCheckpoints(python: string, script: string, dir: string, versions: number[]): number {
  const CHUNK = 200;
  let seconds = 0;
  for (let i = 0; i < versions.length; i += CHUNK) {
    const out = execFileSync(python, [script, 'checkpoint', dir, versions.slice(i, i + CHUNK).join(',')], {
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    });
    seconds += CheckpointOutSchema.parse(JSON.parse(out.trim().split('\n').pop() ?? '{}')).seconds;
  }
  return seconds;
}

export async function ensureDataset(
  root: string,
  name: string,
  shape: TableShape,
  tools: { python: string; deltaRsScript: string },
  log: (line: string) => void,
): Promise<Dataset> {
  const options = {
    versions: shape.versions,
    addsPerVersion: shape.addsPerVersion,
    removesPerVersion: shape.removesPerVersion,
    checkpointInterval: 0,
    crcInterval: 100,
    // Table features the delta-rs checkpoint writer does not need to understand.
    protocolUpgradeAt: 0,
    seed: SEED,
  };
  const key = createHash('sha256')
    .update(
      JSON.stringify({
        LAYOUT_VERSION,
        options,
        cp: checkpointVersions(shape),
        ...(shape.checkpointRowGroupRows ? { rg: shape.checkpointRowGroupRows } : {}),
      }),
    )
    .digest('hex')
    .slice(0, 10);
  const dir = path.join(root, `${name}-${key}`);
  const marker = path.join(dir, READY_MARKER);
  if (fs.existsSync(marker)) {
    const ds = DatasetSchema.parse(JSON.parse(fs.readFileSync(marker, 'utf8')));
    log(`dataset ${name}: cached at ${dir}`);
    return { ...ds, dir, cached: true };
  }
  log(`dataset ${name}: generating ${shape.versions} versions into ${dir}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const g = await generateTable({ dir, force: true, ...options });
  const cps = checkpointVersions(shape);
  log(
    `dataset ${name}: ${g.actions} actions in ${g.seconds.toFixed(1)}s; writing ${cps.length} checkpoints with delta-rs`,
  );
  let checkpointSeconds = cps.length > 0 ? writeCheckpoints(tools.python, tools.deltaRsScript, dir, cps) : 0;
  if (shape.checkpointRowGroupRows) {
    for (const v of cps) {
      const file = path.join(dir, '_delta_log', `${String(v).padStart(20, '0')}.checkpoint.parquet`);
      const out = execFileSync(
        tools.python,
        [tools.deltaRsScript, 'rechunk', file, String(shape.checkpointRowGroupRows)],
        {
          encoding: 'utf8',
        },
      );
      checkpointSeconds += CheckpointOutSchema.pick({ seconds: true }).parse(
        JSON.parse(out.trim().split('\n').pop() ?? '{}'),
      ).seconds;
    }
    log(`dataset ${name}: checkpoints rewritten with ${shape.checkpointRowGroupRows}-row row groups`);
  }
  const ds: Dataset = {
    name,
    dir,
    latestVersion: g.lastVersion,
    actions: g.actions,
    numFiles: g.numFiles,
    checkpoints: cps,
    generateSeconds: g.seconds,
    checkpointSeconds,
    cached: false,
  };
  fs.writeFileSync(marker, JSON.stringify(ds));
  return ds;
}
