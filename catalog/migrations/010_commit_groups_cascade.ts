/**
 * Migration 10: the SQL rollback of seed 001 (`DELETE FROM dl_tables WHERE table_id = ?`, migration
 * 5's cascade) also removes the table's `dl_commit_groups` rows (migration 7, issue 16), which it
 * predates. The trigger bodies are re-created with the longer list; `dropTable` deletes the same
 * tables explicitly (DuckDB has no triggers, so there it is the only way).
 */
import { CHILD_TABLES } from './005_raw_commits_cascade';
import { cascadeTriggerStatements } from './cascade-trigger';
import type { MigrationStatement } from './index';

/** Every table holding rows of one catalog table besides dl_tables itself. */
export const CASCADE_TABLES = [...CHILD_TABLES, 'dl_commit_groups'] as const;

export const version = 10;
export const name = 'commit_groups_cascade';
export const statements: readonly MigrationStatement[] = cascadeTriggerStatements(CASCADE_TABLES);
