/**
 * The public TypeScript API over a catalog: `openCatalog(url)` → `Catalog`, `catalog.table(name)`
 * → `Table`, whose `commit` writes one version through SQL (catalog/commit/commit.ts), and
 * `catalog.commitMany` for several tables in one SQL transaction. The classes only hold handles
 * and delegate, so other capabilities (time travel reads) add one delegating method each.
 *
 * After a commit the table's publisher is woken (when a Temporal address is configured); file-based
 * readers see the new version once it is published (`deltasql publish` catches up by hand). The
 * wake-up is off the commit's critical path: `commit` returns once SQL has committed, and a
 * process sends at most one signal per table at a time. A commit that lands while one is in flight
 * only asks for one more after it, so every commit is followed by a signal sent after it (the
 * publisher never misses a version) while 8 writers committing 100 times a second send a few
 * signals, not 800 (measured: awaiting one signal-with-start per commit cost more than the commit).
 * `close()` waits for the signals still due.
 */
import { readEnv } from '../common/config';
import { openCatalog as openStore } from '../catalog/open';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import { commitMany, commitTable, type CommitOptions, type CommitResult } from '../catalog/commit/commit';
import type { CommitRequest } from '../catalog/commit/prepare';
import { readMode, type TableModeState } from '../catalog/commit/table-mode';
import { PublisherClient, type TemporalTargetOptions } from './publisher-client';
import { openSnapshot, type TableSnapshot } from '../reader/snapshot';

export type { CommitRequest, CommitResult, TableModeState };

export interface OpenCatalogOptions {
  /**
   * Temporal to wake publishers on: default TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE /
   * DELTASQL_TASK_QUEUE from the environment; null = never signal (publish with `deltasql publish`).
   */
  temporal?: TemporalTargetOptions | null;
}

export type TableCommit = Omit<CommitRequest, 'table'>;

export class Table {
  constructor(
    private readonly catalog: Catalog,
    readonly name: string,
  ) {}
  /** Commit `actions` on top of `readVersion`: returns the version written (later after a rebase). */
  async commit(req: TableCommit, opts: CommitOptions = {}): Promise<CommitResult> {
    return this.catalog.commitOne({ ...req, table: this.name }, opts);
  }
  /** Mode, last committed and last published version. */
  state(): Promise<TableModeState> {
    return readMode(this.catalog.store.driver, this.name);
  }
  /** The table at a version or timestamp (latest by default), from SQL; `scan()` reads its rows. */
  snapshot(at: { version?: number; timestamp?: number | Date } = {}): Promise<TableSnapshot> {
    return openSnapshot(this.catalog.store, this.name, at);
  }
}

/** A table's wake-up in flight, and whether a commit landed after it was sent. */
interface Waking {
  again: boolean;
  done: Promise<void>;
}

export class Catalog {
  private readonly waking = new Map<string, Waking>();
  constructor(
    readonly store: SqlCatalogStore,
    private readonly publisher: PublisherClient | null,
  ) {}

  /** A handle on an existing catalog table (CatalogTableNotFound otherwise). */
  async table(name: string): Promise<Table> {
    const s = await readMode(this.store.driver, name);
    return new Table(this, s.name);
  }

  /** Used by Table.commit. */
  async commitOne(req: CommitRequest, opts: CommitOptions = {}): Promise<CommitResult> {
    const r = await commitTable(this.store.driver, req, opts);
    this.wake([r]);
    return r;
  }

  /** Several tables in one SQL transaction: every table advances, or none does. */
  async commitMany(reqs: readonly CommitRequest[], opts: CommitOptions = {}): Promise<CommitResult[]> {
    const r = await commitMany(this.store.driver, reqs, opts);
    this.wake(r);
    return r;
  }

  private wake(results: readonly CommitResult[]): void {
    if (!this.publisher) return;
    for (const { table } of results) {
      const busy = this.waking.get(table);
      if (busy) {
        busy.again = true;
        continue;
      }
      const w: Waking = { again: true, done: Promise.resolve() };
      w.done = (async () => {
        while (w.again) {
          w.again = false;
          // The commit is durable already; a publisher that cannot be woken now catches up on its
          // next look (PublisherInput.idleMs).
          await this.notifyPublisher(table).catch(() => undefined);
        }
        this.waking.delete(table);
      })();
      this.waking.set(table, w);
    }
  }

  /** Start or signal the table's publisher workflow; null when no Temporal address is configured. */
  async notifyPublisher(table: string): Promise<string | null> {
    return this.publisher ? this.publisher.notify(table) : null;
  }

  async close(): Promise<void> {
    while (this.waking.size > 0) await Promise.all([...this.waking.values()].map((w) => w.done));
    await this.publisher?.close();
    await this.store.close();
  }
}

export async function openCatalog(url: string, opts: OpenCatalogOptions = {}): Promise<Catalog> {
  const env = readEnv();
  const target =
    opts.temporal === undefined
      ? env.TEMPORAL_ADDRESS
        ? {
            address: env.TEMPORAL_ADDRESS,
            namespace: env.TEMPORAL_NAMESPACE,
            taskQueue: env.DELTASQL_TASK_QUEUE,
          }
        : null
      : opts.temporal;
  const store = await openStore(url);
  return new Catalog(store, target ? new PublisherClient(target, url) : null);
}
