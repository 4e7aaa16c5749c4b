/**
 * A promise mutex: runs async critical sections one at a time, in call order. The embedded
 * engines (SQLite, DuckDB) hold one connection, so every transaction (which may span awaits
 * while a baseline streams in) must own it exclusively.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(fn);
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
