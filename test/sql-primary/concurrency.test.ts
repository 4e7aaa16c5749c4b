/**
 * 8 writer processes × 25 blind appends to one PostgreSQL-backed sql-primary table (the compiled
 * package API, `dist/api`, as a user would call it): 200 new contiguous versions, each in `_delta_log` exactly once with the
 * catalog's bytes, checkpoints at 100 and 200, and delta-rs counts every appended file.
 * The writers do not wake the publisher themselves; it is signalled once when they are done.
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { openCatalog, type Catalog } from '../../api';
import { createTable } from '../../catalog/commit/create';
import { openStore } from '../../storage/uri';
import { dropPgSchema, pgUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { integrationSuite } from '../support/suite';
import { runPython } from '../support/python';
import { SCHEMA } from './helpers';

jest.setTimeout(240_000);
const suite = integrationSuite('sqlprim-conc');
const pgSchema = uniqueSchema('sqlprim_conc');
afterAll(() => dropPgSchema(pgSchema));

const WRITERS = 8;
const COMMITS = 25;
const REPO = path.resolve(__dirname, '..', '..');

const WRITER = `
const { openCatalog } = require(process.env.API);
(async () => {
  const cat = await openCatalog(process.env.CATALOG);
  const t = await cat.table('conc');
  let maxAttempts = 0;
  for (let i = 0; i < Number(process.env.COMMITS); i++) {
    const s = await t.state();
    const p = 'w' + process.env.WRITER + '-' + i + '.parquet';
    const r = await t.commit({ readVersion: s.lastVersion, actions: [{ add: { path: p, size: 1000 + i, stats: '{"numRecords":1}' } }] });
    maxAttempts = Math.max(maxAttempts, r.attempts);
  }
  await cat.close();
  process.stdout.write(JSON.stringify({ maxAttempts }));
})().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });
`;

function writer(k: number, env: NodeJS.ProcessEnv): Promise<{ maxAttempts: number }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-e', WRITER],
      { env: { ...env, WRITER: String(k) }, timeout: 180_000 },
      (err, stdout, stderr) => {
        if (err) reject(new Error(`writer ${k}: ${err.message}\n${stderr}`));
        else resolve(JSON.parse(stdout) as { maxAttempts: number });
      },
    );
  });
}

test('8 writer processes x 25 blind appends: 200 contiguous versions, each published once', async () => {
  const h = suite.h;
  if (!fs.existsSync(path.join(REPO, 'dist', 'api', 'index.js')))
    throw new Error('run `npm run build` first');
  const url = pgUrl(pgSchema);
  const location = path.join(tempDir('deltasql-conc-'), 'conc');
  fs.mkdirSync(location);
  const temporal = { address: h.env.TEMPORAL_ADDRESS ?? '', namespace: 'default', taskQueue: h.taskQueue };
  const cat: Catalog = await openCatalog(url, { temporal });
  try {
    await createTable(cat.store.driver, openStore(location), { name: 'conc', location, schema: SCHEMA });
    const env = {
      ...process.env,
      API: path.join(REPO, 'dist', 'api', 'index.js'),
      CATALOG: url,
      COMMITS: String(COMMITS),
      // The writers do not signal: 200 signals would each cost a workflow task on this 2-core box;
      // the publisher is woken once below (commit-signalling is covered by cutover.test.ts).
      TEMPORAL_ADDRESS: '',
    };
    const started = Date.now();
    const results = await h.withWorker(async () => {
      const r = await Promise.all(Array.from({ length: WRITERS }, (_, k) => writer(k, env)));
      await cat.notifyPublisher('conc');
      const deadline = Date.now() + 90_000;
      for (;;) {
        const s = await (await cat.table('conc')).state();
        if (s.publishedVersion === WRITERS * COMMITS) break;
        if (Date.now() > deadline) throw new Error(`published ${s.publishedVersion}`);
        await sleep(200);
      }
      return r;
    });
    const seconds = (Date.now() - started) / 1000;
    process.stderr.write(
      `sql-primary concurrency: ${WRITERS * COMMITS} commits by ${WRITERS} processes in ${seconds.toFixed(1)} s (incl. start-up), max attempts ${Math.max(...results.map((r) => r.maxAttempts))}\n`,
    );
    const total = WRITERS * COMMITS;
    const state = await (await cat.table('conc')).state();
    expect(state).toMatchObject({ lastVersion: total, publishedVersion: total, publishError: null });
    const log = fs.readdirSync(path.join(location, '_delta_log'));
    const commits = log.filter((f) => /^\d{20}\.json$/.test(f)).sort();
    expect(commits).toEqual(
      Array.from({ length: total + 1 }, (_, v) => `${String(v).padStart(20, '0')}.json`),
    );
    expect(log.filter((f) => f.endsWith('.checkpoint.parquet')).sort()).toEqual([
      `${String(100).padStart(20, '0')}.checkpoint.parquet`,
      `${String(200).padStart(20, '0')}.checkpoint.parquet`,
    ]);
    expect(log.filter((f) => f.endsWith('.crc'))).toHaveLength(total + 1);
    expect(
      JSON.parse(fs.readFileSync(path.join(location, '_delta_log', '_last_checkpoint'), 'utf8')),
    ).toMatchObject({
      version: 200,
    });
    // Every version's file holds exactly the catalog's bytes, and each writer's 25 files are there once.
    const paths = new Set<string>();
    for (let v = 1; v <= total; v++) {
      const bytes = fs.readFileSync(path.join(location, '_delta_log', commits[v]));
      expect(bytes.equals((await cat.store.commitBytes('conc', v)) as Buffer)).toBe(true);
      const add = bytes
        .toString('utf8')
        .split('\n')
        .filter((l) => l.startsWith('{"add"'));
      expect(add).toHaveLength(1);
      paths.add((JSON.parse(add[0]) as { add: { path: string } }).add.path);
    }
    expect(paths.size).toBe(total);
    const rs = await deltaRsVersionsFiles(location, total);
    expect(rs).toBe(total);
  } finally {
    await cat.close();
  }
});

/** delta-rs's count of active files at `version` (log only: the appended paths are not read). */
async function deltaRsVersionsFiles(location: string, version: number): Promise<number> {
  const r = await runPython<{ n: number }>(
    `
import json, sys, pyarrow as pa
from deltalake import DeltaTable
a = json.load(sys.stdin)
t = DeltaTable(a['loc'], version=a['v'])
print(json.dumps({'n': pa.table(t.get_add_actions(flatten=True)).num_rows}))
`,
    { loc: location, v: version },
  );
  return r.n;
}
