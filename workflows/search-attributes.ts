/**
 * Search attributes shown in the Temporal Web UI. The server must have them registered:
 * scripts/services/temporal.sh passes the same list to `temporal server start-dev --search-attribute`.
 */
import { defineSearchAttributeKey } from '@temporalio/common';

export const SA_TABLE = defineSearchAttributeKey('DeltaTable', 'KEYWORD');
export const SA_IMPORTED_VERSION = defineSearchAttributeKey('DeltaImportedVersion', 'INT');
export const SA_TARGET_VERSION = defineSearchAttributeKey('DeltaTargetVersion', 'INT');
export const SA_PHASE = defineSearchAttributeKey('DeltaPhase', 'KEYWORD');
export const SA_LAG_SECONDS = defineSearchAttributeKey('DeltaLagSeconds', 'DOUBLE');
/** SQL-primary tables: the newest version published to `_delta_log`. */
export const SA_PUBLISHED_VERSION = defineSearchAttributeKey('DeltaPublishedVersion', 'INT');
/** Committed versions not yet published (a Double: the dev server allows only 3 Int attributes). */
export const SA_PUBLISH_LAG = defineSearchAttributeKey('DeltaPublishLag', 'DOUBLE');

export const ALL_SEARCH_ATTRIBUTES = [
  SA_TABLE,
  SA_IMPORTED_VERSION,
  SA_TARGET_VERSION,
  SA_PHASE,
  SA_LAG_SECONDS,
  SA_PUBLISHED_VERSION,
  SA_PUBLISH_LAG,
];
