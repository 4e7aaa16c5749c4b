/**
 * The benchmarks' correctness check: both sides of a comparison must list exactly the same files,
 * each once, or the harness fails with the first differences named.
 */

const MAX_REPORTED_DIFFERENCES = 5;

/** Throws unless every list holds exactly the same files, each once (the first list is the reference). */
export function requireSameFiles(where: string, lists: Record<string, readonly string[]>): void {
  const [[refName, ref], ...rest] = Object.entries(lists);
  const refSet = new Set(ref);
  if (refSet.size !== ref.length) throw new Error(`${where}: ${refName} lists a file twice`);
  for (const [name, other] of rest) {
    const otherSet = new Set(other);
    const missing = ref.filter((f) => !otherSet.has(f));
    const extra = other.filter((f) => !refSet.has(f));
    if (other.length !== ref.length || missing.length > 0 || extra.length > 0) {
      throw new Error(
        `${where}: ${name} (${other.length} files) disagrees with ${refName} (${ref.length} files); ` +
          `only in ${refName}: ${JSON.stringify(missing.slice(0, MAX_REPORTED_DIFFERENCES))}, ` +
          `only in ${name}: ${JSON.stringify(extra.slice(0, MAX_REPORTED_DIFFERENCES))}`,
      );
    }
  }
}

/** Remembers the first file list seen and throws (requireSameFiles) when a later one differs. */
export function fileSetCheck(where: string): (side: string, files: readonly string[]) => void {
  let ref: { side: string; files: readonly string[] } | null = null;
  return (side, files) => {
    if (ref === null) {
      requireSameFiles(where, { [side]: files });
      ref = { side, files };
    } else requireSameFiles(where, { [ref.side]: ref.files, [side]: files });
  };
}
