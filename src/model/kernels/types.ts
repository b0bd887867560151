// Shared shape vocabulary of the kernels: B batch, T time, C hidden, V vocab, NH heads, NKV key/value heads,
// HS head size, I intermediate, N = B*T rows. Not code: the kernels accept float32 (engine) or float64 (tests).

/** A kernel buffer: Float32Array in the engine, Float64Array for finite-difference tests. */
export type Vec = Float32Array | Float64Array;

export function assertLen(name: string, buf: ArrayLike<number>, min: number): void {
  if (buf.length < min) throw new Error(`${name}: buffer of length ${buf.length}, need ${min}`);
}
