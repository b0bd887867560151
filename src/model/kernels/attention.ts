// Causal self-attention with grouped-query heads, padding masks and optional sliding window, forward and backward.
// Not the projections or RoPE: q, k, v arrive already projected and rotated, in head-major layout.

import { mm } from './linear.js';
import { assertLen, type Vec } from './types.js';
import { expf } from './fastmath.js';
import { ortSoftmax, ortSoftmaxBackward } from './ort_ops.js';

/** B batch, T time, NH query heads, NKV key/value heads (NH % NKV == 0), HS head size. */
export interface AttnShape { B: number; T: number; NH: number; NKV: number; HS: number }

/**
 * Which keys a query sees: key j is visible from query i (both sequence indices) when j <= i, the key is a real
 * token (attentionMask [B*T], 1 = real; null = all real), i - j < window when a window is set, and j is in the
 * query's own packed sequence: j >= segStart[b*T + i] (packedSegmentStarts; absent or null = one sequence per row).
 * A query that sees no key (left padding) gets all-zero probabilities and output.
 */
export interface AttnMask { attentionMask: Uint8Array | null; window: number | null; segStart?: Int32Array | null }

/** First key a query may see before padding: the window's and the packed sequence's start (row b, query i). */
export function firstVisibleKey(m: AttnMask, b: number, T: number, i: number): number {
  const w = m.window !== null ? Math.max(0, i - m.window + 1) : 0;
  return m.segStart ? Math.max(w, m.segStart[b * T + i]!) : w;
}

/**
 * Packed rows (several sequences in one row, as SFT packing builds them): for each token b*T + t, the index in its
 * row where its sequence starts. A new sequence starts wherever the position id does not step by +1 (transformers'
 * find_packed_sequence_indices). Returns null when every row holds one sequence (no mask needed).
 */
export function packedSegmentStarts(pos: Int32Array, B: number, T: number): Int32Array | null {
  if (pos.length !== B * T) throw new Error(`packedSegmentStarts: positionIds has length ${pos.length}, expected ${B * T}`);
  const start = new Int32Array(B * T);
  let packed = false;
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 1; t < T; t++) {
      if (pos[b * T + t]! - pos[b * T + t - 1]! !== 1) { s = t; packed = true; }
      start[b * T + t] = s;
    }
  }
  return packed ? start : null;
}

/**
 * y [B, NH, T, HS], probs [B, NH, T, T] (saved for backward); q [B, NH, T, HS], k, v [B, NKV, T, HS].
 * Query heads h = kv * G + g share key/value head kv (transformers' repeat_kv), so each group is one batched GEMM
 * of [G*T, HS] x [HS, T] without copying K. With a float32 `scores` scratch [B, NH, T, T] the softmax runs in ORT
 * (vectorised); otherwise in TypeScript.
 */
export async function attentionForward(y: Vec, probs: Vec, q: Vec, k: Vec, v: Vec, s: AttnShape, m: AttnMask, scores?: Float32Array): Promise<void> {
  const { B, T, NH, NKV, HS } = s, G = NH / NKV;
  assertLen('attention q', q, B * NH * T * HS); assertLen('attention k', k, B * NKV * T * HS); assertLen('attention v', v, B * NKV * T * HS);
  assertLen('attention probs', probs, B * NH * T * T); assertLen('attention y', y, B * NH * T * HS);
  if (scores && probs instanceof Float32Array) {
    assertLen('attention scores', scores, B * NH * T * T);
    await mm(scores, q, k, G * T, T, HS, { transB: true, alpha: 1 / Math.sqrt(HS), batch: B * NKV });
    const empty = maskScores(scores, s, m);
    await ortSoftmax(probs, scores, B * NH * T, T);
    if (empty) zeroEmptyRows(probs, s, m);
  } else {
    await mm(probs, q, k, G * T, T, HS, { transB: true, alpha: 1 / Math.sqrt(HS), batch: B * NKV });
    maskedSoftmax(probs, s, m);
  }
  await mm(y, probs, v, G * T, HS, T, { batch: B * NKV });
}

/** [first key query i of row b may see, whether it sees any real key at all] (j0..i with the mask's gaps). */
function visibleRange(m: AttnMask, b: number, T: number, i: number): [number, boolean] {
  const j0 = firstVisibleKey(m, b, T, i);
  if (!m.attentionMask) return [j0, true];
  for (let j = j0; j <= i; j++) if (m.attentionMask[b * T + j] !== 0) return [j0, true];
  return [j0, false];
}

/** Sets invisible scores to -Infinity (rows that see nothing to 0, fixed up after); returns whether such rows exist. */
function maskScores(p: Float32Array, s: AttnShape, m: AttnMask): boolean {
  const { B, T, NH } = s;
  let empty = false;
  for (let b = 0; b < B; b++) {
    const mo = b * T;
    for (let i = 0; i < T; i++) {
      const [j0, any] = visibleRange(m, b, T, i);
      if (!any) empty = true;
      for (let h = 0; h < NH; h++) {
        const r = ((b * NH + h) * T + i) * T;
        if (!any) { p.fill(0, r, r + T); continue; }
        if (j0 > 0) p.fill(-Infinity, r, r + j0);
        p.fill(-Infinity, r + i + 1, r + T);
        if (m.attentionMask) for (let j = j0; j <= i; j++) if (m.attentionMask[mo + j] === 0) p[r + j] = -Infinity;
      }
    }
  }
  return empty;
}

function zeroEmptyRows(p: Float32Array, s: AttnShape, m: AttnMask): void {
  const { B, T, NH } = s;
  for (let b = 0; b < B; b++) for (let i = 0; i < T; i++) {
    if (visibleRange(m, b, T, i)[1]) continue;
    for (let h = 0; h < NH; h++) { const r = ((b * NH + h) * T + i) * T; p.fill(0, r, r + T); }
  }
}

/** In place over rows of probs [B, NH, T, T]: softmax over visible keys, zeros elsewhere. */
export function maskedSoftmax(p: Vec, s: AttnShape, m: AttnMask): void {
  const { B, T, NH } = s;
  const exp = p instanceof Float64Array ? Math.exp : expf; // fast exp for float32, exact for float64 tests
  for (let b = 0; b < B; b++) {
    const mo = b * T;
    for (let h = 0; h < NH; h++) {
      for (let i = 0; i < T; i++) {
        const r = ((b * NH + h) * T + i) * T;
        const j0 = firstVisibleKey(m, b, T, i);
        let mx = -Infinity;
        for (let j = j0; j <= i; j++) {
          if (m.attentionMask && m.attentionMask[mo + j] === 0) continue;
          const v = p[r + j]!;
          if (v > mx) mx = v;
        }
        if (mx === -Infinity) { p.fill(0, r, r + T); continue; }
        let sum = 0;
        for (let j = 0; j < T; j++) {
          if (j < j0 || j > i || (m.attentionMask && m.attentionMask[mo + j] === 0)) { p[r + j] = 0; continue; }
          const e = exp(p[r + j]! - mx);
          p[r + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = j0; j <= i; j++) p[r + j]! *= inv;
      }
    }
  }
}

/**
 * dq [B, NH, T, HS], dk, dv [B, NKV, T, HS] (all overwritten); dy [B, NH, T, HS]; q, k, v, probs from forward;
 * dprobs [B, NH, T, T] scratch. dS = P * (dP - rowsum(dP * P)); masked entries have P = 0 and get no gradient.
 */
export async function attentionBackward(dq: Vec, dk: Vec, dv: Vec, dprobs: Vec, dy: Vec, q: Vec, k: Vec, v: Vec, probs: Vec, s: AttnShape): Promise<void> {
  const { B, T, NH, NKV, HS } = s, G = NH / NKV, batch = B * NKV, scale = 1 / Math.sqrt(HS);
  await mm(dprobs, dy, v, G * T, T, HS, { transB: true, batch });
  await mm(dv, probs, dy, T, HS, G * T, { transA: true, batch });
  const rows = B * NH * T;
  if (dprobs instanceof Float32Array && probs instanceof Float32Array) await ortSoftmaxBackward(dprobs, dprobs, probs, rows, T);
  else for (let r = 0; r < rows; r++) {
    const o = r * T, i = r % T;
    let dot = 0;
    for (let j = 0; j <= i; j++) dot += dprobs[o + j]! * probs[o + j]!;
    for (let j = 0; j <= i; j++) dprobs[o + j] = probs[o + j]! * (dprobs[o + j]! - dot);
    for (let j = i + 1; j < T; j++) dprobs[o + j] = 0;
  }
  await mm(dq, dprobs, k, G * T, HS, T, { alpha: scale, batch });
  await mm(dk, dprobs, q, T, HS, G * T, { transA: true, alpha: scale, batch });
}
