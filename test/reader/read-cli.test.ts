/**
 * `deltasql read` and `deltasql sharing profile|hash` end to end, in-process: rows of a fixture at a
 * version as JSON lines and CSV, column projection and limit, typed errors for bad input, and a
 * profile the Delta Sharing client format expects (written 0600, token from a file).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { sha256Hex } from '../../sharing/config';
import { fixture } from '../support/env';
import { runCli } from '../support/run-cli';
import { importFixture, testCatalog } from '../sharing/helpers';

let url: string;
let dir: string;

beforeAll(async () => {
  const c = await testCatalog();
  dir = c.dir;
  url = `sqlite:///${path.join(dir, 'catalog.db')}`;
  await importFixture(c.store, 'delta-rs/simple_table', fixture('delta-rs/simple_table'));
  await c.store.close();
});

test('read: JSON lines at a version, CSV with columns and limit, typed errors', async () => {
  const v0 = await runCli(['read', '--catalog', url, '--table', 'delta_rs_simple_table', '--version', '0']);
  expect(v0.code).toBe(0);
  const ids = v0.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as { id: number }).id)
    .sort((a, b) => a - b);
  expect(ids).toEqual([0, 1, 2, 3, 4]);
  const csv = await runCli([
    'read',
    '--catalog',
    url,
    '--table',
    'delta_rs_simple_table',
    '--columns',
    'id',
    '--limit',
    '2',
    '--format',
    'csv',
  ]);
  expect(csv.stdout.trim().split('\n')).toHaveLength(3);
  expect(csv.stdout.split('\n')[0]).toBe('id');
  const bad = await runCli([
    'read',
    '--catalog',
    url,
    '--table',
    'delta_rs_simple_table',
    '--columns',
    'nope',
  ]);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toContain('InvalidArgument');
  const missing = await runCli([
    'read',
    '--catalog',
    url,
    '--table',
    'delta_rs_simple_table',
    '--version',
    '99',
  ]);
  expect(missing.stderr).toContain('VersionNotFound');
});

test('sharing profile and hash', async () => {
  const tokenFile = path.join(dir, 'token');
  fs.writeFileSync(tokenFile, 'secret-token-0123456789\n');
  const out = path.join(dir, 'p.share');
  const r = await runCli([
    'sharing',
    'profile',
    '--endpoint',
    'http://127.0.0.1:8080/delta-sharing/',
    '--token-file',
    tokenFile,
    '--output',
    out,
  ]);
  expect(r.code).toBe(0);
  expect(JSON.parse(fs.readFileSync(out, 'utf8'))).toEqual({
    shareCredentialsVersion: 1,
    endpoint: 'http://127.0.0.1:8080/delta-sharing',
    bearerToken: 'secret-token-0123456789',
  });
  expect(fs.statSync(out).mode & 0o777).toBe(0o600);
  const h = await runCli(['sharing', 'hash', '--token-file', tokenFile]);
  expect(h.stdout.trim()).toBe(sha256Hex('secret-token-0123456789'));
  const bad = await runCli(['sharing', 'profile', '--endpoint', 'ftp://x', '--token-file', tokenFile]);
  expect(bad.code).toBe(1);
});
