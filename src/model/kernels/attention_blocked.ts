// Causal attention in query blocks (float32, the model's path): a block's queries meet only keys up to its end, so
// about half the T x T GEMM and softmax work is skipped. Not the reference: attention.ts keeps the full T x T kernel.

import { matmul } from '../gemm.js';
import { assertLen } from './types.js';
import { ortSoftmax, ortSoftmaxBackward } from './ort_ops.js';
import { firstVisibleKey, type AttnMask, type AttnShape } from './attention.js';

/**
 * Query rows per block (T need not be a multiple). Block 64 vs 128 vs 256 (one block) at B 4, T 256, 4 / 2 heads of
 * 64: forward + backward 25 / 30 / 34 ms per layer (load 6.8, 2 cores).
 */
export const attnBlockSettings = { block: 64 };

/** One query block: queries [i0, i1), keys [k0, i1); its probs [B, NKV, G, i1-i0, i1-k0] start at `off` in probs. */
interface Blk { i0: number; i1: number; k0: number; off: number }

function blocks(s: AttnShape, window: number | null): Blk[] {
  const { B, T, NH } = s, bs = Math.max(1, Math.floor(attnBlockSettings.block)), out: Blk[] = [];
  let off = 0;
  for (let i0 = 0; i0 < T; i0 += bs) {
    const i1 = Math.min(T, i0 + bs), k0 = window !== null ? Math.max(0, i0 - window + 1) : 0;
    out.push({ i0, i1, k0, off });
    off += B * NH * (i1 - i0) * (i1 - k0);
  }
  return out;
}

/** Length of the blocked probs buffer for a shape (at most B*NH*T*T). */
export function blockedProbsLength(s: AttnShape, window: number | null): number {
  const bl = blocks(s, window), last = bl[bl.length - 1]!;
  return last.off + s.B * s.NH * (last.i1 - last.i0) * (last.i1 - last.k0);
}

/** Named grow-only scratch buffers of one call; calls that overlap (two models awaiting at once) take different ones. */
class Workspace {
  private readonly bufs = new Map<string, Float32Array>();
  get(name: string, n: number): Float32Array {
    let b = this.bufs.get(name);
    if (!b || b.length < n) { b = new Float32Array(n); this.bufs.set(name, b); }
    return b.length === n ? b : b.subarray(0, n);
  }
}
const idle: Workspace[] = [];
async function withWorkspace(fn: (ws: Workspace) => Promise<void>): Promise<void> {
  const ws = idle.pop() ?? new Workspace();
  try { await fn(ws); } finally { if (idle.length < 2) idle.push(ws); }
}

/**
 * Where row t of head g in group z = b*NKV + kv lives in a [.., HS] buffer: (b * bS + kv * kvS + g * gS + t * tS).
 * Head-major [B, NH, T, HS] and token-major [B, T, NH, HS] (= [N, NH*HS], the o_proj input) are both layouts.
 */
interface Lay { bS: number; kvS: number; gS: number; tS: number }
const headLay = (s: AttnShape, H: number, G: number): Lay => ({ bS: H * s.T * s.HS, kvS: G * s.T * s.HS, gS: s.T * s.HS, tS: s.HS });
const tokenLay = (s: AttnShape): Lay => ({ bS: s.T * s.NH * s.HS, kvS: (s.NH / s.NKV) * s.HS, gS: s.HS, tS: s.NH * s.HS });

/** dst [Z, G, rows, HS] <- rows r0..r0+rows of src in layout L. */
function gatherRows(dst: Float32Array, src: Float32Array, L: Lay, NKV: number, Z: number, G: number, HS: number, r0: number, rows: number): void {
  let o = 0;
  for (let z = 0; z < Z; z++) for (let g = 0; g < G; g++) {
    const base = Math.floor(z / NKV) * L.bS + (z % NKV) * L.kvS + g * L.gS + r0 * L.tS;
    if (L.tS === HS) { dst.set(src.subarray(base, base + rows * HS), o); o += rows * HS; continue; }
    for (let r = 0; r < rows; r++) {
      const si = base + r * L.tS;
      for (let e = 0; e < HS; e++) dst[o + e] = src[si + e]!;
      o += HS;
    }
  }
}

/** Rows r0..r0+rows of dst in layout L <- src [Z, G, rows, HS]. */
function scatterRows(dst: Float32Array, src: Float32Array, L: Lay, NKV: number, Z: number, G: number, HS: number, r0: number, rows: number): void {
  let o = 0;
  for (let z = 0; z < Z; z++) for (let g = 0; g < G; g++) {
    const base = Math.floor(z / NKV) * L.bS + (z % NKV) * L.kvS + g * L.gS + r0 * L.tS;
    if (L.tS === HS) { dst.set(src.subarray(o, o + rows * HS), base); o += rows * HS; continue; }
    for (let r = 0; r < rows; r++) {
      const di = base + r * L.tS;
      for (let e = 0; e < HS; e++) dst[di + e] = src[o + e]!;
      o += HS;
    }
  }
}

/**
 * Masks block scores S [Z, G, rows, kLen] in place (invisible keys -Infinity, rows that see nothing all 0);
 * returns those empty rows as b * rows + r (left padding), for zeroEmpty after the softmax. Visibility as in
 * attention.ts's AttnMask.
 */
function maskBlock(S: Float32Array, s: AttnShape, m: AttnMask, b0: Blk): number[] {
  const { B, T, NKV, NH } = s, G = NH / NKV, rows = b0.i1 - b0.i0, kLen = b0.i1 - b0.k0, am = m.attentionMask;
  const empty: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let r = 0; r < rows; r++) {
      const i = b0.i0 + r, lo = firstVisibleKey(m, b, T, i); // visible: lo..i (window, packed sequence, then padding)
      let any = !am;
      if (am) for (let j = lo; j <= i; j++) if (am[b * T + j] !== 0) { any = true; break; }
      if (!any) empty.push(b * rows + r);
      for (let kv = 0; kv < NKV; kv++) for (let g = 0; g < G; g++) {
        const o = (((b * NKV + kv) * G + g) * rows + r) * kLen;
        if (!any) { S.fill(0, o, o + kLen); continue; }
        if (lo > b0.k0) S.fill(-Infinity, o, o + lo - b0.k0);
        S.fill(-Infinity, o + i + 1 - b0.k0, o + kLen);
        if (am) for (let j = lo; j <= i; j++) if (am[b * T + j] === 0) S[o + j - b0.k0] = -Infinity;
      }
    }
  }
  return empty;
}

/** Zeroes the probabilities of the rows maskBlock found empty (every head of the group). */
function zeroEmpty(P: Float32Array, s: AttnShape, b0: Blk, empty: number[]): void {
  const { NKV, NH } = s, G = NH / NKV, rows = b0.i1 - b0.i0, kLen = b0.i1 - b0.k0;
  for (const e of empty) {
    const b = Math.floor(e / rows), r = e % rows;
    for (let kv = 0; kv < NKV; kv++) for (let g = 0; g < G; g++) {
      const o = (((b * NKV + kv) * G + g) * rows + r) * kLen;
      P.fill(0, o, o + kLen);
    }
  }
}

/**
 * y [B, NH, T, HS] (overwritten; [B, T, NH, HS] = [N, NH*HS] with yTokenMajor); probs: blocked layout of length
 * blockedProbsLength(s, m.window) (saved for the backward); q [B, NH, T, HS], k, v [B, NKV, T, HS].
 * Same contract as attentionForward otherwise.
 */
export async function attentionForwardBlocked(y: Float32Array, probs: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, s: AttnShape, m: AttnMask, yTokenMajor = false): Promise<void> {
  const { B, T, NH, NKV, HS } = s, G = NH / NKV, Z = B * NKV, scale = 1 / Math.sqrt(HS);
  const qL = headLay(s, NH, G), kL = headLay(s, NKV, 1), yL = yTokenMajor ? tokenLay(s) : qL;
  assertLen('attention q', q, B * NH * T * HS); assertLen('attention k', k, Z * T * HS); assertLen('attention v', v, Z * T * HS);
  assertLen('attention y', y, B * NH * T * HS); assertLen('attention probs', probs, blockedProbsLength(s, m.window));
  await withWorkspace(async (ws) => { for (const bl of blocks(s, m.window)) {
    const rows = bl.i1 - bl.i0, kLen = bl.i1 - bl.k0, R = G * rows;
    const qj = ws.get('qj', Z * R * HS), kj = ws.get('kj', Z * kLen * HS), vj = ws.get('vj', Z * kLen * HS);
    gatherRows(qj, q, qL, NKV, Z, G, HS, bl.i0, rows);
    gatherRows(kj, k, kL, NKV, Z, 1, HS, bl.k0, kLen);
    gatherRows(vj, v, kL, NKV, Z, 1, HS, bl.k0, kLen);
    const S = ws.get('S', Z * R * kLen), P = probs.subarray(bl.off, bl.off + Z * R * kLen);
    await matmul(S, qj, kj, R, kLen, HS, { transB: true, alpha: scale, batch: Z });
    const empty = maskBlock(S, s, m, bl);
    await ortSoftmax(P, S, Z * R, kLen);
    if (empty.length) zeroEmpty(P, s, bl, empty);
    const yj = ws.get('yj', Z * R * HS);
    await matmul(yj, P, vj, R, HS, kLen, { batch: Z });
    scatterRows(y, yj, yL, NKV, Z, G, HS, bl.i0, rows);
  } });
}

/** d [Z, T, HS] rows k0..k0+kLen += part [Z, kLen, HS]. */
function addRows(d: Float32Array, part: Float32Array, Z: number, T: number, HS: number, k0: number, kLen: number): void {
  const n = kLen * HS;
  for (let z = 0; z < Z; z++) {
    const di = (z * T + k0) * HS, pi = z * n;
    for (let e = 0; e < n; e++) d[di + e]! += part[pi + e]!;
  }
}

/**
 * dq [B, NH, T, HS], dk, dv [B, NKV, T, HS] (all overwritten); dy [B, NH, T, HS] ([B, T, NH, HS] with dyTokenMajor);
 * q, k, v and the blocked probs from attentionForwardBlocked with the same shape and window. dP and dQ are batched
 * GEMMs per block; so are dK = dS^T Q and dV = P^T dY (transA), added into rows k0..i1 of each group.
 */
export async function attentionBackwardBlocked(dq: Float32Array, dk: Float32Array, dv: Float32Array, dy: Float32Array, q: Float32Array, k: Float32Array, v: Float32Array, probs: Float32Array, s: AttnShape, window: number | null, dyTokenMajor = false): Promise<void> {
  const { B, T, NH, NKV, HS } = s, G = NH / NKV, Z = B * NKV, scale = 1 / Math.sqrt(HS);
  assertLen('attention dy', dy, B * NH * T * HS); assertLen('attention probs', probs, blockedProbsLength(s, window));
  assertLen('attention dq', dq, B * NH * T * HS); assertLen('attention dk', dk, Z * T * HS); assertLen('attention dv', dv, Z * T * HS);
  const qL = headLay(s, NH, G), kL = headLay(s, NKV, 1), dyL = dyTokenMajor ? tokenLay(s) : qL;
  dk.fill(0, 0, Z * T * HS); dv.fill(0, 0, Z * T * HS);
  await withWorkspace(async (ws) => { for (const bl of blocks(s, window)) {
    const rows = bl.i1 - bl.i0, kLen = bl.i1 - bl.k0, R = G * rows;
    const P = probs.subarray(bl.off, bl.off + Z * R * kLen);
    const dyj = ws.get('dyj', Z * R * HS), qj = ws.get('qj', Z * R * HS);
    const kj = ws.get('kj', Z * kLen * HS), vj = ws.get('vj', Z * kLen * HS);
    gatherRows(dyj, dy, dyL, NKV, Z, G, HS, bl.i0, rows);
    gatherRows(qj, q, qL, NKV, Z, G, HS, bl.i0, rows);
    gatherRows(kj, k, kL, NKV, Z, 1, HS, bl.k0, kLen);
    gatherRows(vj, v, kL, NKV, Z, 1, HS, bl.k0, kLen);
    const dS = ws.get('dS', Z * R * kLen);
    await matmul(dS, dyj, vj, R, kLen, HS, { transB: true, batch: Z });          // dP = dY V^T
    const part = ws.get('part', Z * kLen * HS);
    await matmul(part, P, dyj, kLen, HS, R, { transA: true, batch: Z });           // dV[k0..i1] += P^T dY
    addRows(dv, part, Z, T, HS, bl.k0, kLen);
    await ortSoftmaxBackward(dS, dS, P, Z * R, kLen);                             // dS = P * (dP - rowsum(dP * P))
    const dqj = ws.get('dqj', Z * R * HS);
    await matmul(dqj, dS, kj, R, HS, kLen, { alpha: scale, batch: Z });           // dQ = dS K * scale
    scatterRows(dq, dqj, qL, NKV, Z, G, HS, bl.i0, rows);
    await matmul(part, dS, qj, kLen, HS, R, { transA: true, alpha: scale, batch: Z }); // dK[k0..i1] += dS^T Q * scale
    addRows(dk, part, Z, T, HS, bl.k0, kLen);
  } });
}
