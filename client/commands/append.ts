/**
 * `deltasql append --catalog URL --table NAME FILE.parquet... [--copy] [--partition k=v]`: commit
 * existing parquet files to an sql-primary table as one blind append (one add per file, stats
 * from each footer). Files outside the table root need --copy (uploaded under the root).
 */
import type { Command } from 'commander';
import { openCatalog } from '../../api';
import { addActionsFor } from '../../catalog/commit/append';
import { openStore } from '../../storage/uri';
import { printJson, runAction } from '../output';
import { collect, keyValues } from './create';

interface AppendOptions {
  catalog: string;
  table: string;
  copy?: boolean;
  partition: string[];
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('append')
    .description('Append existing parquet files to an sql-primary table (one add per file, footer stats)')
    .argument('<files...>', 'parquet files (paths or URIs)')
    .requiredOption('--catalog <url>', 'catalog URL')
    .requiredOption('--table <name>', 'catalog table name')
    .option('--copy', 'upload files that are not under the table root')
    .option('--partition <k=v>', 'partition value for every file (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action((files: string[], o: AppendOptions) =>
      runAction(Boolean(o.json), async () => {
        const cat = await openCatalog(o.catalog);
        try {
          const t = await cat.table(o.table);
          const s = await t.state();
          const snap = await cat.store.snapshot(s.tableId, { includeFiles: false });
          const actions = await addActionsFor(openStore(s.location), s.location, files, {
            copy: o.copy,
            partition: keyValues('--partition', o.partition),
            partitionColumns: snap.metadata.partitionColumns,
          });
          const r = await t.commit({
            readVersion: snap.version,
            actions,
            operation: 'WRITE',
            operationParameters: { mode: 'Append' },
          });
          if (o.json) printJson({ ...r, files: actions.length });
          else
            process.stdout.write(`appended ${actions.length} file(s) to ${r.table}: version ${r.version}\n`);
        } finally {
          await cat.close();
        }
      }),
    );
}
