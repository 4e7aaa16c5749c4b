/**
 * Delta Sharing benchmark (issue 17): query latency over HTTP (POST …/query, the whole NDJSON
 * answer read, file URLs signed) at the latest and a historical version of a ~20k-file table and
 * of a large table (1M files in full mode, 100k in quick mode), side by side with delta-rs opening
 * the same table and listing its files (`DeltaTable(path, version=v).file_uris()`, timed inside
 * python). Sides are interleaved A B A B (bench/interleave.ts); every run checks that both sides
 * list the same number of files. Each A run times three servers over the same catalog, k requests
 * each: `uncached` (memory cache and kept answers off: SQL and signing on every request), `stored`
 * (memory cache off, answers kept on disk and re-signed per response; its very first request per
 * case builds the file and is reported apart) and, on the small table, `cached` (the default
 * server: whole answers re-used from memory). Also: requests per second with 8 concurrent
 * clients, and the uncached server's RSS while the large table's answer streams.
 *
 * Each server is a `deltasql serve` process (bench/serve-process.ts) over the bench PostgreSQL
 * catalog, as deployed; the clients run in this process. Tables are imported through the catalog
 * writer (the same calls the import activities make) once and reused.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { z } from 'zod';
import { openCatalog } from '../catalog/open';
import type { SqlCatalogStore } from '../catalog/sql-catalog';
import type { Commit } from '../delta/actions';
import { DeltaTable } from '../delta/table';
import { parseShares, sha256Hex } from '../sharing/config';
import type { TableShape } from './config';
import { ensureDataset, type Dataset } from './datasets';
import { interleave, type InterleavedResult } from './interleave';
import { median, round } from './measure';
import { withSchema } from './pg-admin';
import { startFloor, startServe, type ServeProcess } from './serve-process';

const ROOT = path.resolve(__dirname, '..', '..');

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

interface SideFigures {
  p50: number;
  p95: number;
  /** delta-rs seconds / this side's, per timed pair: median (min–max). */
  speedup: string;
  speedupMedian: number;
}

export interface CaseResult {
  table: string;
  version: number;
  numFiles: number;
  /** Warm server, answers re-used from the response cache (null where the answer is too large for it). */
  cached: SideFigures | null;
  /**
   * Memory cache off, kept answers on disk (sharing/answer-store.ts): the answer is read back from
   * its file and re-signed (one slot per line). The warm-up pair's first request builds the file.
   */
  stored: SideFigures;
  /**
   * A bare node:http process sending the same number of lines and bytes from memory
   * (bench/http-floor.ts): its speedup is the most any server could reach with this answer here.
   */
  floor: SideFigures;
  /** Seconds of the request that built the kept answer (a cold answer plus writing the file). */
  storedBuildSeconds: number;
  /** Memory cache and kept answers off: every request reads SQL and signs every URL. */
  uncached: SideFigures;
  deltaRsP50: number;
  deltaRsP95: number;
  interleaved: InterleavedResult;
}

export interface SharingResult {
  cases: CaseResult[];
  /** 8 concurrent clients, small table, latest version: cached server, then cache off. */
  requestsPerSecond8Clients: number;
  rpsRuns: number[];
  requestsPerSecond8ClientsUncached: number;
  rpsRunsUncached: number[];
  requestsPerSecond8ClientsStored: number;
  rpsRunsStored: number[];
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

/** The generated tables and their catalog import (both cached): the scenario's first step, also run alone. */
export async function prepareSharingTables(o: SharingBenchOptions) {
  const mode = o.quick ? 'quick' : 'full';
  const tools = { python: o.python, deltaRsScript: o.deltaRsScript };
  const small = await ensureDataset(o.dataRoot, `sharing-small-${mode}`, SMALL[mode], tools, o.log);
  const large = await ensureDataset(o.dataRoot, `sharing-large-${mode}`, LARGE[mode], tools, o.log);
  const store = await openCatalog(withSchema(o.dbUrl, 'bench_sharing'));
  const tables = {
    small: await importOnce(store, small, `small-${mode}`, o.log),
    large: await importOnce(store, large, `large-${mode}`, o.log),
  };
  return { mode, small, large, store, tables };
}

export async function sharingScenario(o: SharingBenchOptions): Promise<SharingResult> {
  const { mode, small, large, store, tables } = await prepareSharingTables(o);
  const token = 'bench-token';
  const yaml = [
    'shares:',
    '  - name: bench',
    '    schemas:',
    '      - name: default',
    '        tables:',
    ...Object.keys(tables).flatMap((n) => [`          - name: ${n}`, `            table: ${n}-${mode}`]),
    'tokens:',
    '  - name: bench',
    `    hashSha256: ${sha256Hex(token)}`,
    '    shares: [bench]',
  ].join('\n');
  parseShares(yaml); // fails here, not in three child processes, if the file is wrong
  const sharesFile = path.join(o.dataRoot, `sharing-shares-${mode}.yaml`);
  fs.writeFileSync(sharesFile, yaml);
  // Kept answers start empty: the first stored request of each case (in its warm-up pair) builds one.
  const answerDir = path.join(o.dataRoot, `sharing-answers-${mode}`);
  fs.rmSync(answerDir, { recursive: true, force: true });
  const serve = (args: string[]): Promise<ServeProcess> =>
    startServe({
      root: ROOT,
      catalogUrl: withSchema(o.dbUrl, 'bench_sharing'),
      sharesFile,
      basePath: '/ds',
      args,
    });
  const servers = {
    cached: await serve([]),
    stored: await serve(['--response-cache-mb', '0', '--answer-dir', answerDir]),
    uncached: await serve(['--response-cache-mb', '0']),
  };
  type Side = keyof typeof servers | 'floor';
  // The floor server (bench/http-floor.ts) is started per case, with that case's answer size.
  const ports: Record<Side, number> = {
    cached: servers.cached.port,
    stored: servers.stored.port,
    uncached: servers.uncached.port,
    floor: 0,
  };
  const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });

  /**
   * One query over HTTP (node:http with keep-alive, the answer's bytes counted as they arrive,
   * never held: a 1M-file answer is larger than a JS string may be). Resolves to (seconds, files).
   */
  const query = async (
    name: string,
    version: number | null,
    server: Side = 'cached',
  ): Promise<{ s: number; files: number; bytes: number }> => {
    try {
      return await queryOnce(name, version, server);
    } catch (e) {
      // A kept-alive connection the server closed while idle between runs: retried once (logged).
      if (!/ECONNRESET|socket hang up/.test((e as Error).message)) throw e;
      o.log(`   retrying after a connection error: ${(e as Error).message}`);
      return queryOnce(name, version, server);
    }
  };
  const queryOnce = (
    name: string,
    version: number | null,
    server: Side,
  ): Promise<{ s: number; files: number; bytes: number }> =>
    new Promise((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const body = JSON.stringify(version === null ? {} : { version });
      const req = http.request(
        {
          agent,
          host: '127.0.0.1',
          port: ports[server],
          method: 'POST',
          path: `/ds/shares/bench/schemas/default/tables/${name}/query`,
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          },
        },
        (res) => {
          let lines = 0;
          let bytes = 0;
          const errorText: Buffer[] = [];
          res.on('data', (c: Buffer) => {
            if (res.statusCode !== 200) errorText.push(c);
            bytes += c.length;
            for (let i = c.indexOf(10); i >= 0; i = c.indexOf(10, i + 1)) lines++;
          });
          res.on('error', reject);
          res.on('end', () => {
            if (res.statusCode !== 200)
              reject(
                new Error(`query ${name}@${version}: HTTP ${res.statusCode} ${Buffer.concat(errorText)}`),
              );
            else resolve({ s: Number(process.hrtime.bigint() - t0) / 1e9, files: lines - 2, bytes });
          });
        },
      );
      req.on('error', reject);
      req.end(body);
    });

  const cases: CaseResult[] = [];
  try {
    // The large table's answers (100k / 1M lines) are larger than the cache keeps: uncached only.
    const plan: [keyof typeof tables, Dataset, number, number, boolean][] = [
      ['small', small, small.latestVersion, o.quick ? 5 : 10, true],
      ['small', small, Math.floor(small.latestVersion / 2), o.quick ? 5 : 10, true],
      ['large', large, large.latestVersion, o.quick ? 2 : 1, false],
      ['large', large, Math.floor(large.latestVersion / 2), o.quick ? 2 : 1, false],
    ];
    for (const [name, ds, version, k, withCache] of plan) {
      o.log(`   ${name} table at version ${version} (${k} requests / opens per run)`);
      const times: Record<Side, number[]> = { cached: [], stored: [], uncached: [], floor: [] };
      const medians: Record<Side, number[]> = { cached: [], stored: [], uncached: [], floor: [] };
      const deltaRs: number[] = [];
      let expected = -1;
      const check = (files: number, who: string): void => {
        if (expected >= 0 && files !== expected)
          throw new Error(`${who} listed ${files} files of ${name}@${version}, the other side ${expected}`);
        expected = files;
      };
      const requests = async (server: Side): Promise<number> => {
        const xs: number[] = [];
        for (let i = 0; i < k; i++) {
          const q = await query(name, version, server);
          check(q.files, `sharing (${server})`);
          xs.push(q.s);
        }
        times[server].push(...xs);
        const m = median(xs);
        medians[server].push(m);
        return m;
      };
      // The kept answer is built first (its time is reported apart); its size sizes the floor.
      const built = await query(name, version, 'stored');
      check(built.files, 'sharing (stored)');
      const storedBuildSeconds = built.s;
      const floor = await startFloor(ROOT, built.files + 2, built.bytes);
      ports.floor = floor.port;
      const result = await interleave({
        log: o.log,
        a: {
          name: `sharing (uncached, stored${withCache ? ', cached' : ''}; floor)`,
          run: async () => {
            await requests('uncached');
            const m = await requests('stored');
            const c = withCache ? await requests('cached') : m;
            await requests('floor');
            return c;
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
      }).finally(() => floor.stop());
      // Warm-up runs are in the arrays too; percentiles are over the timed runs only.
      const pairs = result.pairs.length;
      const timed = (xs: number[]): number[] => xs.slice(xs.length - pairs * k);
      const side = (server: Side): SideFigures => {
        // delta-rs / this side per timed pair (this side's requests ran in the same A run).
        const sp = result.pairs.map(
          (p, i) => p.bSeconds / medians[server][medians[server].length - pairs + i],
        );
        const xs = timed(times[server]);
        return {
          p50: round(percentile(xs, 50)),
          p95: round(percentile(xs, 95)),
          speedup: `${round(median(sp))} (${round(Math.min(...sp))}–${round(Math.max(...sp))})`,
          speedupMedian: round(median(sp)),
        };
      };
      const uncached = side('uncached');
      const stored = side('stored');
      const floorFigures = side('floor');
      cases.push({
        table: name,
        version,
        numFiles: expected,
        cached: withCache ? side('cached') : null,
        stored,
        floor: floorFigures,
        storedBuildSeconds: round(storedBuildSeconds),
        uncached,
        deltaRsP50: round(percentile(timed(deltaRs), 50)),
        deltaRsP95: round(percentile(timed(deltaRs), 95)),
        interleaved: result,
      });
      o.log(
        `   -> ${expected} files, delta-rs / sharing: cached ${cases[cases.length - 1].cached?.speedup ?? '-'}, stored ${stored.speedup} (built in ${round(storedBuildSeconds)} s), uncached ${uncached.speedup}`,
      );
    }

    // 8 concurrent clients on the small table's latest version, with the cache and without.
    const seconds = o.quick ? 5 : 10;
    const rps = async (server: keyof typeof servers): Promise<number[]> => {
      const runs: number[] = [];
      for (let r = 0; r < 3; r++) {
        let done = 0;
        const until = Date.now() + seconds * 1000;
        const client = async (): Promise<void> => {
          while (Date.now() < until) {
            await query('small', small.latestVersion, server);
            done++;
          }
        };
        const t0 = Date.now();
        await Promise.all(Array.from({ length: 8 }, client));
        runs.push(round(done / ((Date.now() - t0) / 1000), 1));
      }
      o.log(`   8 clients (${server}): ${runs.join(', ')} requests/s`);
      return runs;
    };
    const rpsRuns = await rps('cached');
    const rpsRunsStored = await rps('stored');
    const rpsRunsUncached = await rps('uncached');

    // The uncached server's RSS while the large table's latest answer streams (counted, not kept).
    const before = servers.uncached.rssMB() ?? 0;
    let peak = before;
    const timer = setInterval(() => (peak = Math.max(peak, servers.uncached.rssMB() ?? 0)), 20);
    await query('large', null, 'uncached');
    clearInterval(timer);
    o.log(`   server RSS ${Math.round(before)} MB before, peak ${Math.round(peak)} MB while streaming`);
    return {
      cases,
      requestsPerSecond8Clients: median(rpsRuns),
      rpsRuns,
      requestsPerSecond8ClientsUncached: median(rpsRunsUncached),
      rpsRunsUncached,
      requestsPerSecond8ClientsStored: median(rpsRunsStored),
      rpsRunsStored,
      largeTablePeakRssMB: Math.round(peak),
      note: 'each server a `deltasql serve` process, the clients (node:http) in the harness process; a warm server against a cold delta-rs open (timed inside python)',
    };
  } finally {
    agent.destroy();
    await Promise.all([servers.cached.stop(), servers.stored.stop(), servers.uncached.stop()]);
    await store.close();
  }
}

/**
 * Top-level keys of bench/results/latest.json: delta-rs time / query time per case, for the best
 * server of the case (cached on the 20k table, kept answers on the 1M one) and for the bare-HTTP
 * floor of the same bytes; null when the scenario did not run.
 */
export function sharingKeys(s: SharingResult | null): Record<string, number | null> {
  const cell = (table: string, latest: boolean): CaseResult | undefined => {
    const of = s?.cases.filter((c) => c.table === table) ?? [];
    const v = of.map((c) => c.version);
    return of.find((c) => c.version === (latest ? Math.max(...v) : Math.min(...v)));
  };
  const out: Record<string, number | null> = {};
  for (const [name, table] of [
    ['20k', 'small'],
    ['1M', 'large'],
  ] as const) {
    for (const latest of [true, false]) {
      const c = cell(table, latest);
      const key = `${name}${latest ? 'Latest' : 'Historical'}`;
      out[`sharingSpeedup${key}`] = c ? (c.cached ?? c.stored).speedupMedian : null;
      out[`sharingFloorSpeedup${key}`] = c ? c.floor.speedupMedian : null;
    }
  }
  return out;
}
