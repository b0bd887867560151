// Token embedding lookup (forward) and its scatter-add gradient (backward).
// Not the LM head: a tied head reuses the same table through linear.ts.

import { assertLen, type Vec } from './types.js';

/** out [N, C] = wte[ids[n], :]; ids [N] int32, wte [V, C]. Ids are checked against V. */
export function embeddingForward(out: Vec, ids: Int32Array, wte: Vec, N: number, C: number, V: number): void {
  assertLen('embedding out', out, N * C); assertLen('embedding ids', ids, N); assertLen('embedding wte', wte, V * C);
  for (let n = 0; n < N; n++) {
    const id = ids[n]!;
    if (!(id >= 0 && id < V)) throw new RangeError(`embedding: token id ${id} at position ${n} outside vocabulary [0, ${V})`);
    out.set(wte.subarray(id * C, id * C + C), n * C);
  }
}

/** dwte [V, C] += scatter of dout [N, C] by ids [N]. */
export function embeddingBackward(dwte: Vec, dout: Vec, ids: Int32Array, N: number, C: number): void {
  for (let n = 0; n < N; n++) {
    const o = ids[n]! * C, r = n * C;
    for (let c = 0; c < C; c++) dwte[o + c]! += dout[r + c]!;
  }
}
