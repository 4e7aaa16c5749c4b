/**
 * Options of the synthetic Delta table generator, validated with zod because they arrive from the
 * CLI, from tests and from the benchmark harness alike. Every knob has a default so that
 * `generateTable({ dir })` produces a small but protocol-complete table.
 */
import { z } from 'zod';
import { DeltaSqlError } from '../../common/errors';

/** Partition columns the generator knows good value pools for (see table-model.ts). */
export const DEFAULT_PARTITION_COLUMNS = ['date', 'region'] as const;

/** 2023-11-14T22:13:20Z: a fixed origin so that timestamps, and therefore bytes, never depend on "now". */
export const DEFAULT_BASE_TIMESTAMP_MS = 1_700_000_000_000;
export const DEFAULT_COMMIT_INTERVAL_MS = 60_000;

const nonNeg = z.number().int().min(0);

export const GeneratorOptionsSchema = z
  .object({
    /** Table root (a local directory); `_delta_log/` is created under it. */
    dir: z.string().min(1),
    /** Number of commits to write: versions 0..versions-1. */
    versions: z.number().int().min(1).default(10),
    addsPerVersion: nonNeg.default(10),
    /** Removes of previously added, still-active files per version (fewer when not enough are active). */
    removesPerVersion: nonNeg.default(2),
    /** true = date+region, false = unpartitioned, or an explicit list of partition column names. */
    partitions: z
      .union([z.boolean(), z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/)).max(4)])
      .default(true),
    /** Write a checkpoint after every K-th version (K, 2K, ...); 0 = never. */
    checkpointInterval: nonNeg.default(10),
    /** 1 = classic `N.checkpoint.parquet`; >1 = multi-part `N.checkpoint.%010d.%010d.parquet`. */
    checkpointParts: z.number().int().min(1).max(1000).default(1),
    /** Enable deletion vectors: every DV_UPDATE_EVERY versions a few files get a new DV (remove old + add new). */
    deletionVectors: z.boolean().default(false),
    seed: z.number().int().default(1),
    /** Write `N.crc` every C versions (and always at the last version); 0 = never. */
    crcInterval: nonNeg.default(1),
    /** Add a column every E versions (at E/2, E/2+E, ...); 0 = never. */
    schemaEvolutionEvery: nonNeg.default(100),
    /** Version at which the protocol is upgraded to reader 3 / writer 7 with table features; 0 = never. */
    protocolUpgradeAt: nonNeg.default(5),
    /** Emit a `txn` action every T versions; 0 = never. */
    txnEvery: nonNeg.default(7),
    baseTimestamp: nonNeg.default(DEFAULT_BASE_TIMESTAMP_MS),
    commitIntervalMs: z.number().int().min(1).default(DEFAULT_COMMIT_INTERVAL_MS),
    /** Rows per parquet row group in checkpoints. */
    rowGroupSize: z.number().int().min(1).default(100_000),
    /** Replace an existing `_delta_log` under `dir`. */
    force: z.boolean().default(false),
  })
  .strict();

export type GeneratorOptionsInput = z.input<typeof GeneratorOptionsSchema>;
export type GeneratorOptions = z.output<typeof GeneratorOptionsSchema>;

/** Options for appending to an existing table: everything but the table shape, which comes from the log. */
export type AppendOptionsInput = Omit<GeneratorOptionsInput, 'dir' | 'versions' | 'partitions' | 'force'>;

export function parseGeneratorOptions(input: unknown): GeneratorOptions {
  const r = GeneratorOptionsSchema.safeParse(input);
  if (!r.success) {
    const where = typeof input === 'object' && input && 'dir' in input ? String(input.dir) : undefined;
    throw new DeltaSqlError('InvalidArgument', `invalid generator options: ${z.prettifyError(r.error)}`, {
      file: where,
    });
  }
  return r.data;
}

export function partitionColumnsOf(o: GeneratorOptions): string[] {
  if (o.partitions === true) return [...DEFAULT_PARTITION_COLUMNS];
  if (o.partitions === false) return [];
  return [...o.partitions];
}
