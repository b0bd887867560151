// Key/value cache for incremental decoding and the cached forward pass that fills it: prefill a left-padded batch,
// then one token per row per step. Not training code (no backward) and not the sampling loop (see generate.ts).

import type { ModelConfig } from './config.js';
import type { ParamStore } from './params.js';
import { layerNames } from './params.js';
import { embeddingForward, rmsnormForward, linearForward, ropeInvFreq, ropeTables, ropeApply, attentionForward, swigluForward } from './kernels/index.js';

/** What the cached forward needs of a model (radpo's Model satisfies it). */
export interface DecoderWeights { config: ModelConfig; params: ParamStore }

/**
 * K and V of every layer for B rows: k[l], v[l] [B, NKV, capacity, HS]; mask [B, capacity] marks real tokens
 * (1) and left padding (0); all rows share the time axis `length`; positions [B] is each row's next position id.
 */
export class KvCache {
  B: number;
  length = 0;
  readonly capacity: number;
  readonly NKV: number;
  readonly HS: number;
  readonly k: Float32Array[];
  readonly v: Float32Array[];
  readonly mask: Uint8Array;
  readonly positions: Int32Array;

  constructor(c: ModelConfig, B: number, capacity: number) {
    this.B = B; this.capacity = capacity; this.NKV = c.num_key_value_heads; this.HS = c.head_dim;
    const n = B * this.NKV * capacity * this.HS;
    this.k = Array.from({ length: c.num_hidden_layers }, () => new Float32Array(n));
    this.v = Array.from({ length: c.num_hidden_layers }, () => new Float32Array(n));
    this.mask = new Uint8Array(B * capacity);
    this.positions = new Int32Array(B);
  }

  /** Keeps only `rows` (increasing indices), moving them to the front; the batch shrinks to rows.length. */
  keep(rows: number[]): void {
    const rowSize = this.NKV * this.capacity * this.HS;
    rows.forEach((r, i) => {
      if (r === i) return;
      for (let l = 0; l < this.k.length; l++) {
        (this.k[l] as Float32Array).copyWithin(i * rowSize, r * rowSize, (r + 1) * rowSize);
        (this.v[l] as Float32Array).copyWithin(i * rowSize, r * rowSize, (r + 1) * rowSize);
      }
      this.mask.copyWithin(i * this.capacity, r * this.capacity, (r + 1) * this.capacity);
      this.positions[i] = this.positions[r] as number;
    });
    this.B = rows.length;
  }
}

/** Scratch buffers reused across steps (grown on demand), so a decode step allocates almost nothing. */
export class DecodeWorkspace {
  private bufs = new Map<string, Float32Array>();
  get(name: string, n: number): Float32Array {
    let b = this.bufs.get(name);
    if (!b || b.length < n) { b = new Float32Array(Math.max(n, Math.ceil((b?.length ?? 0) * 1.5))); this.bufs.set(name, b); }
    return b.subarray(0, n);
  }
}

const invFreqCache = new WeakMap<ModelConfig, Float64Array>();

/**
 * Runs T new tokens per row through the model, appending their K/V to `cache`, and returns logits of the last
 * new position of each row ([B, V]), or of every new position ([B, T, V]) with allLogits.
 *   ids [B, T] (row-major), newMask [B, T] (1 real, 0 left padding; null = all real).
 * Position ids continue from cache.positions (transformers: cumsum(attention_mask) - 1); padding gets position 1.
 * The first call on an empty cache (prefill) uses the batched GEMM attention; later calls attend over the cache.
 */
export async function forwardCached(m: DecoderWeights, cache: KvCache, ids: Int32Array, T: number, newMask: Uint8Array | null,
  ws: DecodeWorkspace, allLogits = false): Promise<Float32Array> {
  const c = m.config, p = m.params;
  const { B } = cache;
  const C = c.hidden_size, NH = c.num_attention_heads, NKV = c.num_key_value_heads, HS = c.head_dim;
  const Q = NH * HS, KV = NKV * HS, I = c.intermediate_size, V = c.vocab_size, N = B * T, cap = cache.capacity;
  const L0 = cache.length;
  if (ids.length !== N) throw new Error(`forwardCached: ids has ${ids.length} entries, expected B*T = ${N}`);
  if (L0 + T > cap) throw new Error(`forwardCached: cache capacity ${cap} exceeded (${L0} + ${T})`);

  // Mask and positions of the new tokens.
  const pos = new Int32Array(N);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      const real = newMask ? newMask[b * T + t] === 1 : true;
      cache.mask[b * cap + L0 + t] = real ? 1 : 0;
      if (real) pos[b * T + t] = (cache.positions[b] as number)++;
      else pos[b * T + t] = 1;
    }
  }
  let inv = invFreqCache.get(c);
  if (!inv) { inv = ropeInvFreq(HS, c.rope_theta, c.rope_scaling); invFreqCache.set(c, inv); }
  const cos = ws.get('cos', N * (HS / 2)), sin = ws.get('sin', N * (HS / 2));
  ropeTables(cos, sin, pos, inv, N);

  const x = ws.get('x', N * C), h = ws.get('h', N * C), rstd = ws.get('rstd', N);
  const qkv = ws.get('qkv', N * (Q + 2 * KV));
  const q = ws.get('q', N * Q), kn = ws.get('kn', N * KV), vn = ws.get('vn', N * KV);
  const y = ws.get('y', N * Q), yt = ws.get('yt', N * Q), o = ws.get('o', N * C);
  const gu = ws.get('gu', N * 2 * I), act = ws.get('act', N * I);
  embeddingForward(x, ids, p.view('model.embed_tokens.weight'), N, C, V);
  const prefill = L0 === 0;
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const n = layerNames(l);
    rmsnormForward(h, rstd, x, p.view(n.ln1), N, C, c.rms_norm_eps);
    await linearForward(qkv, h, p.span(n.q, n.v), c.qkv_bias ? p.span(n.qb, n.vb) : null, N, C, Q + 2 * KV);
    // [B*T, Q | K | V] -> q [B, NH, T, HS], k/v [B, NKV, T, HS]
    splitHeads(q, qkv, 0, Q + 2 * KV, B, T, NH, HS);
    splitHeads(kn, qkv, Q, Q + 2 * KV, B, T, NKV, HS);
    splitHeads(vn, qkv, Q + KV, Q + 2 * KV, B, T, NKV, HS);
    ropeApply(q, cos, sin, B, NH, T, HS, false);
    ropeApply(kn, cos, sin, B, NKV, T, HS, false);
    const kc = cache.k[l] as Float32Array, vc = cache.v[l] as Float32Array;
    for (let b = 0; b < B; b++) {
      for (let g = 0; g < NKV; g++) {
        const src = ((b * NKV + g) * T) * HS, dst = ((b * NKV + g) * cap + L0) * HS;
        kc.set(kn.subarray(src, src + T * HS), dst);
        vc.set(vn.subarray(src, src + T * HS), dst);
      }
    }
    const window = c.layer_windows[l] ?? null;
    if (prefill && T > 1) {
      const probs = ws.get('probs', B * NH * T * T);
      await attentionForward(y, probs, q, kn, vn, { B, T, NH, NKV, HS }, { attentionMask: newMask, window });
    } else {
      cachedAttention(y, q, cache, l, B, T, NH, L0, window);
    }
    mergeHeads(yt, y, B, T, NH, HS);
    await linearForward(o, yt, p.view(n.o), c.o_bias ? p.view(n.ob) : null, N, Q, C);
    for (let i = 0; i < N * C; i++) x[i]! += o[i]!;
    rmsnormForward(h, rstd, x, p.view(n.ln2), N, C, c.rms_norm_eps);
    await linearForward(gu, h, p.span(n.gate, n.up), null, N, C, 2 * I);
    swigluForward(act, gu, N, I);
    await linearForward(o, act, p.view(n.down), null, N, I, C);
    for (let i = 0; i < N * C; i++) x[i]! += o[i]!;
  }
  cache.length = L0 + T;
  // Final norm and LM head on the rows whose logits are wanted.
  const R = allLogits ? N : B;
  const last = allLogits ? x : ws.get('last', B * C);
  if (!allLogits) for (let b = 0; b < B; b++) last.set(x.subarray((b * T + T - 1) * C, (b * T + T) * C), b * C);
  const hn = ws.get('hn', R * C);
  rmsnormForward(hn, rstd, last, p.view('model.norm.weight'), R, C, c.rms_norm_eps);
  const head = c.tie_word_embeddings ? p.view('model.embed_tokens.weight') : p.view('lm_head.weight');
  const logits = new Float32Array(R * V);
  await linearForward(logits, hn, head, null, R, C, V);
  return logits;
}

/** dst [B, H, T, HS] <- columns [off, off + H*HS) of src rows [B*T, stride]. */
function splitHeads(dst: Float32Array, src: Float32Array, off: number, stride: number, B: number, T: number, H: number, HS: number): void {
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) {
    const s = (b * T + t) * stride + off;
    for (let hh = 0; hh < H; hh++) {
      const d = ((b * H + hh) * T + t) * HS;
      dst.set(src.subarray(s + hh * HS, s + hh * HS + HS), d);
    }
  }
}

/** dst [B*T, H*HS] <- src [B, H, T, HS]. */
function mergeHeads(dst: Float32Array, src: Float32Array, B: number, T: number, H: number, HS: number): void {
  for (let b = 0; b < B; b++) for (let hh = 0; hh < H; hh++) for (let t = 0; t < T; t++) {
    const s = ((b * H + hh) * T + t) * HS;
    dst.set(src.subarray(s, s + HS), (b * T + t) * H * HS + hh * HS);
  }
}

/**
 * y [B, NH, T, HS] for queries q [B, NH, T, HS] at cache slots L0..L0+T-1 against keys/values in the cache
 * (already appended). Key j is visible from slot i when j <= i, mask[b, j] = 1 and i - j < window (if any).
 * Plain TypeScript: T is 1 per decode step, so this is O(B * NH * length * HS).
 */
function cachedAttention(y: Float32Array, q: Float32Array, cache: KvCache, l: number, B: number, T: number, NH: number, L0: number, window: number | null): void {
  const { NKV, HS, capacity: cap } = cache, G = NH / NKV, scale = 1 / Math.sqrt(HS);
  const kc = cache.k[l] as Float32Array, vc = cache.v[l] as Float32Array;
  const s = new Float64Array(L0 + T);
  const acc = new Float64Array(HS);
  for (let b = 0; b < B; b++) {
    const mrow = b * cap;
    for (let hh = 0; hh < NH; hh++) {
      const kvo = (b * NKV + Math.floor(hh / G)) * cap * HS;
      for (let t = 0; t < T; t++) {
        const i = L0 + t, qo = ((b * NH + hh) * T + t) * HS;
        const j0 = window !== null ? Math.max(0, i - window + 1) : 0;
        let mx = -Infinity;
        for (let j = j0; j <= i; j++) {
          if (cache.mask[mrow + j] === 0) { s[j] = -Infinity; continue; }
          let d = 0;
          const ko = kvo + j * HS;
          for (let e = 0; e < HS; e++) d += q[qo + e]! * kc[ko + e]!;
          d *= scale;
          s[j] = d;
          if (d > mx) mx = d;
        }
        acc.fill(0);
        if (mx !== -Infinity) {
          let z = 0;
          for (let j = j0; j <= i; j++) {
            if (s[j] === -Infinity) continue;
            const w = Math.exp(s[j]! - mx);
            z += w;
            const vo = kvo + j * HS;
            for (let e = 0; e < HS; e++) acc[e]! += w * vc[vo + e]!;
          }
          for (let e = 0; e < HS; e++) acc[e]! /= z;
        }
        for (let e = 0; e < HS; e++) y[qo + e] = acc[e]!;
      }
    }
  }
}
