/**
 * Removes that name their file in another URI spelling than its add (`x y.parquet` for
 * `x%20y.parquet`, `file:/abs` for `/abs`, an absolute URI for a relative path): they remove it, as
 * Spark does (path-canonical.ts), and the import notes say how many, with the first few. Plain
 * data, no dependencies: the log replay, the catalog writer and the import workflow all count them.
 */
/** Removes whose path matched their add only after canonicalization: how many, and the first few. */
export interface PathMismatches {
  count: number;
  examples: { remove: string; add: string }[];
}

const MISMATCH_EXAMPLES = 3;

export const noPathMismatches = (): PathMismatches => ({ count: 0, examples: [] });

/** Count one remove that matched its add only after canonicalization (the first few kept). */
export function addPathMismatch(m: PathMismatches, remove: string, add: string): void {
  m.count++;
  if (m.examples.length < MISMATCH_EXAMPLES) m.examples.push({ remove, add });
}

/** `from` added into `into` (count summed, examples up to the bound). */
export function mergePathMismatches(into: PathMismatches, from: PathMismatches | undefined): void {
  if (!from) return;
  into.count += from.count;
  for (const e of from.examples) if (into.examples.length < MISMATCH_EXAMPLES) into.examples.push(e);
}

/** The import-notes line for path mismatches, or null when there were none. */
export function pathMismatchNote(m: PathMismatches): string | null {
  if (m.count === 0) return null;
  const eg = m.examples.map((e) => `remove ${JSON.stringify(e.remove)} for add ${JSON.stringify(e.add)}`);
  return `${m.count} remove(s) named their file in another URI spelling than its add, matched as Spark does (${eg.join('; ')}${m.count > m.examples.length ? '; …' : ''})`;
}
