/**
 * Turns LogActions into catalog rows, the same way for both engines. It also keeps each file's
 * (and txn's, and domain's) validity range DuckLake-style: a row's end column stays NULL while it
 * is current and is set to the version of the next action on the same identity. Within a buffer
 * that is done in memory; identities first seen in a buffer become `touches` that close the rows
 * already in the database, so ranges stay right across batches and calls.
 */
import { createHash, type Hash } from 'node:crypto';
import { dvUniqueId, emptyCounts, type ActionCounts, type Commit, type LogAction } from '../delta/actions';
import type { RawCommit } from '../delta/commit-framing';
import { fileIdentity } from '../delta/path-canonical';
import { addPathMismatch, noPathMismatches, type PathMismatches } from '../delta/path-mismatches';
import type { SqlValue, ValidityTouch } from './sql';

const KEY = ['table_id', 'version', 'seq'] as const;

export const COLUMNS = {
  dl_table_versions: [
    'table_id',
    'version',
    'commit_timestamp',
    'is_baseline',
    'content_hash',
    'action_count',
    'add_count',
    'remove_count',
    'counts',
    'source_file',
    'imported_at',
    'commit_size',
    'commit_sha256',
    'commit_framing',
  ],
  dl_add_files: [
    ...KEY,
    'path',
    'dv_id',
    'size',
    'modification_time',
    'data_change',
    'stats',
    'partition_values',
    'deletion_vector',
    'base_row_id',
    'default_row_commit_version',
    'removed_version',
    'raw',
  ],
  dl_remove_files: [...KEY, 'path', 'dv_id', 'deletion_timestamp', 'data_change', 'size', 'raw'],
  dl_metadata_updates: [...KEY, 'metadata_id', 'schema_string', 'partition_columns', 'configuration', 'raw'],
  dl_protocol_updates: [
    ...KEY,
    'min_reader_version',
    'min_writer_version',
    'reader_features',
    'writer_features',
    'raw',
  ],
  dl_txns: [...KEY, 'app_id', 'txn_version', 'last_updated', 'superseded_version', 'raw'],
  dl_domain_metadata: [...KEY, 'domain', 'configuration', 'removed', 'superseded_version', 'raw'],
  dl_cdc_files: [...KEY, 'path', 'size', 'data_change', 'partition_values', 'raw'],
  dl_commit_info: [...KEY, 'operation', 'in_commit_timestamp', 'info_timestamp', 'raw'],
  dl_other_actions: [...KEY, 'action_key', 'raw'],
} as const;
export type RowTable = keyof typeof COLUMNS;
export const ROW_TABLES = Object.keys(COLUMNS) as RowTable[];
/** Tables holding one row per action (everything but the version rows). */
export const ACTION_TABLES = ROW_TABLES.filter((t) => t !== 'dl_table_versions');

/** Identity-keyed tables whose rows carry a validity range. */
export const VALIDITY = {
  dl_add_files: { keyCols: ['path', 'dv_id'], endCol: 'removed_version' },
  dl_txns: { keyCols: ['app_id'], endCol: 'superseded_version' },
  dl_domain_metadata: { keyCols: ['domain'], endCol: 'superseded_version' },
} as const;
type ValidityTable = keyof typeof VALIDITY;

const json = (v: unknown): string | null => (v === null || v === undefined ? null : JSON.stringify(v));
const opt = <T extends SqlValue>(v: T | null | undefined): T | null => (v === undefined ? null : v);

/** Content hash of one version: its raw lines in order. Same lines -> same hash. */
export class ContentHasher {
  private readonly h: Hash = createHash('sha256');
  add(raw: string): void {
    this.h.update(raw).update('\n');
  }
  digest(): string {
    return this.h.digest('hex');
  }
}

export function commitHash(actions: readonly LogAction[]): string {
  const h = new ContentHasher();
  for (const a of actions) h.add(a.raw);
  return h.digest();
}

export function countAction(counts: ActionCounts, a: LogAction): void {
  counts[a.type] += 1;
}

/**
 * Tracks open rows per identity within one buffer, and the first touch of each identity. An
 * identity is one string (its key columns joined by U+0000): one map entry per identity, whose
 * value is its open row, or null once seen with none open (one lookup per action, issue 21).
 */
class ValidityTracker {
  private readonly rows = new Map<string, SqlValue[] | null>();
  readonly touches: ValidityTouch[] = [];
  constructor(
    private readonly endIdx: number,
    private readonly trackDb: boolean,
  ) {}
  /**
   * An action on identity `id` at `version`: closes the previous row; `row` (if any) becomes the
   * open one. An identity new to this buffer closes its open rows in the database (`dbKeys`, the
   * key columns of each spelling of a file path; built only then).
   */
  hit(id: string, version: number, row: SqlValue[] | null, dbKeys: () => readonly string[][]): void {
    const prev = this.rows.get(id);
    if (prev) prev[this.endIdx] = version;
    else if (prev === undefined && this.trackDb)
      for (const key of dbKeys()) this.touches.push({ key, version });
    this.rows.set(id, row);
  }
  /** The row open for `id` in this buffer, and whether the buffer has seen `id` at all. */
  lookup(id: string): { open: SqlValue[] | undefined; seen: boolean } {
    const prev = this.rows.get(id);
    return { open: prev ?? undefined, seen: prev !== undefined };
  }
}

/**
 * A remove with several spellings whose add is not in the buffer: it closes a row in the database,
 * perhaps one spelled otherwise. `writeRows` asks the database which (catalog/writer.ts).
 */
export interface SpellingCheck {
  version: number;
  path: string;
  dv: string;
  spellings: string[];
}

const ADD_PATH = (COLUMNS.dl_add_files as readonly string[]).indexOf('path');

export interface DrainedBuffer {
  rows: Map<RowTable, SqlValue[][]>;
  touches: Map<ValidityTable, ValidityTouch[]>;
  /** Removes that matched an add of this buffer spelled otherwise (import notes). */
  pathMismatches: PathMismatches;
  spellingChecks: SpellingCheck[];
}

/** Rows waiting to be flushed, with their validity bookkeeping. */
export class RowBuffer {
  private rows = new Map<RowTable, SqlValue[][]>();
  private trackers: Record<ValidityTable, ValidityTracker>;
  private pathMismatches = noPathMismatches();
  private spellingChecks: SpellingCheck[] = [];
  size = 0;
  constructor(
    private readonly tableId: string,
    /** False for a baseline: nothing older exists in the database to close. */
    private readonly trackDb: boolean,
  ) {
    this.trackers = this.newTrackers();
  }

  private newTrackers(): Record<ValidityTable, ValidityTracker> {
    const idx = (t: ValidityTable): number => (COLUMNS[t] as readonly string[]).indexOf(VALIDITY[t].endCol);
    return {
      dl_add_files: new ValidityTracker(idx('dl_add_files'), this.trackDb),
      dl_txns: new ValidityTracker(idx('dl_txns'), this.trackDb),
      dl_domain_metadata: new ValidityTracker(idx('dl_domain_metadata'), this.trackDb),
    };
  }

  private push(table: RowTable, row: SqlValue[]): SqlValue[] {
    let list = this.rows.get(table);
    if (!list) this.rows.set(table, (list = []));
    list.push(row);
    this.size += 1;
    return row;
  }

  addVersion(v: {
    version: number;
    timestamp: number;
    isBaseline: boolean;
    hash: string;
    counts: ActionCounts;
    file: string;
    /** The commit file's size, sha256 and framing; absent when the version has no commit file. */
    raw?: RawCommit | null;
  }): void {
    const total = Object.values(v.counts).reduce((s, n) => s + n, 0);
    this.push('dl_table_versions', [
      this.tableId,
      v.version,
      v.timestamp,
      v.isBaseline,
      v.hash,
      total,
      v.counts.add,
      v.counts.remove,
      JSON.stringify(v.counts),
      v.file,
      Date.now(),
      v.raw?.size ?? null,
      v.raw?.sha256 ?? null,
      v.raw?.framing ?? null,
    ]);
  }

  addCommit(c: Commit, hash: string): ActionCounts {
    const counts = emptyCounts();
    c.actions.forEach((a, i) => {
      countAction(counts, a);
      this.addAction(c.version, i, a, c.root);
    });
    this.addVersion({
      version: c.version,
      timestamp: c.timestamp,
      isBaseline: false,
      hash,
      counts,
      file: c.file,
      raw: c.raw,
    });
    return counts;
  }

  /** A file identity is its canonical path (URI spellings of one file match, as in Spark) and DV id. */
  private fileHit(path: string, dv: string, version: number, row: SqlValue[] | null, root?: string): void {
    const { canonical, spellings } = fileIdentity(path, root);
    const id = `${canonical}\u0000${dv}`;
    if (row === null && this.trackDb) {
      // A remove: note when it names its add in another spelling (cheap: one map lookup).
      const { open, seen } = this.trackers.dl_add_files.lookup(id);
      if (open) {
        if (open[ADD_PATH] !== path) addPathMismatch(this.pathMismatches, path, String(open[ADD_PATH]));
      } else if (!seen && spellings.length > 1) this.spellingChecks.push({ version, path, dv, spellings });
    }
    this.trackers.dl_add_files.hit(id, version, row, () =>
      spellings.length === 1 ? [[canonical, dv]] : spellings.map((p) => [p, dv]),
    );
  }

  /** `root`: the table root (Commit.root), so absolute paths under it match relative ones. */
  addAction(version: number, seq: number, a: LogAction, root?: string): void {
    const t = this.tableId;
    switch (a.type) {
      case 'add': {
        const b = a.body;
        const dv = dvUniqueId(b.deletionVector) ?? '';
        const row = this.push('dl_add_files', [
          t,
          version,
          seq,
          b.path,
          dv,
          b.size,
          b.modificationTime,
          opt(b.dataChange),
          opt(b.stats),
          json(b.partitionValues),
          json(b.deletionVector),
          opt(b.baseRowId),
          opt(b.defaultRowCommitVersion),
          null,
          a.raw,
        ]);
        this.fileHit(b.path, dv, version, row, root);
        return;
      }
      case 'remove': {
        const b = a.body;
        const dv = dvUniqueId(b.deletionVector) ?? '';
        this.push('dl_remove_files', [
          t,
          version,
          seq,
          b.path,
          dv,
          opt(b.deletionTimestamp),
          opt(b.dataChange),
          opt(b.size),
          a.raw,
        ]);
        this.fileHit(b.path, dv, version, null, root);
        return;
      }
      case 'metaData': {
        const b = a.body;
        this.push('dl_metadata_updates', [
          t,
          version,
          seq,
          b.id,
          b.schemaString,
          JSON.stringify(b.partitionColumns),
          json(b.configuration),
          a.raw,
        ]);
        return;
      }
      case 'protocol': {
        const b = a.body;
        this.push('dl_protocol_updates', [
          t,
          version,
          seq,
          b.minReaderVersion,
          b.minWriterVersion,
          json(b.readerFeatures),
          json(b.writerFeatures),
          a.raw,
        ]);
        return;
      }
      case 'txn': {
        const b = a.body;
        const row = this.push('dl_txns', [
          t,
          version,
          seq,
          b.appId,
          b.version,
          opt(b.lastUpdated),
          null,
          a.raw,
        ]);
        this.trackers.dl_txns.hit(b.appId, version, row, () => [[b.appId]]);
        return;
      }
      case 'domainMetadata': {
        const b = a.body;
        const row = this.push('dl_domain_metadata', [
          t,
          version,
          seq,
          b.domain,
          b.configuration,
          b.removed,
          null,
          a.raw,
        ]);
        this.trackers.dl_domain_metadata.hit(b.domain, version, row, () => [[b.domain]]);
        return;
      }
      case 'cdc': {
        const b = a.body;
        this.push('dl_cdc_files', [
          t,
          version,
          seq,
          b.path,
          b.size,
          opt(b.dataChange),
          json(b.partitionValues),
          a.raw,
        ]);
        return;
      }
      case 'commitInfo': {
        const b = a.body;
        this.push('dl_commit_info', [
          t,
          version,
          seq,
          opt(b.operation),
          opt(b.inCommitTimestamp),
          opt(b.timestamp),
          a.raw,
        ]);
        return;
      }
      case 'checkpointMetadata':
      case 'sidecar':
        this.push('dl_other_actions', [t, version, seq, a.type, a.raw]);
        return;
      case 'unknown':
        this.push('dl_other_actions', [t, version, seq, a.key, a.raw]);
        return;
    }
  }

  /** Hand over everything buffered and start empty (validity state resets with it). */
  drain(): DrainedBuffer {
    const out: DrainedBuffer = {
      rows: this.rows,
      touches: new Map(
        (Object.keys(VALIDITY) as ValidityTable[]).map((k) => [k, this.trackers[k].touches] as const),
      ),
      pathMismatches: this.pathMismatches,
      spellingChecks: this.spellingChecks,
    };
    this.rows = new Map();
    this.trackers = this.newTrackers();
    this.pathMismatches = noPathMismatches();
    this.spellingChecks = [];
    this.size = 0;
    return out;
  }
}
