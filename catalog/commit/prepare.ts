/**
 * The CPU side of an SQL commit, done once per commit outside any transaction: read the table at
 * the read version, validate the caller's actions against it (actions-input.ts, features.ts) and
 * summarise what the transaction read and wrote for the conflict checker. `buildCommit` then turns
 * the prepared commit into the Commit of one attempt at one version: a fresh commitInfo (the
 * in-commit timestamp must follow the version just before it) and the caller's lines unchanged.
 */
import { createHash, randomUUID } from 'node:crypto';
import { DeltaSqlError } from '../../common/errors';
import type { Commit, LogAction } from '../../delta/actions';
import { rebuildCommit } from '../../delta/commit-framing';
import { commitPath } from '../../delta/log-path';
import { MetadataSchema, ProtocolSchema } from '../../delta/actions';
import { metadataJson, protocolJson, type MetadataJson, type ProtocolJson } from '../../delta/snapshot-json';
import type { SqlDriver } from '../sql';
import { acceptAction } from './actions-input';
import { commitInfoAction, nextInCommitTimestamp } from './commit-info';
import { isBlindAppend, summarize, type IsolationLevel, type TxnSummary } from './conflicts';
import { checkActionFeatures, checkProtocolWritable, inCommitTimestampsEnabled } from './features';
import { assertAcceptsCommits, MODE_COLUMNS, toState, type TableModeState } from './table-mode';

export interface CommitRequest {
  /** Catalog table name or id. */
  table: string;
  /** The version the caller read (and built its actions from). */
  readVersion: number;
  /** Delta actions, one object per action: `{"add": {...}}`, `{"remove": {...}}`, ... */
  actions: readonly unknown[];
  /** commitInfo.operation; default WRITE. */
  operation?: string;
  operationParameters?: Record<string, string>;
  /** Default WriteSerializable (Delta's default). */
  isolation?: IsolationLevel;
  /** What the transaction read, for the conflict rules: files by path, or the whole table. */
  reads?: { wholeTable?: boolean; paths?: readonly string[] };
}

/** The table as a commit at some read version sees it: its row, and the protocol and metaData in force. */
export interface TableBasis {
  state: TableModeState;
  base: { protocol: ProtocolJson; metadata: MetadataJson };
}

export interface PreparedCommit {
  state: TableModeState;
  /** The protocol and metaData in force at the read version (what the actions were validated against). */
  base: TableBasis['base'];
  request: CommitRequest;
  actions: LogAction[];
  summary: TxnSummary;
  blindAppend: boolean;
  ict: boolean;
  txnId: string;
  now: number;
}

const ISOLATIONS: readonly IsolationLevel[] = ['Serializable', 'WriteSerializable', 'SnapshotIsolation'];

function checkReadVersion(req: CommitRequest, s: TableModeState): void {
  const v = req.readVersion;
  if (!Number.isSafeInteger(v) || v < 0) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `readVersion must be a non-negative integer, got ${String(v)}`,
    );
  }
  if (s.lastVersion === null) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `table ${s.name} has no version yet: create it first (deltasql create)`,
    );
  }
  if (v > s.lastVersion) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `readVersion ${v} is in the future: the latest version of table ${s.name} is ${s.lastVersion}`,
    );
  }
}

/** Validate `actions` for a table whose state is (protocol, metadata); shared with `create`. */
export function acceptActions(
  input: readonly unknown[],
  location: string,
  name: string,
  base: { protocol: ProtocolJson | null; metadata: MetadataJson | null },
  now: number,
): { actions: LogAction[]; protocol: ProtocolJson; metadata: MetadataJson } {
  if (input.length === 0) throw new DeltaSqlError('InvalidAction', 'a commit needs at least one action');
  // The commit's own metaData (e.g. new partitioning) governs its adds.
  const metaIn = input.find((a) => typeof a === 'object' && a !== null && 'metaData' in a);
  const first =
    metaIn === undefined
      ? null
      : acceptAction(metaIn, input.indexOf(metaIn), { location, partitionColumns: [] }, now);
  const metadata = first?.type === 'metaData' ? metadataJson(first.body) : base.metadata;
  if (metadata === null) throw new DeltaSqlError('MissingMetadata', `table ${name} has no metaData`);
  const shape = { location, partitionColumns: metadata.partitionColumns };
  const actions = input.map((a, i) => acceptAction(a, i, shape, now));
  const protoAction = actions.find((a) => a.type === 'protocol');
  const protocol = protoAction?.type === 'protocol' ? protocolJson(protoAction.body) : base.protocol;
  if (protocol === null) throw new DeltaSqlError('MissingProtocol', `table ${name} has no protocol`);
  for (const t of ['metaData', 'protocol'] as const) {
    if (actions.filter((a) => a.type === t).length > 1)
      throw new DeltaSqlError('InvalidAction', `a commit may hold at most one ${t} action`);
  }
  checkProtocolWritable(protocol, name, metadata);
  checkActionFeatures(actions, protocol, metadata, name);
  return { actions, protocol, metadata };
}

/** The stored body of one action line (`{"protocol": {...}}` → `{...}`); null when there is none. */
function storedBody(raw: unknown, key: 'protocol' | 'metaData', table: string, v: number): unknown {
  if (raw === null || raw === undefined) {
    const type = key === 'protocol' ? 'MissingProtocol' : 'MissingMetadata';
    throw new DeltaSqlError(type, `no ${key} at or before version ${v} of table ${table}`);
  }
  try {
    return (JSON.parse(String(raw)) as Record<string, unknown>)[key];
  } catch (e) {
    throw new DeltaSqlError('CatalogError', `stored ${key} of table ${table} is not valid JSON`, {
      cause: e,
    });
  }
}

/**
 * The table's row and the protocol and metaData in force at `readVersion`, in one statement (one
 * round trip): two indexed lookups, never the file list (a commit must not cost O(files)).
 */
async function readForCommit(
  db: SqlDriver,
  table: string,
  readVersion: number,
): Promise<{ state: TableModeState; protocol: unknown; metadata: unknown }> {
  const latest = (t: string): string =>
    `(SELECT raw FROM {T:${t}} x WHERE x.table_id = m.table_id AND x.version <= ? ORDER BY x.version DESC, x.seq DESC LIMIT 1)`;
  const v = Number.isSafeInteger(readVersion) ? readVersion : -1;
  const rows = await db.query(
    `SELECT ${MODE_COLUMNS.map((c) => `m.${c}`).join(', ')}, ${latest('dl_protocol_updates')} AS protocol_raw,
       ${latest('dl_metadata_updates')} AS metadata_raw
       FROM {T:dl_tables} m WHERE m.table_id = ? OR m.name = ?`,
    [v, v, table, table],
  );
  // The id wins when a name happens to equal another table's id (as readMode).
  const row = rows.find((r) => r.table_id === table) ?? rows[0];
  if (row === undefined)
    throw new DeltaSqlError('CatalogTableNotFound', `no table "${table}" in the catalog (dl_tables)`);
  return { state: toState(row), protocol: row.protocol_raw, metadata: row.metadata_raw };
}

export async function prepareCommit(db: SqlDriver, req: CommitRequest): Promise<PreparedCommit> {
  const read = await readForCommit(db, req.table, req.readVersion);
  const state = read.state;
  assertAcceptsCommits(state);
  checkReadVersion(req, state);
  checkIsolation(req);
  // Only protocol and metaData govern validation.
  const base = {
    protocol: protocolJson(
      ProtocolSchema.parse(storedBody(read.protocol, 'protocol', state.name, req.readVersion)),
    ),
    metadata: metadataJson(
      MetadataSchema.parse(storedBody(read.metadata, 'metaData', state.name, req.readVersion)),
    ),
  };
  return prepareOn({ state, base }, req);
}

function checkIsolation(req: CommitRequest): void {
  const isolation = req.isolation ?? 'WriteSerializable';
  if (!ISOLATIONS.includes(isolation)) {
    throw new DeltaSqlError(
      'InvalidArgument',
      `isolation must be one of ${ISOLATIONS.join(', ')}, got ${String(isolation)}`,
    );
  }
}

/**
 * Prepare `req` on a basis known without reading it now (blind-append.ts): the same checks and
 * validation as prepareCommit, against the protocol and metaData the caller knows to be in force
 * at `req.readVersion`, and `state` as last seen (the append call re-checks mode and commits-open).
 */
export function prepareKnown(basis: TableBasis, req: CommitRequest): PreparedCommit {
  assertAcceptsCommits(basis.state);
  checkReadVersion(req, basis.state);
  checkIsolation(req);
  return prepareOn(basis, req);
}

function prepareOn({ state, base }: TableBasis, req: CommitRequest): PreparedCommit {
  const isolation = req.isolation ?? 'WriteSerializable';
  const now = Date.now();
  const { actions, metadata } = acceptActions(req.actions, state.location, state.name, base, now);
  return {
    state,
    base,
    request: req,
    actions,
    summary: summarize(req.readVersion, isolation, actions, req.reads ?? {}),
    blindAppend: isBlindAppend(actions) && !(req.reads?.wholeTable ?? false),
    ict: inCommitTimestampsEnabled(metadata),
    txnId: randomUUID(),
    now,
  };
}

/** The Commit of one attempt at `version`, after `previousTimestamp` (the version before it). */
export function buildCommit(p: PreparedCommit, version: number, previousTimestamp: number | null): Commit {
  const now = Math.max(Date.now(), p.now);
  const ict = p.ict ? nextInCommitTimestamp(now, previousTimestamp) : undefined;
  const info = commitInfoAction({
    operation: p.request.operation ?? 'WRITE',
    operationParameters: p.request.operationParameters,
    readVersion: p.request.readVersion,
    isolation: p.summary.isolation,
    blindAppend: p.blindAppend,
    txnId: p.txnId,
    now,
    inCommitTimestamp: ict,
  });
  return assembleCommit(version, ict ?? now, [info, ...p.actions]);
}

/**
 * A Commit of these actions in this order. Its file is the plain framing ('\n'-joined lines and
 * a final newline): exactly these bytes are stored (size and sha256) and later published.
 */
export function assembleCommit(version: number, timestamp: number, list: readonly LogAction[]): Commit {
  const actions = list.map((a, seq) => ({ ...a, seq }));
  const bytes = rebuildCommit(
    actions.map((a) => a.raw),
    null,
  );
  const raw = { size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), framing: null };
  return { version, timestamp, file: commitPath(version), actions, raw };
}
