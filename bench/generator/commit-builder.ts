/**
 * Decides what version v contains, from the current state and a PRNG stream private to (seed, v):
 * commitInfo first, then protocol/metaData changes on their schedule, a txn now and then, removes
 * of active files, deletion-vector updates (remove old DV + add same path with new DV), and adds.
 * Actions are applied to the state as they are built, so later choices see earlier ones.
 */
import { Rng } from './prng';
import type { GenAction, TableState } from './state';
import {
  type AddBody,
  type RemoveBody,
  dataFilePath,
  deletionVector,
  evolvedMetadata,
  fileSize,
  initialMetadata,
  initialProtocol,
  numRecordsOf,
  partitionValuesFor,
  statsColumns,
  statsString,
  upgradedProtocol,
} from './table-model';

/** DV updates happen every DV_UPDATE_EVERY versions, on up to DV_UPDATES_PER_COMMIT files. */
const DV_UPDATE_EVERY = 3;
const DV_UPDATES_PER_COMMIT = 2;
/** Number of distinct streaming writers that emit txn actions. */
const TXN_APPS = 3;
const ENGINE_INFO = 'deltasql-generator/0.1';

export interface ScheduleOptions {
  seed: number;
  addsPerVersion: number;
  removesPerVersion: number;
  deletionVectors: boolean;
  checkpointInterval: number;
  schemaEvolutionEvery: number;
  protocolUpgradeAt: number;
  txnEvery: number;
  baseTimestamp: number;
  commitIntervalMs: number;
}

export const commitTimestamp = (o: ScheduleOptions, v: number): number =>
  o.baseTimestamp + v * o.commitIntervalMs;

/** Build version v's actions, applying each to `state`. `partitionColumns` is used only at version 0. */
export function buildCommit(
  state: TableState,
  v: number,
  o: ScheduleOptions,
  partitionColumns: string[],
): GenAction[] {
  const rng = new Rng(o.seed, v);
  const ts = commitTimestamp(o, v);
  const out: GenAction[] = [];
  const emit = (a: GenAction): void => {
    out.push(a);
    state.apply(a);
  };
  // commitInfo is completed below, once the counts are known; it stays first.
  const info: Record<string, unknown> = { timestamp: ts };
  out.push({ commitInfo: info });

  let operation = 'WRITE';
  if (v === 0) {
    operation = 'CREATE TABLE AS SELECT';
    emit({ protocol: initialProtocol(o.deletionVectors) });
    emit({
      metaData: initialMetadata(rng, partitionColumns, {
        deletionVectors: o.deletionVectors,
        checkpointInterval: o.checkpointInterval,
        createdTime: ts,
      }),
    });
  } else {
    if (o.protocolUpgradeAt > 0 && v === o.protocolUpgradeAt && state.protocol) {
      emit({ protocol: upgradedProtocol(state.protocol) });
    }
    if (
      o.schemaEvolutionEvery > 0 &&
      v % o.schemaEvolutionEvery === Math.floor(o.schemaEvolutionEvery / 2) &&
      state.metadata
    ) {
      emit({ metaData: evolvedMetadata(state.metadata) });
    }
    if (o.txnEvery > 0 && v % o.txnEvery === 0) {
      emit({ txn: { appId: `stream-${(v / o.txnEvery) % TXN_APPS}`, version: v, lastUpdated: ts } });
    }
  }
  const metadata = state.metadata;
  if (!metadata) throw new Error(`generator: no metaData at version ${v}`);

  let removed = 0;
  for (let i = 0; i < o.removesPerVersion && state.numFiles > 0; i++) {
    emit({ remove: removeOf(state.fileAt(rng.int(0, state.numFiles - 1)), ts) });
    removed++;
  }
  let dvUpdates = 0;
  if (o.deletionVectors && v > 0 && v % DV_UPDATE_EVERY === 0) {
    // A (path, DV) may appear only once per commit: never update a file twice in one version.
    const touched = new Set<string>();
    for (let i = 0; i < DV_UPDATES_PER_COMMIT && state.numFiles > 0; i++) {
      const old = state.fileAt(rng.int(0, state.numFiles - 1));
      if (touched.has(old.path)) continue;
      touched.add(old.path);
      const rows = numRecordsOf(old);
      const before = old.deletionVector?.cardinality ?? 0;
      const card = Math.min(rows, before + rng.int(1, Math.max(1, Math.floor(rows / 20))));
      emit({ remove: removeOf(old, ts) });
      emit({
        add: { ...old, modificationTime: ts, dataChange: true, deletionVector: deletionVector(rng, card) },
      });
      dvUpdates++;
    }
  }
  const columns = statsColumns(metadata);
  let rows = 0;
  for (let i = 0; i < o.addsPerVersion; i++) {
    const pv = partitionValuesFor(rng, metadata.partitionColumns);
    const size = fileSize(rng);
    const add: AddBody = {
      path: dataFilePath(rng, i, pv),
      partitionValues: pv,
      size,
      modificationTime: ts - rng.int(100, 5_000),
      dataChange: true,
      stats: statsString(rng, size, columns),
    };
    rows += numRecordsOf(add);
    emit({ add });
  }

  Object.assign(info, {
    operation: dvUpdates > 0 && o.addsPerVersion === 0 ? 'DELETE' : removed > 0 ? 'MERGE' : operation,
    operationParameters: { mode: 'Append', partitionBy: JSON.stringify(metadata.partitionColumns) },
    readVersion: v > 0 ? v - 1 : undefined,
    isolationLevel: 'Serializable',
    isBlindAppend: removed === 0 && dvUpdates === 0,
    operationMetrics: {
      numAddedFiles: String(o.addsPerVersion + dvUpdates),
      numRemovedFiles: String(removed + dvUpdates),
      numOutputRows: String(rows),
    },
    engineInfo: ENGINE_INFO,
    txnId: rng.uuid(),
  });
  return out;
}

function removeOf(a: AddBody, ts: number): RemoveBody {
  const rm: RemoveBody = {
    path: a.path,
    deletionTimestamp: ts,
    dataChange: true,
    extendedFileMetadata: true,
    partitionValues: a.partitionValues,
    size: a.size,
  };
  if (a.deletionVector) rm.deletionVector = a.deletionVector;
  return rm;
}
