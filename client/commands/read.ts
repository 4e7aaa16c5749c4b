/**
 * `deltasql read --catalog URL --table NAME [--version N | --timestamp T] [--columns a,b]
 * [--limit N] [--format jsonl|csv]`: print a table's rows as of a version, read by the TypeScript
 * reader (reader/snapshot.ts) from the catalog's file list. Streams batch by batch.
 */
import type { Command } from 'commander';
import { DeltaSqlError } from '../../common/errors';
import { openCatalog } from '../../catalog/open';
import { batchRows, openSnapshot } from '../../reader/snapshot';
import { parseNonNegativeInt, runAction } from '../output';

interface ReadOptions {
  catalog: string;
  table: string;
  version?: number;
  timestamp?: string;
  columns?: string;
  limit?: number;
  format: string;
}

/** JSON text of a value: bigints as numbers, dates as ISO strings, binary as base64. */
function jsonValue(v: unknown): unknown {
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return Buffer.from(v).toString('base64');
  if (Array.isArray(v)) return v.map(jsonValue);
  if (v !== null && typeof v === 'object')
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, jsonValue(x)]),
    );
  return v;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const j = jsonValue(v);
  const s = typeof j === 'string' ? j : typeof j === 'object' ? JSON.stringify(j) : String(j);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function register(program: Command): void {
  program
    .command('read')
    .description("Print a catalog table's rows (time travel by version or timestamp)")
    .requiredOption('--catalog <url>', 'catalog URL (postgresql://… or sqlite:///…)')
    .requiredOption('--table <id|name>', 'catalog table id or name')
    .option('--version <n>', 'read as of this version', parseNonNegativeInt('--version'))
    .option('--timestamp <time>', 'read the newest version at or before this time (ISO 8601)')
    .option('--columns <list>', 'comma-separated column names (default: all)')
    .option('--limit <n>', 'stop after this many rows', parseNonNegativeInt('--limit'))
    .option('--format <fmt>', 'jsonl or csv', 'jsonl')
    .action((opts: ReadOptions) =>
      runAction(false, async () => {
        if (opts.format !== 'jsonl' && opts.format !== 'csv')
          throw new DeltaSqlError('InvalidArgument', `--format must be jsonl or csv, got "${opts.format}"`);
        if (opts.version !== undefined && opts.timestamp !== undefined)
          throw new DeltaSqlError('InvalidArgument', '--version and --timestamp are mutually exclusive');
        const timestamp = opts.timestamp === undefined ? undefined : Date.parse(opts.timestamp);
        if (timestamp !== undefined && Number.isNaN(timestamp))
          throw new DeltaSqlError('InvalidArgument', `--timestamp "${opts.timestamp}" is not a time`);
        const store = await openCatalog(opts.catalog);
        try {
          const snap = await openSnapshot(store, opts.table, { version: opts.version, timestamp });
          const columns = opts.columns
            ?.split(',')
            .map((c) => c.trim())
            .filter((c) => c !== '');
          const names = columns ?? snap.schema.map((f) => f.name);
          if (opts.format === 'csv') process.stdout.write(names.map(csvCell).join(',') + '\n');
          let left = opts.limit ?? Infinity;
          for await (const b of snap.scan({ columns })) {
            if (left <= 0) break;
            let out = '';
            for (const row of batchRows(b).slice(0, left)) {
              out +=
                opts.format === 'csv'
                  ? names.map((n) => csvCell(row[n])).join(',') + '\n'
                  : JSON.stringify(jsonValue(row)) + '\n';
              left--;
            }
            if (!process.stdout.write(out)) await new Promise((r) => process.stdout.once('drain', r));
          }
        } finally {
          await store.close();
        }
      }),
    );
}
