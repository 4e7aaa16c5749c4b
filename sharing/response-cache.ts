/**
 * Whole query answers kept for re-use. A committed version never changes, so the answer for
 * (table, version, format, hints, limit, base URL) is the same bytes for as long as its signed
 * URLs are young: an entry is served only while `reuseMs` has not passed since it was signed, so
 * every URL a client gets from the cache still has at least `ttl - reuseMs` to live (and each
 * line's `expirationTimestamp` is its true expiry). Memory is bounded: at most `maxBytes` in all,
 * least recently used first out, and an answer larger than a quarter of that is streamed without
 * being kept. A version that is not committed yet cannot be asked for, so nothing is ever stale.
 */

export interface CachedAnswer {
  body: Buffer;
  version: number;
  format: string;
  signedAt: number;
}

export class ResponseCache {
  private readonly entries = new Map<string, CachedAnswer>();
  private bytes = 0;

  constructor(
    readonly maxBytes: number,
    readonly reuseMs: number,
  ) {}

  get maxEntryBytes(): number {
    return Math.floor(this.maxBytes / 4);
  }

  get(key: string, now = Date.now()): CachedAnswer | undefined {
    const e = this.entries.get(key);
    if (e === undefined) return undefined;
    this.entries.delete(key);
    if (now - e.signedAt > this.reuseMs) {
      this.bytes -= e.body.length;
      return undefined;
    }
    this.entries.set(key, e); // most recently used last
    return e;
  }

  /**
   * Collects an answer while it streams; `store()` keeps it unless it outgrew the entry limit.
   * Nothing is kept for an answer that did not finish (a client that went away, a failed page).
   */
  collector(
    key: string,
    meta: Omit<CachedAnswer, 'body'>,
  ): { add(chunk: string | Buffer): void; store(): void; collecting(): boolean } {
    let parts: Buffer[] | null = this.maxEntryBytes > 0 ? [] : null;
    let size = 0;
    return {
      add: (chunk) => {
        if (parts === null) return;
        size += Buffer.byteLength(chunk);
        if (size > this.maxEntryBytes) parts = null;
        // Buffers are kept as they are: every chunk sent is a fresh one (answer-store.ts reads too).
        else parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      },
      /** Whether chunks added are still held (so their buffers must not be re-used). */
      collecting: () => parts !== null,
      store: () => {
        if (parts === null) return;
        this.put(key, { ...meta, body: Buffer.concat(parts) });
        parts = null;
      },
    };
  }

  private put(key: string, e: CachedAnswer): void {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.entries.delete(key);
      this.bytes -= old.body.length;
    }
    for (const [k, v] of this.entries) {
      if (this.bytes + e.body.length <= this.maxBytes) break;
      this.entries.delete(k);
      this.bytes -= v.body.length;
    }
    this.entries.set(key, e);
    this.bytes += e.body.length;
  }
}
