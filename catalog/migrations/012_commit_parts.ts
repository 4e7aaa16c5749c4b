/**
 * Migration 12: `dl_commit_parts`, the bytes of a commit file too large to keep as one framing
 * value (issue 14, byte-exact raw storage). The commit at a checkpoint baseline version is kept
 * whole because its actions are not rows (they come from the checkpoint); up to 64 MiB it is the
 * `x`/`b` framing of its version row, but a >512 MiB CONVERT TO DELTA commit does not fit one V8
 * string, so it is stored here in parts of about 4 MiB, cut after a '\n' (so each part is whole
 * UTF-8 and kept as text; a part that is not valid UTF-8 is base64, `is_base64`), and its version
 * row's framing says `{"p": <parts>}`. Export streams the parts back (catalog/raw-commits.ts).
 *
 * `seq` numbers the parts, so the table is keyed like the action tables and catalog migrate copies
 * it the same way. The rollback's cascade (migrations 5 and 10) and `dropTable` include it.
 */
import type { MigrationStatement } from './index';
import { CASCADE_TABLES } from './010_commit_groups_cascade';
import { cascadeTriggerStatements } from './cascade-trigger';

export const version = 12;
export const name = 'commit_parts';
export const statements: readonly MigrationStatement[] = [
  `CREATE TABLE IF NOT EXISTS {T:dl_commit_parts} (
    table_id {KEY} NOT NULL,
    version BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    data {TEXT} NOT NULL,
    is_base64 {BOOL} NOT NULL,
    PRIMARY KEY (table_id, version, seq)
  )`,
  ...cascadeTriggerStatements([...CASCADE_TABLES, 'dl_commit_parts']),
];
