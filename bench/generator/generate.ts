/**
 * The generator's entry points: `generateTable` writes a fresh synthetic Delta log and
 * `writeCommits` appends versions to an existing one (the sync tests use it as a live writer).
 * Commits are streamed to the sink one at a time; only the table state is held in memory.
 */
import { DeltaSqlError } from '../../common/errors';
import type { ObjectStore } from '../../storage/object-store';
import { type ScheduleOptions, buildCommit, commitTimestamp } from './commit-builder';
import { type CheckpointResult, LOG_DIR, commitFile, crcFile, writeCheckpoint } from './checkpoint-writer';
import {
  type AppendOptionsInput,
  type GeneratorOptions,
  parseGeneratorOptions,
  partitionColumnsOf,
} from './options';
import { latestCommitVersion, replayLog } from './replay';
import { type LogSink, LocalSink, StoreSink } from './sink';
import { TableState } from './state';

export interface GenerateSummary {
  root: string;
  /** Versions written by this call: firstVersion..lastVersion. */
  firstVersion: number;
  lastVersion: number;
  numFiles: number;
  tableSizeBytes: number;
  actions: number;
  checkpoints: number[];
  crcFiles: number;
  seconds: number;
}

export interface SinkOptions {
  /** Write through this store instead of the local `dir`. */
  store?: ObjectStore;
}

const sinkFor = (dir: string, s: SinkOptions): LogSink =>
  s.store ? new StoreSink(s.store) : new LocalSink(dir);

/** Write versions 0..versions-1 of a new synthetic table. */
export async function generateTable(input: unknown, sinkOpts: SinkOptions = {}): Promise<GenerateSummary> {
  const o = parseGeneratorOptions(input);
  const sink = sinkFor(o.dir, sinkOpts);
  if ((await sink.list(LOG_DIR)).length > 0) {
    if (!o.force) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `${sink.root}/${LOG_DIR} already exists (use force to replace it)`,
        {
          file: `${sink.root}/${LOG_DIR}`,
        },
      );
    }
    await sink.clear(LOG_DIR);
  }
  return writeVersions(sink, new TableState(), 0, o.versions, o, partitionColumnsOf(o));
}

/**
 * Append `count` commits to the table at `dir`, starting at `fromVersion` (which must be the next
 * version). With the same seed and options as the original run, the result is byte-identical to
 * having generated all versions at once.
 */
export async function writeCommits(
  dir: string,
  fromVersion: number,
  count: number,
  opts: AppendOptionsInput = {},
  sinkOpts: SinkOptions = {},
): Promise<GenerateSummary> {
  const o = parseGeneratorOptions({ ...opts, dir, versions: Math.max(1, count) });
  const sink = sinkFor(dir, sinkOpts);
  const latest = await latestCommitVersion(sink);
  if (latest < 0)
    throw new DeltaSqlError('TableNotFound', `no commits under ${sink.root}/${LOG_DIR}`, { file: LOG_DIR });
  if (fromVersion !== latest + 1) {
    throw new DeltaSqlError(
      'VersionConflict',
      `cannot append at version ${fromVersion}: the latest version in ${sink.root} is ${latest}`,
      { file: commitFile(latest) },
    );
  }
  const state = await replayLog(sink, latest);
  return writeVersions(sink, state, fromVersion, count, o, []);
}

async function writeVersions(
  sink: LogSink,
  state: TableState,
  from: number,
  count: number,
  o: GeneratorOptions,
  partitionColumns: string[],
): Promise<GenerateSummary> {
  const t0 = process.hrtime.bigint();
  const sched: ScheduleOptions = o;
  const last = from + count - 1;
  const checkpoints: CheckpointResult[] = [];
  let actions = 0;
  let crcFiles = 0;
  for (let v = from; v <= last; v++) {
    const commit = buildCommit(state, v, sched, partitionColumns);
    state.version = v;
    const ts = commitTimestamp(sched, v);
    let body = '';
    for (const a of commit) body += JSON.stringify(a) + '\n';
    actions += commit.length;
    await sink.put(commitFile(v), body, ts);
    if (o.crcInterval > 0 && (v % o.crcInterval === 0 || v === last)) {
      await sink.put(crcFile(v), JSON.stringify(state.crc()), ts);
      crcFiles++;
    }
    if (o.checkpointInterval > 0 && v > 0 && v % o.checkpointInterval === 0) {
      checkpoints.push(
        await writeCheckpoint(sink, state, {
          parts: o.checkpointParts,
          rowGroupSize: o.rowGroupSize,
          timestamp: ts,
        }),
      );
    }
  }
  return {
    root: sink.root,
    firstVersion: from,
    lastVersion: last,
    numFiles: state.numFiles,
    tableSizeBytes: state.tableSizeBytes,
    actions,
    checkpoints: checkpoints.map((c) => c.version),
    crcFiles,
    seconds: Number(process.hrtime.bigint() - t0) / 1e9,
  };
}
