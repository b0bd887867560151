// RMSNorm as in transformers' LlamaRMSNorm: y = w * x / sqrt(mean(x^2) + eps), forward and backward, and the
// forward fused with the residual add before it. Not LayerNorm (no mean subtraction, no bias).

import { assertLen, type Vec } from './types.js';

/** Sum of squares of x[r .. r+C) in float64 (four partial sums: shorter dependency chains than one). */
function sumSq(x: Vec, r: number, C: number): number {
  let s0 = 0, s1 = 0, s2 = 0, s3 = 0, c = 0;
  for (; c + 3 < C; c += 4) {
    const a = x[r + c]!, b = x[r + c + 1]!, d = x[r + c + 2]!, e = x[r + c + 3]!;
    s0 += a * a; s1 += b * b; s2 += d * d; s3 += e * e;
  }
  for (; c < C; c++) { const a = x[r + c]!; s0 += a * a; }
  return (s0 + s1) + (s2 + s3);
}

/** out [N, C], rstd [N] (saved for backward), x [N, C], w [C]. */
export function rmsnormForward(out: Vec, rstd: Vec, x: Vec, w: Vec, N: number, C: number, eps: number): void {
  assertLen('rmsnorm out', out, N * C); assertLen('rmsnorm x', x, N * C); assertLen('rmsnorm rstd', rstd, N);
  for (let n = 0; n < N; n++) {
    const r = n * C;
    const s = 1 / Math.sqrt(sumSq(x, r, C) / C + eps);
    rstd[n] = s;
    for (let c = 0; c < C; c++) out[r + c] = w[c]! * (x[r + c]! * s);
  }
}

/**
 * Residual add then RMSNorm in one pass over rows (float32 engine path): xs [N, C] = a + b (rounded to float32 as
 * a separate add would store it), out [N, C] = rmsnorm(xs) * w, rstd [N]. Same numbers as add then rmsnormForward.
 */
export function residualRmsnormForward(xs: Float32Array, out: Float32Array, rstd: Float32Array, a: Float32Array, b: Float32Array, w: Float32Array, N: number, C: number, eps: number): void {
  assertLen('rmsnorm out', out, N * C); assertLen('rmsnorm xs', xs, N * C); assertLen('rmsnorm a', a, N * C); assertLen('rmsnorm b', b, N * C);
  for (let n = 0; n < N; n++) {
    const r = n * C;
    for (let c = 0; c < C; c++) xs[r + c] = a[r + c]! + b[r + c]!;
    const s = 1 / Math.sqrt(sumSq(xs, r, C) / C + eps);
    rstd[n] = s;
    for (let c = 0; c < C; c++) out[r + c] = w[c]! * (xs[r + c]! * s);
  }
}

/**
 * dx [N, C] (+= when accumulate, else =), dw [C] +=; dout [N, C], x [N, C], w [C], rstd [N].
 * With xh = x * s: dx = s * (g - xh * mean(g * xh)), g = dout * w.
 */
export function rmsnormBackward(dx: Vec, dw: Vec, dout: Vec, x: Vec, w: Vec, rstd: Vec, N: number, C: number, accumulate: boolean): void {
  const dwAcc = new Float64Array(C); // float64 partial sums over rows, added to dw once
  for (let n = 0; n < N; n++) {
    const r = n * C, s = rstd[n]!;
    let d0 = 0, d1 = 0, c = 0;
    for (; c + 1 < C; c += 2) {
      const xa = x[r + c]! * s, da = dout[r + c]!, xb = x[r + c + 1]! * s, db = dout[r + c + 1]!;
      const pa = da * xa, pb = db * xb;
      dwAcc[c]! += pa; dwAcc[c + 1]! += pb;
      d0 += pa * w[c]!; d1 += pb * w[c + 1]!;
    }
    for (; c < C; c++) { const xa = x[r + c]! * s, pa = dout[r + c]! * xa; dwAcc[c]! += pa; d0 += pa * w[c]!; }
    const k = s * s * ((d0 + d1) / C);
    if (accumulate) for (let c = 0; c < C; c++) dx[r + c]! += s * dout[r + c]! * w[c]! - x[r + c]! * k;
    else for (let c = 0; c < C; c++) dx[r + c] = s * dout[r + c]! * w[c]! - x[r + c]! * k;
  }
  for (let c = 0; c < C; c++) dw[c]! += dwAcc[c]!;
}
