/**
 * One spelling per data file for reconciliation. Paths in add/remove are URIs (PROTOCOL.md), and
 * writers spell the same file differently: `x%20y.parquet` and `x y.parquet`, `file:/abs`,
 * `file:///abs` and `/abs`, or an absolute URI under the table root for a path relative to it
 * (`s3://b/t/part-0.parquet` for `part-0.parquet`). Spark canonicalizes both sides before matching
 * a remove to its add; comparing raw strings (as the kernels do) leaves such a file active
 * forever. The canonical form is the percent-decoded path with a `file:` scheme (and empty
 * authority) dropped, made relative when it lies under the table root (when the root is known).
 * Paths stay stored as written; only identity uses this.
 */

/** Paths another writer may spell another way: absolute ones, and ones with escapable characters. */
const UNUSUAL = /^\/|[%\s#?:]|[^\x20-\x7e]/;

/** A path percent-decoded once (as delta-rs and Spark read an add's path); unchanged when not valid. */
export function percentDecoded(p: string): string {
  if (!p.includes('%')) return p;
  try {
    return decodeURIComponent(p);
  } catch {
    return p;
  }
}

/** Decoded, without `file:`; Hadoop's s3a:// and s3n:// name the same objects as s3://. */
function absoluteForm(path: string): string {
  const p = path.startsWith('file:') ? path.slice('file:'.length).replace(/^\/\/(?=\/)/, '') : path;
  return percentDecoded(p).replace(/^s3[an]:\/\//, 's3://');
}

/** The table root's canonical prefix ("…/"), or null when unknown; the last one is kept (one root per import). */
let lastRoot: { root: string; prefix: string } | null = null;
function rootPrefix(root: string | undefined): string | null {
  if (!root) return null;
  if (lastRoot?.root !== root) lastRoot = { root, prefix: `${absoluteForm(root).replace(/\/+$/, '')}/` };
  return lastRoot.prefix;
}

/** `c` (a canonical absolute form) made relative when it lies under the root. */
function underRoot(c: string, root: string | undefined): string {
  const prefix = rootPrefix(root);
  return prefix !== null && c.startsWith(prefix) && c.length > prefix.length ? c.slice(prefix.length) : c;
}

/**
 * The canonical spelling of a data file path (see file comment); `root` is the table root as the
 * store names it (`/data/t`, `s3://bucket/t`). Plain relative paths are returned as is.
 */
export function canonicalPath(path: string, root?: string): string {
  return UNUSUAL.test(path) ? underRoot(absoluteForm(path), root) : path;
}

/** Hadoop's URI encoding of a path (what Spark writes): space, '%', '#', '?' and non-ASCII escaped. */
const encode = (p: string): string => encodeURI(p).replace(/#/g, '%23').replace(/\?/g, '%3F');

/**
 * Every spelling of the same file worth matching in the catalog, the raw one first: the canonical
 * form, its URI-encoded form, and for absolute paths the `file:` forms; an absolute path under
 * the root also matches its relative forms. One entry for plain relative paths (the common case
 * stays one key): a relative remove of an add written absolute in an earlier batch is matched by
 * the log reader, not in the catalog.
 */
export function pathSpellings(path: string, root?: string): string[] {
  return fileIdentity(path, root).spellings;
}

/**
 * `canonicalPath(path, root)` and `pathSpellings(path, root)` at once, decoding the path once:
 * the import computes both for every add and remove.
 */
export function fileIdentity(path: string, root?: string): { canonical: string; spellings: string[] } {
  if (!UNUSUAL.test(path)) return { canonical: path, spellings: [path] };
  const c = absoluteForm(path);
  const out = new Set([path, c, encode(c)]);
  if (c.startsWith('/')) for (const p of [c, encode(c)]) out.add(`file:${p}`).add(`file://${p}`);
  const rel = underRoot(c, root);
  if (rel !== c) out.add(rel).add(encode(rel));
  return { canonical: rel, spellings: [...out] };
}
