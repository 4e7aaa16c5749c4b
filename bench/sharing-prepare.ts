/**
 * `node dist/bench/sharing-prepare.js [--quick]`: generate and import the sharing benchmark's
 * tables (bench/scenario-sharing.ts) without timing anything, so a profile or a later
 * `--only=sharing` run starts from cached tables.
 */
import * as path from 'node:path';
import { ensureDatabase, withDatabase } from './pg-admin';
import { prepareSharingTables } from './scenario-sharing';

const ROOT = path.resolve(__dirname, '..', '..');

async function main(): Promise<void> {
  const adminUrl =
    process.env.DELTASQL_BENCH_PG_URL ?? 'postgresql://deltasql:deltasql@127.0.0.1:5432/deltasql_test';
  await ensureDatabase(adminUrl, 'deltasql_bench');
  const { store } = await prepareSharingTables({
    quick: process.argv.includes('--quick'),
    dbUrl: withDatabase(adminUrl, 'deltasql_bench'),
    dataRoot: path.join(ROOT, '.deltasql', 'bench-data'),
    python: path.join(ROOT, '.venv', 'bin', 'python'),
    deltaRsScript: path.join(ROOT, 'bench', 'deltars.py'),
    log: (l) => process.stdout.write(`${new Date().toISOString()} ${l}\n`),
  });
  await store.close();
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
