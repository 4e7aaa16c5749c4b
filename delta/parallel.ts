/**
 * Ordered, bounded-parallel map: keeps at most `limit` fetches in flight (so a 100k-commit log is
 * never all in memory) while yielding results strictly in input order, as replay requires.
 */
export async function* orderedParallel<T, R>(
  items: Iterable<T>,
  limit: number,
  fn: (item: T) => Promise<R>,
): AsyncGenerator<R> {
  const it = items[Symbol.iterator]();
  const window: Promise<R>[] = [];
  const fill = (): void => {
    while (window.length < Math.max(1, limit)) {
      const next = it.next();
      if (next.done) return;
      const p = fn(next.value);
      p.catch(() => undefined); // surfaced when awaited in order; avoid unhandled rejections meanwhile
      window.push(p);
    }
  };
  fill();
  while (window.length > 0) {
    const r = await (window.shift() as Promise<R>);
    fill();
    yield r;
  }
}
