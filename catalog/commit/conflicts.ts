/**
 * Delta's optimistic-concurrency rules, after Spark's ConflictChecker
 * (spark/src/main/scala/org/apache/spark/sql/delta/ConflictChecker.scala). When a commit loses the
 * race for version readVersion+1, every winning commit since readVersion is checked against what
 * the loser read and wrote, in Spark's order:
 *
 * 1. a winner changed the protocol                       -> ProtocolChanged
 * 2. a winner changed the metadata                       -> MetadataChanged
 * 3. a winner added data the loser should have read      -> ConcurrentAppend (Serializable: any
 *    data-changing add; WriteSerializable: adds of winners that were not blind appends; only when
 *    the loser read the table: `readWholeTable`)
 * 4. a winner removed a file the loser read              -> ConcurrentDeleteRead
 * 5. a winner removed a file the loser removes           -> ConcurrentDeleteDelete
 * 6. a winner wrote a txn appId the loser writes         -> ConcurrentTransaction
 * 7. a winner changed a metadata domain the loser writes -> ConcurrentTransaction
 *
 * Nothing else conflicts: blind appends rebase onto any winner that did not change protocol or
 * metadata. Pure: no I/O, so it is cheap to test and to run on every retry.
 */
import { DeltaSqlError } from '../../common/errors';
import { fileKey, type LogAction } from '../../delta/actions';

export type IsolationLevel = 'Serializable' | 'WriteSerializable' | 'SnapshotIsolation';

/** What the committing transaction depends on and writes. */
export interface TxnSummary {
  readVersion: number;
  isolation: IsolationLevel;
  /** The transaction read the whole table (e.g. an overwrite or a delete by predicate). */
  readWholeTable: boolean;
  /** Paths of files the transaction read (files it removes are added to these by `summarize`). */
  readPaths: ReadonlySet<string>;
  removedKeys: ReadonlySet<string>;
  txnAppIds: ReadonlySet<string>;
  domains: ReadonlySet<string>;
}

/** A winning commit, as stored. */
export interface WinningCommit {
  version: number;
  actions: readonly LogAction[];
}

export function isBlindAppend(actions: readonly LogAction[]): boolean {
  return actions.every(
    (a) => a.type === 'commitInfo' || (a.type === 'add' && a.body.dataChange !== false) || a.type === 'txn',
  );
}

export function summarize(
  readVersion: number,
  isolation: IsolationLevel,
  actions: readonly LogAction[],
  reads: { wholeTable?: boolean; paths?: readonly string[] },
): TxnSummary {
  const removedKeys = new Set<string>();
  const txnAppIds = new Set<string>();
  const domains = new Set<string>();
  for (const a of actions) {
    if (a.type === 'remove') removedKeys.add(fileKey(a.body.path, a.body.deletionVector));
    else if (a.type === 'txn') txnAppIds.add(a.body.appId);
    else if (a.type === 'domainMetadata') domains.add(a.body.domain);
  }
  return {
    readVersion,
    isolation,
    readWholeTable: reads.wholeTable ?? false,
    readPaths: new Set(reads.paths ?? []),
    removedKeys,
    txnAppIds,
    domains,
  };
}

function conflict(type: DeltaSqlError['type'], w: WinningCommit, why: string): DeltaSqlError {
  return new DeltaSqlError(type, `concurrent commit ${w.version} ${why}; read the table again and retry`);
}

/** Throws the typed conflict, or returns when the transaction can be rebased past `w`. */
export function checkWinner(me: TxnSummary, w: WinningCommit): void {
  if (w.actions.some((a) => a.type === 'protocol'))
    throw conflict('ProtocolChanged', w, 'changed the protocol');
  if (w.actions.some((a) => a.type === 'metaData'))
    throw conflict('MetadataChanged', w, 'changed the metadata');
  const winnerBlind = isBlindAppend(w.actions);
  if (me.readWholeTable && me.isolation !== 'SnapshotIsolation') {
    const counts = me.isolation === 'Serializable' || !winnerBlind;
    const added = w.actions.find((a) => a.type === 'add' && a.body.dataChange !== false);
    if (counts && added && added.type === 'add') {
      throw conflict(
        'ConcurrentAppend',
        w,
        `added ${added.body.path}, which this ${me.isolation} transaction should have read`,
      );
    }
  }
  for (const a of w.actions) {
    if (a.type !== 'remove') continue;
    if (me.readPaths.has(a.body.path)) {
      throw conflict('ConcurrentDeleteRead', w, `removed ${a.body.path}, which this transaction read`);
    }
    if (me.removedKeys.has(fileKey(a.body.path, a.body.deletionVector))) {
      throw conflict(
        'ConcurrentDeleteDelete',
        w,
        `removed ${a.body.path}, which this transaction also removes`,
      );
    }
  }
  for (const a of w.actions) {
    if (a.type === 'txn' && me.txnAppIds.has(a.body.appId)) {
      throw conflict(
        'ConcurrentTransaction',
        w,
        `wrote txn appId ${a.body.appId}, which this transaction writes too`,
      );
    }
    if (a.type === 'domainMetadata' && me.domains.has(a.body.domain)) {
      throw conflict(
        'ConcurrentTransaction',
        w,
        `changed metadata domain ${a.body.domain}, which this transaction changes too`,
      );
    }
  }
}
