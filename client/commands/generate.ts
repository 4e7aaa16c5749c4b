/**
 * `deltasql generate <dir>`: write a deterministic synthetic Delta table (log only: commits,
 * checkpoints, _last_checkpoint, .crc) with the project's generator. Quickstart, tests and the
 * benchmarks use it, so the same flags always produce byte-identical logs.
 */
import type { Command } from 'commander';
import { DeltaSqlError } from '../../common/errors';
import { generateTable, type GenerateSummary } from '../../bench/generator';
import { printJson, runAction } from '../output';

interface GenerateFlags {
  versions?: string;
  addsPerVersion?: string;
  removesPerVersion?: string;
  checkpointInterval?: string;
  checkpointParts?: string;
  crcInterval?: string;
  partitions?: string | boolean;
  deletionVectors?: boolean;
  seed?: string;
  force?: boolean;
  json?: boolean;
}

function int(name: string, v: string | undefined, allowNegative = false): number | undefined {
  if (v === undefined) return undefined;
  if (!(allowNegative ? /^-?\d+$/ : /^\d+$/).test(v)) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `--${name} must be ${allowNegative ? 'an' : 'a non-negative'} integer, got "${v}"`,
    );
  }
  return Number(v);
}

function partitionsOf(v: string | boolean | undefined): boolean | string[] {
  if (v === undefined || v === false) return false;
  if (v === true) return true;
  return v
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function formatSummary(s: GenerateSummary): string {
  return (
    [
      `table        ${s.root}`,
      `versions     ${s.firstVersion}..${s.lastVersion}`,
      `actions      ${s.actions}`,
      `active files ${s.numFiles} (${s.tableSizeBytes} bytes)`,
      `checkpoints  ${s.checkpoints.length ? s.checkpoints.join(', ') : '-'}`,
      `crc files    ${s.crcFiles}`,
      `seconds      ${s.seconds.toFixed(2)}`,
    ].join('\n') + '\n'
  );
}

export function register(program: Command): void {
  program
    .command('generate')
    .description(
      'Write a deterministic synthetic Delta table (commits, checkpoints, .crc) for demos, tests and benchmarks',
    )
    .argument('<dir>', 'table directory to create')
    .option('--versions <n>', 'number of commits (versions 0..n-1)', '300')
    .option('--adds-per-version <n>', 'files added per commit', '10')
    .option('--removes-per-version <n>', 'active files removed per commit', '3')
    .option('--checkpoint-interval <k>', 'write a checkpoint every k versions (0 = never)', '100')
    .option('--checkpoint-parts <p>', '1 = classic checkpoint, >1 = multi-part', '1')
    .option('--crc-interval <c>', 'write N.crc every c versions (0 = never)', '1')
    .option('--partitions [cols]', 'partition the table (default columns: date,region)')
    .option('--deletion-vectors', 'update deletion vectors in some commits')
    .option('--seed <s>', 'PRNG seed', '1')
    .option('--force', 'replace an existing _delta_log in <dir>')
    .option('--json', 'print the summary as JSON')
    .action(async (dir: string, f: GenerateFlags) => {
      await runAction(Boolean(f.json), async () => {
        const summary = await generateTable({
          dir,
          versions: int('versions', f.versions),
          addsPerVersion: int('adds-per-version', f.addsPerVersion),
          removesPerVersion: int('removes-per-version', f.removesPerVersion),
          checkpointInterval: int('checkpoint-interval', f.checkpointInterval),
          checkpointParts: int('checkpoint-parts', f.checkpointParts),
          crcInterval: int('crc-interval', f.crcInterval),
          partitions: partitionsOf(f.partitions),
          deletionVectors: Boolean(f.deletionVectors),
          seed: int('seed', f.seed, true),
          force: Boolean(f.force),
        });
        if (f.json) printJson(summary);
        else process.stdout.write(formatSummary(summary));
      });
    });
}
