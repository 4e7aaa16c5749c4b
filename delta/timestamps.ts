/**
 * A version's timestamp (PROTOCOL.md "In-Commit Timestamps"): commitInfo.inCommitTimestamp from
 * `delta.inCommitTimestampEnablementVersion` on when `delta.enableInCommitTimestamps` is true
 * (or their Delta 3.2 `-preview` spellings), else the commit file's modification time (which
 * copies and uploads can change; see `monotonize`).
 */
import type { CommitInfoAction, LogAction, MetadataAction } from './actions';

export interface IctConfig {
  enabled: boolean;
  enablementVersion: number | null;
}

const ENABLE_KEY = 'delta.enableInCommitTimestamps';
const ENABLEMENT_VERSION_KEY = 'delta.inCommitTimestampEnablementVersion';
/** Delta 3.2 wrote the keys with a `-preview` suffix; Spark and Kernel still honour them. */
const PREVIEW = '-preview';

/** A configuration value under its key or its Delta 3.2 preview spelling (the final key wins). */
const confValue = (conf: Record<string, string | null>, key: string): string | null | undefined =>
  conf[key] ?? conf[`${key}${PREVIEW}`];

export function ictConfig(metadata: MetadataAction | null | undefined): IctConfig | null {
  if (!metadata) return null;
  const conf = metadata.configuration ?? {};
  const enabled = confValue(conf, ENABLE_KEY)?.toLowerCase() === 'true';
  const v = confValue(conf, ENABLEMENT_VERSION_KEY);
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

/**
 * Spark's `monotonizeCommitTimestamps`: file modification times are made strictly increasing
 * (each at least the previous + 1 ms) before timestamp-to-version lookups, since a copy
 * (`aws s3 sync`) or clock skew can leave a later commit with an older time. In place.
 */
export function monotonize(timestamps: number[]): number[] {
  for (let i = 1; i < timestamps.length; i++) {
    if (timestamps[i] <= timestamps[i - 1]) timestamps[i] = timestamps[i - 1] + 1;
  }
  return timestamps;
}
