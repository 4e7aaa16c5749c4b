/**
 * `deltasql drop --catalog <url> --table <id|name> [--json]`: delete every row of one catalog
 * table in one transaction. Other tables in the catalog are untouched.
 */
import type { Command } from 'commander';
import { DeltaSqlError } from '../../common/errors';
import { openCatalog } from '../../catalog/open';
import { redactUrl } from '../../catalog/url';
import { printJson, runAction } from '../output';

interface DropOptions {
  catalog: string;
  table: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('drop')
    .description('Delete all catalog rows of one table (one transaction)')
    .requiredOption('--catalog <url>', 'catalog URL (postgresql://… or sqlite:///…)')
    .requiredOption('--table <id|name>', 'catalog table id or name')
    .option('--json', 'print JSON')
    .action((opts: DropOptions) =>
      runAction(Boolean(opts.json), async () => {
        const store = await openCatalog(opts.catalog);
        try {
          const t = await store.findTable(opts.table);
          if (!t) {
            throw new DeltaSqlError(
              'CatalogTableNotFound',
              `no table "${opts.table}" in catalog ${redactUrl(opts.catalog)}`,
            );
          }
          await store.dropTable(t.tableId);
          const out = {
            dropped: { tableId: t.tableId, name: t.name, location: t.location, lastVersion: t.lastVersion },
          };
          if (opts.json) printJson(out);
          else process.stdout.write(`dropped table ${t.name} (${t.tableId})\n`);
        } finally {
          await store.close();
        }
      }),
    );
}
