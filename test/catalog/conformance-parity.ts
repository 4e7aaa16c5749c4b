/**
 * Parity conformance, shared by the engine test files: every public fixture written into each
 * engine in both import modes (full history; checkpoint-only), and at every version a catalog
 * holds, its snapshot (with and without files) deep-equals the log snapshot from DeltaTable, key
 * order included. Split over several test files so jest's workers run engines in parallel.
 */
import type { CatalogStore } from '../../catalog/store';
import type { SnapshotJson } from '../../delta/snapshot-json';
import { allFixtureTables, fixture } from '../support/env';
import {
  freshCatalog,
  historyFor,
  type Engine,
  type ImportMode,
  type TestCatalog,
} from './conformance-support';
import { loadHistory } from './helpers';

const MODES: readonly ImportMode[] = ['full-history', 'checkpoint-only'];
/** Every other engine gets the history in slices of this many versions (cross-call validity). */
const SLICE = 3;

/** Fixtures the log reader itself rejects (so there is nothing to import), with the error type. */
const UNREADABLE: Record<string, string> = {
  'delta-rs/delta-live-table': 'CorruptCommit',
  'golden/deltalog-commit-info': 'CorruptCommit',
  'delta-rs/simple_table_features': 'UnsupportedFeature',
  'golden/deltalog-invalid-protocol-version': 'UnsupportedFeature',
};

/**
 * A checkpoint may drop `add.stats` (writeStatsAsJson=false, or struct-only stats); the log reader
 * replaying from it then has no stats while the catalog, holding every commit, still has them.
 * Only that difference is tolerated, and only for versions the log reader served from a checkpoint.
 */
function dropStatsMissingFromCheckpoint(got: SnapshotJson, expected: SnapshotJson): SnapshotJson {
  const files = got.files?.map((f, i) => {
    const e = expected.files?.[i];
    if (e && e.path === f.path && e.stats === undefined && f.stats !== undefined) {
      const { stats: _s, ...rest } = f;
      return rest;
    }
    return f;
  });
  return files ? { ...got, files } : got;
}

interface Written {
  store: CatalogStore;
  engine: Engine;
  mode: ImportMode;
  tableId: string;
  first: number;
  hasBaseline: boolean;
}

export function parityConformance(engines: readonly Engine[]): void {
  const catalogs = new Map<Engine, TestCatalog>();
  beforeAll(async () => {
    for (const e of engines) catalogs.set(e, await freshCatalog(e, `conf_${e}`));
  });
  afterAll(async () => {
    for (const c of catalogs.values()) await c.drop();
  });

  const tables = allFixtureTables();
  test('fixtures are present', () => {
    expect(tables.length).toBeGreaterThan(100);
  });

  test.each(tables)(
    `%s: snapshot equals the log at every version (${engines.join(', ')}; both modes)`,
    async (rel) => {
      const root = fixture(rel);
      if (UNREADABLE[rel]) {
        await expect(loadHistory(root)).rejects.toMatchObject({ type: UNREADABLE[rel] });
        return;
      }
      const written: Written[] = [];
      let latest = 0;
      for (const mode of MODES) {
        const h = await historyFor(root, mode);
        latest = h.latest;
        for (const [i, engine] of engines.entries()) {
          const store = catalogs.get(engine)!.store;
          const t = await store.ensureTable({ location: root, name: `${mode}/${rel}` });
          if (h.baseline) {
            const r = await store.writeBaseline(t.tableId, h.baseline, h.baseline.actions());
            expect(r.versionsWritten).toBe(1);
          }
          if (i % 2 === 1) {
            for (let s = 0; s < h.commits.length; s += SLICE) {
              await store.writeVersions(t.tableId, h.commits.slice(s, s + SLICE));
            }
          } else {
            const r = await store.writeVersions(t.tableId, h.commits);
            expect(r.versionsWritten).toBe(h.commits.length);
          }
          const after = await store.findTable(t.tableId);
          expect({ engine, mode, last: after?.lastVersion, first: after?.firstVersion }).toEqual({
            engine,
            mode,
            last: h.latest,
            first: h.first,
          });
          expect(after?.baselineVersion).toBe(h.baseline ? h.baseline.version : null);
          written.push({
            store,
            engine,
            mode,
            tableId: t.tableId,
            first: h.first,
            hasBaseline: h.baseline !== null,
          });
        }
      }
      const table = written.length > 0 ? (await historyFor(root, 'full-history')).table : null;
      const lowest = Math.min(...written.map((w) => w.first));
      for (let v = lowest; table && v <= latest; v++) {
        let expected: SnapshotJson | Error;
        const fromCheckpoint = (await table.segment(v)).checkpoint !== null;
        try {
          expected = await table.snapshot({ version: v }, { includeFiles: true });
        } catch (e) {
          expected = e as Error;
        }
        for (const w of written) {
          if (v < w.first) continue;
          const id = { engine: w.engine, mode: w.mode, v };
          if (expected instanceof Error) {
            await expect(
              w.store.snapshot(w.tableId, { version: v, includeFiles: true }),
            ).rejects.toMatchObject({
              type: (expected as { type?: string }).type,
            });
            continue;
          }
          const full = await w.store.snapshot(w.tableId, { version: v, includeFiles: true });
          const got =
            fromCheckpoint && !w.hasBaseline ? dropStatsMissingFromCheckpoint(full, expected) : full;
          expect({ ...id, snap: got }).toEqual({ ...id, snap: expected });
          // Key order is part of the contract (the CLI prints JSON).
          expect(JSON.stringify(got)).toBe(JSON.stringify(expected));
          const lean = await w.store.snapshot(w.tableId, { version: v, includeFiles: false });
          const { files: _files, ...head } = expected;
          expect({ ...id, lean: JSON.stringify(lean) }).toEqual({ ...id, lean: JSON.stringify(head) });
        }
      }
    },
  );
}
