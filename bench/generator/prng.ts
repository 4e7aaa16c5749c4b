/**
 * Seeded pseudo-random numbers. Each version gets its own stream derived from (seed, version), so a
 * table generated in one run and a table generated in two runs (generate + append) are identical.
 * sfc32 is tiny, fast and well distributed; cryptographic quality is not needed here.
 */

/** A 32-bit integer hash (Murmur3 finaliser), used to derive independent per-version seeds. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

const Z85 = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.-:+=^!/*?&<>()[]{}@%$#';

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, stream = 0) {
    this.a = mix32(seed ^ 0x9e3779b9);
    this.b = mix32(stream ^ 0x243f6a88);
    this.c = mix32((seed + stream) ^ 0xb7e15162);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next32();
  }

  /** Uniform unsigned 32-bit integer. */
  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next32() / 4294967296;
  }

  /** Uniform integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.float() * (hi - lo + 1));
  }

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.float() * xs.length)];
  }

  /** A random (version 4 shaped) UUID. */
  uuid(): string {
    const h = (n: number): string => this.next32().toString(16).padStart(8, '0').slice(0, n);
    const a = h(8);
    const b = h(4);
    const c = `4${h(3)}`;
    const d = `${((this.next32() & 0x3) | 0x8).toString(16)}${h(3)}`;
    return `${a}-${b}-${c}-${d}-${h(8)}${h(4)}`;
  }

  /** A string in Delta's Z85 alphabet, as used for DV ids and inline bitmaps. */
  z85(len: number): string {
    let s = '';
    for (let i = 0; i < len; i++) s += Z85[this.next32() % Z85.length];
    return s;
  }
}
