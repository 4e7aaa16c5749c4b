/**
 * `deltasql commit --catalog URL --table NAME --actions FILE.ndjson|- [--read-version N]`: commit
 * Delta actions (one JSON object per line) to an sql-primary table. Without --read-version the
 * commit is based on the latest version (right for blind appends; conflicting commits fail with
 * their typed conflict). Prints the version written.
 */
import * as fs from 'node:fs';
import { type Command, Option } from 'commander';
import { openCatalog } from '../../api';
import type { IsolationLevel } from '../../catalog/commit/conflicts';
import { DeltaSqlError } from '../../common/errors';
import { parseNonNegativeInt, printJson, runAction } from '../output';

interface CommitOptions {
  catalog: string;
  table: string;
  actions: string;
  readVersion?: number;
  operation: string;
  isolation: IsolationLevel;
  json?: boolean;
}

function readNdjson(file: string): unknown[] {
  const text = file === '-' ? fs.readFileSync(0, 'utf8') : fs.readFileSync(file, 'utf8');
  const out: unknown[] = [];
  for (const [i, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    try {
      out.push(JSON.parse(line));
    } catch (e) {
      throw new DeltaSqlError('InvalidAction', `${file} line ${i + 1} is not JSON: ${(e as Error).message}`, {
        file,
      });
    }
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('commit')
    .description('Commit Delta actions (NDJSON) to an sql-primary table, with optimistic concurrency')
    .requiredOption('--catalog <url>', 'catalog URL')
    .requiredOption('--table <name>', 'catalog table name')
    .requiredOption('--actions <file>', 'NDJSON file of actions, or - for stdin')
    .option(
      '--read-version <n>',
      'version the actions were built from (default: latest)',
      parseNonNegativeInt('--read-version'),
    )
    .option('--operation <name>', 'commitInfo.operation', 'WRITE')
    .addOption(
      new Option('--isolation <level>', 'isolation level')
        .choices(['Serializable', 'WriteSerializable', 'SnapshotIsolation'])
        .default('WriteSerializable'),
    )
    .option('--json', 'print JSON')
    .action((o: CommitOptions) =>
      runAction(Boolean(o.json), async () => {
        const actions = readNdjson(o.actions);
        const cat = await openCatalog(o.catalog);
        try {
          const t = await cat.table(o.table);
          const readVersion = o.readVersion ?? (await t.state()).lastVersion ?? 0;
          const r = await t.commit({ readVersion, actions, operation: o.operation, isolation: o.isolation });
          if (o.json) printJson(r);
          else process.stdout.write(`committed version ${r.version} of ${r.table}\n`);
        } finally {
          await cat.close();
        }
      }),
    );
}
