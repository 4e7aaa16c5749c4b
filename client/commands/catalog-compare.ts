/**
 * `deltasql catalog compare --from URL --to URL [--format json]`: schema comparison, then per
 * Delta table last version, row counts and per-version content hashes, and whether the latest
 * migration into each side switched. Exit 0 equal, 2 different (by content; a side that is not
 * switched is reported, not counted as different).
 */
import type { Command } from 'commander';
import { z } from 'zod';
import { compareCatalogs, type CatalogComparison } from '../../catalog/migrate/compare';
import { describeMigration } from '../../catalog/migrate/state';
import { parseOptions, printJson, runAction } from '../output';

const OptionsSchema = z.object({
  from: z.string().min(1),
  to: z.string().min(1),
  format: z.enum(['human', 'json']).default('human'),
});

export const EXIT_DIFFERENT = 2;

function formatComparison(c: CatalogComparison): string {
  const s = c.schema;
  const lines = [
    `Schema: ${s.equal ? 'equal' : 'DIFFERENT'} (migration version ${s.migrationVersion.source ?? '-'} / ${s.migrationVersion.target ?? '-'})`,
  ];
  const list = (label: string, xs: readonly string[]): void => {
    if (xs.length > 0) lines.push(`  ${label}: ${xs.join(', ')}`);
  };
  list('tables only in source', s.onlyInSource);
  list('tables only in target', s.onlyInTarget);
  list('columns only in source', s.columnsOnlyInSource);
  list('columns only in target', s.columnsOnlyInTarget);
  list(
    'type differences',
    s.typeDifferences.map((d) => `${d.column} (${d.source} vs ${d.target})`),
  );
  for (const t of c.tables) {
    const rows = (x: TableSide) => (x ? Object.values(x.rows).reduce((a, b) => a + b, 0) : '-');
    lines.push(
      `${t.equal ? 'equal    ' : 'DIFFERENT'} ${t.name}: last version ${t.source?.lastVersion ?? '-'} / ${t.target?.lastVersion ?? '-'}, rows ${rows(t.source)} / ${rows(t.target)}` +
        (t.differentVersions.length > 0 ? `, versions differing: ${t.differentVersions.join(', ')}` : ''),
    );
  }
  for (const [side, m] of Object.entries(c.migration))
    if (m !== null) lines.push(`${side === 'source' ? 'Source' : 'Target'}: ${describeMigration(m)}`);
  lines.push(c.equal ? 'Catalogs are equal.' : 'Catalogs differ.');
  return lines.join('\n');
}
type TableSide = CatalogComparison['tables'][number]['source'];

export function registerCompare(catalog: Command): void {
  catalog
    .command('compare')
    .description('Compare two catalogs: schema, then per table last version, row counts, per-version hashes')
    .requiredOption('--from <url>', 'source catalog URL')
    .requiredOption('--to <url>', 'target catalog URL')
    .option('--format <fmt>', 'human | json')
    .action(async (raw: Record<string, unknown>) => {
      const json = raw.format === 'json';
      await runAction(json, async () => {
        const o = parseOptions(OptionsSchema, raw);
        const c = await compareCatalogs(o.from, o.to);
        if (json) printJson(c);
        else process.stdout.write(formatComparison(c) + '\n');
        return c.equal ? 0 : EXIT_DIFFERENT;
      });
    });
}
