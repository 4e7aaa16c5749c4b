/**
 * `deltasql create --catalog URL --table NAME --location URI --schema FILE.json [--partition-by c1,c2]
 * [--property k=v]...`: a new sql-primary table; version 0 (protocol, metaData) is committed in SQL
 * and published to `<location>/_delta_log` (by the publisher, or `deltasql publish`).
 */
import * as fs from 'node:fs';
import type { Command } from 'commander';
import { openCatalog } from '../../api';
import { createTable } from '../../catalog/commit/create';
import { DeltaSqlError } from '../../common/errors';
import { openStore } from '../../storage/uri';
import { absoluteSource } from '../import-client';
import { printJson, runAction } from '../output';

interface CreateOptions {
  catalog: string;
  table: string;
  location: string;
  schema: string;
  partitionBy?: string;
  property: string[];
  json?: boolean;
}

/** `k=v` pairs (repeatable options) into a record; InvalidArgument for anything else. */
export function keyValues(option: string, pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const p of pairs) {
    const i = p.indexOf('=');
    if (i <= 0) throw new DeltaSqlError('InvalidArgument', `${option} takes key=value, got "${p}"`);
    out[p.slice(0, i)] = p.slice(i + 1);
  }
  return out;
}

export const collect = (v: string, prev: string[]): string[] => [...prev, v];

function readSchema(file: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new DeltaSqlError('InvalidArgument', `cannot read schema ${file}: ${(e as Error).message}`, {
      file,
    });
  }
  return parsed;
}

export function register(program: Command): void {
  program
    .command('create')
    .description(
      'Create an sql-primary table: version 0 is committed in the catalog and published to the log',
    )
    .requiredOption('--catalog <url>', 'catalog URL')
    .requiredOption('--table <name>', 'catalog table name')
    .requiredOption('--location <uri>', 'table root (path, file://, s3://, gs://, az:// or abfss://)')
    .requiredOption('--schema <file>', 'Delta schema JSON ({"type":"struct","fields":[...]})')
    .option('--partition-by <cols>', 'comma-separated partition columns')
    .option('--property <k=v>', 'table property (repeatable)', collect, [])
    .option('--json', 'print JSON')
    .action((o: CreateOptions) =>
      runAction(Boolean(o.json), async () => {
        const location = absoluteSource(o.location);
        const cat = await openCatalog(o.catalog);
        try {
          const r = await createTable(cat.store.driver, openStore(location), {
            name: o.table,
            location,
            schema: readSchema(o.schema),
            partitionBy: o.partitionBy ? o.partitionBy.split(',').map((c) => c.trim()) : [],
            properties: keyValues('--property', o.property),
          });
          await cat.notifyPublisher(o.table);
          if (o.json) printJson({ table: o.table, ...r, location });
          else process.stdout.write(`created table ${o.table} (${r.tableId}) at ${location}: version 0\n`);
        } finally {
          await cat.close();
        }
      }),
    );
}
