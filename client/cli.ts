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
import * as convert from './commands/convert';
import * as cancel from './commands/cancel';
import * as codecServer from './commands/codec-server';
import * as exportCmd from './commands/export';
import * as restore from './commands/restore';
import * as catalogCmd from './commands/catalog-migrate';
import * as create from './commands/create';
import * as commit from './commands/commit';
import * as append from './commands/append';
import * as publish from './commands/publish';
import * as cutover from './commands/cutover';
import * as rollback from './commands/rollback';
import * as serve from './commands/serve';
import * as sharingProfile from './commands/sharing-profile';
import * as read from './commands/read';

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
    convert,
    exportCmd,
    restore,
    catalogCmd,
    create,
    commit,
    append,
    publish,
    cutover,
    rollback,
    cancel,
    codecServer,
    serve,
    sharingProfile,
    read,
  ]) {
    m.register(program);
  }
  return program;
}

export async function main(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}

if (require.main === module) void main(process.argv);
