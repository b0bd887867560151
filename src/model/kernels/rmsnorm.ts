// RMSNorm as in transformers' LlamaRMSNorm: y = w * x / sqrt(mean(x^2) + eps), forward and backward.
// Not LayerNorm (no mean subtraction, no bias).

import { assertLen, type Vec } from './types.js';

/** out [N, C], rstd [N] (saved for backward), x [N, C], w [C]. */
export function rmsnormForward(out: Vec, rstd: Vec, x: Vec, w: Vec, N: number, C: number, eps: number): void {
  assertLen('rmsnorm out', out, N * C); assertLen('rmsnorm x', x, N * C); assertLen('rmsnorm rstd', rstd, N);
  for (let n = 0; n < N; n++) {
    const r = n * C;
    let ss = 0;
    for (let c = 0; c < C; c++) { const v = x[r + c]!; ss += v * v; }
    const s = 1 / Math.sqrt(ss / C + eps);
    rstd[n] = s;
    for (let c = 0; c < C; c++) out[r + c] = w[c]! * (x[r + c]! * s);
  }
}

/**
 * dx [N, C] (+= when accumulate, else =), dw [C] +=; dout [N, C], x [N, C], w [C], rstd [N].
 * With xh = x * s: dx = s * (g - xh * mean(g * xh)), g = dout * w.
 */
export function rmsnormBackward(dx: Vec, dw: Vec, dout: Vec, x: Vec, w: Vec, rstd: Vec, N: number, C: number, accumulate: boolean): void {
  for (let n = 0; n < N; n++) {
    const r = n * C, s = rstd[n]!;
    let dot = 0;
    for (let c = 0; c < C; c++) {
      const xh = x[r + c]! * s, d = dout[r + c]!;
      dw[c]! += d * xh;
      dot += d * w[c]! * xh;
    }
    dot /= C;
    if (accumulate) for (let c = 0; c < C; c++) dx[r + c]! += s * (dout[r + c]! * w[c]! - x[r + c]! * s * dot);
    else for (let c = 0; c < C; c++) dx[r + c] = s * (dout[r + c]! * w[c]! - x[r + c]! * s * dot);
  }
}
