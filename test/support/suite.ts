/**
 * Per-file scaffolding for the integration suites: a Temporal harness (real dev server, in-process
 * worker on a private task queue), a scratch folder, and catalogs that are closed at the end.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openCatalog } from '../../catalog/open';
import type { CatalogStore } from '../../catalog/store';
import { temporalHarness, type TemporalHarness } from './temporal';

export interface IntegrationSuite {
  /** Available from beforeAll on. */
  readonly h: TemporalHarness;
  readonly tmp: string;
  /** Open a catalog that is closed after the suite. */
  open(url: string): Promise<CatalogStore>;
  /** Close these stores after the suite. */
  track(...stores: CatalogStore[]): void;
}

export function integrationSuite(prefix: string): IntegrationSuite {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), `deltasql-${prefix}-`));
  const stores: CatalogStore[] = [];
  let harness: TemporalHarness | undefined;
  beforeAll(async () => {
    harness = await temporalHarness();
  });
  afterAll(async () => {
    for (const s of stores) await s.close();
    await harness?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });
  return {
    get h(): TemporalHarness {
      if (!harness) throw new Error('the Temporal harness is created in beforeAll');
      return harness;
    },
    tmp,
    async open(url) {
      const s = await openCatalog(url);
      stores.push(s);
      return s;
    },
    track: (...s) => void stores.push(...s),
  };
}
