/** Every workflow the worker registers. Workflow code only: no Node built-ins, no activity code. */
export { importTableWorkflow, progressQuery } from './import-table';
export {
  syncOnceWorkflow,
  followTableWorkflow,
  followStatusQuery,
  stopFollowSignal,
  FOLLOW_WORKFLOW_TASK_TIMEOUT,
} from './sync';
export { discoverImportWorkflow, discoverImportProgressQuery } from './discover-import';
export { exportTableWorkflow, exportProgressQuery } from './export-table';
export { publisherWorkflow, publishSignal, publisherStatusQuery } from './publisher';
export { convertToDeltaWorkflow, convertProgressQuery } from './convert-table';
export { catalogMigrateWorkflow, migrateCatalogTableWorkflow } from './catalog-migrate';
