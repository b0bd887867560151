// Seeded pseudo-random numbers (xoshiro128**, seeded through splitmix32). Every random choice in radpo goes
// through this: never Math.random() in library code. Not cryptographic.

export class Rng {
  private s0: number; private s1: number; private s2: number; private s3: number;

  constructor(seed: number) {
    let x = (seed >>> 0) ^ 0x9e3779b9;
    const next = (): number => {
      // splitmix32
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next(); this.s1 = next(); this.s2 = next(); this.s3 = next();
  }

  /** Uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5) >>> 0, 7), 9) >>> 0;
    const t = (this.s1 << 9) >>> 0;
    this.s2 ^= this.s0; this.s3 ^= this.s1; this.s1 ^= this.s2; this.s0 ^= this.s3;
    this.s2 = (this.s2 ^ t) >>> 0;
    this.s3 = rotl(this.s3, 11);
    this.s0 >>>= 0; this.s1 >>>= 0;
    return result;
  }

  /**
   * keep[i] = 1 where next() >= p, else 0, for i < n: the same numbers and stream position as n calls of next(), with
   * the generator's state in locals (dropout masks: millions of draws per step).
   */
  keepMask(keep: Uint8Array, n: number, p: number): void {
    if (keep.length < n) throw new Error(`Rng.keepMask: buffer of ${keep.length} shorter than ${n}`);
    const thr = Math.ceil(p * 4294967296); // next() >= p  <=>  u32 >= p * 2^32 (exact: a power-of-two product)
    let s0 = this.s0, s1 = this.s1, s2 = this.s2, s3 = this.s3;
    for (let i = 0; i < n; i++) {
      const m = Math.imul(s1, 5) >>> 0, u = Math.imul(((m << 7) | (m >>> 25)) >>> 0, 9) >>> 0;
      const t = (s1 << 9) >>> 0;
      s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
      s2 = (s2 ^ t) >>> 0;
      s3 = ((s3 << 11) | (s3 >>> 21)) >>> 0;
      s0 >>>= 0; s1 >>>= 0;
      keep[i] = u >= thr ? 1 : 0;
    }
    this.s0 = s0; this.s1 = s1; this.s2 = s2; this.s3 = s3;
  }

  /** Uniform float in [0, 1) with 32 bits of randomness. */
  next(): number { return this.nextU32() / 4294967296; }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new Error(`Rng.int: n must be positive, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** In-place Fisher-Yates shuffle; returns the array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = a[i] as T; a[i] = a[j] as T; a[j] = tmp;
    }
    return a;
  }

  /** Independent child stream, e.g. one per worker or per purpose. */
  fork(salt: number): Rng { return new Rng((this.nextU32() ^ Math.imul(salt, 0x27d4eb2d)) >>> 0); }

  /** Serializable state, so a resumed run continues the same stream. */
  state(): [number, number, number, number] { return [this.s0, this.s1, this.s2, this.s3]; }
  static fromState(s: [number, number, number, number]): Rng {
    const r = new Rng(0);
    r.setState(s);
    return r;
  }
  /** Continues from a state() in place (kernels that run the generator elsewhere hand its state back). */
  setState(s: readonly [number, number, number, number]): void {
    [this.s0, this.s1, this.s2, this.s3] = s.map((v) => v >>> 0) as [number, number, number, number];
  }
}

function rotl(x: number, k: number): number { return ((x << k) | (x >>> (32 - k))) >>> 0; }
