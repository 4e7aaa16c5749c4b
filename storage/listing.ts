/**
 * The listing loop the cloud stores share: ask for pages until the service returns no continuation
 * token, keep only keys after start-after, and make keys relative to the store's root. Each store
 * supplies just its SDK call for one page (with its retry and error typing). The start-after
 * comparison is what guarantees the contract: GCS takes the bound inclusively (startOffset), Azure
 * emulators ignore theirs (startFrom), S3's StartAfter is already exclusive.
 */
import type { ObjectMeta } from './object-store';

/** One object as a listing page names it: the full key, under the store's base prefix. */
export interface ListedObject {
  key: string;
  size: number;
  lastModified: number;
}

export interface ListPage {
  objects: ListedObject[];
  /** Continuation token for the next page; absent or empty on the last page. */
  next?: string;
}

/**
 * Objects under `base` from the pages `fetchPage` returns, in the service's (lexicographic)
 * order; only those whose key is after `base + startAfter` when given. `fetchPage` gets the
 * previous page's token (undefined for the first page, which is where the store passes its
 * service's start-after hint).
 */
export async function* pagedListing(
  base: string,
  startAfter: string | undefined,
  fetchPage: (token: string | undefined) => Promise<ListPage>,
): AsyncIterable<ObjectMeta> {
  const after = startAfter === undefined ? undefined : base + startAfter;
  let token: string | undefined;
  do {
    const page = await fetchPage(token);
    for (const o of page.objects) {
      if (after !== undefined && o.key <= after) continue;
      yield { path: o.key.slice(base.length), size: o.size, lastModified: o.lastModified };
    }
    token = page.next || undefined;
  } while (token !== undefined);
}
