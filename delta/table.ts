/**
 * Entry point of the Delta core: open a table by URI and ask for snapshots, commits, checkpoints.
 * Listing is the source of truth; `_last_checkpoint` only lets listing start late. Everything is
 * streamed: checkpoints row group by row group, commits through a bounded window of fetches.
 */
import { DeltaSqlError, tableNotFound } from '../common/errors';
import type { ObjectMeta, ObjectStore } from '../storage/object-store';
import { displayPath, isNotFound } from '../storage/storage-error';
import { openStore } from '../storage/uri';
import type { Commit, LogAction } from './actions';
import { readCheckpoint } from './checkpoint-reader';
import { type RawCommit, type StreamedRawCommit, wholeFileRaw } from './commit-framing';
import { parseCommit, parseCommitFile, streamCommit } from './commit-reader';
import { type StreamedCommit, streamedCommit } from './commit-stream';
import { byteChunks } from './line-reader';
import { readCrc } from './crc';
import { readHistory, versionAtTimestamp } from './history';
import { readLastCheckpoint } from './last-checkpoint';
import { type LogListing, listLog, maxListedVersion } from './listing';
import { LOG_DIR, commitPath, parseLogFile } from './log-path';
import {
  type ResolvedSegment,
  buildSegment,
  latestVersionOf,
  newestCheckpointAtOrBelow,
  oldestReconstructable,
} from './log-segment';
import { orderedParallel } from './parallel';
import { SnapshotBuilder } from './replay';
import { checkReaderProtocol, checkedCheckpoint } from './table-features';
import type { SnapshotJson } from './snapshot-json';
import { type IctConfig, commitTimestamp, ictConfig, metadataIn } from './timestamps';
import { logger } from '../common/logger';
import { logGap } from '../common/errors';

export interface CheckpointRef {
  version: number;
  kind: 'v2' | 'multi-part' | 'classic';
  /** Top-level checkpoint files (parts, or the single V2/classic file), relative to the table root. */
  files: ObjectMeta[];
}

/** Which files make up version N: newest complete checkpoint <= N plus the contiguous commits after it. */
export interface LogSegment {
  version: number;
  checkpoint: CheckpointRef | null;
  /** Commit files checkpoint+1..version (or 0..version), in order. */
  commits: { version: number; meta: ObjectMeta }[];
}

export interface Crc {
  version: number;
  numFiles: number;
  tableSizeBytes: number;
  raw: Record<string, unknown>;
}

export interface HistoryEntry {
  version: number;
  timestamp: number;
  operation: string | null;
  counts: Record<string, number>;
}

export interface SnapshotRequest {
  version?: number;
  timestamp?: number;
}

export interface DeltaTableOptions {
  store?: ObjectStore;
  /** Bounded parallelism for commit fetches (default 16). */
  concurrency?: number;
  /** Receives warnings such as a stale or dangling _last_checkpoint. */
  onWarning?: (message: string) => void;
}

const DEFAULT_CONCURRENCY = 16;
/**
 * Commit files above this size are streamed line by line during replay instead of being read and
 * parsed whole (CONVERT TO DELTA or a first CTAS over 1M+ files writes commits of gigabytes).
 */
export const STREAM_COMMIT_BYTES = 64 * 1024 * 1024;

export class DeltaTable {
  readonly root: string;
  readonly store: ObjectStore;
  private readonly concurrency: number;
  private readonly warn: (message: string) => void;

  private constructor(store: ObjectStore, opts: DeltaTableOptions) {
    this.store = store;
    this.root = store.root;
    this.concurrency = opts.concurrency ?? DEFAULT_CONCURRENCY;
    this.warn = opts.onWarning ?? ((m: string) => logger.warn(m));
  }

  /** Open a table; TableNotFound when `_delta_log/` holds no commit or checkpoint. */
  static async open(uri: string, opts: DeltaTableOptions = {}): Promise<DeltaTable> {
    const table = new DeltaTable(opts.store ?? openStore(uri), opts);
    for await (const meta of table.store.list(`${LOG_DIR}/`)) {
      const f = parseLogFile(meta);
      if (f !== null && (f.kind === 'commit' || f.kind === 'checkpoint')) return table;
    }
    throw tableNotFound(table.root);
  }

  /**
   * A listing that covers `target` (default latest). Starts at `_last_checkpoint` when that is
   * usable for the target; a stale hint is overridden by newer checkpoints found, a dangling one
   * (its checkpoint is gone or incomplete) falls back to a full listing, both with a warning.
   */
  private async listingFor(target?: number): Promise<LogListing> {
    const hint = await readLastCheckpoint(this.store, this.warn);
    if (hint && (target === undefined || hint.version <= target)) {
      const partial = await listLog(this.store, hint.version);
      const cp = newestCheckpointAtOrBelow(partial, target ?? Number.MAX_SAFE_INTEGER);
      const hinted = partial.checkpoints.get(hint.version) ?? [];
      if (hinted.length === 0) {
        this.warn(
          `${displayPath(this.root, `${LOG_DIR}/_last_checkpoint`)} points at checkpoint ${hint.version}, which is missing or incomplete; ` +
            (cp
              ? `using checkpoint ${cp.version} found by listing`
              : 'falling back to an older checkpoint or version 0'),
        );
      } else if (cp && cp.version > hint.version) {
        this.warn(
          `${displayPath(this.root, `${LOG_DIR}/_last_checkpoint`)} is stale (version ${hint.version}); using newer checkpoint ${cp.version}`,
        );
      }
      if (cp) return partial;
    }
    return listLog(this.store, 0);
  }

  async latestVersion(): Promise<number> {
    return latestVersionOf(await this.listingFor(), this.root);
  }

  async oldestReconstructableVersion(): Promise<number> {
    return oldestReconstructable(await listLog(this.store, 0), this.root);
  }

  async checkpoints(upTo?: number): Promise<CheckpointRef[]> {
    const listing = await listLog(this.store, 0, upTo);
    return [...listing.checkpoints.entries()]
      .filter(([v, refs]) => refs.length > 0 && (upTo === undefined || v <= upTo))
      .sort((a, b) => a[0] - b[0])
      .map(([, refs]) => refs[0]);
  }

  /**
   * The newest complete checkpoint at or below `upTo` (default latest), or null. Listed from
   * `_last_checkpoint` like `segment`, so a checkpoint-only import does not list (and, on local
   * disk, stat) every file of a long log the way `checkpoints()` does.
   */
  async newestCheckpoint(upTo?: number): Promise<CheckpointRef | null> {
    return newestCheckpointAtOrBelow(await this.listingFor(upTo), upTo ?? Number.MAX_SAFE_INTEGER);
  }

  async segment(version?: number): Promise<ResolvedSegment> {
    return buildSegment(await this.listingFor(version), this.root, version);
  }

  /** Full listing, exposed to history/timestamp helpers. */
  async listing(): Promise<LogListing> {
    return listLog(this.store, 0);
  }

  /** Fetch and parse commit files in order with bounded parallelism. */
  fetchCommits(
    metas: Iterable<{ version: number; meta: ObjectMeta }>,
  ): AsyncGenerator<{ version: number; meta: ObjectMeta; actions: LogAction[]; raw: RawCommit }> {
    return orderedParallel(metas, this.concurrency, async ({ version, meta }) => {
      const buf = await this.store.get(meta.path);
      return { version, meta, ...parseCommitFile(buf, displayPath(this.root, meta.path)) };
    });
  }

  /**
   * Commits `from..to` in order. With `streamAbove`, a commit file larger than that many bytes is
   * not read here but yielded as a StreamedCommit whose actions the caller streams (the import).
   */
  commits(from: number, to: number): AsyncIterable<Commit>;
  commits(from: number, to: number, opts: { streamAbove: number }): AsyncIterable<Commit | StreamedCommit>;
  async *commits(
    from: number,
    to: number,
    opts?: { streamAbove: number },
  ): AsyncIterable<Commit | StreamedCommit> {
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from) {
      throw new DeltaSqlError('InvalidArgument', `invalid commit range ${from}..${to} for ${this.root}`);
    }
    // Listed from `from` up to `to` only (listing.ts): an import reads a long log range by range.
    let listing = await listLog(this.store, from, to);
    // Short of `to`: a gap or the end of the log. The whole tail tells which (LogGap, or
    // VersionNotFound naming the latest), exactly as an unbounded listing would.
    if ((maxListedVersion(listing) ?? -1) < to) listing = await listLog(this.store, from);
    const latest = latestVersionOf(listing, this.root);
    if (to > latest) {
      throw new DeltaSqlError(
        'VersionNotFound',
        `version ${to} does not exist in ${this.root} (latest is ${latest})`,
        {
          file: displayPath(this.root, commitPath(to)),
        },
      );
    }
    const missing: number[] = [];
    for (let v = from; v <= to; v++) if (!listing.commits.has(v)) missing.push(v);
    if (missing.length > 0) throw logGap(missing, displayPath(this.root, commitPath(missing[0])));
    let ict: IctConfig | null = null;
    const streamAbove = opts?.streamAbove ?? Number.POSITIVE_INFINITY;
    // Small commits are fetched ahead in parallel; a large one is left to its consumer's stream.
    const fetchable = function* (): Generator<{ version: number; meta: ObjectMeta }> {
      for (let v = from; v <= to; v++) {
        const meta = listing.commits.get(v) as ObjectMeta;
        if (meta.size <= streamAbove) yield { version: v, meta };
      }
    };
    const fetched = this.fetchCommits(fetchable());
    try {
      for (let v = from; v <= to; v++) {
        const meta = listing.commits.get(v) as ObjectMeta;
        if (meta.size > streamAbove) {
          const s = this.streamedCommit(v, meta, ict);
          yield s;
          const m = s.metadata();
          if (m) ict = ictConfig(m);
          continue;
        }
        const next = await fetched.next();
        if (next.done) throw new Error(`commit ${v} of ${this.root} was not fetched`);
        const c = next.value;
        for (const a of c.actions) {
          if (a.type === 'protocol') checkReaderProtocol(a.body, displayPath(this.root, c.meta.path));
        }
        const m = metadataIn(c.actions);
        if (m) ict = ictConfig(m);
        yield {
          version: c.version,
          timestamp: commitTimestamp(c.version, c.actions, c.meta.lastModified, ict),
          file: c.meta.path,
          actions: c.actions,
          raw: c.raw,
          root: this.root,
        };
      }
    } finally {
      await fetched.return(undefined);
    }
  }

  /** A commit file's bytes through ranged reads (whole when the store has none). */
  private commitChunks(meta: ObjectMeta): AsyncGenerator<Buffer> {
    const getRange = this.store.getRange?.bind(this.store);
    const store = this.store;
    return getRange
      ? byteChunks((start, end) => getRange(meta.path, start, end), meta.size)
      : (async function* (): AsyncGenerator<Buffer> {
          yield await store.get(meta.path);
        })();
  }

  /** The actions of one commit file, streamed through ranged reads (any size, bounded memory). */
  streamCommitActions(meta: ObjectMeta): AsyncGenerator<LogAction> {
    return streamCommit(this.commitChunks(meta), displayPath(this.root, meta.path));
  }

  private streamedCommit(version: number, meta: ObjectMeta, ict: IctConfig | null): StreamedCommit {
    return streamedCommit({
      version,
      file: meta.path,
      displayFile: displayPath(this.root, meta.path),
      root: this.root,
      size: meta.size,
      mtime: meta.lastModified,
      ict,
      chunks: () => this.commitChunks(meta),
    });
  }

  /**
   * The whole commit file of `version` as a RawCommit (for a checkpoint baseline, whose actions
   * come from the checkpoint, so no action rows hold the commit's lines), or null when absent.
   * Above STREAM_COMMIT_BYTES it is a StreamedRawCommit: ranged reads of the file, which the
   * catalog stores in parts (its whole text cannot be one framing value).
   */
  async wholeCommitRaw(version: number): Promise<RawCommit | StreamedRawCommit | null> {
    const meta = await this.store.head(commitPath(version));
    if (meta && meta.size > STREAM_COMMIT_BYTES) {
      return { size: meta.size, chunks: () => this.commitChunks(meta) };
    }
    try {
      return wholeFileRaw(await this.store.get(commitPath(version)));
    } catch (e) {
      if (isNotFound(e)) return null;
      throw e;
    }
  }

  checkpointActions(checkpoint: CheckpointRef): AsyncIterable<LogAction> {
    return readCheckpoint(this.store, checkpoint);
  }

  /**
   * Replay a segment into a builder (a fresh one by default; validation passes one that keeps a
   * path range only); returns the builder and the version's timestamp.
   */
  async replay(
    seg: ResolvedSegment,
    builder: SnapshotBuilder = new SnapshotBuilder(this.root),
  ): Promise<{ builder: SnapshotBuilder; timestamp: number; file: string }> {
    if (seg.checkpoint) {
      const cpFile = displayPath(this.root, seg.checkpoint.files[0].path);
      const actions = checkedCheckpoint(
        readCheckpoint(this.store, seg.checkpoint),
        seg.checkpoint.version,
        cpFile,
      );
      for await (const a of actions) builder.apply(a, true);
    }
    let timestamp: number | null = null;
    // Small commits are fetched ahead in parallel; one above STREAM_COMMIT_BYTES is streamed line
    // by line into the builder when its turn comes, so replay memory stays bounded by the state.
    const fetched = orderedParallel(seg.commits, this.concurrency, async ({ version, meta }) => ({
      version,
      meta,
      actions:
        meta.size > STREAM_COMMIT_BYTES
          ? null
          : parseCommit(await this.store.get(meta.path), displayPath(this.root, meta.path)),
    }));
    for await (const c of fetched) {
      let info: LogAction[] = [];
      if (c.actions) {
        for (const a of c.actions) builder.apply(a);
        info = c.actions;
      } else {
        for await (const a of this.streamCommitActions(c.meta)) {
          builder.apply(a);
          if (a.type === 'commitInfo' && info.length === 0) info = [a];
        }
      }
      if (c.version === seg.version) {
        timestamp = commitTimestamp(c.version, info, c.meta.lastModified, ictConfig(builder.metadata));
      }
    }
    if (timestamp === null && seg.checkpoint) {
      const cc = seg.checkpointCommit;
      if (cc) {
        const actions = parseCommit(await this.store.get(cc.path), displayPath(this.root, cc.path));
        timestamp = commitTimestamp(seg.version, actions, cc.lastModified, ictConfig(builder.metadata));
      } else {
        timestamp = seg.checkpoint.files[0].lastModified;
      }
    }
    const first = seg.checkpoint
      ? seg.checkpoint.files[0].path
      : (seg.commits[0]?.meta.path ?? commitPath(0));
    return { builder, timestamp: timestamp ?? 0, file: displayPath(this.root, first) };
  }

  /** `opts.notes` collects remarks for the user (a remove that matched its add under another spelling). */
  async snapshot(
    req: SnapshotRequest = {},
    opts: { includeFiles?: boolean; notes?: string[] } = {},
  ): Promise<SnapshotJson> {
    if (req.version !== undefined && req.timestamp !== undefined) {
      throw new DeltaSqlError('InvalidArgument', 'give either a version or a timestamp, not both');
    }
    const version = req.timestamp !== undefined ? await versionAtTimestamp(this, req.timestamp) : req.version;
    const seg = await this.segment(version);
    const { builder, timestamp, file } = await this.replay(seg);
    const note = builder.pathMismatchNote();
    if (note !== null) opts.notes?.push(note);
    return builder.toJson(seg.version, timestamp, opts.includeFiles ?? true, file);
  }

  crc(version: number): Promise<Crc | null> {
    return readCrc(this.store, version, this.warn);
  }

  history(limit?: number): Promise<HistoryEntry[]> {
    return readHistory(this, limit);
  }
}
