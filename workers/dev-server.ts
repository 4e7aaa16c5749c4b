/**
 * The embedded default: when TEMPORAL_ADDRESS is unset and nothing listens on localhost:7233,
 * start `temporal server start-dev` detached, with its state persisted under DELTASQL_HOME so the
 * Web UI keeps the history of past imports. Search attributes are registered at start.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { DeltaSqlError } from '../common/errors';
import { localTemporalAddress, type DeltaSqlEnv } from '../common/config';
import { ALL_SEARCH_ATTRIBUTES } from '../workflows/search-attributes';

const START_TIMEOUT_MS = 60_000;
const SA_TYPE_FLAG: Record<string, string> = {
  KEYWORD: 'Keyword',
  INT: 'Int',
  DOUBLE: 'Double',
  BOOL: 'Bool',
  TEXT: 'Text',
  DATETIME: 'Datetime',
};

export function searchAttributeFlags(): string[] {
  return ALL_SEARCH_ATTRIBUTES.flatMap((k) => ['--search-attribute', `${k.name}=${SA_TYPE_FLAG[k.type]}`]);
}

export function portOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    const done = (ok: boolean): void => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(timeoutMs, () => done(false));
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** The temporal CLI: TEMPORAL_BIN, the project venv, or PATH. */
export function temporalBinary(env: DeltaSqlEnv): string {
  if (env.TEMPORAL_BIN) return env.TEMPORAL_BIN;
  const venv = path.resolve(__dirname, '..', '..', '.venv', 'bin', 'temporal');
  const venvTs = path.resolve(__dirname, '..', '.venv', 'bin', 'temporal');
  return [venv, venvTs].find((p) => fs.existsSync(p)) ?? 'temporal';
}

export interface TemporalTarget {
  address: string;
  /** True when this process started the dev server (it keeps running after we exit). */
  started: boolean;
  /** True when no TEMPORAL_ADDRESS was configured: the caller should run an in-process worker. */
  embedded: boolean;
}

export async function ensureTemporal(env: DeltaSqlEnv, log: (line: string) => void): Promise<TemporalTarget> {
  if (env.TEMPORAL_ADDRESS) return { address: env.TEMPORAL_ADDRESS, started: false, embedded: false };
  const address = localTemporalAddress(env);
  const host = '127.0.0.1';
  const port = env.DELTASQL_DEV_PORT;
  if (await portOpen(host, port)) return { address, started: false, embedded: true };

  const home = path.resolve(env.DELTASQL_HOME);
  fs.mkdirSync(path.join(home, 'temporal'), { recursive: true });
  fs.mkdirSync(path.join(home, 'logs'), { recursive: true });
  const logFile = path.join(home, 'logs', 'temporal.log');
  const bin = temporalBinary(env);
  const args = [
    'server',
    'start-dev',
    '--db-filename',
    path.join(home, 'temporal', 'dev.db'),
    '--ip',
    host,
    '--port',
    String(port),
    '--ui-port',
    String(env.DELTASQL_DEV_UI_PORT),
    '--log-level',
    'warn',
    ...searchAttributeFlags(),
  ];
  log(`starting the Temporal dev server (${bin}); log: ${logFile}`);
  const out = fs.openSync(logFile, 'a');
  const child = spawn(bin, args, { detached: true, stdio: ['ignore', out, out] });
  let spawnError: Error | null = null;
  child.once('error', (e) => (spawnError = e));
  child.unref();
  if (child.pid !== undefined)
    fs.writeFileSync(path.join(home, 'temporal', 'dev-server.pid'), String(child.pid));
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (spawnError) break;
    if (await portOpen(host, port)) {
      try {
        const c = await Connection.connect({ address, connectTimeout: 2000 });
        await c.workflowService.getSystemInfo({});
        await c.close();
        return { address, started: true, embedded: true };
      } catch {
        /* not ready yet */
      }
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new DeltaSqlError(
    'TemporalUnavailable',
    `could not start the Temporal dev server (${bin}${spawnError ? `: ${(spawnError as Error).message}` : ''}); see ${logFile}. ` +
      `Install it with \`npm run services:start\`, or set TEMPORAL_ADDRESS.`,
  );
}
