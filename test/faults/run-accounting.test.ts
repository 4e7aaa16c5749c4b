/**
 * `dl_import_runs.versions_imported` and `counts` are exact after a worker kill (issue 14). A
 * SIGKILLed range attempt commits some versions and dies before reporting them; its retry skips
 * those and reports only what it wrote itself, so the workflow's sum falls short. finishRun
 * therefore derives both columns from the catalog rows (the versions at or after the run's
 * from_version and their per-version counts), and a retried finishRun writes the same numbers.
 * The kill is reproduced exactly at the store level, on all four engines (real PostgreSQL, MariaDB).
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client } from 'pg';
import { generateTable } from '../../bench/generator';
import { openCatalog } from '../../catalog/open';
import { addCounts, emptyCounts, type ActionCounts } from '../../delta/action-counts';
import type { Commit } from '../../delta/actions';
import { DeltaTable } from '../../delta/table';
import { dropMysqlDatabase, mysqlUrl } from '../catalog/conformance-support';
import { PG_URL } from '../support/env';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-run-accounting-'));
const pgSchema = `run_accounting_${randomUUID().slice(0, 8)}`;
const VERSIONS = 10;
/** The versions the killed attempt committed before it died. */
const KILLED_AT = 6;

let commits: Commit[];
let source: string;

beforeAll(async () => {
  source = path.join(tmp, 'table');
  await generateTable({ dir: source, versions: VERSIONS, addsPerVersion: 3, removesPerVersion: 1, seed: 14 });
  const table = await DeltaTable.open(source);
  commits = [];
  for await (const c of table.commits(0, VERSIONS - 1)) commits.push(c);
});

afterAll(async () => {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS "${pgSchema}" CASCADE`);
  await c.end();
  await dropMysqlDatabase(pgSchema);
  fs.rmSync(tmp, { recursive: true, force: true });
});

function countsOf(cs: readonly Commit[]): ActionCounts {
  const counts = emptyCounts();
  for (const c of cs) for (const a of c.actions) addCounts(counts, { [a.type]: 1 });
  return counts;
}

test.each([
  ['sqlite', () => `sqlite:///${path.join(tmp, 'runs.db')}`],
  ['postgres', () => `${PG_URL}?schema=${pgSchema}`],
  ['duckdb', () => `duckdb:///${path.join(tmp, 'runs.duckdb')}`],
  ['mysql', () => mysqlUrl(pgSchema)],
])('%s: a run whose first range attempt was killed records every version it imported', async (_, url) => {
  const store = await openCatalog(url());
  try {
    const row = await store.ensureTable({ location: source, name: 'accounting' });
    const runId = randomUUID();
    await store.startRun({
      runId,
      tableId: row.tableId,
      workflowId: 'wf',
      temporalRunId: 'run',
      mode: 'full-history',
      startedAt: Date.now(),
      fromVersion: 0,
      toVersion: VERSIONS - 1,
      versionsImported: 0,
      counts: {},
      validation: null,
      error: null,
    });
    // attempt 1 commits versions 0..5 and is killed; attempt 2 skips them and writes 6..9
    await store.writeVersions(row.tableId, commits.slice(0, KILLED_AT));
    const retry = await store.writeVersions(row.tableId, commits);
    expect(retry.versionsWritten).toBe(VERSIONS - KILLED_AT);
    // the workflow only ever saw attempt 2's result
    const reported = { versionsImported: retry.versionsWritten, counts: retry.counts };
    const exact = { versionsImported: VERSIONS, counts: countsOf(commits) };
    expect(reported).not.toEqual(exact);
    const finish = () =>
      store.finishRun(runId, {
        status: 'completed',
        toVersion: VERSIONS - 1,
        validation: 'PASSED',
        ...reported,
      });
    await finish();
    const [run] = await store.listRuns(row.tableId, 10);
    expect({ versionsImported: run.versionsImported, counts: run.counts }).toEqual(exact);
    expect(run.status).toBe('completed');
    // a retried finishRun (its first completion lost) writes the same numbers again
    await finish();
    const [again] = await store.listRuns(row.tableId, 10);
    expect({ versionsImported: again.versionsImported, counts: again.counts }).toEqual(exact);
  } finally {
    await store.close();
  }
});
