/**
 * The table state the generator maintains while writing: active files (a Map plus an array for
 * O(1) random picks), tombstones, txns, protocol and metaData. Every commit is applied through
 * `apply`, in commit order — both when generating and when replaying an existing log before an
 * append — so both paths reach exactly the same state, including the order of files.
 */
import { fileKey } from '../../delta/actions';
import type { AddBody, MetadataBody, ProtocolBody, RemoveBody, TxnBody } from './table-model';

/** Default of `delta.deletedFileRetentionDuration`: tombstones younger than this go into checkpoints. */
export const TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000;

export type GenAction =
  | { commitInfo: Record<string, unknown> }
  | { protocol: ProtocolBody }
  | { metaData: MetadataBody }
  | { txn: TxnBody }
  | { add: AddBody }
  | { remove: RemoveBody };

interface Entry {
  key: string;
  add: AddBody;
  idx: number;
}

export class TableState {
  version = -1;
  protocol: ProtocolBody | null = null;
  metadata: MetadataBody | null = null;
  readonly txns = new Map<string, TxnBody>();
  readonly tombstones = new Map<string, RemoveBody>();
  private readonly active = new Map<string, Entry>();
  private readonly list: Entry[] = [];
  private bytes = 0;

  get numFiles(): number {
    return this.list.length;
  }

  get tableSizeBytes(): number {
    return this.bytes;
  }

  /** Active add at position i (0 <= i < numFiles). */
  fileAt(i: number): AddBody {
    return this.list[i].add;
  }

  /** Active adds in state order (stable: it is the same after a replay). */
  *files(): IterableIterator<AddBody> {
    for (const e of this.list) yield e.add;
  }

  apply(a: GenAction): void {
    if ('add' in a) this.applyAdd(a.add);
    else if ('remove' in a) this.applyRemove(a.remove);
    else if ('metaData' in a) this.metadata = a.metaData;
    else if ('protocol' in a) this.protocol = a.protocol;
    else if ('txn' in a) this.txns.set(a.txn.appId, a.txn);
  }

  private applyAdd(add: AddBody): void {
    const key = fileKey(add.path, add.deletionVector);
    this.tombstones.delete(key);
    const e = this.active.get(key);
    if (e) {
      this.bytes += add.size - e.add.size;
      e.add = add;
      return;
    }
    const entry: Entry = { key, add, idx: this.list.length };
    this.active.set(key, entry);
    this.list.push(entry);
    this.bytes += add.size;
  }

  private applyRemove(rm: RemoveBody): void {
    const key = fileKey(rm.path, rm.deletionVector);
    this.tombstones.set(key, rm);
    const e = this.active.get(key);
    if (!e) return;
    this.active.delete(key);
    const last = this.list.pop() as Entry;
    if (last !== e) {
      this.list[e.idx] = last;
      last.idx = e.idx;
    }
    this.bytes -= e.add.size;
  }

  /** Drop tombstones that are past retention at `nowMs`; returns how many remain. */
  pruneTombstones(nowMs: number): number {
    for (const [k, rm] of this.tombstones) {
      if (rm.deletionTimestamp < nowMs - TOMBSTONE_RETENTION_MS) this.tombstones.delete(k);
    }
    return this.tombstones.size;
  }

  /** The `N.crc` body: the writer's own account of the state at this version. */
  crc(): Record<string, unknown> {
    if (!this.protocol || !this.metadata) throw new Error('generator state has no protocol/metaData');
    const out: Record<string, unknown> = {
      tableSizeBytes: this.bytes,
      numFiles: this.list.length,
      numMetadata: 1,
      numProtocol: 1,
      metadata: this.metadata,
      protocol: this.protocol,
    };
    if (this.txns.size > 0) {
      out.setTransactions = [...this.txns.values()].sort((a, b) => (a.appId < b.appId ? -1 : 1));
    }
    return out;
  }
}
