/**
 * What activities need from the outside world, injected by the worker (samples-typescript's
 * createActivities(deps) pattern): tests can hand in their own catalog pool or table opener.
 */
import type { CatalogStore } from '../catalog/store';
import { openCatalog } from '../catalog/open';
import { DeltaTable } from '../delta/table';

export interface ActivityDeps {
  catalog(url: string): Promise<CatalogStore>;
  table(uri: string): Promise<DeltaTable>;
  /** Close and forget the store of `url` (before its file or schema is renamed under it). */
  release?(url: string): Promise<void>;
}

/** One store per catalog URL for the life of the worker; tables are opened fresh (cheap, never stale). */
export function defaultDeps(): ActivityDeps & { close(): Promise<void> } {
  const stores = new Map<string, Promise<CatalogStore>>();
  return {
    catalog(url) {
      let s = stores.get(url);
      if (!s) {
        s = openCatalog(url);
        s.catch(() => stores.delete(url));
        stores.set(url, s);
      }
      return s;
    },
    table: (uri) => DeltaTable.open(uri),
    async release(url) {
      const s = stores.get(url);
      stores.delete(url);
      await (await s?.catch(() => null))?.close();
    },
    async close() {
      const all = [...stores.values()];
      stores.clear();
      for (const s of all) await (await s.catch(() => null))?.close();
    },
  };
}
