/**
 * Render a results file (bench/results/<mode>.json) as the Markdown tables BENCHMARKS.md quotes,
 * so every number in the document is pasted from a harness run, never retyped.
 * Run: `node dist/bench/report.js [bench/results/full.json]`.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

type Json = Record<string, unknown>;
const obj = (v: unknown): Json => (typeof v === 'object' && v !== null ? (v as Json) : {});
const fmt = (v: unknown): string =>
  v === null || v === undefined ? '—' : Array.isArray(v) ? v.join(', ') : String(v);

/** Every interleaved comparison in the raw results, labelled. */
function interleavedRuns(raw: Json): [string, Json][] {
  const out: [string, Json][] = [];
  const add = (label: string, v: unknown): void => {
    const x = obj(v);
    if (Array.isArray(x.pairs)) out.push([label, x]);
  };
  add('full-history vs \\copy', obj(raw.fullHistory).interleaved);
  add('checkpoint-only vs \\copy', obj(raw.checkpointOnly).interleaved);
  add('checkpoint-only (one row group) vs \\copy', obj(raw.checkpointOnlySingleRowGroup).interleaved);
  add('SQLite', raw.sqliteRaw);
  add('d2d SQLite', obj(raw.d2d).sqlite);
  add('d2d PostgreSQL', obj(raw.d2d).postgres);
  return out;
}

function main(): void {
  const file = process.argv[2] ?? path.join(__dirname, '..', '..', 'bench', 'results', 'latest.json');
  const r = obj(JSON.parse(fs.readFileSync(file, 'utf8')));
  const m = obj(r.machine);
  const raw = obj(r.raw);
  const full = obj(raw.fullHistory);
  const cp = obj(raw.checkpointOnly);
  const snap = obj(raw.snapshot);
  const hk = obj(raw.hundredK);
  const goals = obj(r.goals);
  const lines: string[] = [];
  lines.push(
    `Run: ${fmt(r.date)}, mode **${fmt(r.mode)}**, wall ${fmt(r.wallSeconds)} s, scenarios ${fmt(r.scenariosRun)}.`,
  );
  lines.push(
    `Machine: ${fmt(m.nproc)} cores (${fmt(m.cpuModel)}), ${fmt(m.memoryGB)} GB, ${fmt(m.platform)}, Node ${fmt(m.node)}, PostgreSQL ${fmt(m.postgres)}, delta-rs (python deltalake) ${fmt(m.deltaRs)}.`,
  );
  lines.push('', '| metric | value | goal |', '|---|---|---|');
  for (const k of [
    'importCopyRatio',
    'sqliteRawRatio',
    'd2dSpeedupSqlite',
    'd2dSpeedupPostgres',
    'checkpointCopyRatio',
    'peakRssMB',
    'sqlFilesSpeedupLatest',
    'sqlFilesSpeedupHistorical',
    'sqlSnapshotSpeedup',
    'commitReaderRatio',
    'hundredKVersionsSeconds',
    'syncLagP95Seconds',
  ]) {
    lines.push(`| \`${k}\` | ${fmt(r[k])} | ${fmt(goals[k])} |`);
  }
  if (Object.keys(full).length > 0) {
    lines.push(
      '',
      `Full-history import (${fmt(full.versions)} versions, ${fmt(full.actions)} actions): runs ${fmt(full.importSeconds)} s (median ${fmt(full.fullImportSeconds)} s, ${fmt(full.actionsPerSecond)} actions/s); ` +
        `\`psql \\copy\` of the same ${fmt(Object.values(obj(full.rows)).reduce((s: number, n) => s + Number(n), 0))} rows (${fmt(full.copyBytes)} bytes): ${fmt(full.copySeconds)} s (median ${fmt(full.copyMedianSeconds)} s); worker peak RSS ${fmt(full.workerPeakRssMB)} MB.`,
    );
    lines.push('', '| activity (last run) | count | run s | queue s |', '|---|---|---|---|');
    for (const [k, t] of Object.entries(obj(full.activities))) {
      const x = obj(t);
      lines.push(`| ${k} | ${fmt(x.count)} | ${fmt(x.runSeconds)} | ${fmt(x.queueSeconds)} |`);
    }
  }
  if (Object.keys(cp).length > 0) {
    lines.push(
      '',
      `Checkpoint-only import (checkpoint ${fmt(cp.checkpointVersion)}, ${fmt(cp.actions)} actions): runs ${fmt(cp.importSeconds)} s (median ${fmt(cp.checkpointImportSeconds)} s, ${fmt(cp.rowsPerSecond)} rows/s); worker VmHWM per run ${fmt(cp.peakRssMBPerRun)} MB.`,
    );
  }
  if (Object.keys(snap).length > 0) {
    lines.push(
      '',
      '| snapshot | files | SQL `files()` s | same before VACUUM s | delta-rs `file_uris()` s (in python) | delta-rs process s | SQL vs delta-rs | full SQL snapshot s | full snapshot vs delta-rs | our replay s |',
      '|---|---|---|---|---|---|---|---|---|---|',
    );
    for (const k of ['latest', 'historical']) {
      const x = obj(snap[k]);
      lines.push(
        `| ${k} v${fmt(x.version)} | ${fmt(x.numFiles)} | ${fmt(x.sqlMedian)} | ${fmt(x.filesNoVacuumMedian)} | ${fmt(x.deltaRsMedian)} | ${fmt(x.deltaRsProcessSeconds)} | ${fmt(x.sqlVsDeltaRs)}× | ${fmt(x.snapshotMedian)} | ${fmt(x.snapshotVsDeltaRs)}× | ${fmt(x.replayMedian)} |`,
      );
    }
  }
  if (Object.keys(hk).length > 0) {
    lines.push(
      '',
      `${fmt(hk.versions)}-version import (${fmt(hk.actions)} actions): runs ${fmt(hk.importSeconds)} s (${fmt(hk.versionsPerSecond)} versions/s), worker peak RSS ${fmt(hk.workerPeakRssMB)} MB.`,
    );
  }
  const pairs = interleavedRuns(raw);
  if (pairs.length > 0) {
    lines.push(
      '',
      '| comparison (A vs B) | A runs s | B runs s | A/B per pair | median A/B (min–max) | noisy pairs | load |',
      '|---|---|---|---|---|---|---|',
    );
    for (const [label, il] of pairs) {
      const a = obj(il.a);
      const b = obj(il.b);
      const ps = (Array.isArray(il.pairs) ? il.pairs : []).map(obj);
      lines.push(
        `| ${label}: ${fmt(a.name)} vs ${fmt(b.name)} | ${fmt(a.seconds)} | ${fmt(b.seconds)} | ${fmt(ps.map((p) => p.ratio))} | ${fmt(il.ratioMedian)} (${fmt(il.ratioMin)}–${fmt(il.ratioMax)}) | ${fmt(il.noisyPairs) || '—'} | ${fmt(ps.map((p) => p.loadAvg))} |`,
      );
    }
  }
  lines.push(
    '',
    `Sync lag: ${JSON.stringify(raw.syncLag)}`,
    '',
    `Parse throughput: ${JSON.stringify(raw.parseThroughput)}`,
  );
  process.stdout.write(lines.join('\n') + '\n');
}

main();
