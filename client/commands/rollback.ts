/**
 * `deltasql rollback --catalog URL --table NAME`: hand an sql-primary table back to file-based
 * writers (seed 002 phase 6). SQL commits stop first; every committed version is then published
 * (inline, next to a running publisher: both use put-if-absent with the same bytes); the mode goes
 * back to mirror, the publisher ends, and the sync schedule is unpaused, so later log commits
 * sync in as usual. A ForeignCommit while draining leaves the table closed for commits.
 */
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { openCatalog } from '../../catalog/open';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { closeCommits, setMode } from '../../catalog/commit/table-mode';
import { readEnv } from '../../common/config';
import { DeltaSqlError } from '../../common/errors';
import { printJson, runAction } from '../output';
import { openTemporal } from '../temporal';
import { setSchedulePaused, signalPublisher } from './cutover';
import { publishAll } from './publish';

export async function rollback(store: SqlCatalogStore, client: Client | null, catalog: string, name: string) {
  const s = await store.tableMode(name);
  if (s.mode === 'mirror')
    return { table: s.name, mode: s.mode, lastVersion: s.lastVersion, scheduleUnpaused: false };
  await closeCommits(store.driver, s.tableId, true);
  const r = await publishAll(store, s.tableId);
  const after = await store.tableMode(s.tableId);
  if (after.publishedVersion !== after.lastVersion) {
    throw new DeltaSqlError(
      'CatalogError',
      `rollback of ${s.name}: published ${after.publishedVersion ?? '-'} of ${after.lastVersion ?? '-'} versions; run it again`,
    );
  }
  await setMode(store.driver, s.tableId, 'mirror');
  let unpaused = false;
  if (client) {
    await signalPublisher(client, catalog, s.name);
    unpaused = await setSchedulePaused(client, catalog, s.name, false);
  }
  return {
    table: s.name,
    mode: 'mirror' as const,
    lastVersion: after.lastVersion,
    published: r.created,
    scheduleUnpaused: unpaused,
  };
}

export function register(program: Command): void {
  program
    .command('rollback')
    .description(
      'Switch an sql-primary table back to mirror: stop SQL commits, publish everything, unpause syncs',
    )
    .requiredOption('--catalog <url>', 'catalog URL')
    .requiredOption('--table <name>', 'catalog table name')
    .option('--json', 'print JSON')
    .action((o: { catalog: string; table: string; json?: boolean }) =>
      runAction(Boolean(o.json), async () => {
        const store = await openCatalog(o.catalog);
        const t = await openTemporal(readEnv(), (l) => process.stderr.write(`${l}\n`));
        try {
          const r = await rollback(store, t.client, o.catalog, o.table);
          if (o.json) printJson(r);
          else process.stdout.write(`${r.table} is ${r.mode} at version ${r.lastVersion ?? '-'}\n`);
        } finally {
          await t.close();
          await store.close();
        }
      }),
    );
}
