// Log-softmax scoring of next tokens: per-token log-probs (logits at t score token t+1) and masked cross-entropy,
// each with its gradient wrt the logits. Not a preference loss: DPO/SFT losses build on these in src/train.

import { assertLen, type Vec } from './types.js';
import { expf } from './fastmath.js';
import { ortScaledSoftmax } from './ort_ops.js';

/** log-sum-exp of logits[o .. o+V) in float64 (exp: Math.exp, or fastmath.ts expf where float32 accuracy will do). */
export function logSumExp(logits: Vec, o: number, V: number, exp: (x: number) => number = Math.exp): number {
  let mx = -Infinity;
  for (let i = 0; i < V; i++) { const x = logits[o + i]!; if (x > mx) mx = x; }
  let s = 0;
  for (let i = 0; i < V; i++) s += exp(logits[o + i]! - mx);
  return mx + Math.log(s);
}

/** out [B, T-1]: out[b, t] = log softmax(logits[b, t, :])[ids[b, t+1]]; logits [B, T, V], ids [B, T]. */
export function tokenLogprobs(logits: Vec, ids: Int32Array, B: number, T: number, V: number): Float64Array {
  assertLen('tokenLogprobs logits', logits, B * T * V); assertLen('tokenLogprobs ids', ids, B * T);
  const out = new Float64Array(B * Math.max(T - 1, 0));
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const o = (b * T + t) * V, target = ids[b * T + t + 1]!;
      if (!(target >= 0 && target < V)) throw new RangeError(`tokenLogprobs: token id ${target} outside vocabulary [0, ${V})`);
      out[b * (T - 1) + t] = logits[o + target]! - logSumExp(logits, o, V);
    }
  }
  return out;
}

/**
 * dlogits [B, T, V] += d out / d logits for upstream dlp [B, T-1]: row (b, t) gets dlp * (onehot(ids[b,t+1]) - softmax).
 * Rows with dlp == 0 (masked) are skipped; the last position of each row is untouched.
 */
export function tokenLogprobsBackward(dlogits: Vec, logits: Vec, ids: Int32Array, dlp: ArrayLike<number>, B: number, T: number, V: number): void {
  assertLen('tokenLogprobsBackward dlogits', dlogits, B * T * V);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      const g = dlp[b * (T - 1) + t]!;
      if (g === 0) continue;
      const o = (b * T + t) * V, lse = logSumExp(logits, o, V);
      for (let i = 0; i < V; i++) dlogits[o + i]! -= g * Math.exp(logits[o + i]! - lse);
      dlogits[o + ids[b * T + t + 1]!]! += g;
    }
  }
}

/**
 * Mean next-token cross-entropy over target tokens (transformers' causal-LM loss with labels = ids and -100 where
 * labelMask is 0). labelMask [B, T]: 1 = token j is a target (scored from logits at j-1); null = all tokens j >= 1.
 * Returns the loss, the number of targets and dlogits [B, T, V] of the mean loss (zeros when there are no targets).
 * One (fast, float32-accurate) exp per logit: dlogits holds exp(x - max) first, then is scaled into softmax - onehot.
 */
export function crossEntropy(logits: Float32Array, ids: Int32Array, B: number, T: number, V: number, labelMask: Uint8Array | null = null): { loss: number; count: number; dlogits: Float32Array } {
  assertLen('crossEntropy logits', logits, B * T * V); assertLen('crossEntropy ids', ids, B * T);
  let count = 0;
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) if (!labelMask || labelMask[b * T + t + 1]) count++;
  const dlogits = new Float32Array(B * T * V);
  if (count === 0) return { loss: 0, count, dlogits };
  let sum = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t + 1 < T; t++) {
      if (labelMask && !labelMask[b * T + t + 1]) continue;
      const o = (b * T + t) * V, target = ids[b * T + t + 1]!;
      if (!(target >= 0 && target < V)) throw new RangeError(`crossEntropy: token id ${target} outside vocabulary [0, ${V})`);
      let mx = -Infinity;
      for (let i = 0; i < V; i++) { const x = logits[o + i]!; if (x > mx) mx = x; }
      let s = 0;
      for (let i = 0; i < V; i++) { const e = expf(logits[o + i]! - mx); dlogits[o + i] = e; s += e; }
      sum += logits[o + target]! - mx - Math.log(s);
      const k = 1 / (s * count);
      for (let i = 0; i < V; i++) dlogits[o + i]! *= k;
      dlogits[o + target]! -= 1 / count;
    }
  }
  return { loss: -sum / count, count, dlogits };
}

/**
 * crossEntropy with the softmax in ORT (vectorised; same contract and result to float32 rounding); `out` [B*T*V]
 * optionally receives dlogits (no allocation).
 * log p(target) is log(softmax) unless that underflows, then an exact log-sum-exp of the row.
 */
export async function crossEntropyOrt(logits: Float32Array, ids: Int32Array, B: number, T: number, V: number, labelMask: Uint8Array | null = null, out?: Float32Array): Promise<{ loss: number; count: number; dlogits: Float32Array }> {
  assertLen('crossEntropy logits', logits, B * T * V); assertLen('crossEntropy ids', ids, B * T);
  let count = 0;
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) if (!labelMask || labelMask[b * T + t + 1]) count++;
  if (out && out.length !== B * T * V) throw new Error(`crossEntropyOrt: out has length ${out.length}, expected ${B * T * V}`);
  const dlogits = out ?? new Float32Array(B * T * V);
  if (count === 0) { dlogits.fill(0); return { loss: 0, count, dlogits }; }
  const k = 1 / count;
  await ortScaledSoftmax(dlogits, logits, B * T, V, k); // softmax / count, scaled inside ORT
  let sum = 0;
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const o = (b * T + t) * V;
      if (t + 1 >= T || (labelMask && !labelMask[b * T + t + 1])) { dlogits.fill(0, o, o + V); continue; }
      const target = ids[b * T + t + 1]!;
      if (!(target >= 0 && target < V)) throw new RangeError(`crossEntropy: token id ${target} outside vocabulary [0, ${V})`);
      const pt = dlogits[o + target]! * count; // p(target), back from the scaled value (float32 rounding ~1e-7)
      sum += pt > 1e-30 ? Math.log(pt) : logits[o + target]! - logSumExp(logits, o, V);
      dlogits[o + target]! -= k;
    }
  }
  return { loss: -sum / count, count, dlogits };
}
