// Linear layer y = x W^T (+ b) with weights in the Hugging Face [out, in] layout, forward and backward via matmul.
// Not element-wise: all the work is in the GEMM (ORT for Float32Array, the reference GEMM for float64 tests).

import { matmul, matmulRef } from '../gemm.js';
import type { Vec } from './types.js';

export async function mm(out: Vec, a: Vec, b: Vec, M: number, N: number, K: number, opts: Parameters<typeof matmul>[6] = {}): Promise<void> {
  if (out instanceof Float32Array && a instanceof Float32Array && b instanceof Float32Array) return matmul(out, a, b, M, N, K, opts);
  return matmulRef(out, a, b, M, N, K, opts);
}

/** out [N, O] = x [N, I] . w[O, I]^T + bias [O] (bias may be null). */
export async function linearForward(out: Vec, x: Vec, w: Vec, bias: Vec | null, N: number, I: number, O: number): Promise<void> {
  await mm(out, x, w, N, O, I, { transB: true });
  if (bias) for (let n = 0; n < N; n++) { const r = n * O; for (let o = 0; o < O; o++) out[r + o]! += bias[o]!; }
}

/**
 * dx [N, I] (= or += with accumulateDx; null to skip), dw [O, I] +=, dbias [O] += (or null); dout [N, O], x [N, I], w [O, I].
 */
export async function linearBackward(dx: Vec | null, dw: Vec, dbias: Vec | null, dout: Vec, x: Vec, w: Vec, N: number, I: number, O: number, accumulateDx = false): Promise<void> {
  if (dx) await mm(dx, dout, w, N, I, O, { accumulate: accumulateDx });
  await mm(dw, dout, x, O, I, N, { transA: true, accumulate: true });
  if (dbias) biasBackward(dbias, dout, N, O);
}

/** dbias [O] += column sums of dout [N, O]. */
export function biasBackward(dbias: Vec, dout: Vec, N: number, O: number): void {
  for (let n = 0; n < N; n++) { const r = n * O; for (let o = 0; o < O; o++) dbias[o]! += dout[r + o]!; }
}
