/**
 * The TypeScript reader against delta-rs: for every public fixture that imports (deletion-vector
 * and column-mapping tables included), scan() of the catalog snapshot at the latest and a middle
 * version yields exactly delta-rs's rows (sorted canonical strings, see canon.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { batchRows, openSnapshot } from '../../reader/snapshot';
import { allFixtureTables, fixture } from '../support/env';
import {
  ORACLE_CANNOT_READ,
  TOO_LARGE,
  importFixture,
  runOracle,
  testCatalog,
  type ImportedTable,
} from '../sharing/helpers';
import { canonRow, sortRows } from './canon';
import type { SqlCatalogStore } from '../../catalog/sql-catalog';

jest.setTimeout(600_000);

/** Fixtures whose data the TypeScript reader does not read yet, with the reason. */
const NOT_SUPPORTED: Record<string, string> = {
  'delta-rs/spark-variant-checkpoint':
    'variant values are not decoded to their {metadata, value} binary form',
  'golden/spark-variant-checkpoint': 'variant values are not decoded to their {metadata, value} binary form',
};

/**
 * Fixtures whose reference rows are wrong: INT96 timestamps after 2262 overflow the nanosecond
 * arrow type in delta-rs (it refuses) and delta-kernel-rs (it wraps around).
 */
const ORACLE_WRONG: Record<string, string> = {
  'delta-rs/table_with_edge_timestamps': 'year-9999 INT96 timestamps overflow in both Python readers',
};

let store: SqlCatalogStore;
let dir: string;
const tables: ImportedTable[] = [];

beforeAll(async () => {
  ({ store, dir } = await testCatalog());
  const only = process.env.DELTASQL_FIXTURE_FILTER;
  for (const rel of allFixtureTables().filter((r) => (!only || r.includes(only)) && !TOO_LARGE[r])) {
    const t = await importFixture(store, rel, fixture(rel));
    if (t) tables.push(t);
  }
});

afterAll(async () => {
  await store?.close();
});

test('scan() equals delta-rs at the latest and a middle version of every fixture; a projected scan equals its column', async () => {
  if (!process.env.DELTASQL_FIXTURE_FILTER) expect(tables.length).toBeGreaterThan(90);
  const checks = tables.flatMap((t) => {
    const mid = t.first + Math.floor((t.latest - t.first) / 2);
    return [...new Set([t.latest, mid])].map((v) => ({
      id: `${t.rel}@${v}`,
      kind: 'deltars',
      path: t.root,
      version: v,
      out: path.join(dir, `${t.name}@${v}.json`),
      table: t.name,
    }));
  });
  const results = await runOracle(checks, dir);
  const failures: string[] = [];
  const unreadable: string[] = [];
  let compared = 0;
  for (const c of checks) {
    const r = results.get(c.id);
    if (NOT_SUPPORTED[c.id.split('@')[0]] || ORACLE_WRONG[c.id.split('@')[0]]) continue;
    if (!r?.ok) {
      unreadable.push(c.id);
      continue;
    }
    const want = sortRows(JSON.parse(fs.readFileSync(c.out, 'utf8')) as string[]);
    try {
      const snap = await openSnapshot(store, c.table, { version: c.version });
      const got: string[] = [];
      const full: Record<string, unknown>[] = [];
      for await (const b of snap.scan({ batchRows: 1000 })) {
        for (const row of batchRows(b)) {
          got.push(canonRow(row, snap.schema));
          full.push(row);
        }
      }
      sortRows(got);
      // Projection: the last column alone (only its chunks are read) equals that column of the rows.
      const last = snap.schema.slice(-1);
      const projected: string[] = [];
      if (last.length === 1)
        for await (const b of snap.scan({ batchRows: 1000, columns: last.map((f) => f.name) })) {
          expect(Object.keys(b.columns)).toEqual(last.map((f) => f.name));
          for (const row of batchRows(b)) projected.push(canonRow(row, last));
        }
      const pick = full.map((r) => canonRow({ [last[0].name]: r[last[0].name] }, last));
      if (last.length === 1 && JSON.stringify(sortRows(projected)) !== JSON.stringify(sortRows(pick)))
        failures.push(`${c.id}: the projection on ${last[0].name} differs from the full rows`);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        const ws = new Set(want);
        const gs = new Set(got);
        failures.push(
          `${c.id}: got ${got.length} rows, want ${want.length}; extra ${got.filter((x) => !ws.has(x)).slice(0, 2)}; ` +
            `missing ${want.filter((x) => !gs.has(x)).slice(0, 2)}`,
        );
      } else compared++;
    } catch (e) {
      failures.push(`${c.id}: ${(e as Error).stack?.slice(0, 400)}`);
    }
  }
  if (unreadable.length) console.log(`delta-rs cannot read: ${unreadable.join(', ')}`);
  expect(failures).toEqual([]);
  expect(unreadable.filter((id) => !ORACLE_CANNOT_READ[id.split('@')[0]])).toEqual([]);
  expect(compared).toBeGreaterThan(100);
});
