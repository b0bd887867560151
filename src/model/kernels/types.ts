// Shared shape vocabulary of the kernels: B batch, T time, C hidden, V vocab, NH heads, NKV key/value heads,
// HS head size, I intermediate, N = B*T rows. Not code: the kernels accept float32 (engine) or float64 (tests).

/** A kernel buffer: Float32Array in the engine, Float64Array for finite-difference tests. */
export type Vec = Float32Array | Float64Array;

export function assertLen(name: string, buf: ArrayLike<number>, min: number): void {
  if (buf.length < min) throw new Error(`${name}: buffer of length ${buf.length}, need ${min}`);
}

/** Same length and the same values, element by element (null equals only null). */
export function sameValues(a: ArrayLike<number> | null | undefined, b: ArrayLike<number> | null | undefined): boolean {
  if (!a || !b) return !a && !b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
