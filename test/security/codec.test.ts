/**
 * DELTASQL_ENCRYPTION_KEY_FILE: the CLI's client and the worker encrypt every payload (AES-GCM),
 * so the history holds `binary/encrypted` payloads only, and `deltasql codec-server` decodes
 * them for the Web UI (POST /decode, CORS for the UI's origin).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { importWorkflowId } from '../../client/import-client';
import { codecServer } from '../../client/commands/codec-server';
import { AesGcmCodec, readKeyFile } from '../../common/codec';
import { fixture, TEMPORAL_ADDRESS } from '../support/env';
import { runCli } from '../support/run-cli';

const BIN = process.env.TEMPORAL_BIN ?? 'temporal';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'deltasql-codec-'));
const saved = { ...process.env };
const keyFile = path.join(tmp, 'key');
const source = fixture('delta-rs/simple_table');
const UI = 'http://localhost:8233';

interface JsonPayload {
  metadata: Record<string, string>;
  data: string;
}

beforeAll(() => {
  fs.writeFileSync(keyFile, randomBytes(32).toString('base64') + '\n');
  Object.assign(process.env, {
    TEMPORAL_ADDRESS,
    DELTASQL_TASK_QUEUE: `codec-${randomBytes(4).toString('hex')}`,
    DELTASQL_HOME: tmp,
    DELTASQL_ENCRYPTION_KEY_FILE: keyFile,
  });
});

afterAll(() => {
  process.env = saved;
  fs.rmSync(tmp, { recursive: true, force: true });
});

test('key files: raw, hex or base64 32 bytes; anything else is refused', () => {
  const raw = randomBytes(32);
  fs.writeFileSync(path.join(tmp, 'raw'), raw);
  fs.writeFileSync(path.join(tmp, 'hex'), raw.toString('hex'));
  expect(readKeyFile(path.join(tmp, 'raw'))).toEqual(raw);
  expect(readKeyFile(path.join(tmp, 'hex'))).toEqual(raw);
  fs.writeFileSync(path.join(tmp, 'short'), 'abc');
  expect(() => readKeyFile(path.join(tmp, 'short'))).toThrow(/must hold a 32-byte key/);
});

test('history payloads are encrypted, and the codec server decodes them', async () => {
  const db = path.join(tmp, 'c.db');
  const r = await runCli([
    'import',
    source,
    '--catalog',
    `sqlite:///${db}`,
    '--in-process-worker',
    '--format',
    'json',
  ]);
  expect(r.code).toBe(0);
  const id = importWorkflowId(`sqlite:///${db}`, 'simple_table');
  const history = JSON.parse(
    execFileSync(
      BIN,
      ['workflow', 'show', '--workflow-id', id, '--address', TEMPORAL_ADDRESS, '--output', 'json'],
      {
        encoding: 'utf8',
      },
    ),
  );
  const payloads: JsonPayload[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if (Array.isArray(o.payloads)) payloads.push(...(o.payloads as JsonPayload[]));
      else Object.values(o).forEach(walk);
    }
  };
  // Patch markers (`patched()`) are written by the SDK core itself: a patch id, no user data.
  walk(history.events.filter((e: { eventType: string }) => e.eventType !== 'EVENT_TYPE_MARKER_RECORDED'));
  const started = history.events[0].workflowExecutionStartedEventAttributes.input.payloads as JsonPayload[];
  expect(payloads.length).toBeGreaterThan(5); // input, activity inputs and results, workflow result
  for (const p of payloads)
    expect(Buffer.from(p.metadata.encoding, 'base64').toString()).toBe('binary/encrypted');
  expect(Buffer.from(started[0].data, 'base64').toString('latin1')).not.toContain(source);

  const key = readKeyFile(keyFile);
  const app = codecServer(new AesGcmCodec(key), [UI]);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  try {
    const pre = await fetch(`${url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: UI, 'Access-Control-Request-Method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(UI);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    const res = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: UI, 'X-Namespace': 'default' },
      body: JSON.stringify({ payloads: started }),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    const decoded = (await res.json()) as { payloads: JsonPayload[] };
    expect(Buffer.from(decoded.payloads[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    const input = JSON.parse(Buffer.from(decoded.payloads[0].data, 'base64').toString('utf8'));
    expect(input).toMatchObject({ source, catalog: `sqlite:///${db}`, name: 'simple_table' });
    // encode is the inverse of decode
    const again = await fetch(`${url}/encode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ payloads: decoded.payloads }),
    });
    const reencoded = (await again.json()) as { payloads: JsonPayload[] };
    expect(Buffer.from(reencoded.payloads[0].metadata.encoding, 'base64').toString()).toBe(
      'binary/encrypted',
    );
    // a foreign origin gets no CORS grant
    const foreign = await fetch(`${url}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: 'http://evil.example' },
      body: JSON.stringify({ payloads: started }),
    });
    expect(foreign.headers.get('access-control-allow-origin')).toBeNull();
  } finally {
    await app.close();
  }
}, 120_000);
