/** Shared bits of the sync tests: a generated live table, waiting for the catalog, scratch catalogs. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { generateTable, writeCommits } from '../../bench/generator';
import type { CatalogStore } from '../../catalog/store';

/** Table shape shared by generateTable and every writeCommits burst (appends must use the same options). */
export const SHAPE = { addsPerVersion: 4, removesPerVersion: 1, checkpointInterval: 10, seed: 11 } as const;

export function scratch(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `deltasql-sync-${prefix}-`));
}

export async function liveTable(dir: string, versions: number): Promise<string> {
  await generateTable({ dir, versions, ...SHAPE });
  return dir;
}

/** Append `count` commits after the current latest version `latest`; returns the new latest. */
export async function append(dir: string, latest: number, count: number): Promise<number> {
  const r = await writeCommits(dir, latest + 1, count, SHAPE);
  return r.lastVersion;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Poll `probe` until it returns a non-undefined value; fail with `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  everyMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

export async function lastVersion(store: CatalogStore, name: string): Promise<number | null> {
  return (await store.findTable(name))?.lastVersion ?? null;
}

export function waitForVersion(
  store: CatalogStore,
  name: string,
  version: number,
  timeoutMs = 20_000,
): Promise<true> {
  return waitFor(
    `catalog table ${name} at version ${version}`,
    async () => ((await lastVersion(store, name)) === version ? true : undefined),
    timeoutMs,
    50,
  );
}
