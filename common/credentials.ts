/**
 * Where catalog credentials come from. No secret may enter a Temporal payload (workflow inputs,
 * schedules, memos, heartbeats, failures, results), so clients send catalog URLs with the password
 * stripped (catalog/url.ts `stripPassword`) or a catalog *name*, and whoever opens the catalog
 * resolves the rest on its own side, in this order:
 *
 * 1. a password handed to this very process (`deltasql import --catalog postgresql://u:p@…` with the
 *    CLI's in-process worker): kept in memory, keyed by the stripped URL, never sent anywhere;
 * 2. `PGPASSWORD` or the password file (`~/.pgpass`, `PGPASSFILE`): node-postgres reads both
 *    itself whenever the URL has no password;
 * 3. a named catalog in `DELTASQL_CATALOGS`, a JSON or YAML file on the worker mapping a name to a
 *    URL (which may carry its password: the file never leaves the worker), so `--catalog prod`
 *    sends only "prod";
 * 4. S3 credentials: the AWS SDK's default chain in the worker (storage/), never in a payload.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  isCatalogName,
  parseCatalogUrl,
  redactUrl,
  stripPassword,
  urlPassword,
  type CatalogUrl,
} from '../catalog/url';
import { DeltaSqlError } from './errors';

const localPasswords = new Map<string, string>();

/**
 * Keep a catalog URL's password for this process's own use and return the URL without it: the
 * form that may go into a workflow. An URL without a password comes back unchanged.
 */
export function keepPasswordLocally(url: string): string {
  const stripped = stripPassword(url);
  if (stripped !== url) localPasswords.set(stripped, url);
  return stripped;
}

/**
 * `input` as it may enter a workflow: its catalog URL without the password, which this process
 * keeps (keepPasswordLocally). Every client-side starter of a workflow that takes a catalog URL
 * (client/import-client.ts, client/sync-client.ts, client/commands/export.ts) passes its input
 * through here first, so no caller — CLI, API, test or benchmark — can send a password along.
 */
export function sendableInput<T extends { catalog: string }>(input: T): T {
  const catalog = keepPasswordLocally(input.catalog);
  return catalog === input.catalog ? input : { ...input, catalog };
}

/** The variable each engine's driver reads for a password its URL lacks (catalog/url.ts). */
const PASSWORD_VARIABLES: Partial<Record<CatalogUrl['engine'], string>> = {
  postgres: 'PGPASSWORD',
  mysql: 'MYSQL_PWD',
};

/**
 * The environment of a worker *process* (started by a test, a benchmark or a supervisor) that has
 * to open these catalog URLs once their passwords are stripped from the workflows: PGPASSWORD for
 * PostgreSQL, MYSQL_PWD for MySQL/MariaDB. The passwords travel in the child's environment, never
 * in a payload. One environment holds one password per engine: two different ones are refused
 * (give that worker a DELTASQL_CATALOGS file instead).
 */
export function workerPasswordEnv(urls: readonly string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const url of urls) {
    const password = urlPassword(url);
    if (password === null) continue;
    const name = PASSWORD_VARIABLES[parseCatalogUrl(url).engine];
    if (name === undefined) continue;
    if (env[name] !== undefined && env[name] !== password) {
      throw new DeltaSqlError(
        'InvalidArgument',
        `catalogs with different passwords cannot share one worker's ${name}: use a DELTASQL_CATALOGS file on the worker`,
      );
    }
    env[name] = password;
  }
  return env;
}

const CatalogsFileSchema = z.record(z.string().min(1), z.string().min(1));

/** The named catalogs of DELTASQL_CATALOGS (empty when unset). */
export function namedCatalogs(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const file = env.DELTASQL_CATALOGS;
  if (!file) return {};
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new DeltaSqlError(
      'CatalogMisconfigured',
      `cannot read DELTASQL_CATALOGS file ${file}: ${(e as Error).message}`,
      { file },
    );
  }
  let raw: unknown;
  try {
    raw = /\.json$/i.test(file) ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new DeltaSqlError(
      'CatalogMisconfigured',
      `DELTASQL_CATALOGS file ${file} is not valid JSON/YAML: ${(e as Error).message}`,
      { file },
    );
  }
  const parsed = CatalogsFileSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeltaSqlError(
      'CatalogMisconfigured',
      `DELTASQL_CATALOGS file ${file} must map catalog names to URLs (name: postgresql://…)`,
      { file },
    );
  }
  const dir = path.dirname(path.resolve(file));
  const out: Record<string, string> = {};
  for (const [name, url] of Object.entries(parsed.data)) out[name] = relativeSqliteTo(dir, url);
  return out;
}

/** sqlite:///relative.db in the catalogs file is relative to the file, not to the worker's cwd. */
function relativeSqliteTo(dir: string, url: string): string {
  const m = /^sqlite:\/\/\/(.*)$/i.exec(url);
  if (!m || m[1].startsWith('/') || m[1].startsWith(':memory:')) return url;
  return `sqlite:///${path.resolve(dir, m[1])}`;
}

/**
 * The URL to connect with for a catalog reference from a workflow or the command line: a name is
 * looked up in DELTASQL_CATALOGS; a stripped URL gets back a password kept by this process.
 * Anything else is used as given (node-postgres then reads PGPASSWORD / the password file).
 */
export function resolveCatalogRef(ref: string, env: NodeJS.ProcessEnv = process.env): string {
  if (isCatalogName(ref)) {
    const named = namedCatalogs(env)[ref];
    if (named === undefined) {
      throw new DeltaSqlError(
        'CatalogMisconfigured',
        env.DELTASQL_CATALOGS
          ? `unknown catalog name "${ref}": not in DELTASQL_CATALOGS (${env.DELTASQL_CATALOGS})`
          : `"${ref}" is neither a catalog URL nor a named catalog (DELTASQL_CATALOGS is not set)`,
      );
    }
    return named;
  }
  return localPasswords.get(ref) ?? ref;
}

/** The CLI refuses to send a password it could not keep to itself (see client/commands/import.ts). */
export function passwordNotSendable(url: string, why: string): DeltaSqlError {
  return new DeltaSqlError(
    'InvalidArgument',
    `the catalog URL ${redactUrl(url)} carries a password, and deltasql never puts secrets into Temporal workflows; ` +
      `${why}. Give the password to the worker instead: PGPASSWORD or a password file (~/.pgpass, PGPASSFILE) ` +
      `in its environment, or a named catalog in its DELTASQL_CATALOGS file (then --catalog <name>), and pass the URL without the password`,
  );
}
