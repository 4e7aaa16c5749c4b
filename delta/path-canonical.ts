/**
 * One spelling per data file for reconciliation. Paths in add/remove are URIs (PROTOCOL.md), and
 * writers spell the same file differently: `x%20y.parquet` and `x y.parquet`, `file:/abs`,
 * `file:///abs` and `/abs`. Spark canonicalizes both sides before matching a remove to its add;
 * comparing raw strings (as the kernels do) leaves such a file active forever. The canonical form
 * is the percent-decoded path with a `file:` scheme (and empty authority) dropped. Paths stay
 * stored as written; only identity uses this. Not handled: an absolute URI vs the same file
 * relative to the table root (the catalog writer does not know the root when it prepares rows).
 */

/** Paths another writer may spell another way: absolute ones, and ones with escapable characters. */
const UNUSUAL = /^\/|[%\s#?:]|[^\x20-\x7e]/;

function decode(p: string): string {
  if (!p.includes('%')) return p;
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** The canonical spelling of a data file path (see file comment). Plain relative paths are returned as is. */
export function canonicalPath(path: string): string {
  if (!UNUSUAL.test(path)) return path;
  const p = path.startsWith('file:') ? path.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : path;
  return decode(p);
}

/** Hadoop's URI encoding of a path (what Spark writes): space, '%', '#', '?' and non-ASCII escaped. */
const encode = (p: string): string => encodeURI(p).replace(/#/g, '%23').replace(/\?/g, '%3F');

/**
 * Every spelling of the same file worth matching in the catalog, the raw one first: the canonical
 * form, its URI-encoded form, and for absolute paths the `file:` forms. One entry for plain paths.
 */
export function pathSpellings(path: string): string[] {
  if (!UNUSUAL.test(path)) return [path];
  const c = canonicalPath(path);
  const out = new Set([path, c, encode(c)]);
  if (c.startsWith('/')) for (const p of [c, encode(c)]) out.add(`file:${p}`).add(`file://${p}`);
  return [...out];
}
