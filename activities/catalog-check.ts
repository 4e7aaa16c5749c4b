/**
 * The import's first step: open the catalog (connect, migrate) before anything else, so that a
 * catalog that is down is waited for a bounded time (the workflow gives this activity a
 * schedule-to-close timeout, `--catalog-timeout`) and a misconfigured one fails at once.
 */
import type { ActivityDeps } from './deps';
import { guarded } from './failures';

export function createCatalogCheckActivities(deps: ActivityDeps) {
  return {
    async checkCatalog(args: { catalog: string }): Promise<void> {
      return guarded(async () => {
        await deps.catalog(args.catalog);
      });
    },
  };
}
