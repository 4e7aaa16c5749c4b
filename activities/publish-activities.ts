/**
 * The publisher's one activity: publish the next batch of committed versions of an sql-primary
 * table to its `_delta_log` (catalog/commit/publish.ts). It heartbeats the version it reached, and
 * a retry after a crash simply starts again from the catalog's published version: put-if-absent
 * with a byte comparison makes a version found in the log count as published, so no version is
 * ever skipped or written twice. Returns numbers only.
 */
import { Context } from '@temporalio/activity';
import { DeltaSqlError } from '../common/errors';
import { SqlCatalogStore } from '../catalog/sql-catalog';
import { publishPending } from '../catalog/commit/publish';
import { openStore } from '../storage/uri';
import type { PublishArgs, PublishProgress } from '../workflows/publisher';
import type { ActivityDeps } from './deps';
import { guarded } from './failures';

export function createPublishActivities(deps: ActivityDeps) {
  return {
    async publishVersions(args: PublishArgs): Promise<PublishProgress> {
      return guarded(async () => {
        const store = await deps.catalog(args.catalog);
        if (!(store instanceof SqlCatalogStore)) {
          throw new DeltaSqlError('CatalogError', 'publishing needs an SQL catalog store');
        }
        const mode = await store.tableMode(args.table);
        const ctx = Context.current();
        const r = await publishPending(store.driver, openStore(mode.location), mode.tableId, {
          maxVersions: args.maxVersions,
          onVersion: (v) => ctx.heartbeat(v),
        });
        const published = r.publishedVersion ?? -1;
        return {
          mode: r.mode,
          publishedVersion: r.publishedVersion,
          lastVersion: r.lastVersion,
          created: r.created,
          alreadyPresent: r.alreadyPresent,
          lagVersions: r.lastVersion === null ? 0 : Math.max(0, r.lastVersion - published),
        };
      });
    },
  };
}
