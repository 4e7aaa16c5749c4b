/**
 * Round trip of every public fixture that imports, in both engines: import the history through
 * the library, export it with the export steps (no Temporal: one workflow per fixture would cost
 * minutes), then
 *   - every exported commit's sha256 equals the source file's, and checkpoints are at the source's versions;
 *   - `validate` (source health) finds the exported log healthy, its `.crc` files included;
 *   - delta-rs opens the exported table at every version with the same files, sizes, protocol and
 *     metadata as the source (one python process for all tables and versions, at the end).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import type { CatalogStore } from '../../catalog/store';
import { DeltaTable } from '../../delta/table';
import { checkSourceHealth } from '../../parity/source-health';
import { dropPgSchema, loadHistory, pgUrl, sqliteUrl, tempDir, uniqueSchema } from '../catalog/helpers';
import { allFixtureTables, fixture } from '../support/env';
import { commitName, deltaRsStates, exportAll, logFile, sha256, type RsState } from './helpers';

/** Fixtures the log reader rejects as corrupt (nothing to import); see test/catalog/parity.test.ts. */
const UNREADABLE = new Set(['delta-rs/delta-live-table', 'golden/deltalog-commit-info']);

const schema = uniqueSchema('export_rt');
const out = tempDir('deltasql-export-rt-');
let sqlite: CatalogStore;
let pg: CatalogStore;

beforeAll(async () => {
  sqlite = await openCatalog(sqliteUrl(out));
  pg = await openCatalog(pgUrl(schema));
});
afterAll(async () => {
  await sqlite?.close();
  await pg?.close();
  await dropPgSchema(schema);
  fs.rmSync(out, { recursive: true, force: true });
});

/** This golden table never has a metaData action: no reader can open it, so it gets no .crc. */
const NO_METADATA = new Set(['golden/data-reader-absolute-paths-escaped-chars']);

interface Case {
  rel: string;
  versions: number[];
  exported: string[];
}
const cases: Case[] = [];
const tables = allFixtureTables().filter((t) => !UNREADABLE.has(t));

test.each(tables)('%s: export from sqlite and postgres, commits byte for byte, healthy', async (rel) => {
  const root = fixture(rel);
  const loaded = await loadHistory(root).catch((e: unknown) =>
    e instanceof Error ? e : new Error(String(e)),
  );
  // Tables whose reader features deltasql refuses do not import, so there is nothing to export.
  if (loaded instanceof Error) {
    expect({ rel, type: (loaded as { type?: string }).type }).toEqual({ rel, type: 'UnsupportedFeature' });
    return;
  }
  const h = loaded;
  const exported: string[] = [];
  const sourceCps = (await h.table.checkpoints(h.latest)).map((c) => c.version).filter((v) => v >= h.first);
  for (const store of [sqlite, pg]) {
    const t = await store.ensureTable({ location: root, name: rel });
    if (h.baseline) await store.writeBaseline(t.tableId, h.baseline, h.baseline.actions());
    await store.writeVersions(t.tableId, h.commits);
    const dest = path.join(out, store.dialect, rel);
    await exportAll(store, rel, dest);
    exported.push(dest);
    // Checkpoints at exactly the versions the source has complete ones (read from its log here;
    // source-checkpoints.test.ts covers the record kept at import, for a log that is gone).
    const cps = fs
      .readdirSync(path.join(dest, '_delta_log'))
      .filter((n) => /^\d{20}\.checkpoint\.parquet$/.test(n));
    expect({ rel, cps: cps.map((n) => Number(n.slice(0, 20))) }).toEqual({ rel, cps: sourceCps });
    for (const c of h.commits) {
      const name = commitName(c.version);
      expect({ v: c.version, sha: sha256(logFile(dest, name)) }).toEqual({
        v: c.version,
        sha: sha256(logFile(root, name)),
      });
    }
    const report = await checkSourceHealth(await DeltaTable.open(dest));
    const failed = report.checks.filter((c) => c.status === 'fail');
    expect({ rel, engine: store.dialect, failed }).toEqual({ rel, engine: store.dialect, failed: [] });
    expect(report.crcs).toBe(NO_METADATA.has(rel) ? 0 : h.latest - h.first + 1);
  }
  const versions: number[] = [];
  for (let v = h.first; v <= h.latest; v++) versions.push(v);
  cases.push({ rel, versions, exported });
});

test('delta-rs reads every exported version exactly like the source', async () => {
  expect(cases.length).toBeGreaterThan(50);
  const jobs = cases.flatMap((c) =>
    [c.rel, ...c.exported].map((p, i) => ({ path: i === 0 ? fixture(p) : p, versions: c.versions })),
  );
  const states = await deltaRsStates(jobs);
  let compared = 0;
  let k = 0;
  for (const c of cases) {
    const src = states[k++];
    for (const _ of c.exported) {
      const got = states[k++];
      for (const v of c.versions) {
        const want: RsState = src[String(v)];
        // Versions delta-rs cannot open in the source (unsupported features) are not compared.
        if (want.error) continue;
        expect({ rel: c.rel, v, state: got[String(v)] }).toEqual({ rel: c.rel, v, state: want });
        compared++;
      }
    }
  }
  expect(compared).toBeGreaterThan(100);
});
