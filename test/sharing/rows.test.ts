/**
 * Every public fixture that imports, served over Delta Sharing from a SQLite catalog: the real
 * `delta-sharing` Python client (format auto-resolved, so deletion-vector and column-mapping
 * tables go through the delta response format) reads the same sorted rows as delta-rs at the
 * latest and at a middle version.
 */
import { allFixtureTables, fixture } from '../support/env';
import {
  ORACLE_CANNOT_READ,
  TOO_LARGE,
  importFixture,
  runOracle,
  serve,
  testCatalog,
  type ImportedTable,
  type Served,
} from './helpers';

jest.setTimeout(600_000);

let served: Served;
const tables: ImportedTable[] = [];

beforeAll(async () => {
  const { store, dir } = await testCatalog();
  // DELTASQL_FIXTURE_FILTER (a substring) narrows the run while developing.
  const only = process.env.DELTASQL_FIXTURE_FILTER;
  for (const rel of allFixtureTables().filter((r) => (!only || r.includes(only)) && !TOO_LARGE[r])) {
    const t = await importFixture(store, rel, fixture(rel));
    if (t) tables.push(t);
  }
  served = await serve(
    tables.map((t) => t.name),
    { store, dir },
  );
});

afterAll(async () => {
  await served?.close();
  await served?.store.close();
});

test('load_as_pandas equals delta-rs at the latest and a middle version of every fixture', async () => {
  if (!process.env.DELTASQL_FIXTURE_FILTER) expect(tables.length).toBeGreaterThan(90);
  const checks = tables.flatMap((t) => {
    const mid = t.first + Math.floor((t.latest - t.first) / 2);
    const versions = [...new Set([t.latest, mid])];
    return versions.map((v) => ({
      id: `${t.rel}@${v}`,
      kind: 'rows',
      url: `${served.profile}#fx.default.${t.name}`,
      path: t.root,
      version: v,
    }));
  });
  const results = await runOracle(checks, served.dir);
  const failures: string[] = [];
  const unreadable: string[] = [];
  for (const c of checks) {
    const r = results.get(c.id);
    if (r?.error?.startsWith('oracle: ')) unreadable.push(c.id);
    else if (!r?.ok) failures.push(`${c.id}: ${r?.error ?? r?.detail}`);
  }
  if (process.env.DELTASQL_FIXTURE_FILTER)
    console.log([...results.values()].map((r) => `${r.id} ${r.ms}ms`).join('\n'));
  if (unreadable.length) console.log(`delta-rs cannot read: ${unreadable.join(', ')}`);
  expect(failures).toEqual([]);
  expect(unreadable.filter((id) => !ORACLE_CANNOT_READ[id.split('@')[0]])).toEqual([]);
});
