/**
 * The SQL-primary publisher and a catalog that goes away (issue 14). The publisher is long-lived
 * and nobody watches it, so it waits visibly and for a bounded time (workflows/publisher.ts):
 *   - within the bound its status query says `catalogWait` (attempt, the refused connection
 *     naming the catalog, no password), and once the catalog is back it publishes what was
 *     committed meanwhile by itself, without another commit;
 *   - past the bound the workflow is FAILED with CatalogUnavailable (not retrying on the server
 *     forever), the log holds only whole files, and the next commit's wake-up starts a fresh
 *     publisher that publishes every version, each file the catalog's bytes.
 * Real PostgreSQL (the publisher reaches it through a TCP relay the test cuts; the test commits
 * straight to it) and Temporal.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Client } from 'pg';
import { openCatalog, type Catalog } from '../../api';
import { PublisherClient, publisherWorkflowId } from '../../api/publisher-client';
import { createTable } from '../../catalog/commit/create';
import { unwrapFailure } from '../../client/import-client';
import { DeltaSqlError } from '../../common/errors';
import { openStore } from '../../storage/uri';
import { publisherStatusQuery, type PublisherStatus } from '../../workflows/publisher';
import { PG_URL } from '../support/env';
import { integrationSuite } from '../support/suite';
import { SCHEMA as TABLE_SCHEMA } from '../sql-primary/helpers';
import { waitFor } from '../sync/helpers';
import {
  boundSeconds,
  directCatalog,
  directClient,
  dropSchemas,
  relayTo,
  relayedCatalog,
  workerEnvironment,
  type TcpRelay,
} from './support';

const suite = integrationSuite('publisher-dead-catalog');
const SCHEMA = `hangs_publish_${process.pid}`;
let restoreEnv = (): void => undefined;
let pg: Client;
let cat: Catalog;
const publishers: PublisherClient[] = [];

beforeAll(async () => {
  restoreEnv = workerEnvironment(suite);
  pg = await directClient();
  await dropSchemas(pg, SCHEMA);
  cat = await openCatalog(directCatalog(SCHEMA), { temporal: null });
});

afterAll(async () => {
  for (const p of publishers) await p.close();
  await cat?.close();
  if (pg) await dropSchemas(pg, SCHEMA);
  await pg?.end();
  restoreEnv();
});

const logFiles = (location: string): string[] => fs.readdirSync(path.join(location, '_delta_log')).sort();
const commitName = (v: number): string => `${String(v).padStart(20, '0')}.json`;

/** An sql-primary table at version 0 whose publisher reaches the catalog through the relay. */
async function table(relay: TcpRelay, name: string, catalogTimeoutMs: number) {
  const location = path.join(suite.tmp, name);
  fs.mkdirSync(location);
  await createTable(cat.store.driver, openStore(location), { name, location, schema: TABLE_SCHEMA });
  const t = await cat.table(name);
  const catalog = relayedCatalog(relay, SCHEMA);
  const publisher = new PublisherClient(
    { address: suite.h.env.TEMPORAL_ADDRESS ?? '', taskQueue: suite.h.taskQueue },
    catalog,
    {
      maxVersions: 3,
      heartbeatTimeoutMs: 5_000,
      catalogTimeoutMs,
    },
  );
  publishers.push(publisher);
  const handle = suite.h.client.workflow.getHandle(publisherWorkflowId(catalog, name));
  /** Commit versions up to `last` straight to PostgreSQL (not through the relay). */
  const commitUpTo = async (last: number): Promise<void> => {
    for (let v = (await t.state()).lastVersion ?? 0; v < last; v++)
      await t.commit({ readVersion: v, actions: [{ add: { path: `p${v + 1}.parquet`, size: 10 + v } }] });
  };
  const published = async (): Promise<number | null> => (await t.state()).publishedVersion;
  /** The log holds exactly versions 0..last, each file the catalog's bytes, and no temp file. */
  const expectLogUpTo = async (last: number): Promise<void> => {
    const files = logFiles(location);
    expect(files.filter((f) => f.endsWith('.json'))).toEqual(
      Array.from({ length: last + 1 }, (_, v) => commitName(v)),
    );
    expect(files.filter((f) => f.includes('.tmp') || f.startsWith('.'))).toEqual([]);
    for (let v = 0; v <= last; v++) {
      const same = fs
        .readFileSync(path.join(location, '_delta_log', commitName(v)))
        .equals((await cat.store.commitBytes(name, v)) as Buffer);
      expect({ v, same }).toEqual({ v, same: true });
    }
  };
  return { catalog, publisher, handle, commitUpTo, published, expectLogUpTo, name };
}

/** Run `fn` with a fresh relay to the test database (each test cuts its own). */
async function withRelay(fn: (relay: TcpRelay) => Promise<void>): Promise<void> {
  const relay = await relayTo(PG_URL);
  try {
    await suite.h.withWorker(() => fn(relay));
  } finally {
    await relay.close();
  }
}

test('catalog lost while publishing: the publisher waits visibly (status query), then publishes by itself once the catalog is back', async () => {
  await withRelay(async (relay) => {
    const a = await table(relay, 'waits', 120_000);
    await a.commitUpTo(12);
    await a.publisher.notify(a.name);
    await waitFor('versions 0..12 published', async () => ((await a.published()) === 12 ? true : undefined));

    await relay.close();
    await a.commitUpTo(25);
    await a.publisher.notify(a.name);
    const wait = await waitFor('the publisher to say it waits for the catalog', async () => {
      const s: PublisherStatus = await a.handle.query(publisherStatusQuery);
      return s.catalogWait && s.catalogWait.attempt >= 3 ? s.catalogWait : undefined;
    });
    // It names the catalog (through the relay), never its password.
    expect(wait.message).toMatch(
      new RegExp(`catalog postgresql://[^ ]*127\\.0\\.0\\.1:${relay.port}/.*ECONNREFUSED`),
    );
    expect(wait.message).not.toContain(`:${decodeURIComponent(new URL(PG_URL).password)}@`);
    expect(await a.published()).toBe(12);
    expect((await a.handle.describe()).status.name).toBe('RUNNING');

    // Back: no further commit, no signal; the waiting publisher publishes 13..25 on its own.
    await relay.reopen();
    await waitFor('versions 13..25 published', async () => ((await a.published()) === 25 ? true : undefined));
    expect((await a.handle.query(publisherStatusQuery)).catalogWait).toBeNull();
    await a.expectLogUpTo(25);
    await a.handle.terminate('test over'); // a publisher idles until the next commit
  });
}, 90_000);

test('catalog lost past the bound: the publisher FAILS with CatalogUnavailable, whole files only; the next commit restarts it and it publishes everything', async () => {
  await withRelay(async (relay) => {
    const b = await table(relay, 'gives-up', 3_000);
    await b.commitUpTo(6);
    await b.publisher.notify(b.name);
    await waitFor('versions 0..6 published', async () => ((await b.published()) === 6 ? true : undefined));
    const firstRun = (await b.handle.describe()).runId;

    await relay.close();
    await b.commitUpTo(15);
    const t0 = Date.now();
    await b.publisher.notify(b.name);
    const failure = await b.handle.result().then(
      () => null,
      (e: unknown) => unwrapFailure(e),
    );
    expect((Date.now() - t0) / 1000).toBeLessThan(boundSeconds(3));
    expect(failure).toBeInstanceOf(DeltaSqlError);
    expect({ type: (failure as DeltaSqlError).type, message: (failure as DeltaSqlError).message }).toEqual({
      type: 'CatalogUnavailable',
      message: expect.stringMatching(/^gave up after 3s: PostgreSQL catalog .*ECONNREFUSED/),
    });
    expect((await b.handle.describe()).status.name).toBe('FAILED');
    await b.expectLogUpTo(6);

    // Back, and a new commit: its wake-up starts a fresh publisher, which publishes 7..16.
    await relay.reopen();
    await b.commitUpTo(16);
    await b.publisher.notify(b.name);
    await waitFor('versions 7..16 published', async () => ((await b.published()) === 16 ? true : undefined));
    expect((await b.handle.describe()).runId).not.toBe(firstRun);
    await b.expectLogUpTo(16);
    await b.handle.terminate('test over');
  });
}, 90_000);

test('a misconfigured catalog (unknown database) fails the publisher at once with CatalogMisconfigured, never waited for', async () => {
  await withRelay(async (relay) => {
    const u = new URL(relayedCatalog(relay, SCHEMA));
    u.pathname = '/deltasql_no_such_db';
    // With 10 minutes to wait, only a failure without waiting ends within the test's timeout.
    const publisher = new PublisherClient(
      { address: suite.h.env.TEMPORAL_ADDRESS ?? '', taskQueue: suite.h.taskQueue },
      u.href,
      { catalogTimeoutMs: 600_000 },
    );
    publishers.push(publisher);
    await publisher.notify('anything');
    const handle = suite.h.client.workflow.getHandle(publisherWorkflowId(u.href, 'anything'));
    const failure = await handle.result().then(
      () => null,
      (e: unknown) => unwrapFailure(e),
    );
    expect(failure).toBeInstanceOf(DeltaSqlError);
    expect((failure as DeltaSqlError).type).toBe('CatalogMisconfigured');
    expect((await handle.query(publisherStatusQuery)).catalogWait ?? null).toBeNull();
    expect((await handle.describe()).status.name).toBe('FAILED');
  });
}, 60_000);
