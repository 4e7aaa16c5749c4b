/**
 * Side-by-side measurement of two contenders, interleaved A B A B … so that both sides see the
 * same machine load (issue 21: a ratio is only as good as the baseline measured next to it).
 *
 * One warm-up pair is run and discarded, then `pairs` timed pairs. The figure is the median of
 * the pairwise ratios A/B with their min and max; a pair is marked noisy when its ratio strays
 * from that median by more than `noiseTolerance`, or when either run strays as far from its own
 * side's median. The 1-minute load average is recorded with every run, since this harness runs on
 * shared machines.
 *
 * Reuse: `interleave({ a: { name, run }, b: { name, run } })`, where `run` does its own setup,
 * returns the seconds of the timed part only, and throws when its correctness check fails.
 */
import * as os from 'node:os';
import { median, round } from './measure';

export interface Contender {
  name: string;
  /** One run: prepare, measure, verify. Resolves to the seconds of the measured part. */
  run: (index: number) => Promise<number>;
}

export interface InterleaveOptions {
  a: Contender;
  b: Contender;
  /** Timed pairs after the warm-up (at least 3). */
  pairs?: number;
  /** Warm-up pairs run first and discarded (default 1). */
  warmup?: number;
  /** Relative deviation that marks a pair noisy (default 0.25). */
  noiseTolerance?: number;
  log?: (line: string) => void;
}

export interface SideRuns {
  name: string;
  seconds: number[];
  median: number;
}

export interface PairRun {
  pair: number;
  aSeconds: number;
  bSeconds: number;
  ratio: number;
  loadAvg: number;
  noisy: boolean;
  why: string | null;
}

export interface InterleavedResult {
  a: SideRuns;
  b: SideRuns;
  warmup: { aSeconds: number; bSeconds: number }[];
  pairs: PairRun[];
  /** Median of the pairwise ratios A/B (below 1: A is faster). */
  ratioMedian: number;
  ratioMin: number;
  ratioMax: number;
  /** Median of B/A: how many times faster A is than B. */
  speedupMedian: number;
  speedupMin: number;
  speedupMax: number;
  noisyPairs: number[];
}

export const DEFAULT_PAIRS = 3;

function deviation(x: number, ref: number): number {
  return ref === 0 ? 0 : Math.abs(x - ref) / ref;
}

/** Run A and B alternately; see the file comment. */
export async function interleave(opts: InterleaveOptions): Promise<InterleavedResult> {
  const pairs = Math.max(DEFAULT_PAIRS, opts.pairs ?? DEFAULT_PAIRS);
  const warmupPairs = opts.warmup ?? 1;
  const tol = opts.noiseTolerance ?? 0.25;
  const log = opts.log ?? ((): void => undefined);
  const warmup: { aSeconds: number; bSeconds: number }[] = [];
  const raw: { a: number; b: number; load: number }[] = [];
  let index = 0;
  for (let i = 0; i < warmupPairs + pairs; i++) {
    const isWarm = i < warmupPairs;
    const a = await opts.a.run(index++);
    const b = await opts.b.run(index++);
    const load = os.loadavg()[0];
    const label = isWarm ? `warm-up ${i + 1}` : `pair ${i - warmupPairs + 1}/${pairs}`;
    log(
      `  ${label}: ${opts.a.name} ${a.toFixed(3)}s, ${opts.b.name} ${b.toFixed(3)}s (load ${load.toFixed(1)})`,
    );
    if (isWarm) warmup.push({ aSeconds: round(a), bSeconds: round(b) });
    else raw.push({ a, b, load });
  }
  const aMed = median(raw.map((r) => r.a));
  const bMed = median(raw.map((r) => r.b));
  const ratios = raw.map((r) => r.a / r.b);
  const ratioMedian = median(ratios);
  const speedups = raw.map((r) => r.b / r.a);
  const runs: PairRun[] = raw.map((r, i) => {
    const why: string[] = [];
    if (deviation(ratios[i], ratioMedian) > tol)
      why.push(`ratio off the median by ${pct(ratios[i], ratioMedian)}`);
    if (deviation(r.a, aMed) > tol) why.push(`${opts.a.name} off its median by ${pct(r.a, aMed)}`);
    if (deviation(r.b, bMed) > tol) why.push(`${opts.b.name} off its median by ${pct(r.b, bMed)}`);
    return {
      pair: i + 1,
      aSeconds: round(r.a),
      bSeconds: round(r.b),
      ratio: round(ratios[i]),
      loadAvg: round(r.load, 2),
      noisy: why.length > 0,
      why: why.length > 0 ? why.join('; ') : null,
    };
  });
  return {
    a: { name: opts.a.name, seconds: raw.map((r) => round(r.a)), median: round(aMed) },
    b: { name: opts.b.name, seconds: raw.map((r) => round(r.b)), median: round(bMed) },
    warmup,
    pairs: runs,
    ratioMedian: round(ratioMedian),
    ratioMin: round(Math.min(...ratios)),
    ratioMax: round(Math.max(...ratios)),
    speedupMedian: round(median(speedups)),
    speedupMin: round(Math.min(...speedups)),
    speedupMax: round(Math.max(...speedups)),
    noisyPairs: runs.filter((r) => r.noisy).map((r) => r.pair),
  };
}

function pct(x: number, ref: number): string {
  return `${Math.round(deviation(x, ref) * 100)}%`;
}

/** One-line summary for logs and BENCHMARKS.md: "0.91 (0.85–1.02), noisy pairs 2". */
export function describeRatio(r: InterleavedResult, which: 'ratio' | 'speedup' = 'ratio'): string {
  const [m, lo, hi] =
    which === 'ratio'
      ? [r.ratioMedian, r.ratioMin, r.ratioMax]
      : [r.speedupMedian, r.speedupMin, r.speedupMax];
  const noisy = r.noisyPairs.length > 0 ? `, noisy pairs ${r.noisyPairs.join(', ')}` : '';
  return `${m} (${lo}–${hi}, ${r.pairs.length} pairs${noisy})`;
}
