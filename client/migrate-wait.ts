/**
 * The `waiting for source|target catalog …` line of `deltasql catalog migrate`: the migration and
 * each table's child workflow answer `migrateProgress` while they wait for a lost catalog
 * (workflows/catalog-migrate.ts). The CLI asks the parent, then the children it has running, and
 * tells from the failure (which names the catalog's URL) whether the source or the target is gone.
 */
import type { Client } from '@temporalio/client';
import { redactUrl } from '../catalog/url';
import { migrateProgressQuery, type MigrateProgress } from '../workflows/catalog-migrate';
import { waitingLine } from './import-client';
import { waitLine } from './wait-line';

const POLL_MS = 500;

export interface CatalogRole {
  role: string;
  /** The catalog URL as the user gave it (it may carry a password: only `display` is shown). */
  url: string;
}

/** `//user:pw@` and `//user@` dropped, so URLs compare however the worker or the user spelled them. */
const withoutUser = (url: string): string => url.replace(/\/\/[^/@\s]*@/g, '//');

/**
 * Which catalog a failure message names (the longest matching URL, so `schema=a` never claims
 * `schema=ab`), with its URL for display, password masked; null when it names neither.
 */
export function catalogRole(
  message: string,
  roles: readonly CatalogRole[],
): { role: string; display: string } | null {
  const text = withoutUser(message);
  let best: { role: string; display: string; length: number } | null = null;
  for (const r of roles) {
    const key = withoutUser(r.url);
    let at = text.indexOf(key);
    while (at >= 0) {
      const after = text.charAt(at + key.length);
      if ((after === '' || /[\s:,;)]/.test(after)) && (best === null || key.length > best.length)) {
        best = { role: r.role, display: redactUrl(r.url), length: key.length };
        break;
      }
      at = text.indexOf(key, at + 1);
    }
  }
  return best && { role: best.role, display: best.display };
}

/** The waiting line for one wait, naming the catalog by role where the message tells it. */
export function migrationWaitLine(
  wait: NonNullable<MigrateProgress['catalogWait']>,
  roles: readonly CatalogRole[],
): string {
  const r = catalogRole(wait.message, roles);
  if (r) return waitingLine(r.display, wait.message, wait.attempt, `${r.role} catalog`);
  return waitingLine(roles.map((x) => redactUrl(x.url)).join(' or '), wait.message, wait.attempt);
}

async function currentWait(client: Client, workflowId: string): Promise<MigrateProgress['catalogWait']> {
  const parent = client.workflow.getHandle(workflowId);
  const own = await parent.query(migrateProgressQuery).catch(() => null);
  if (own?.catalogWait) return own.catalogWait;
  const d = await parent.describe().catch(() => null);
  for (const c of d?.raw.pendingChildren ?? []) {
    if (!c.workflowId) continue;
    const p = await client.workflow
      .getHandle(c.workflowId)
      .query(migrateProgressQuery)
      .catch(() => null);
    if (p?.catalogWait) return p.catalogWait;
  }
  return null;
}

/** Poll and show the waiting line until the returned function is called (it ends the poll). */
export function pollMigrationWait(
  client: Client,
  workflowId: string,
  roles: readonly CatalogRole[],
  enabled: boolean,
): () => Promise<void> {
  const line = waitLine(process.stderr, enabled);
  let finished = !enabled;
  let wake = (): void => undefined;
  const poll = (async () => {
    while (!finished) {
      const wait = await currentWait(client, workflowId);
      if (!finished) line.show(wait ? migrationWaitLine(wait, roles) : null);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, POLL_MS);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  })();
  return async () => {
    finished = true;
    wake();
    await poll;
    line.stop();
  };
}
