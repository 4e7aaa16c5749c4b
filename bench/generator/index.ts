/**
 * Deterministic synthetic Delta tables for quickstart, tests and benchmarks (issue 10, "Generator").
 */
export { generateTable, writeCommits, type GenerateSummary, type SinkOptions } from './generate';
export {
  GeneratorOptionsSchema,
  type AppendOptionsInput,
  type GeneratorOptions,
  type GeneratorOptionsInput,
} from './options';
export { checkpointFiles, commitFile, crcFile, lastCheckpointFile, LOG_DIR } from './checkpoint-writer';
export { TOMBSTONE_RETENTION_MS } from './state';
