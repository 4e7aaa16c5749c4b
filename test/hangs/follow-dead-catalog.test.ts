/**
 * Follow mode never retries a dead catalog forever (issue 14): the poll is retried for
 * `--catalog-timeout` only, then the follow workflow closes with a typed CatalogUnavailable and the
 * CLI exits 1 with one `error:` line. Real PostgreSQL and Temporal. The catalog is reached through
 * a TCP relay that the test closes, so "dead" is a real refused connection, both before the first
 * poll (a closed port) and in the middle of following (the relay goes away after a round).
 */
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { Client } from 'pg';
import { unwrapFailure } from '../../client/import-client';
import { followStatus, followWorkflowId, startFollow, syncInput } from '../../client/sync-client';
import { DeltaSqlError } from '../../common/errors';
import { PG_URL } from '../support/env';
import { runCli } from '../support/run-cli';
import { relayTo } from '../support/tcp-relay';
import { integrationSuite } from '../support/suite';
import { liveTable, waitFor, waitForVersion } from '../sync/helpers';

const suite = integrationSuite('hangs-follow');
const saved = { ...process.env };

/** The test database without its password (the in-process worker finds it in PGPASSWORD). */
function catalogAt(port: number, schema: string): string {
  const u = new URL(PG_URL);
  u.password = '';
  u.hostname = '127.0.0.1';
  u.port = String(port);
  u.searchParams.set('schema', schema);
  return u.href;
}

beforeAll(() => {
  process.env.PGPASSWORD = decodeURIComponent(new URL(PG_URL).password);
  process.env.TEMPORAL_ADDRESS = suite.h.env.TEMPORAL_ADDRESS;
  process.env.DELTASQL_TASK_QUEUE = suite.h.taskQueue;
});
afterAll(() => {
  process.env = saved;
});

test('sync follow on a closed port gives up after --catalog-timeout: exit 1, CatalogUnavailable, workflow FAILED', async () => {
  const dir = await liveTable(path.join(suite.tmp, 'closed'), 3);
  const catalog = catalogAt(1, 'hangs_follow_closed');
  let seconds = 0;
  const r = await suite.h.withWorker(async () => {
    const t0 = Date.now();
    const out = await runCli([
      'sync',
      'follow',
      dir,
      '--catalog',
      catalog,
      '--catalog-timeout',
      '3s',
      '--poll-interval',
      '100ms',
    ]);
    seconds = (Date.now() - t0) / 1000;
    return out;
  });
  expect(r.code).toBe(1);
  expect(r.stderr.trim().split('\n').pop()).toMatch(
    /^error: CatalogUnavailable: gave up after 3s: cannot connect to catalog postgresql:\/\/deltasql@127\.0\.0\.1:1\/.*ECONNREFUSED/,
  );
  expect(seconds).toBeLessThan(30);
  const d = await suite.h.client.workflow.getHandle(followWorkflowId(catalog, 'closed')).describe();
  expect(d.status.name).toBe('FAILED');
}, 60_000);

test('a catalog that dies while following fails the follow workflow within the timeout', async () => {
  const dir = await liveTable(path.join(suite.tmp, 'live'), 4);
  const pg = await relayTo(PG_URL);
  const schema = `hangs_follow_${randomUUID().slice(0, 8)}`;
  const input = syncInput({ source: dir, catalog: catalogAt(pg.port, schema), catalogTimeoutMs: 3_000 });
  const store = await suite.open(`${PG_URL}?schema=${schema}`);
  await suite.h.withWorker(async () => {
    const f = await startFollow(suite.h.client, suite.h.env, input, {
      pollIntervalMs: 100,
      longPollMs: 1_000,
    });
    await waitForVersion(store, input.name, 3, 30_000);
    // the round is over (its import closed) and the workflow is polling again: now the catalog dies
    await waitFor('the first round to finish', async () =>
      (await followStatus(suite.h.client, f.workflowId)).rounds >= 1 ? true : undefined,
    );
    await pg.close();
    const t0 = Date.now();
    const failure = await f.handle.result().then(
      () => null,
      (e: unknown) => unwrapFailure(e),
    );
    const seconds = (Date.now() - t0) / 1000;
    expect(failure).toBeInstanceOf(DeltaSqlError);
    expect((failure as DeltaSqlError).type).toBe('CatalogUnavailable');
    expect((failure as DeltaSqlError).message).toMatch(/^gave up after 3s: /);
    // the long poll in flight (1 s) + 3 s of retries, with room for a loaded machine
    expect(seconds).toBeLessThan(20);
    expect((await f.handle.describe()).status.name).toBe('FAILED');
  });
  expect((await store.findTable(input.name))?.lastVersion).toBe(3);
  await dropSchema(schema);
}, 90_000);

async function dropSchema(schema: string): Promise<void> {
  const c = new Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await c.end();
  }
}
