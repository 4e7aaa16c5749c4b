/** Every workflow the worker registers. Workflow code only: no Node built-ins, no activity code. */
export { importTableWorkflow, progressQuery } from './import-table';
