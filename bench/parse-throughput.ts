/**
 * Commit-parse throughput: our validating commit reader vs plain JSON.parse on the same synthetic
 * NDJSON of add actions, held in memory so only parsing is measured. Prints JSON (adds/s).
 * Run: `npm run build && node dist/bench/parse-throughput.js [numAdds]`.
 *
 * The baseline keeps every value it parses, as the reader keeps every action it returns. A loop
 * that drops each value as soon as it is parsed leaves the young-generation collector nothing to
 * copy: on this input (`--trace-gc`) its scavenges take about 1 % of the time the keeping loop's
 * take, and they are a quarter to a third of the reader's time. That is the price of any reader
 * that returns what it read, not of validation. The dropping loop is still measured and reported
 * (`ratioVsDropped`), so both figures can be read side by side.
 */
import { parseCommitFile } from '../delta/commit-reader';
import { interleave } from './interleave';

const DEFAULT_ADDS = 200_000;

function syntheticCommit(n: number): string {
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        add: {
          path: `date=2024-01-${String((i % 28) + 1).padStart(2, '0')}/part-${String(i).padStart(5, '0')}-6f3c1f0e-9d4e-4f3a-a1b2-c3d4e5f60718.c000.snappy.parquet`,
          partitionValues: { date: `2024-01-${String((i % 28) + 1).padStart(2, '0')}` },
          size: 100_000 + i,
          modificationTime: 1_700_000_000_000 + i,
          dataChange: true,
          stats: JSON.stringify({
            numRecords: 1000,
            minValues: { id: i },
            maxValues: { id: i + 999 },
            nullCount: { id: 0 },
          }),
          tags: { INSERTION_TIME: '1700000000000000' },
        },
      }),
    );
  }
  return lines.join('\n') + '\n';
}

const PAIRS = 5;

function count(bytes: Buffer, parse: (b: Buffer) => number): { seconds: number; count: number } {
  const t0 = process.hrtime.bigint();
  const c = parse(bytes);
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, count: c };
}

async function main(): Promise<void> {
  const n = Number(process.argv[2] ?? DEFAULT_ADDS);
  // Both sides start from the same bytes, as a commit file arrives from storage: the baseline
  // decodes them and JSON.parses every line; the reader also validates, keeps each line's raw
  // text and records the framing and sha256 the catalog stores for byte-exact commits.
  const bytes = Buffer.from(syntheticCommit(n), 'utf8');
  const plain = (b: Buffer): number => {
    const values: unknown[] = [];
    for (const line of b.toString('utf8').split('\n')) if (line !== '') values.push(JSON.parse(line));
    return values.length;
  };
  const dropped = (b: Buffer): number => {
    let c = 0;
    for (const line of b.toString('utf8').split('\n')) if (line !== '') c += JSON.parse(line) ? 1 : 0;
    return c;
  };
  const ours = (b: Buffer): number => parseCommitFile(b, 'synthetic.json').actions.length;
  const side = (parse: (b: Buffer) => number) => async (): Promise<number> => {
    const r = count(bytes, parse);
    if (r.count !== n) throw new Error(`parsed ${r.count}, expected ${n}`);
    return r.seconds;
  };
  // Interleaved (bench/interleave.ts): A = our commit reader, B = JSON.parse; B/A is our relative speed.
  const il = await interleave({
    pairs: PAIRS,
    a: { name: 'commit reader', run: side(ours) },
    b: { name: 'JSON.parse', run: side(plain) },
  });
  const ilDropped = await interleave({
    pairs: PAIRS,
    a: { name: 'commit reader', run: side(ours) },
    b: { name: 'JSON.parse, values dropped', run: side(dropped) },
  });
  const result = {
    adds: n,
    bytes: bytes.length,
    jsonParseAddsPerSec: Math.round(n / il.b.median),
    commitReaderAddsPerSec: Math.round(n / il.a.median),
    /** Median of the pairwise (JSON.parse seconds / commit reader seconds). */
    ratio: il.speedupMedian,
    ratioMin: il.speedupMin,
    ratioMax: il.speedupMax,
    noisyPairs: il.noisyPairs,
    jsonParseDroppedAddsPerSec: Math.round(n / ilDropped.b.median),
    /** The same against the loop that drops each value (the baseline before issue 21's round 2). */
    ratioVsDropped: ilDropped.speedupMedian,
    ratioVsDroppedMin: ilDropped.speedupMin,
    ratioVsDroppedMax: ilDropped.speedupMax,
    noisyPairsVsDropped: ilDropped.noisyPairs,
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
