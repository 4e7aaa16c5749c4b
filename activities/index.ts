/** The worker's activity set, built from injected dependencies. */
import { createCatalogCheckActivities } from './catalog-check';
import { createConvertActivities } from './convert-activities';
import type { ActivityDeps } from './deps';
import { createExportActivities } from './export-activities';
import { createImportActivities } from './import-activities';
import { createMigrateActivities } from './migrate-activities';
import { createPublishActivities } from './publish-activities';
import { createSyncActivities } from './sync-activities';

export function createActivities(deps: ActivityDeps) {
  return {
    ...createCatalogCheckActivities(deps),
    ...createImportActivities(deps),
    ...createMigrateActivities(deps),
    ...createSyncActivities(deps),
    ...createConvertActivities(deps),
    ...createExportActivities(deps),
    ...createPublishActivities(deps),
  };
}

export type { ActivityDeps } from './deps';
