// SwiGLU gate of the Llama MLP: h = silu(gate) * up, forward and backward, on the fused gate|up GEMM output.
// Not the projections themselves (those are linear.ts GEMMs).

import { assertLen, type Vec } from './types.js';
import { expf } from './fastmath.js';

/** float32 buffers use the fast exp; float64 (tests) the exact one. */
const expFor = (v: Vec): ((x: number) => number) => (v instanceof Float64Array ? Math.exp : expf);

/** h [N, I] = silu(gu[:, :I]) * gu[:, I:]; gu [N, 2I] holds gate then up per row. */
export function swigluForward(h: Vec, gu: Vec, N: number, I: number): void {
  assertLen('swiglu h', h, N * I); assertLen('swiglu gu', gu, N * 2 * I);
  const exp = expFor(h);
  for (let n = 0; n < N; n++) {
    const g0 = n * 2 * I, u0 = g0 + I, h0 = n * I;
    for (let i = 0; i < I; i++) {
      const g = gu[g0 + i]!;
      h[h0 + i] = (g / (1 + exp(-g))) * gu[u0 + i]!;
    }
  }
}

/** dgu [N, 2I] = d/d(gate|up) of h given dh [N, I] (overwrites). */
export function swigluBackward(dgu: Vec, dh: Vec, gu: Vec, N: number, I: number): void {
  const exp = expFor(dgu);
  for (let n = 0; n < N; n++) {
    const g0 = n * 2 * I, u0 = g0 + I, h0 = n * I;
    for (let i = 0; i < I; i++) {
      const g = gu[g0 + i]!, u = gu[u0 + i]!, d = dh[h0 + i]!;
      const sg = 1 / (1 + exp(-g));
      dgu[u0 + i] = d * g * sg;
      dgu[g0 + i] = d * u * sg * (1 + g * (1 - sg));
    }
  }
}

/** h [N, I] = gate * sg_gate * up with sg [N, 2I] = sigmoid(gu) precomputed (e.g. by ORT); no exp here. */
export function swigluFromSigmoid(h: Vec, gu: Vec, sg: Vec, N: number, I: number): void {
  assertLen('swiglu h', h, N * I); assertLen('swiglu gu', gu, N * 2 * I); assertLen('swiglu sg', sg, N * 2 * I);
  for (let n = 0; n < N; n++) {
    const g0 = n * 2 * I, u0 = g0 + I, h0 = n * I;
    for (let i = 0; i < I; i++) h[h0 + i] = gu[g0 + i]! * sg[g0 + i]! * gu[u0 + i]!;
  }
}

/** dgu [N, 2I] from dh [N, I], gu [N, 2I] and sg = sigmoid(gu) [N, 2I] (overwrites); no exp here. */
export function swigluBackwardFromSigmoid(dgu: Vec, dh: Vec, gu: Vec, sg: Vec, N: number, I: number): void {
  for (let n = 0; n < N; n++) {
    const g0 = n * 2 * I, u0 = g0 + I, h0 = n * I;
    for (let i = 0; i < I; i++) {
      const g = gu[g0 + i]!, s = sg[g0 + i]!, d = dh[h0 + i]!;
      dgu[u0 + i] = d * g * s;
      dgu[g0 + i] = d * gu[u0 + i]! * s * (1 + g * (1 - s));
    }
  }
}
