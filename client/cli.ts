/**
 * `deltasql` command line. Each command lives in client/commands/<name>.ts and registers itself.
 */
import { Command } from 'commander';
import * as snapshot from './commands/snapshot';
import * as history from './commands/history';
import * as drop from './commands/drop';
import * as importCmd from './commands/import';
import * as worker from './commands/worker';
import * as diff from './commands/diff';
import * as validate from './commands/validate';
import * as status from './commands/status';
import * as discover from './commands/discover';
import * as sync from './commands/sync';
import * as generate from './commands/generate';

export function buildProgram(): Command {
  const program = new Command('deltasql')
    .description('Move a Delta Lake transaction log into a SQL catalog, prove parity, keep it in sync.')
    .version('0.1.0')
    .showHelpAfterError();
  for (const m of [
    snapshot,
    history,
    drop,
    importCmd,
    worker,
    diff,
    validate,
    status,
    discover,
    sync,
    generate,
  ]) {
    m.register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}

if (require.main === module) void main(process.argv);
