/**
 * Shared pieces of the "a catalog lost mid-run" tests (issue 14): the test PostgreSQL reached
 * through a TCP relay that the test cuts (a real refused connection) and restores on the same
 * port, the worker's environment, a CLI run cut when a condition holds, and the checks of what the
 * CLI printed (`waiting for catalog …` lines, then one `error: CatalogUnavailable: gave up …`).
 */
import { Client } from 'pg';
import { PG_URL } from '../support/env';
import { runCli, type CliResult } from '../support/run-cli';
import type { IntegrationSuite } from '../support/suite';
import { relayTo, type TcpRelay } from '../support/tcp-relay';

export { relayTo, type TcpRelay };

/** The test database through `relay`, in `schema`, without its password (the worker finds it in PGPASSWORD). */
export function relayedCatalog(relay: TcpRelay, schema: string): string {
  const u = new URL(PG_URL);
  u.password = '';
  u.hostname = '127.0.0.1';
  u.port = String(relay.port);
  u.searchParams.set('schema', schema);
  return u.href;
}

/** The same database straight, with its password (what the test itself reads and writes). */
export function directCatalog(schema: string): string {
  return `${PG_URL}?schema=${schema}`;
}

/**
 * In beforeAll: the in-process CLI and the harness worker use the suite's Temporal and task queue,
 * and the password comes from PGPASSWORD. Returns the restore function for afterAll.
 */
export function workerEnvironment(suite: IntegrationSuite): () => void {
  const saved = { ...process.env };
  process.env.PGPASSWORD = decodeURIComponent(new URL(PG_URL).password);
  process.env.TEMPORAL_ADDRESS = suite.h.env.TEMPORAL_ADDRESS;
  process.env.DELTASQL_TASK_QUEUE = suite.h.taskQueue;
  return () => {
    process.env = saved;
  };
}

/** A direct PostgreSQL client (not through the relay) for the test's own reads. */
export async function directClient(): Promise<Client> {
  const pg = new Client({ connectionString: PG_URL });
  await pg.connect();
  return pg;
}

export async function dropSchemas(pg: Client, ...schemas: string[]): Promise<void> {
  for (const s of schemas) await pg.query(`DROP SCHEMA IF EXISTS "${s.replace(/"/g, '""')}" CASCADE`);
}

export interface CutRun {
  result: CliResult;
  /** Whether `cutWhen` held before the CLI ended (the relay was cut in the middle of the run). */
  cutInFlight: boolean;
  /** Seconds from the cut to the CLI's end. */
  secondsAfterCut: number;
}

/**
 * Run the CLI with `args` (inside a worker: call from `withWorker`), poll `cutWhen` every 20 ms,
 * and cut the relay as soon as it holds; the CLI is then expected to end on its own.
 */
export async function runCutAt(
  args: string[],
  relay: TcpRelay,
  cutWhen: () => Promise<boolean>,
): Promise<CutRun> {
  const cli = runCli(args);
  let done = false;
  void cli.finally(() => (done = true));
  while (!done && !(await cutWhen())) await new Promise((r) => setTimeout(r, 20));
  const cutInFlight = !done;
  const cutTime = Date.now();
  await relay.close();
  const result = await cli;
  return { result, cutInFlight, secondsAfterCut: (Date.now() - cutTime) / 1000 };
}

const escape = (s: string): string => s.replace(/[?.*+()[\]{}|^$\\]/g, '\\$&');

/** The `waiting for catalog <display>: connection refused|lost (attempt N, retrying)` lines a run printed. */
export function waitingLines(stderr: string): string[] {
  return stderr
    .split(/[\r\n]/)
    .map((l) => l.replace(/^\x1b\[K/, ''))
    .filter((l) => l.startsWith('waiting for '));
}

/** A regex for one waiting line naming `display` (`what` is e.g. `catalog` or `target catalog`). */
export function waitingLinePattern(display: string, what = 'catalog'): RegExp {
  return new RegExp(
    `^waiting for ${what} ${escape(display)}: connection (refused|lost) \\(attempt \\d+, retrying\\)$`,
  );
}

/** The last line the CLI printed on stderr. */
export function lastLine(stderr: string): string {
  const lines = stderr.trim().split('\n');
  return lines[lines.length - 1];
}

/** Seconds a run may take after the cut: the timeout's pauses, plus attempts and polling on a loaded machine. */
export function boundSeconds(timeoutSeconds: number): number {
  return timeoutSeconds + 35;
}
