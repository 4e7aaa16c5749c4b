/**
 * Blind appends that take the next version outright (SqlDriver.appendNext, PostgreSQL), and what
 * a successful one teaches a process about its table, so that the next blind append needs no read
 * before its one call.
 *
 * Known table. After an append call that read at version r and took version v, the protocol and
 * metaData in force at r are in force at every version in [r, v]: the call verified, in the
 * snapshot it wrote in, that no version in (r, v) changed either, and v itself holds adds only.
 * A later blind append whose read version lies in a known range is prepared on that basis
 * (prepare.ts `prepareKnown`: the same validation of its actions) and sent at once. The table's
 * row as last seen may be stale (mode, commits closed, the row replaced), but the call itself only
 * writes while the table is sql-primary with commits open and its row still exists; when it
 * writes nothing, the knowledge is dropped and the commit starts again from a fresh read, so every
 * refusal and conflict is reported exactly as without the shortcut.
 */
import { COLUMNS } from '../rows';
import { BLIND_APPEND_TABLES, type NextVersionAppend, type SqlDriver } from '../sql';
import { prepareVersions } from '../writer';
import {
  buildCommit,
  prepareKnown,
  type CommitRequest,
  type PreparedCommit,
  type TableBasis,
} from './prepare';

/** Actions of a commit taking the one-call or one-statement path at most (its rows travel as one parameter). */
export const ONE_STATEMENT_MAX_ACTIONS = 500;

interface KnownTable {
  basis: TableBasis;
  /** The basis is in force at every version from `from` to `to`. */
  from: number;
  to: number;
}

/** Per driver (i.e. per pool), per requested table name or id. */
const known = new WeakMap<SqlDriver, Map<string, KnownTable>>();

function tablesOf(db: SqlDriver): Map<string, KnownTable> {
  let m = known.get(db);
  if (m === undefined) {
    m = new Map();
    known.set(db, m);
  }
  return m;
}

/**
 * A pure blind append (adds only, read nothing, no in-commit timestamps or row tracking) as a
 * step that takes the next version (SqlDriver.appendNext); null when the commit is not one.
 */
export function nextVersionStep(p: PreparedCommit): NextVersionAppend | null {
  const s = p.summary;
  if (!p.blindAppend || p.ict || s.readPaths.size > 0 || s.txnAppIds.size > 0 || s.domains.size > 0)
    return null;
  if (p.actions.length > ONE_STATEMENT_MAX_ACTIONS) return null;
  const plain = p.actions.every(
    (a) => a.type === 'add' && a.body.baseRowId == null && a.body.defaultRowCommitVersion == null,
  );
  if (!plain) return null;
  // Built for a placeholder version: the driver writes the rows at the version it takes.
  const commit = buildCommit(p, p.request.readVersion + 1, null);
  const { rows, touches } = prepareVersions(p.state.tableId, [commit]).rows;
  const tables = BLIND_APPEND_TABLES as readonly string[];
  if ([...rows.keys()].some((t) => !tables.includes(t))) return null;
  if ([...touches].some(([t, list]) => t !== 'dl_add_files' && list.length > 0)) return null;
  return {
    tableId: p.state.tableId,
    readVersion: p.request.readVersion,
    timestamp: commit.timestamp,
    inserts: [...rows].map(([table, list]) => ({ table, columns: COLUMNS[table], rows: list })),
    closeAdds: (touches.get('dl_add_files') ?? []).map((t) => [t.key[0], t.key[1]] as const),
  };
}

/**
 * Send `p` as one append call; the version it took, or null (not a pure blind append, or the call
 * wrote nothing: the caller takes the checked path). A success is remembered (see the file header).
 */
export async function appendNextPrepared(db: SqlDriver, p: PreparedCommit): Promise<number | null> {
  const step = db.appendNext ? nextVersionStep(p) : null;
  return step ? send(db, p, step, p.request.readVersion) : null;
}

async function send(
  db: SqlDriver,
  p: PreparedCommit,
  step: NextVersionAppend,
  from: number,
): Promise<number | null> {
  const version = await db.appendNext?.(step);
  const tables = tablesOf(db);
  if (version === null || version === undefined) {
    tables.delete(p.request.table);
    return null;
  }
  tables.set(p.request.table, { basis: { state: p.state, base: p.base }, from, to: version });
  return version;
}

/**
 * A blind append to a table this process knows at `req.readVersion`: prepared without a read and
 * sent as one call. Null when the table is not known there, the commit is not a pure blind append,
 * or the call wrote nothing (the knowledge is then dropped); the caller then commits as usual.
 */
export async function appendOnKnown(
  db: SqlDriver,
  req: CommitRequest,
): Promise<{ table: string; tableId: string; version: number } | null> {
  if (!db.appendNext) return null;
  const k = tablesOf(db).get(req.table);
  const v = req.readVersion;
  if (k === undefined || !Number.isSafeInteger(v) || v < k.from || v > k.to) return null;
  // The row as last seen, with the newest version this process knows of.
  const state = { ...k.basis.state, lastVersion: Math.max(k.basis.state.lastVersion ?? k.to, k.to) };
  const p = prepareKnown({ state, base: k.basis.base }, req);
  const step = nextVersionStep(p);
  const version = step ? await send(db, p, step, k.from) : null;
  return version === null ? null : { table: state.name, tableId: state.tableId, version };
}
