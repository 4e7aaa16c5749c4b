/**
 * The commitInfo line deltasql writes into every SQL commit, the way Spark and delta-rs do: the
 * operation, wall-clock `timestamp`, the read version and isolation level, whether the commit is a
 * blind append, a `txnId` (unique per attempt's transaction, kept across rebases) and the engine.
 * With in-commit timestamps enabled (PROTOCOL.md "In-Commit Timestamps") commitInfo must be the
 * first action and carry `inCommitTimestamp`, strictly greater than the previous version's.
 */
import { toLogAction } from '../../delta/action-parse';
import type { LogAction } from '../../delta/actions';
import type { IsolationLevel } from './conflicts';

export const ENGINE_INFO = 'deltasql/0.1.0';

export interface CommitInfoInput {
  operation: string;
  operationParameters?: Record<string, string>;
  readVersion: number | null;
  isolation: IsolationLevel;
  blindAppend: boolean;
  txnId: string;
  now: number;
  /** Set when the table enables in-commit timestamps. */
  inCommitTimestamp?: number;
}

/** The ICT of the next version: now, but strictly after the previous version's timestamp. */
export const nextInCommitTimestamp = (now: number, previous: number | null): number =>
  previous === null ? now : Math.max(now, previous + 1);

export function commitInfoAction(c: CommitInfoInput): LogAction {
  const info: Record<string, unknown> = {};
  if (c.inCommitTimestamp !== undefined) info.inCommitTimestamp = c.inCommitTimestamp;
  info.timestamp = c.now;
  info.operation = c.operation;
  info.operationParameters = c.operationParameters ?? {};
  if (c.readVersion !== null) info.readVersion = c.readVersion;
  info.isolationLevel = c.isolation;
  info.isBlindAppend = c.blindAppend;
  info.engineInfo = ENGINE_INFO;
  info.txnId = c.txnId;
  const raw = JSON.stringify({ commitInfo: info });
  return toLogAction(JSON.parse(raw), raw, 0);
}
