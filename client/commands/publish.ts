/**
 * `deltasql publish --catalog URL --table NAME`: one-shot catch-up of an sql-primary table's
 * `_delta_log` without Temporal (normally the publisher workflow does this after every commit).
 * Safe next to a running publisher: both write with put-if-absent and the same bytes.
 */
import type { Command } from 'commander';
import { openCatalog } from '../../catalog/open';
import { publishPending, type PublishResult } from '../../catalog/commit/publish';
import { openStore } from '../../storage/uri';
import { printJson, runAction } from '../output';

/** Publish until the log holds every committed version (bounded by the versions committed). */
export async function publishAll(
  store: Awaited<ReturnType<typeof openCatalog>>,
  table: string,
): Promise<PublishResult & { checkpointsWritten: number[] }> {
  const s = await store.tableMode(table);
  const objects = openStore(s.location);
  let created = 0;
  let present = 0;
  const checkpoints: number[] = [];
  for (;;) {
    const r = await publishPending(store.driver, objects, s.tableId);
    created += r.created;
    present += r.alreadyPresent;
    checkpoints.push(...r.checkpoints);
    if (r.created + r.alreadyPresent === 0 || r.publishedVersion === r.lastVersion) {
      return { ...r, created, alreadyPresent: present, checkpoints, checkpointsWritten: checkpoints };
    }
  }
}

export function register(program: Command): void {
  program
    .command('publish')
    .description("Publish an sql-primary table's committed versions to its _delta_log now (one-shot)")
    .requiredOption('--catalog <url>', 'catalog URL')
    .requiredOption('--table <name>', 'catalog table name')
    .option('--json', 'print JSON')
    .action((o: { catalog: string; table: string; json?: boolean }) =>
      runAction(Boolean(o.json), async () => {
        const store = await openCatalog(o.catalog);
        try {
          const r = await publishAll(store, o.table);
          if (o.json) printJson(r);
          else
            process.stdout.write(
              `published ${o.table} up to version ${r.publishedVersion ?? '-'}: ${r.created} new, ${r.alreadyPresent} already there` +
                (r.checkpoints.length > 0 ? `, checkpoints at ${r.checkpoints.join(', ')}` : '') +
                '\n',
            );
        } finally {
          await store.close();
        }
      }),
    );
}
