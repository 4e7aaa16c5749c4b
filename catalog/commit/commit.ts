/**
 * Optimistic SQL commits. The database decides the race: the (table_id, version) primary key of
 * `dl_table_versions` admits exactly one version N+1, and every attempt writes only while the
 * table's `dl_tables` row still says N (and sql-primary, commits open); there is no lock service
 * and no lease. A loser reads the winning commits from SQL, applies Delta's conflict rules
 * (conflicts.ts) and, when they allow it, rebases onto the new latest version and tries again, at
 * most `maxAttempts` times.
 *
 * One table, on an engine with `SqlDriver.appendIf` (PostgreSQL): an attempt is ONE statement
 * that checks the row and writes every row of the version (catalog/pg-append-if.ts), so it holds
 * the row lock only while the database runs that statement; a loser's rebase is one more
 * statement (winners.ts `readSince`), outside any lock. Elsewhere, and for commitMany, an attempt
 * is one transaction that locks the row, rebases while holding it, then writes.
 *
 * Several tables (commitMany) share one transaction: all of them advance, or none does. Their rows
 * are locked in table-id order, so two groups over the same tables cannot deadlock.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { DeltaSqlError, isDeltaSqlError } from '../../common/errors';
import type { LogAction } from '../../delta/actions';
import { COLUMNS, VALIDITY } from '../rows';
import type { ConditionalAppend, SqlDriver } from '../sql';
import { appendPreparedLocked, prepareVersions } from '../writer';
import { appendNextPrepared, appendOnKnown, ONE_STATEMENT_MAX_ACTIONS } from './blind-append';
import { checkWinner } from './conflicts';
import { buildCommit, prepareCommit, type CommitRequest, type PreparedCommit } from './prepare';
import { assertAcceptsCommits, readModeLocked, type TableModeState } from './table-mode';
import { readSince, winningCommits } from './winners';

export const DEFAULT_MAX_ATTEMPTS = 50;
/** Upper bound of the random pause between attempts (ms), grown with the attempt number. */
const MAX_BACKOFF_MS = 20;

export interface CommitResult {
  table: string;
  tableId: string;
  version: number;
  /** Attempts it took (1 = no rebase). */
  attempts: number;
}

export interface CommitOptions {
  maxAttempts?: number;
  /** Test seam for atomicity: runs inside the transaction after every row is written, before COMMIT. */
  beforeSqlCommit?: () => Promise<void>;
}

/**
 * The table moved past the version an attempt was built for. A DeltaSqlError, so the engines'
 * transaction wrappers pass it through unchanged after rolling back.
 */
class Stale extends DeltaSqlError {
  constructor(
    readonly index: number,
    readonly latest: number,
  ) {
    super('VersionConflict', `table moved on to version ${latest}`);
  }
}

interface Pending {
  p: PreparedCommit;
  /** Winning commits have been checked up to here; the attempt writes checked+1. */
  checked: number;
}

/** Check the commits that won since `pending.checked`; throws the typed conflict, else rebases. */
async function rebase(db: SqlDriver, pending: Pending, latest: number): Promise<void> {
  if (latest <= pending.checked) return;
  const won = await winningCommits(db, pending.p.state.tableId, pending.checked + 1, latest);
  for (const [version, actions] of won) checkWinner(pending.p.summary, { version, actions });
  pending.checked = latest;
}

async function attempt(
  db: SqlDriver,
  group: Pending[],
  groupId: string | null,
  opts: CommitOptions,
): Promise<number[]> {
  const order = group
    .map((_, i) => i)
    .sort((a, b) => (group[a].p.state.tableId < group[b].p.state.tableId ? -1 : 1));
  return db.transaction(async (tx) => {
    const versions: number[] = new Array<number>(group.length);
    for (const i of order) {
      const pending = group[i];
      const { p } = pending;
      const now = await readModeLocked(tx, p.state.tableId);
      assertAcceptsCommits(now);
      // Rebase while holding the table's row: the winners cannot move on meanwhile, so a loser
      // needs this one transaction instead of racing the next winner again.
      if (now.lastVersion !== null && now.lastVersion > pending.checked)
        await rebase(tx, pending, now.lastVersion);
      const checked = pending.checked;
      if (now.lastVersion !== checked) throw new Stale(i, now.lastVersion ?? -1);
      const commit = buildCommit(p, checked + 1, now.lastCommitTimestamp);
      try {
        await appendPreparedLocked(tx, prepareVersions(p.state.tableId, [commit]));
      } catch (e) {
        // Another writer slipped in (the primary key saw it first): same as a stale read.
        if (isDeltaSqlError(e) && (e.type === 'VersionConflict' || e.type === 'LogGap'))
          throw new Stale(i, checked + 1);
        throw e;
      }
      versions[i] = checked + 1;
      if (groupId !== null) {
        await tx.query(
          `INSERT INTO {T:dl_commit_groups} (group_id, table_id, version, created_at) VALUES (?, ?, ?, ?)`,
          [groupId, p.state.tableId, checked + 1, Date.now()],
        );
      }
    }
    if (opts.beforeSqlCommit) await opts.beforeSqlCommit();
    return versions;
  });
}

/** The version step of `commit` on top of `checked`: written only while the row still says so. */
function conditionalStep(
  p: PreparedCommit,
  checked: number,
  commit: ReturnType<typeof buildCommit>,
): ConditionalAppend {
  const { rows, touches } = prepareVersions(p.state.tableId, [commit]).rows;
  return {
    tableId: p.state.tableId,
    expect: { last_version: checked, mode: 'sql-primary', commits_closed_at: null },
    set: { last_version: commit.version, last_commit_timestamp: commit.timestamp },
    inserts: [...rows].map(([table, list]) => ({ table, columns: COLUMNS[table], rows: list })),
    closes: [...touches].map(([table, list]) => ({ table, ...VALIDITY[table], touches: list })),
  };
}

/** Check the winners after `pending.checked` (up to `state`'s latest) and rebase past them. */
function rebaseOnto(pending: Pending, state: TableModeState, won: Map<number, readonly LogAction[]>): void {
  for (const [version, actions] of won) checkWinner(pending.p.summary, { version, actions });
  pending.checked = Math.max(pending.checked, state.lastVersion ?? pending.checked);
}

/** One table through `appendIf`: one statement per attempt, one more per lost race. */
async function commitOneStatement(
  db: SqlDriver,
  appendIf: (step: ConditionalAppend) => Promise<boolean>,
  pending: Pending,
  max: number,
): Promise<CommitResult> {
  const { p } = pending;
  let state = p.state;
  for (let n = 1; n <= max; n++) {
    assertAcceptsCommits(state);
    if ((state.lastVersion ?? -1) > pending.checked) {
      const since = await readSince(db, p.state.tableId, pending.checked);
      state = since.state;
      assertAcceptsCommits(state);
      rebaseOnto(pending, state, since.won);
    }
    const commit = buildCommit(p, pending.checked + 1, state.lastCommitTimestamp);
    if (await appendIf(conditionalStep(p, pending.checked, commit))) {
      return { table: p.state.name, tableId: p.state.tableId, version: commit.version, attempts: n };
    }
    // Lost the race (or the table was closed meanwhile): read what won, in the same statement as
    // the table's row, and go round again.
    await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, n * 2));
    const since = await readSince(db, p.state.tableId, pending.checked);
    state = since.state;
    assertAcceptsCommits(state);
    rebaseOnto(pending, state, since.won);
  }
  throw retriesExhausted([pending], max);
}

function retriesExhausted(group: readonly Pending[], max: number): DeltaSqlError {
  const names = group.map((g) => g.p.state.name).join(', ');
  return new DeltaSqlError(
    'CommitRetriesExhausted',
    `commit to ${names} lost the race ${max} times in a row (every concurrent commit was compatible, so it was rebased each time); nothing was written`,
  );
}

/** Commit prepared commits (one per table) in one transaction, rebasing on conflicts. */
export async function commitPrepared(
  db: SqlDriver,
  prepared: readonly PreparedCommit[],
  opts: CommitOptions & { groupId?: string } = {},
): Promise<CommitResult[]> {
  const ids = new Set(prepared.map((p) => p.state.tableId));
  if (ids.size !== prepared.length) {
    throw new DeltaSqlError('InvalidArgument', 'commitMany takes at most one commit per table');
  }
  const group: Pending[] = prepared.map((p) => ({ p, checked: p.request.readVersion }));
  const groupId = prepared.length > 1 || opts.groupId !== undefined ? (opts.groupId ?? randomUUID()) : null;
  const max = opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS;
  const appendIf = db.appendIf?.bind(db);
  const [only] = group;
  if (
    appendIf &&
    group.length === 1 &&
    groupId === null &&
    !opts.beforeSqlCommit &&
    only.p.actions.length <= ONE_STATEMENT_MAX_ACTIONS
  ) {
    // A blind append first tries to take the next version outright; anything else, or a blind
    // append that met a protocol/metaData change, goes through the checked attempts.
    const version = await appendNextPrepared(db, only.p);
    if (version !== null)
      return [{ table: only.p.state.name, tableId: only.p.state.tableId, version, attempts: 1 }];
    return [await commitOneStatement(db, appendIf, only, max)];
  }
  for (let n = 1; n <= max; n++) {
    try {
      const versions = await attempt(db, group, groupId, opts);
      return group.map((g, i) => ({
        table: g.p.state.name,
        tableId: g.p.state.tableId,
        version: versions[i],
        attempts: n,
      }));
    } catch (e) {
      if (!(e instanceof Stale)) throw e;
      await rebase(db, group[e.index], e.latest);
      await sleep(Math.random() * Math.min(MAX_BACKOFF_MS, n * 2));
    }
  }
  throw retriesExhausted(group, max);
}

export async function commitTable(
  db: SqlDriver,
  req: CommitRequest,
  opts: CommitOptions = {},
): Promise<CommitResult> {
  if (!opts.beforeSqlCommit) {
    // A blind append on a table this process already knows at the read version: one call, no read.
    const known = await appendOnKnown(db, req);
    if (known !== null) return { ...known, attempts: 1 };
  }
  const p = await prepareCommit(db, req);
  const [r] = await commitPrepared(db, [p], opts);
  return r;
}

/** Several tables in one SQL transaction: all advance or none does (recorded in dl_commit_groups). */
export async function commitMany(
  db: SqlDriver,
  reqs: readonly CommitRequest[],
  opts: CommitOptions & { groupId?: string } = {},
): Promise<CommitResult[]> {
  if (reqs.length === 0) throw new DeltaSqlError('InvalidArgument', 'commitMany needs at least one commit');
  const prepared: PreparedCommit[] = [];
  for (const r of reqs) prepared.push(await prepareCommit(db, r));
  return commitPrepared(db, prepared, { ...opts, groupId: opts.groupId ?? randomUUID() });
}
