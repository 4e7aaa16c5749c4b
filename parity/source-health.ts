/**
 * `deltasql validate`: is the source log itself healthy, before anyone imports it? Readers paper
 * over many defects (skip incomplete checkpoints, ignore a dangling `_last_checkpoint`, stop at a
 * gap only when asked for a version past it); an operator wants all of them listed at once, each
 * with the file it concerns. Checks:
 *   - commits: versions are contiguous (gaps listed), and the log start is covered by a checkpoint
 *   - checkpoints: every multi-part checkpoint has all its parts; every checkpoint and its sidecars
 *     read completely
 *   - last_checkpoint: parses, points at a complete checkpoint (fail when dangling); older than the
 *     newest complete checkpoint is a warning (readers list past it)
 *   - commits_readable: every commit file parses
 *   - crc: at every version with a readable `.crc`, the snapshot's numFiles/tableSizeBytes (and the
 *     crc's metadata id/schema and protocol versions, when present) agree
 * Status per check: ok, warn (reported, still healthy) or fail (unhealthy).
 */
import { z } from 'zod';
import { errorPayload } from '../common/errors';
import { listLog, type LogListing } from '../delta/listing';
import { LAST_CHECKPOINT } from '../delta/log-path';
import { readCrc } from '../delta/crc';
import type { CheckpointRef, DeltaTable } from '../delta/table';

export type HealthStatus = 'ok' | 'warn' | 'fail';

export interface HealthProblem {
  file: string | null;
  message: string;
}

export interface HealthCheck {
  name: 'commits' | 'checkpoints' | 'last_checkpoint' | 'commits_readable' | 'crc';
  status: HealthStatus;
  detail: string;
  problems: HealthProblem[];
}

export interface HealthReport {
  root: string;
  latestVersion: number | null;
  commits: number;
  checkpoints: number;
  crcs: number;
  healthy: boolean;
  checks: HealthCheck[];
}

/** Problems listed per check; all are counted in `detail`. */
const MAX_PROBLEMS = 100;
/** Commits read per `commits()` call, so one bad file does not hide the rest of the log. */
const COMMIT_CHUNK = 500;

const LastCheckpointShape = z
  .object({ version: z.number().int().nonnegative(), parts: z.number().int().positive().nullish() })
  .passthrough();

/** Largest key, -1 when empty (no spread: a log can hold 100k versions). */
const maxKey = (m: Map<number, unknown>): number => {
  let max = -1;
  for (const k of m.keys()) if (k > max) max = k;
  return max;
};

const logFile = (table: DeltaTable, rel: string): string => `${table.root.replace(/\/+$/, '')}/${rel}`;

function result(
  name: HealthCheck['name'],
  problems: HealthProblem[],
  okDetail: string,
  warn = false,
): HealthCheck {
  const status: HealthStatus = problems.length === 0 ? 'ok' : warn ? 'warn' : 'fail';
  return {
    name,
    status,
    detail: problems.length === 0 ? okDetail : `${problems.length} problem(s)`,
    problems: problems.slice(0, MAX_PROBLEMS),
  };
}

/** Contiguous runs [from, to] of the listed commit versions. */
function runsOf(versions: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const v of versions) {
    const last = runs[runs.length - 1];
    if (last !== undefined && v === last[1] + 1) last[1] = v;
    else runs.push([v, v]);
  }
  return runs;
}

function checkContiguity(table: DeltaTable, l: LogListing, versions: number[]): HealthCheck {
  const problems: HealthProblem[] = [];
  const runs = runsOf(versions);
  for (let i = 1; i < runs.length; i++) {
    const from = runs[i - 1][1] + 1;
    const to = runs[i][0] - 1;
    problems.push({
      file: logFile(table, '_delta_log/'),
      message: `missing commit version(s) ${from === to ? from : `${from}..${to}`}`,
    });
  }
  const first = versions[0];
  if (first !== undefined && first > 0) {
    const covered = [...l.checkpoints.keys()].some((c) => c >= first - 1);
    if (!covered)
      problems.push({
        file: logFile(table, '_delta_log/'),
        message: `log starts at version ${first} and no checkpoint at or after version ${first - 1} covers the missing history`,
      });
  }
  const ok =
    versions.length === 0
      ? 'no commit files (checkpoint-only log)'
      : `versions ${versions[0]}..${versions[versions.length - 1]} contiguous`;
  return result('commits', problems, ok);
}

async function checkCheckpoints(table: DeltaTable, l: LogListing): Promise<HealthCheck> {
  const problems: HealthProblem[] = [];
  for (const inc of l.incomplete) {
    problems.push({
      file: logFile(
        table,
        `_delta_log/${String(inc.version).padStart(20, '0')}.checkpoint.*.${String(inc.numParts).padStart(10, '0')}.parquet`,
      ),
      message: `multi-part checkpoint at version ${inc.version} is missing part(s) ${inc.missing.join(', ')} of ${inc.numParts}`,
    });
  }
  let read = 0;
  for (const refs of l.checkpoints.values()) {
    for (const ref of refs) {
      try {
        for await (const _a of table.checkpointActions(ref)) void _a;
        read++;
      } catch (e) {
        const err = errorPayload(e);
        problems.push({
          file: fileOf(e) ?? logFile(table, ref.files[0].path),
          message: `${err.type}: ${err.message}`,
        });
      }
    }
  }
  return result('checkpoints', problems, `${read} checkpoint(s) complete and readable`);
}

const fileOf = (e: unknown): string | null => {
  const f = (e as { file?: unknown } | null)?.file;
  return typeof f === 'string' ? f : null;
};

async function checkLastCheckpoint(table: DeltaTable, l: LogListing): Promise<HealthCheck> {
  const file = logFile(table, LAST_CHECKPOINT);
  const newest = maxKey(l.checkpoints);
  const head = await table.store.head(LAST_CHECKPOINT);
  if (head === null) {
    const p =
      newest >= 0
        ? [{ file, message: `absent although checkpoint ${newest} exists (readers list the log)` }]
        : [];
    return result('last_checkpoint', p, 'absent (no checkpoints)', true);
  }
  let parsed: z.infer<typeof LastCheckpointShape>;
  try {
    const text = (await table.store.get(LAST_CHECKPOINT)).toString('utf8').trim();
    const r = LastCheckpointShape.safeParse(JSON.parse(text));
    if (!r.success)
      return result('last_checkpoint', [{ file, message: `bad shape: ${r.error.issues[0]?.message}` }], '');
    parsed = r.data;
  } catch (e) {
    return result('last_checkpoint', [{ file, message: `unreadable: ${errorPayload(e).message}` }], '');
  }
  const refs: CheckpointRef[] = l.checkpoints.get(parsed.version) ?? [];
  const match = refs.filter(
    (r) => parsed.parts == null || r.kind !== 'multi-part' || r.files.length === parsed.parts,
  );
  if (match.length === 0) {
    const why = refs.length > 0 ? ` with ${parsed.parts} part(s)` : '';
    return result(
      'last_checkpoint',
      [
        {
          file,
          message: `points at version ${parsed.version}${why}, but no complete checkpoint exists there`,
        },
      ],
      '',
    );
  }
  if (parsed.version < newest)
    return result(
      'last_checkpoint',
      [{ file, message: `stale: points at ${parsed.version} but checkpoint ${newest} is newer` }],
      '',
      true,
    );
  return result('last_checkpoint', [], `points at checkpoint ${parsed.version}, the newest`);
}

async function checkCommitsReadable(table: DeltaTable, versions: number[]): Promise<HealthCheck> {
  const problems: HealthProblem[] = [];
  const readRange = async (from: number, to: number): Promise<boolean> => {
    try {
      for await (const _c of table.commits(from, to)) void _c;
      return true;
    } catch (e) {
      if (from === to) {
        problems.push({ file: fileOf(e), message: `${errorPayload(e).type}: ${errorPayload(e).message}` });
      }
      return false;
    }
  };
  for (const [start, end] of runsOf(versions)) {
    for (let from = start; from <= end; from += COMMIT_CHUNK) {
      const to = Math.min(end, from + COMMIT_CHUNK - 1);
      if (await readRange(from, to)) continue;
      for (let v = from; v <= to; v++) await readRange(v, v);
    }
  }
  return result('commits_readable', problems, `${versions.length} commit file(s) parse`);
}

/**
 * Versions whose state can be rebuilt: a complete checkpoint at v, or a commit at v on top of a
 * reconstructable v-1 (or v = 0). Versions behind a gap are already reported by `commits`.
 */
export function reconstructable(l: LogListing): Set<number> {
  const out = new Set<number>();
  const max = Math.max(maxKey(l.commits), maxKey(l.checkpoints));
  for (let v = 0; v <= max; v++) {
    if (l.checkpoints.has(v) || (l.commits.has(v) && (v === 0 || out.has(v - 1)))) out.add(v);
  }
  return out;
}

async function checkCrcs(table: DeltaTable, l: LogListing): Promise<HealthCheck> {
  const problems: HealthProblem[] = [];
  const readable = reconstructable(l);
  let skipped = 0;
  let compared = 0;
  for (const v of [...l.crcs.keys()].sort((a, b) => a - b)) {
    const file = logFile(table, l.crcs.get(v)!.path);
    const warnings: string[] = [];
    try {
      const crc = await readCrc(table.store, v, (m) => warnings.push(m));
      if (crc === null) {
        problems.push({ file, message: `unreadable checksum file: ${warnings.join('; ')}` });
        continue;
      }
      if (!readable.has(v)) {
        skipped++;
        continue;
      }
      const s = await table.snapshot({ version: v }, { includeFiles: false });
      compared++;
      const diffs: string[] = [];
      if (s.numFiles !== crc.numFiles) diffs.push(`numFiles snapshot ${s.numFiles} vs crc ${crc.numFiles}`);
      if (s.sizeBytes !== crc.tableSizeBytes)
        diffs.push(`size snapshot ${s.sizeBytes} vs crc ${crc.tableSizeBytes}`);
      const meta = z.object({ id: z.string(), schemaString: z.string() }).safeParse(crc.raw.metadata);
      if (meta.success && meta.data.id !== s.metadata.id) diffs.push('metadata id differs');
      if (meta.success && meta.data.schemaString !== s.metadata.schemaString) diffs.push('schema differs');
      const proto = z
        .object({ minReaderVersion: z.number(), minWriterVersion: z.number() })
        .safeParse(crc.raw.protocol);
      if (
        proto.success &&
        (proto.data.minReaderVersion !== s.protocol.minReaderVersion ||
          proto.data.minWriterVersion !== s.protocol.minWriterVersion)
      )
        diffs.push('protocol versions differ');
      if (diffs.length > 0) problems.push({ file, message: `version ${v}: ${diffs.join('; ')}` });
    } catch (e) {
      problems.push({
        file: fileOf(e) ?? file,
        message: `version ${v}: ${errorPayload(e).type}: ${errorPayload(e).message}`,
      });
    }
  }
  const check = result(
    'crc',
    problems,
    l.crcs.size === 0 ? 'no .crc files' : `${compared} version(s) agree with their .crc`,
  );
  if (skipped > 0) check.detail += ` (${skipped} skipped: version not reconstructable from the log)`;
  return check;
}

/** Run every check; never throws for a defect of the log, only for an unreachable or absent table. */
export async function checkSourceHealth(table: DeltaTable): Promise<HealthReport> {
  const l = await listLog(table.store);
  const versions = [...l.commits.keys()].sort((a, b) => a - b);
  const checks: HealthCheck[] = [checkContiguity(table, l, versions)];
  checks.push(await checkCheckpoints(table, l));
  checks.push(await checkLastCheckpoint(table, l));
  checks.push(await checkCommitsReadable(table, versions));
  checks.push(await checkCrcs(table, l));
  let latestVersion: number | null = null;
  try {
    latestVersion = await table.latestVersion();
  } catch {
    latestVersion = null;
  }
  return {
    root: table.root,
    latestVersion,
    commits: versions.length,
    checkpoints: [...l.checkpoints.values()].reduce((n, r) => n + r.length, 0),
    crcs: l.crcs.size,
    healthy: checks.every((c) => c.status !== 'fail'),
    checks,
  };
}
