/**
 * A real workflow run on the Temporal dev server at TEMPORAL_ADDRESS, and the search attributes
 * that scripts/services/temporal.sh registers, checked against the server itself.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { TEMPORAL_ADDRESS } from '../support/env';
import { ALL_SEARCH_ATTRIBUTES } from '../../workflows/search-attributes';
import type { hello } from './workflows/hello';

const SA_FILE = path.resolve(__dirname, '../../scripts/services/search-attributes.txt');
// Temporal's enum names for the types written in search-attributes.txt.
const INDEXED_TYPE: Record<string, number> = { Text: 1, Keyword: 2, Int: 3, Double: 4, Bool: 5, Datetime: 6 };

function searchAttributesFromFile(): Map<string, string> {
  const lines = fs.readFileSync(SA_FILE, 'utf8').split('\n');
  const entries = lines.filter((l) => l.trim() && !l.startsWith('#')).map((l) => l.trim().split('='));
  return new Map(entries.map(([name, type]) => [name, type]));
}

let connection: Connection;
let client: Client;

beforeAll(async () => {
  try {
    Runtime.install({ logger: new DefaultLogger('WARN') });
  } catch {
    // Already installed by another test file in this worker process.
  }
  connection = await Connection.connect({ address: TEMPORAL_ADDRESS });
  client = new Client({ connection });
});

afterAll(async () => {
  await connection?.close();
});

test('a workflow runs to completion on the dev server through a real Worker', async () => {
  const taskQueue = `foundation-${randomUUID()}`;
  const nativeConnection = await NativeConnection.connect({ address: TEMPORAL_ADDRESS });
  try {
    const worker = await Worker.create({
      connection: nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('./workflows/hello'),
    });
    const workflowId = `foundation-hello-${randomUUID()}`;
    const result = await worker.runUntil(
      client.workflow.execute<typeof hello>('hello', { taskQueue, workflowId, args: ['deltasql'] }),
    );
    expect(result).toBe(`Hello, deltasql! (task queue ${taskQueue})`);
    const described = await client.workflow.getHandle(workflowId).describe();
    expect(described.status.name).toBe('COMPLETED');
  } finally {
    await nativeConnection.close();
  }
});

test('the dev server has every search attribute in scripts/services/search-attributes.txt', async () => {
  const wanted = searchAttributesFromFile();
  // The same list, in the same order, as the keys the workflows upsert.
  expect([...wanted].map(([name, type]) => ({ name, type: type.toUpperCase() }))).toEqual(
    ALL_SEARCH_ATTRIBUTES.map((k) => ({ name: k.name, type: k.type })),
  );
  const res = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
  const custom = res.customAttributes ?? {};
  for (const [name, type] of wanted) {
    expect({ name, type: custom[name] }).toEqual({ name, type: INDEXED_TYPE[type] });
  }
});
