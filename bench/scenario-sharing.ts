/**
 * Delta Sharing benchmark (issue 17): query latency over HTTP (POST …/query, the whole NDJSON
 * answer read, file URLs signed) at the latest and a historical version of a ~20k-file table and
 * of a large table (1M files in full mode, 100k in quick mode), side by side with delta-rs opening
 * the same table and listing its files (`DeltaTable(path, version=v).file_uris()`, timed inside
 * python). Sides are interleaved A B A B (bench/interleave.ts); every run checks that both sides
 * list the same number of files. Also: requests per second with 8 concurrent clients, and the
 * server process's RSS while it streams the large table's answer.
 *
 * The server runs in this process over the bench PostgreSQL catalog; tables are imported through
 * the catalog writer (the same calls the import activities make) once and reused.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { z } from 'zod';
import { openCatalog } from '../catalog/open';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import type { Commit } from '../delta/actions';
import { DeltaTable } from '../delta/table';
import { parseShares, sha256Hex } from '../sharing/config';
import { buildSharingServer } from '../sharing/server';
import type { TableShape } from './config';
import { ensureDataset, type Dataset } from './datasets';
import { interleave, describeRatio, type InterleavedResult } from './interleave';
import { median, round } from './measure';
import { withSchema } from './pg-admin';

const run = promisify(execFile);
const DeltaRsFiles = z.object({ seconds: z.array(z.number()), numFiles: z.number().int() });

export interface SharingBenchOptions {
  quick: boolean;
  dbUrl: string;
  dataRoot: string;
  python: string;
  deltaRsScript: string;
  log: (line: string) => void;
}

/** ~20k files at the latest version (quick: ~5k), with delta-rs checkpoints every 100 versions. */
const SMALL: Record<'quick' | 'full', TableShape> = {
  full: {
    versions: 2000,
    addsPerVersion: 20,
    removesPerVersion: 10,
    checkpointEvery: 100,
    checkpointLatest: true,
  },
  quick: {
    versions: 500,
    addsPerVersion: 20,
    removesPerVersion: 10,
    checkpointEvery: 100,
    checkpointLatest: true,
  },
};
/** One checkpoint holding every file: 1M (quick: 100k) adds in 10 (quick: 2) commits. */
const LARGE: Record<'quick' | 'full', TableShape> = {
  full: {
    versions: 10,
    addsPerVersion: 100_000,
    removesPerVersion: 0,
    checkpointEvery: 0,
    checkpointLatest: true,
  },
  quick: {
    versions: 2,
    addsPerVersion: 50_000,
    removesPerVersion: 0,
    checkpointEvery: 0,
    checkpointLatest: true,
  },
};

export interface CaseResult {
  table: string;
  version: number;
  numFiles: number;
  sharingP50: number;
  sharingP95: number;
  deltaRsP50: number;
  deltaRsP95: number;
  /** delta-rs / sharing, median of the interleaved pairs (min–max). */
  speedup: string;
  interleaved: InterleavedResult;
}

export interface SharingResult {
  cases: CaseResult[];
  requestsPerSecond8Clients: number;
  rpsRuns: number[];
  largeTablePeakRssMB: number;
  note: string;
}

const percentile = (xs: readonly number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** Import a generated table into the catalog once (skipped when already there at its latest version). */
async function importOnce(store: SqlCatalogStore, ds: Dataset, name: string, log: (l: string) => void) {
  const existing = await store.findTable(name);
  if (existing && existing.lastVersion === ds.latestVersion) return existing;
  const t = existing ?? (await store.ensureTable({ location: ds.dir, name }));
  const table = await DeltaTable.open(ds.dir);
  const started = Date.now();
  let batch: Commit[] = [];
  let actions = 0;
  for await (const c of table.commits((t.lastVersion ?? -1) + 1, ds.latestVersion)) {
    batch.push(c);
    actions += c.actions.length;
    if (actions >= 50_000) {
      await store.writeVersions(t.tableId, batch);
      batch = [];
      actions = 0;
    }
  }
  if (batch.length > 0) await store.writeVersions(t.tableId, batch);
  await store.driver.optimize(['dl_add_files', 'dl_table_versions']);
  log(
    `   imported ${name} (${ds.latestVersion + 1} versions) in ${((Date.now() - started) / 1000).toFixed(1)}s`,
  );
  return (await store.findTable(name))!;
}

export async function sharingScenario(o: SharingBenchOptions): Promise<SharingResult> {
  const mode = o.quick ? 'quick' : 'full';
  const tools = { python: o.python, deltaRsScript: o.deltaRsScript };
  const small = await ensureDataset(o.dataRoot, `sharing-small-${mode}`, SMALL[mode], tools, o.log);
  const large = await ensureDataset(o.dataRoot, `sharing-large-${mode}`, LARGE[mode], tools, o.log);
  const store = await openCatalog(withSchema(o.dbUrl, 'bench_sharing'));
  const token = 'bench-token';
  const tables = {
    small: await importOnce(store, small, 'small', o.log),
    large: await importOnce(store, large, 'large', o.log),
  };
  const yaml = [
    'shares:',
    '  - name: bench',
    '    schemas:',
    '      - name: default',
    '        tables:',
    ...Object.keys(tables).flatMap((n) => [`          - name: ${n}`, `            table: ${n}`]),
    'tokens:',
    '  - name: bench',
    `    hashSha256: ${sha256Hex(token)}`,
    '    shares: [bench]',
  ].join('\n');
  const app = await buildSharingServer({ store, shares: parseShares(yaml), basePath: '/ds' });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const addr = app.server.address();
  const endpoint = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}/ds`;

  /** A POST; a connection the server closed while idle between runs is retried once (and logged). */
  const post = async (url: string, init: RequestInit): Promise<Response> => {
    try {
      return await fetch(url, init);
    } catch (e) {
      o.log(`   retrying after a connection error: ${(e as Error).message}`);
      return fetch(url, init);
    }
  };

  /** One query; resolves to (seconds, files in the answer). */
  const query = async (name: string, version: number): Promise<{ s: number; files: number }> => {
    const t0 = process.hrtime.bigint();
    const r = await post(`${endpoint}/shares/bench/schemas/default/tables/${name}/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ version }),
    });
    if (r.status !== 200) throw new Error(`query ${name}@${version}: HTTP ${r.status} ${await r.text()}`);
    const text = await r.text();
    const s = Number(process.hrtime.bigint() - t0) / 1e9;
    let lines = 0;
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
    return { s, files: lines - 2 };
  };

  const cases: CaseResult[] = [];
  try {
    const plan: [keyof typeof tables, Dataset, number, number][] = [
      ['small', small, small.latestVersion, o.quick ? 5 : 10],
      ['small', small, Math.floor(small.latestVersion / 2), o.quick ? 5 : 10],
      ['large', large, large.latestVersion, 2],
      ['large', large, Math.floor(large.latestVersion / 2), 2],
    ];
    for (const [name, ds, version, k] of plan) {
      o.log(`   ${name} table at version ${version} (${k} requests / opens per run)`);
      const sharing: number[] = [];
      const deltaRs: number[] = [];
      let expected = -1;
      const check = (files: number, who: string): void => {
        if (expected >= 0 && files !== expected)
          throw new Error(`${who} listed ${files} files of ${name}@${version}, the other side ${expected}`);
        expected = files;
      };
      const result = await interleave({
        log: o.log,
        a: {
          name: 'sharing',
          run: async () => {
            const xs: number[] = [];
            for (let i = 0; i < k; i++) {
              const q = await query(name, version);
              check(q.files, 'sharing');
              xs.push(q.s);
            }
            sharing.push(...xs);
            return median(xs);
          },
        },
        b: {
          name: 'delta-rs',
          run: async () => {
            const { stdout } = await run(
              o.python,
              [o.deltaRsScript, 'files', ds.dir, String(version), String(k)],
              {
                maxBuffer: 64 << 20,
              },
            );
            const out = DeltaRsFiles.parse(JSON.parse(stdout.trim().split('\n').pop() ?? '{}'));
            check(out.numFiles, 'delta-rs');
            deltaRs.push(...out.seconds);
            return median(out.seconds);
          },
        },
      });
      // Warm-up runs are in the arrays too; percentiles are over the timed runs only.
      const timedSharing = sharing.slice(k);
      const timedDeltaRs = deltaRs.slice(k);
      cases.push({
        table: name,
        version,
        numFiles: expected,
        sharingP50: round(percentile(timedSharing, 50)),
        sharingP95: round(percentile(timedSharing, 95)),
        deltaRsP50: round(percentile(timedDeltaRs, 50)),
        deltaRsP95: round(percentile(timedDeltaRs, 95)),
        speedup: describeRatio(result, 'speedup'),
        interleaved: result,
      });
      o.log(`   -> ${expected} files, delta-rs / sharing ${describeRatio(result, 'speedup')}`);
    }

    // 8 concurrent clients on the small table's latest version.
    const rpsRuns: number[] = [];
    const seconds = o.quick ? 5 : 10;
    for (let r = 0; r < 3; r++) {
      let done = 0;
      const until = Date.now() + seconds * 1000;
      const client = async (): Promise<void> => {
        while (Date.now() < until) {
          await query('small', small.latestVersion);
          done++;
        }
      };
      const t0 = Date.now();
      await Promise.all(Array.from({ length: 8 }, client));
      rpsRuns.push(round(done / ((Date.now() - t0) / 1000), 1));
    }
    o.log(`   8 clients: ${rpsRuns.join(', ')} requests/s`);

    // RSS while the large table's latest answer streams (the answer is read, not kept).
    let peak = process.memoryUsage().rss;
    const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
    const before = process.memoryUsage().rss;
    const r = await fetch(`${endpoint}/shares/bench/schemas/default/tables/large/query`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{}',
    });
    for await (const _chunk of r.body ?? []) void _chunk;
    clearInterval(timer);
    o.log(
      `   RSS ${Math.round(before / 2 ** 20)} MB before, peak ${Math.round(peak / 2 ** 20)} MB while streaming`,
    );
    return {
      cases,
      requestsPerSecond8Clients: median(rpsRuns),
      rpsRuns,
      largeTablePeakRssMB: Math.round(peak / 2 ** 20),
      note: 'server and clients in one Node process; measured on a shared 2-core machine under load',
    };
  } finally {
    await app.close();
    await store.close();
  }
}
