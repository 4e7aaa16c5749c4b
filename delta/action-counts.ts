/**
 * Action counts by type. Kept free of imports so workflow code (which must stay deterministic and
 * small) can use it without pulling zod or the reader into the workflow bundle.
 */
export const ACTION_TYPES = [
  'add',
  'remove',
  'metaData',
  'protocol',
  'txn',
  'commitInfo',
  'cdc',
  'domainMetadata',
  'checkpointMetadata',
  'sidecar',
  'unknown',
] as const;

export type CountedActionType = (typeof ACTION_TYPES)[number];
export type ActionCounts = Record<CountedActionType, number>;

export function emptyCounts(): ActionCounts {
  return Object.fromEntries(ACTION_TYPES.map((t) => [t, 0])) as ActionCounts;
}

export function addCounts(into: ActionCounts, more: Partial<ActionCounts>): ActionCounts {
  for (const t of ACTION_TYPES) into[t] += more[t] ?? 0;
  return into;
}

export const totalActions = (c: Partial<ActionCounts>): number =>
  ACTION_TYPES.reduce((s, t) => s + (c[t] ?? 0), 0);
