/**
 * `deltasql diff`: the CI/CD parity gate of seed 002. Compares the catalog's snapshot of a table
 * with its `_delta_log` and exits 0 (parity, lag within SLO), 2 (drift in files, metadata or
 * protocol), 3 (only the lag SLO breached) or 1 (error). See parity/compare.ts for the definitions.
 */
import { promises as fsp } from 'node:fs';
import { type Command, Option } from 'commander';
import { DeltaSqlError } from '../../common/errors';
import { openCatalog } from '../../catalog/open';
import { DeltaTable } from '../../delta/table';
import { compareTable, type ParityResult } from '../../parity/compare';
import { type MetricsFormat, metricsJson, renderMetrics } from '../../parity/metrics';
import { renderHuman } from '../../parity/render';
import { parseNonNegativeInt, printJson, runAction } from '../output';

interface DiffCliOptions {
  catalog: string;
  table: string;
  version?: number;
  allVersions?: boolean;
  lagThresholdSeconds?: number;
  maxDriftFiles: number;
  maxListedFiles: number;
  format: 'human' | 'json';
  jsonOutput?: string;
  metricsFormat?: MetricsFormat;
  metricsOutput?: string;
}

const DEFAULT_LISTED_FILES = 100;

function parseSeconds(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0)
    throw new Error(`--lag-threshold-seconds must be a non-negative number, got "${value}"`);
  return n;
}

/** The JSON document written by --format json and --json-output. */
export function diffJson(r: ParityResult): Record<string, unknown> {
  return {
    status: r.status,
    exitCode: r.exitCode,
    table: r.table,
    comparedVersion: r.comparedVersion,
    drift: r.drift,
    maxDriftFiles: r.maxDriftFiles,
    foreignCommit: r.foreignCommit,
    lag: r.lag,
    report: r.report,
    versions: r.versions,
    skippedVersions: r.skippedVersions,
    metrics: metricsJson(r).metrics,
  };
}

export async function runDiff(uri: string, o: DiffCliOptions): Promise<number> {
  const store = await openCatalog(o.catalog);
  try {
    const table = await DeltaTable.open(uri);
    const result = await compareTable(table, store, o.table, {
      version: o.version,
      allVersions: o.allVersions,
      lagThresholdSeconds: o.lagThresholdSeconds,
      maxDriftFiles: o.maxDriftFiles,
      maxListedFiles: o.maxListedFiles,
    });
    const doc = diffJson(result);
    if (o.jsonOutput !== undefined) await fsp.writeFile(o.jsonOutput, JSON.stringify(doc, null, 2) + '\n');
    if (o.metricsFormat !== undefined && o.metricsOutput !== undefined)
      await fsp.writeFile(o.metricsOutput, await renderMetrics(result, o.metricsFormat));
    if (o.format === 'json') printJson(doc);
    else {
      process.stdout.write(renderHuman(result));
      // Metrics requested without a file: show them after the report (json output embeds them).
      if (o.metricsFormat !== undefined && o.metricsOutput === undefined)
        process.stdout.write('\n' + (await renderMetrics(result, o.metricsFormat)));
    }
    return result.exitCode;
  } finally {
    await store.close();
  }
}

export function register(program: Command): void {
  program
    .command('diff')
    .description(
      'Compare the catalog snapshot of a table with its _delta_log. Exit 0: parity and lag within ' +
        'threshold; 2: drift in files, metadata or protocol; 3: only the lag SLO breached; 1: error. ' +
        'Parity is checked at the catalog version (the source is read at that version), so a catalog ' +
        'that is behind is lag, not drift.',
    )
    .argument('<table-uri>', 'Delta table root (path, file://, s3://, gs://, az:// or abfss://)')
    .requiredOption('--catalog <url>', 'catalog URL (sqlite path/URL or postgresql://)')
    .requiredOption('--table <id|name>', 'catalog table id or name')
    .option(
      '--version <n>',
      'compare at this version instead of the catalog latest',
      parseNonNegativeInt('--version'),
    )
    .option('--all-versions', 'compare every version the catalog holds (slow: one snapshot pair per version)')
    .option(
      '--lag-threshold-seconds <s>',
      'lag SLO: breached when the catalog is behind by >= S seconds (not evaluated when omitted)',
      parseSeconds,
    )
    .option('--max-drift-files <n>', 'tolerated drifting files', parseNonNegativeInt('--max-drift-files'), 0)
    .option(
      '--max-listed-files <n>',
      'files named per category in the report (all are counted)',
      parseNonNegativeInt('--max-listed-files'),
      DEFAULT_LISTED_FILES,
    )
    .addOption(new Option('--format <format>', 'report format').choices(['human', 'json']).default('human'))
    .option('--json-output <file>', 'also write the JSON report to this file')
    .addOption(new Option('--metrics-format <format>', 'metrics format').choices(['prometheus', 'json']))
    .option(
      '--metrics-output <file>',
      'write metrics to this file (format: --metrics-format, default prometheus)',
    )
    .action(async (uri: string, o: DiffCliOptions) => {
      if (o.metricsOutput !== undefined && o.metricsFormat === undefined) o.metricsFormat = 'prometheus';
      await runAction(o.format === 'json', () => {
        if (o.version !== undefined && o.allVersions)
          throw new DeltaSqlError('InvalidArgument', '--version and --all-versions are mutually exclusive');
        return runDiff(uri, o);
      });
    });
}
