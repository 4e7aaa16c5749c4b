/**
 * `deltasql history`: one line per version, newest first, with timestamp, operation and action
 * counts, read straight from the commit files (no state replay).
 */
import type { Command } from 'commander';
import { DeltaSqlError } from '../../common/errors';
import { DeltaTable, type HistoryEntry } from '../../delta/table';
import { printJson, runAction } from '../output';

function formatCounts(c: Record<string, number>): string {
  return Object.entries(c)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k}=${n}`)
    .join(' ');
}

export function formatHistory(h: HistoryEntry[]): string {
  return (
    h
      .map(
        (e) =>
          `${e.version}\t${new Date(e.timestamp).toISOString()}\t${e.operation ?? '-'}\t${formatCounts(e.counts)}`,
      )
      .join('\n') + (h.length ? '\n' : '')
  );
}

export function register(program: Command): void {
  program
    .command('history')
    .description('List the versions of a Delta table, newest first')
    .argument('<table-uri>', 'table location: path, file://, s3://, gs://, az:// or abfss:// URI')
    .option('--limit <n>', 'only the newest N versions')
    .option('--json', 'print JSON')
    .action(async (uri: string, o: { limit?: string; json?: boolean }) => {
      await runAction(Boolean(o.json), async () => {
        if (o.limit !== undefined && !/^\d+$/.test(o.limit)) {
          throw new DeltaSqlError(
            'InvalidArgument',
            `--limit must be a non-negative integer, got "${o.limit}"`,
          );
        }
        const table = await DeltaTable.open(uri);
        const h = await table.history(o.limit === undefined ? undefined : Number(o.limit));
        if (o.json) printJson(h);
        else process.stdout.write(formatHistory(h));
      });
    });
}
