/**
 * `deltasql convert SRC --to delta|iceberg`: bring a plain Parquet folder under Delta (CONVERT TO
 * DELTA semantics, a Temporal workflow over batches of footers), or write Iceberg metadata next
 * to a Delta table's log. Data files are never moved or rewritten.
 */
import { createHash } from 'node:crypto';
import type { Command } from 'commander';
import { SingleBar, Presets } from 'cli-progress';
import { z } from 'zod';
import { readEnv } from '../../common/config';
import { DeltaSqlError } from '../../common/errors';
import {
  FOOTER_BATCH_FILES,
  planConversion,
  readFooterBatch,
  tableSchema,
} from '../../formats/convert-to-delta';
import { type DeltaStruct, mergeStructs } from '../../formats/parquet-schema';
import { openStore } from '../../storage/uri';
import {
  type ConvertResult,
  convertProgressQuery,
  convertToDeltaWorkflow,
} from '../../workflows/convert-table';
import { absoluteSource, newRunId, unwrapFailure } from '../import-client';
import { printJson, parseOptions, runAction } from '../output';
import { openTemporal } from '../temporal';
import { convertToIceberg, formatIcebergSummary } from '../convert-iceberg';

const OptionsSchema = z.object({
  to: z.enum(['delta', 'iceberg']),
  partitionBy: z.string().optional(),
  dryRun: z.boolean().default(false),
  import: z.boolean().default(false),
  catalog: z.string().min(1).optional(),
  table: z.string().min(1).optional(),
  version: z.coerce.number().int().nonnegative().optional(),
  parallelism: z.coerce.number().int().positive().max(64).default(4),
  format: z.enum(['human', 'json']).default('human'),
});
type Options = z.infer<typeof OptionsSchema>;

const POLL_MS = 300;

export function register(program: Command): void {
  program
    .command('convert')
    .description('Convert a Parquet folder to Delta, or expose a Delta table to Iceberg readers')
    .argument('<source>', 'Parquet folder or Delta table (path, file://, s3://, gs://, az://)')
    .requiredOption('--to <format>', 'delta | iceberg')
    .option('--partition-by <cols>', 'expected Hive partition columns, comma separated (--to delta)')
    .option('--dry-run', 'print what would be written; write nothing')
    .option('--import', 'then import the new Delta table into --catalog (--to delta)')
    .option('--catalog <url>', 'catalog URL: the import target, or the snapshot source for --to iceberg')
    .option('--table <name>', 'catalog table to convert from (--to iceberg with --catalog)')
    .option('--version <n>', 'Delta version to convert (--to iceberg; default latest)')
    .option('--parallelism <n>', 'footer batches read at once (--to delta)')
    .option('--format <fmt>', 'human | json')
    .action(async (source: string, raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(OptionsSchema, raw);
        const src = absoluteSource(source);
        if (o.to === 'iceberg') {
          const r = await convertToIceberg(src, o);
          if (json) printJson(r);
          else process.stdout.write(formatIcebergSummary(r) + '\n');
          return 0;
        }
        if (o.import && o.catalog === undefined)
          throw new DeltaSqlError('InvalidArgument', '--import needs --catalog URL');
        const partitionBy =
          o.partitionBy === undefined ? undefined : o.partitionBy.split(',').filter(Boolean);
        if (o.dryRun) {
          const r = await dryRunToDelta(src, partitionBy);
          if (json) printJson(r);
          else process.stdout.write(formatDryRun(r) + '\n');
          return 0;
        }
        const result = await runConvertWorkflow(src, partitionBy, o, json);
        if (json && !o.import) printJson({ ...result, table: src, version: 0 });
        else if (!json)
          process.stdout.write(
            `Converted ${src} to Delta: version 0 with ${result.files} files, ${result.rows} rows, ${result.bytes} bytes` +
              `${result.partitionColumns.length ? `, partitioned by ${result.partitionColumns.join(', ')}` : ''}\n`,
          );
        if (o.import) {
          const { buildProgram } = await import('../cli');
          const args = ['node', 'deltasql', 'import', src, '--catalog', o.catalog as string];
          if (json) args.push('--format', 'json');
          await buildProgram().parseAsync(args);
          return typeof process.exitCode === 'number' ? process.exitCode : 0;
        }
        return 0;
      });
    });
}

interface DryRun {
  source: string;
  files: number;
  rows: number;
  bytes: number;
  partitionColumns: string[];
  schema: DeltaStruct;
}

/** Read every footer in-process and report what version 0 would hold; writes nothing. */
async function dryRunToDelta(src: string, partitionBy: string[] | undefined): Promise<DryRun> {
  const store = openStore(src);
  const plan = await planConversion(store, { partitionBy });
  let schema: DeltaStruct | null = null;
  let rows = 0;
  for (let i = 0; i < plan.batchStarts.length; i++) {
    const b = await readFooterBatch(
      store,
      { index: i, startAfter: plan.batchStarts[i], count: FOOTER_BATCH_FILES },
      null,
    );
    rows += b.rows;
    schema =
      schema === null
        ? b.schema
        : mergeStructs(schema, b.schema, '', { leftFile: 'batch 0', rightFile: `batch ${i}` });
  }
  return {
    source: src,
    files: plan.files,
    rows,
    bytes: plan.bytes,
    partitionColumns: plan.partitionColumns,
    schema: tableSchema(schema ?? { type: 'struct', fields: [] }, plan),
  };
}

function formatDryRun(r: DryRun): string {
  const cols = r.schema.fields.map(
    (f) =>
      `  ${f.name}: ${typeof f.type === 'string' ? f.type : f.type.type}${f.nullable ? '' : ' not null'}`,
  );
  return [
    `Dry run: converting ${r.source} would write version 0 with ${r.files} files, ${r.rows} rows, ${r.bytes} bytes`,
    `Partition columns: ${r.partitionColumns.join(', ') || '(none)'}`,
    'Schema:',
    ...cols,
  ].join('\n');
}

async function runConvertWorkflow(
  src: string,
  partitionBy: string[] | undefined,
  o: Options,
  json: boolean,
): Promise<ConvertResult> {
  const env = readEnv();
  const say = (line: string): void => void (json ? undefined : process.stderr.write(line + '\n'));
  const session = await openTemporal(env, say);
  const workflowId = `deltasql-convert-${createHash('sha256').update(src).digest('hex').slice(0, 16)}`;
  try {
    const handle = await session.client.workflow.start(convertToDeltaWorkflow, {
      workflowId,
      taskQueue: env.DELTASQL_TASK_QUEUE,
      args: [{ source: src, partitionBy, runId: newRunId(), parallelism: o.parallelism }],
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: `convert ${src} to delta`,
    });
    say(`Started convert workflow ${workflowId}`);
    return await session.withWorker(async () => {
      const tty = process.stderr.isTTY && !json;
      const bar = tty
        ? new SingleBar(
            { format: '{phase} [{bar}] {value}/{total} footers', stream: process.stderr },
            Presets.shades_classic,
          )
        : null;
      let finished = false;
      let started = false;
      const poll = (async () => {
        while (!finished) {
          try {
            const p = await handle.query(convertProgressQuery);
            if (bar && p.totalFiles !== null) {
              if (!started) bar.start(p.totalFiles, 0, { phase: p.phase });
              started = true;
              bar.update(p.filesRead, { phase: p.phase });
            }
          } catch {
            /* not started yet */
          }
          await new Promise((r) => setTimeout(r, POLL_MS));
        }
      })();
      try {
        return await handle.result();
      } catch (e) {
        throw unwrapFailure(e);
      } finally {
        finished = true;
        await poll;
        bar?.stop();
      }
    });
  } finally {
    await session.close();
  }
}
