/**
 * A version's timestamp (PROTOCOL.md "In-Commit Timestamps"): commitInfo.inCommitTimestamp from
 * `delta.inCommitTimestampEnablementVersion` on when `delta.enableInCommitTimestamps` is true,
 * else the commit file's modification time (which copies and uploads can change).
 */
import type { CommitInfoAction, LogAction, MetadataAction } from './actions';

export interface IctConfig {
  enabled: boolean;
  enablementVersion: number | null;
}

const ENABLE_KEY = 'delta.enableInCommitTimestamps';
const ENABLEMENT_VERSION_KEY = 'delta.inCommitTimestampEnablementVersion';

export function ictConfig(metadata: MetadataAction | null | undefined): IctConfig | null {
  if (!metadata) return null;
  const conf = metadata.configuration ?? {};
  const enabled = conf[ENABLE_KEY]?.toLowerCase() === 'true';
  const v = conf[ENABLEMENT_VERSION_KEY];
  const enablementVersion = v !== null && v !== undefined && /^\d+$/.test(v) ? Number(v) : null;
  return { enabled, enablementVersion };
}

export function ictApplies(ict: IctConfig, version: number): boolean {
  return ict.enabled && (ict.enablementVersion === null || version >= ict.enablementVersion);
}

export function inCommitTimestamp(actions: readonly LogAction[]): number | null {
  for (const a of actions) {
    if (a.type === 'commitInfo') {
      const t = (a.body as CommitInfoAction).inCommitTimestamp;
      return t === null || t === undefined ? null : t;
    }
  }
  return null;
}

/**
 * Resolve a commit's timestamp. With `ict` known (the metadata in force at this version), follow
 * it; unknown (e.g. reading a commit range without replay) means: trust an inCommitTimestamp that
 * is present, since writers only emit it when ICT is enabled.
 */
export function commitTimestamp(
  version: number,
  actions: readonly LogAction[],
  fileMtime: number,
  ict: IctConfig | null,
): number {
  const t = inCommitTimestamp(actions);
  if (ict === null) return t ?? fileMtime;
  return ictApplies(ict, version) && t !== null ? t : fileMtime;
}

/** The metaData of a commit, if it changes it (the ICT config in force from this version on). */
export function metadataIn(actions: readonly LogAction[]): MetadataAction | null {
  let m: MetadataAction | null = null;
  for (const a of actions) if (a.type === 'metaData') m = a.body;
  return m;
}
