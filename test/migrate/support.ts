/**
 * What every `catalog migrate` test file sets up the same way: one Temporal harness whose task
 * queue the CLI uses, the environment restored afterwards, cleanups run last, and a table loaded
 * into a catalog straight from its Delta log (the source side of a migration).
 */
import type { SqlCatalogStore } from '../../catalog/sql-catalog';
import { loadHistory } from '../catalog/helpers';
import { TEMPORAL_ADDRESS } from '../support/env';
import { runCli, type CliResult } from '../support/run-cli';
import { temporalHarness, type TemporalHarness } from '../support/temporal';

/** Versions written per `writeVersions` call, so a long history is not one giant statement. */
const LOAD_CHUNK = 500;

export interface MigrateHarness {
  /** Cleanups (dropped schemas, databases, files), run after the harness closes. */
  drops: (() => Promise<void>)[];
  /** `deltasql catalog migrate --from … --to … --format json …extra` with a worker running. */
  migrate(from: string, to: string, ...extra: string[]): Promise<CliResult>;
  temporal(): TemporalHarness;
}

/** Registers the file's beforeAll/afterAll; call once at module scope. */
export function useMigrateHarness(beforeAllTimeoutMs?: number, setup?: () => Promise<void>): MigrateHarness {
  let h: TemporalHarness | undefined;
  const saved = { ...process.env };
  const drops: (() => Promise<void>)[] = [];
  beforeAll(async () => {
    h = await temporalHarness();
    process.env.TEMPORAL_ADDRESS = TEMPORAL_ADDRESS;
    process.env.DELTASQL_TASK_QUEUE = h.taskQueue;
    await setup?.();
  }, beforeAllTimeoutMs);
  afterAll(async () => {
    process.env = saved;
    await h?.close();
    for (const d of drops) await d().catch(() => undefined);
  });
  const temporal = (): TemporalHarness => {
    if (!h) throw new Error('the migrate harness is used before beforeAll ran');
    return h;
  };
  return {
    drops,
    temporal,
    migrate: (from, to, ...extra) =>
      temporal().withWorker(() =>
        runCli(['catalog', 'migrate', '--from', from, '--to', to, '--format', 'json', ...extra]),
      ),
  };
}

/** Write every version of the table at `root` (or those up to `upTo`) into `store` as `name`. */
export async function loadTable(
  store: SqlCatalogStore,
  root: string,
  name: string,
  upTo?: number,
): Promise<string> {
  const hist = await loadHistory(root);
  const t = await store.ensureTable({ location: root, name });
  if (hist.baseline) await store.writeBaseline(t.tableId, hist.baseline, hist.baseline.actions());
  const commits = upTo === undefined ? hist.commits : hist.commits.filter((c) => c.version <= upTo);
  for (let i = 0; i < commits.length; i += LOAD_CHUNK)
    await store.writeVersions(t.tableId, commits.slice(i, i + LOAD_CHUNK));
  return t.tableId;
}

export const compareCatalogs = (from: string, to: string): Promise<CliResult> =>
  runCli(['catalog', 'compare', '--from', from, '--to', to, '--format', 'json']);
