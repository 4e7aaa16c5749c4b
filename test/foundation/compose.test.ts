/**
 * docker-compose.yml cannot run here (no Docker), so check what can be checked: it parses, it has
 * the services the README promises, and every variable it sets for the worker is one that the
 * code (or, for AWS_*, the AWS SDK's default chain) actually reads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';

const ROOT = path.resolve(__dirname, '../..');
const SOURCE_DIRS = [
  'common',
  'storage',
  'delta',
  'catalog',
  'parity',
  'sync',
  'workflows',
  'activities',
  'workers',
  'client',
];
// Read by the AWS SDK itself (credential-provider-env, region and endpoint resolution); s3.test.ts
// proves the SDK honours them against the S3 emulator.
const READ_BY_AWS_SDK = new Set([
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_REGION',
  'AWS_ENDPOINT_URL_S3',
]);

const Service = z.object({
  image: z.string().optional(),
  build: z.unknown().optional(),
  command: z.union([z.string(), z.array(z.string())]).optional(),
  environment: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  ports: z.array(z.string()).optional(),
  volumes: z.array(z.string()).optional(),
  depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
});
const Compose = z.object({ services: z.record(z.string(), Service) });

const compose = Compose.parse(parse(fs.readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')));
const services = compose.services;

function sourceText(): string {
  const parts: string[] = [];
  const walk = (dir: string): void => {
    if (!fs.existsSync(dir)) return;
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts')) parts.push(fs.readFileSync(p, 'utf8'));
    }
  };
  for (const d of SOURCE_DIRS) walk(path.join(ROOT, d));
  return parts.join('\n');
}

/** The name appears in code (not only in a comment): `process.env.X`, `env.X`, `'X'`, or a schema key `X:`. */
function isReadByCode(source: string, name: string): boolean {
  const code = source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:])\/\/.*$/gm, '$1');
  return new RegExp(`\\b${name}\\b`).test(code);
}

test('docker-compose.yml has Temporal on PostgreSQL, its UI, the catalog database, MinIO and a worker', () => {
  expect(Object.keys(services)).toEqual(
    expect.arrayContaining([
      'postgresql',
      'temporal',
      'temporal-setup',
      'temporal-ui',
      'catalog-db',
      'minio',
      'minio-setup',
      'worker',
    ]),
  );
  expect(services.temporal.image).toMatch(/^temporalio\/auto-setup:\d+\.\d+\.\d+$/);
  expect(services.temporal.environment).toMatchObject({ DB: 'postgres12', POSTGRES_SEEDS: 'postgresql' });
  expect(services['temporal-ui'].environment).toMatchObject({ TEMPORAL_ADDRESS: 'temporal:7233' });
  expect(services['temporal-ui'].ports).toEqual(['8233:8080']);
  expect(services.worker.build).toBe('.');
  expect(services.worker.command).toEqual(['worker']);
});

test('temporal-setup registers the same search attribute list as the local dev server', () => {
  const setup = services['temporal-setup'];
  expect(setup.volumes).toContain(
    './scripts/services/search-attributes.txt:/deltasql/search-attributes.txt:ro',
  );
  expect(fs.existsSync(path.join(ROOT, 'scripts/services/search-attributes.txt'))).toBe(true);
  expect(String(setup.command)).toContain('temporal operator search-attribute create');
});

test('every environment variable set for the worker is read by the code or the AWS SDK', () => {
  const env = services.worker.environment ?? {};
  const names = Object.keys(env);
  expect(names).toEqual(
    expect.arrayContaining([
      'TEMPORAL_ADDRESS',
      'TEMPORAL_NAMESPACE',
      'DELTASQL_TASK_QUEUE',
      'DELTASQL_CATALOG',
    ]),
  );
  const source = sourceText();
  const unread = names.filter((n) => !READ_BY_AWS_SDK.has(n) && !isReadByCode(source, n));
  expect(unread).toEqual([]);
});

test('the Dockerfile builds the CLI and runs it as a non-root user', () => {
  const dockerfile = fs.readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
  expect(dockerfile).toMatch(/^FROM node:20-bookworm-slim AS build$/m);
  expect(dockerfile).toMatch(/^RUN npm ci\b/m);
  expect(dockerfile).toMatch(/npm prune --omit=dev/);
  expect(dockerfile).toMatch(/^USER node$/m);
  expect(dockerfile).toMatch(/^ENTRYPOINT \["node", "bin\/deltasql.js"\]$/m);
});
