// Per-sequence completion log-probs from next-token logits, and their backward into dlogits.
// Not a loss: objective.ts combines these sums into SFT / DPO losses.
//
// Shapes: B rows, T positions, V vocab. logits [B*T*V] (row-major), ids [B*T], mask [B*T] (completion_mask, 1 on
// completion tokens). Token t (t >= 1) is scored by the logits at position t-1 (the usual shift), and counts when
// mask[t] = 1: logp_b = sum_{t>=1, mask[b,t]} log softmax(logits[b,t-1])[ids[b,t]].
// Two versions: sequenceLogps / sequenceLogpsBackward in TypeScript (float64 sums of a fast exp: the reference and the
// public API), and sequenceLogpsOrt / sequenceLogpsBackwardOrt (the trainers' path), whose log-sum-exp and softmax
// run as ORT graphs over every position (vectorised, 2 threads): at B*T 1024 x V 4096, 5.9 vs 94.6 ms forward and
// 15 vs 90 ms backward.

import { expf } from '../model/kernels/fastmath.js';
import { logSumExp } from '../model/kernels/loss.js';
import { ortRowLogSumExp, ortScaledSoftmaxFromLse } from '../model/kernels/ort_ops.js';

export interface SeqLogps {
  /** [B] summed completion log-probs (float64). */
  sums: Float64Array;
  /** [B] number of scored completion tokens. */
  counts: Int32Array;
  /** [B*T] log-sum-exp of logits at each position that scores a token (0 elsewhere), reused by the backward. */
  lse: Float64Array;
  /** [B*T] per-token log-prob at position t-1 for token t (0 where not scored). */
  tokenLogps: Float64Array;
}

/**
 * `lseAt` [B*T]: the log-sum-exp of every position, when already computed (sequenceLogpsOrt); otherwise it is computed
 * here for the scored positions.
 */
export function sequenceLogps(logits: Float32Array, ids: Int32Array, mask: Uint8Array, B: number, T: number, V: number, lseAt?: Float32Array): SeqLogps {
  if (logits.length !== B * T * V) throw new Error(`sequenceLogps: logits has ${logits.length} values, expected B*T*V = ${B}*${T}*${V}`);
  if (ids.length !== B * T || mask.length !== B * T) throw new Error('sequenceLogps: ids and mask must have B*T entries');
  const sums = new Float64Array(B);
  const counts = new Int32Array(B);
  const lse = new Float64Array(B * T);
  const tokenLogps = new Float64Array(B * T);
  for (let b = 0; b < B; b++) {
    let s = 0, n = 0;
    for (let t = 1; t < T; t++) {
      if (!mask[b * T + t]) continue;
      const base = (b * T + t - 1) * V;
      const tok = ids[b * T + t] as number;
      if (tok < 0 || tok >= V) throw new Error(`sequenceLogps: token id ${tok} at row ${b}, position ${t} is outside the vocabulary (${V})`);
      const l = lseAt ? (lseAt[b * T + t - 1] as number) : logSumExp(logits, base, V, expf);
      const lp = (logits[base + tok] as number) - l;
      lse[b * T + t - 1] = l;
      tokenLogps[b * T + t] = lp;
      s += lp; n++;
    }
    sums[b] = s; counts[b] = n;
  }
  return { sums, counts, lse, tokenLogps };
}

/**
 * dlogits [B*T*V] = for each scored token, g[b] * (onehot(ids[b,t]) - softmax(logits[b,t-1])), where g[b] =
 * d loss / d sums[b] (`rowGrad`, [B]) or, with `tokenGrad` ([B*T]), a separate weight per scored token (added).
 * Positions that score no token get 0. `out` may alias `logits` (in-place: the logits are no longer needed).
 */
export function sequenceLogpsBackward(
  logits: Float32Array, s: SeqLogps, ids: Int32Array, mask: Uint8Array, B: number, T: number, V: number,
  rowGrad: Float64Array | null, tokenGrad: Float64Array | null, out: Float32Array,
): Float32Array {
  if (out.length !== B * T * V) throw new Error('sequenceLogpsBackward: out must have B*T*V entries');
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const base = (b * T + t) * V;
      const scored = t + 1 < T && mask[b * T + t + 1];
      const g = scored ? (rowGrad ? (rowGrad[b] as number) : 0) + (tokenGrad ? (tokenGrad[b * T + t + 1] as number) : 0) : 0;
      if (g === 0) { out.fill(0, base, base + V); continue; }
      const l = s.lse[b * T + t] as number;
      for (let v = 0; v < V; v++) out[base + v] = -g * expf((logits[base + v] as number) - l);
      const tok = ids[b * T + t + 1] as number;
      out[base + tok] = (out[base + tok] as number) + g;
    }
  }
  return out;
}

/** sequenceLogps with the log-sum-exp of every position from the ORT graphs (float32); gather and sums in float64. */
export async function sequenceLogpsOrt(logits: Float32Array, ids: Int32Array, mask: Uint8Array, B: number, T: number, V: number): Promise<SeqLogps> {
  if (logits.length !== B * T * V) throw new Error(`sequenceLogps: logits has ${logits.length} values, expected B*T*V = ${B}*${T}*${V}`);
  const lse = new Float32Array(B * T);
  await ortRowLogSumExp(lse, logits, B * T, V);
  return sequenceLogps(logits, ids, mask, B, T, V, lse);
}

/** sequenceLogpsBackward with the softmax term as one ORT graph over every position (rows with no gradient get 0). */
export async function sequenceLogpsBackwardOrt(
  logits: Float32Array, s: SeqLogps, ids: Int32Array, mask: Uint8Array, B: number, T: number, V: number,
  rowGrad: Float64Array | null, tokenGrad: Float64Array | null, out: Float32Array,
): Promise<Float32Array> {
  if (out.length !== B * T * V) throw new Error('sequenceLogpsBackward: out must have B*T*V entries');
  // rows without a gradient: lse = +Infinity, so exp(x - lse) = 0 exactly (no 0 * Infinity from a large logit)
  const g = new Float64Array(B * T), negG = new Float32Array(B * T), lse = new Float32Array(B * T).fill(Infinity);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      if (!mask[b * T + t + 1]) continue;
      const gi = (rowGrad ? (rowGrad[b] as number) : 0) + (tokenGrad ? (tokenGrad[b * T + t + 1] as number) : 0);
      if (gi === 0) continue;
      g[b * T + t] = gi; negG[b * T + t] = -gi; lse[b * T + t] = s.lse[b * T + t] as number;
    }
  }
  await ortScaledSoftmaxFromLse(out, logits, lse, negG, B * T, V);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const gi = g[b * T + t] as number;
      if (gi === 0) continue;
      const at = (b * T + t) * V + (ids[b * T + t + 1] as number);
      out[at] = (out[at] as number) + gi;
    }
  }
  return out;
}
