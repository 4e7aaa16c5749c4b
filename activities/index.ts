/** The worker's activity set, built from injected dependencies. */
import type { ActivityDeps } from './deps';
import { createImportActivities } from './import-activities';
import { createSyncActivities } from './sync-activities';

export function createActivities(deps: ActivityDeps) {
  return { ...createImportActivities(deps), ...createSyncActivities(deps) };
}

export type { ActivityDeps } from './deps';
