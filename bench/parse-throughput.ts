/**
 * Commit-parse throughput: our validating commit reader vs plain JSON.parse on the same synthetic
 * NDJSON of add actions, held in memory so only parsing is measured. Prints JSON (adds/s).
 * Run: `npm run build && node dist/bench/parse-throughput.js [numAdds]`.
 */
import { parseCommitText } from '../delta/commit-reader';

const DEFAULT_ADDS = 200_000;
const ROUNDS = 3;

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

function best(fn: () => number): { seconds: number; count: number } {
  let seconds = Infinity;
  let count = 0;
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint();
    count = fn();
    seconds = Math.min(seconds, Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return { seconds, count };
}

function main(): void {
  const n = Number(process.argv[2] ?? DEFAULT_ADDS);
  const text = syntheticCommit(n);
  const plain = best(() => {
    let c = 0;
    for (const line of text.split('\n')) if (line !== '') c += JSON.parse(line) ? 1 : 0;
    return c;
  });
  const ours = best(() => parseCommitText(text, 'synthetic.json').length);
  if (ours.count !== n || plain.count !== n)
    throw new Error(`parsed ${ours.count}/${plain.count}, expected ${n}`);
  const result = {
    adds: n,
    bytes: Buffer.byteLength(text),
    jsonParseAddsPerSec: Math.round(n / plain.seconds),
    commitReaderAddsPerSec: Math.round(n / ours.seconds),
    ratio: Number((plain.seconds / ours.seconds).toFixed(3)),
  };
  process.stdout.write(JSON.stringify(result) + '\n');
}

main();
