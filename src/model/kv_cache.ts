// Key/value cache for incremental decoding and the cached forward pass that fills it (prefill a left-padded batch,
// then one token per row per step; small GEMVs and cache attention in WebAssembly SIMD). Not training code, not sampling.

import { WA, instantiate, memoryModule, sleb, uleb } from '../util/wasm.js';
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

  /** `arena` (optional, >= KvCache.floats(c, B, capacity) floats) holds k and v, e.g. WebAssembly memory. */
  constructor(c: ModelConfig, B: number, capacity: number, arena: Float32Array | null = null) {
    this.B = B; this.capacity = capacity; this.NKV = c.num_key_value_heads; this.HS = c.head_dim;
    const n = B * this.NKV * capacity * this.HS, L = c.num_hidden_layers;
    if (arena && arena.length < 2 * L * n) throw new Error(`KvCache: arena of ${arena.length} floats < ${2 * L * n}`);
    const part = (i: number): Float32Array => (arena ? arena.subarray(i * n, (i + 1) * n).fill(0) : new Float32Array(n));
    this.k = Array.from({ length: L }, (_, l) => part(2 * l));
    this.v = Array.from({ length: L }, (_, l) => part(2 * l + 1));
    this.mask = new Uint8Array(B * capacity);
    this.positions = new Int32Array(B);
  }

  /**
   * Grows the batch from the first `src` rows' worth of filled rows to src.length rows: row b becomes a copy of row
   * src[b] (src[b] <= b), e.g. to share one prompt's prefill among its num_return_sequences completions.
   */
  expand(src: number[]): void {
    if (src.length > this.mask.length / this.capacity) throw new Error(`KvCache.expand: ${src.length} rows exceed the allocation`);
    const rowSize = this.NKV * this.capacity * this.HS;
    for (let b = src.length - 1; b >= 0; b--) {
      const r = src[b] as number;
      if (r > b || r >= this.B) throw new Error(`KvCache.expand: row ${b} cannot copy row ${r}`);
      if (r === b) continue;
      for (let l = 0; l < this.k.length; l++) {
        (this.k[l] as Float32Array).copyWithin(b * rowSize, r * rowSize, (r + 1) * rowSize);
        (this.v[l] as Float32Array).copyWithin(b * rowSize, r * rowSize, (r + 1) * rowSize);
      }
      this.mask.copyWithin(b * this.capacity, r * this.capacity, (r + 1) * this.capacity);
      this.positions[b] = this.positions[r] as number;
    }
    this.B = src.length;
  }

  static floats(c: ModelConfig, B: number, capacity: number): number {
    return 2 * c.num_hidden_layers * B * c.num_key_value_heads * capacity * c.head_dim;
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
  /** Decode matrices in WebAssembly memory for small row counts (see WasmWeights), or null: ORT only. */
  wasm: WasmWeights | null = null;
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
  // y [N, O] = x [N, I] . W^T (+ bias): the synchronous WebAssembly GEMV for a few rows, else an ORT GEMM.
  const useWasm = ws.wasm !== null && N <= decodeSettings.wasmMaxRows;
  const linear = async (out: Float32Array, xin: Float32Array, key: string, w: Float32Array, bias: Float32Array | null, I: number, O: number): Promise<void> => {
    if (!useWasm) return linearForward(out, xin, w, bias, N, I, O);
    ws.wasm!.matmul(out, xin, key, N);
    if (bias) for (let r = 0; r < N; r++) for (let j = 0; j < O; j++) out[r * O + j]! += bias[j]!;
  };
  embeddingForward(x, ids, p.view('model.embed_tokens.weight'), N, C, V);
  const prefill = L0 === 0;
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const n = layerNames(l);
    rmsnormForward(h, rstd, x, p.view(n.ln1), N, C, c.rms_norm_eps);
    await linear(qkv, h, n.q, p.span(n.q, n.v), c.qkv_bias ? p.span(n.qb, n.vb) : null, C, Q + 2 * KV);
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
      cachedAttention(y, q, cache, l, B, T, NH, L0, window, ws.wasm && ws.wasm.owns(cache.k[l] as Float32Array) ? ws.wasm : null);
    }
    if (T > 1) mergeHeads(yt, y, B, T, NH, HS); // for T = 1, [B, NH, 1, HS] already is [B, NH*HS]
    await linear(o, T > 1 ? yt : y, n.o, p.view(n.o), c.o_bias ? p.view(n.ob) : null, Q, C);
    for (let i = 0; i < N * C; i++) x[i]! += o[i]!;
    rmsnormForward(h, rstd, x, p.view(n.ln2), N, C, c.rms_norm_eps);
    await linear(gu, h, n.gate, p.span(n.gate, n.up), null, C, 2 * I);
    swigluForward(act, gu, N, I);
    await linear(o, act, n.down, p.view(n.down), null, I, C);
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
  if (useWasm && R <= decodeSettings.wasmMaxRows) ws.wasm!.matmul(logits, hn, 'head', R);
  else await linearForward(logits, hn, head, null, R, C, V);
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
 * Plain TypeScript, O(B * NH * length * HS) per step: each key/value row is read once per group of G query heads,
 * and rows whose real tokens are contiguous (left padding) skip the per-key mask test.
 */
function cachedAttention(y: Float32Array, q: Float32Array, cache: KvCache, l: number, B: number, T: number, NH: number, L0: number, window: number | null,
  wasm: WasmWeights | null): void {
  const { NKV, HS, capacity: cap } = cache, G = NH / NKV, scale = 1 / Math.sqrt(HS);
  const kc = cache.k[l] as Float32Array, vc = cache.v[l] as Float32Array, mask = cache.mask;
  const L = L0 + T;
  const s = new Float64Array(G * L);
  const acc = new Float64Array(G * HS);
  const mx = new Float64Array(G), z = new Float64Array(G);
  for (let b = 0; b < B; b++) {
    const mrow = b * cap;
    let first = 0;
    while (first < L && mask[mrow + first] === 0) first++;
    let contiguous = true;
    for (let j = first; j < L; j++) if (mask[mrow + j] === 0) { contiguous = false; break; }
    if (wasm && contiguous) {
      for (let g = 0; g < NKV; g++) for (let t = 0; t < T; t++) {
        const i = L0 + t;
        const j0 = Math.max(first, window !== null ? i - window + 1 : 0);
        if (j0 <= i) wasm.attend(y, q, cache, l, b, g, t, T, NH, j0, i);
        else for (let gh = 0; gh < G; gh++) { const qr = ((b * NH + g * G + gh) * T + t) * HS; y.fill(0, qr, qr + HS); }
      }
      continue;
    }
    for (let g = 0; g < NKV; g++) {
      const kvo = (b * NKV + g) * cap * HS;
      for (let t = 0; t < T; t++) {
        const i = L0 + t;
        const j0 = Math.max(first, window !== null ? i - window + 1 : 0);
        mx.fill(-Infinity);
        for (let j = j0; j <= i; j++) {
          const visible = contiguous || mask[mrow + j] === 1;
          const ko = kvo + j * HS;
          for (let gh = 0; gh < G; gh++) {
            if (!visible) { s[gh * L + j] = -Infinity; continue; }
            const qo = ((b * NH + g * G + gh) * T + t) * HS;
            let d = 0;
            for (let e = 0; e < HS; e++) d += q[qo + e]! * kc[ko + e]!;
            d *= scale;
            s[gh * L + j] = d;
            if (d > mx[gh]!) mx[gh] = d;
          }
        }
        acc.fill(0); z.fill(0);
        for (let j = j0; j <= i; j++) {
          const vo = kvo + j * HS;
          for (let gh = 0; gh < G; gh++) {
            const sj = s[gh * L + j]!;
            if (sj === -Infinity) continue;
            const w = Math.exp(sj - mx[gh]!);
            z[gh] += w;
            const ao = gh * HS;
            for (let e = 0; e < HS; e++) acc[ao + e] += w * vc[vo + e]!;
          }
        }
        for (let gh = 0; gh < G; gh++) {
          const qo = ((b * NH + g * G + gh) * T + t) * HS, inv = z[gh]! > 0 ? 1 / z[gh]! : 0;
          for (let e = 0; e < HS; e++) y[qo + e] = acc[gh * HS + e]! * inv;
        }
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Small-batch decode GEMV in WebAssembly SIMD: synchronous, so a one-token step avoids ~17 asynchronous ORT calls.
// The weights are copied into the module's memory once per generate call.

/** Rows at most for which decode matmuls use the WebAssembly GEMV (0 = always ORT). */
export const decodeSettings = { wasmMaxRows: 4 };

/** gemv(w, x, y, N, K): y[n] = sum_k w[n*K + k] * x[k] for n < N; byte pointers, K % 16 == 0. */
function gemvModuleBytes(): Uint8Array {
  const lg = (i: number) => [0x20, i], ls = (i: number) => [0x21, i], lt = (i: number) => [0x22, i];
  const i32c = (v: number) => [0x41, ...sleb(v)];
  const simd = (op: number, ...imm: number[]) => [0xfd, ...uleb(op), ...imm];
  const load = (off: number) => simd(0x00, 4, ...uleb(off)); // v128.load align=16 offset
  const add4 = simd(0xe4), mul4 = simd(0xe6), lane = (i: number) => simd(0x1f, i);
  const acc = (a: number, off: number) => [...lg(a), ...lg(0), ...lg(6), 0x6a, ...load(off), ...lg(1), ...lg(6), 0x6a, ...load(off), ...mul4, ...add4, ...ls(a)];
  const zero = simd(0x0c, ...new Array(16).fill(0));
  const code = [
    ...lg(4), ...i32c(2), 0x74, ...ls(7),                         // kb = K * 4
    ...i32c(0), ...ls(5),                                          // n = 0
    0x02, 0x40, 0x03, 0x40,                                        // block, loop rows
    ...lg(5), ...lg(3), 0x4f, 0x0d, 1,                             // if n >= N break
    ...zero, ...ls(9), ...zero, ...ls(10), ...zero, ...ls(11), ...zero, ...ls(12),
    ...i32c(0), ...ls(6),                                          // k = 0 (bytes)
    0x03, 0x40,                                                    // loop k
    ...acc(9, 0), ...acc(10, 16), ...acc(11, 32), ...acc(12, 48),
    ...lg(6), ...i32c(64), 0x6a, ...lt(6), ...lg(7), 0x49, 0x0d, 0, // k += 64; if k < kb continue
    0x0b,                                                          // end loop k
    ...lg(9), ...lg(10), ...add4, ...lg(11), ...lg(12), ...add4, ...add4, ...ls(9),
    ...lg(2), ...lg(5), ...i32c(2), 0x74, 0x6a,                    // &y[n]
    ...lg(9), ...lane(0), ...lg(9), ...lane(1), 0x92, ...lg(9), ...lane(2), 0x92, ...lg(9), ...lane(3), 0x92,
    0x38, 2, 0,                                                    // f32.store
    ...lg(0), ...lg(7), 0x6a, ...ls(0),                            // w += kb
    ...lg(5), ...i32c(1), 0x6a, ...ls(5),                          // n++
    0x0c, 0,                                                       // continue rows
    0x0b, 0x0b, 0x0b,                                              // end loop, end block, end func
  ];
  const locals = [2, 4, 0x7f, 4, 0x7b];                            // 4 x i32 (n, k, kb, unused), 4 x v128
  const body = [...locals, ...code];
  // wsum(v, p, out, n, HS): out[0..HS) = sum_{j<n} p[j] * v[j*HS .. j*HS+HS); byte pointers, HS % 4 == 0.
  const store = simd(0x0b, 4, 0), splat = simd(0x13);
  const wsum = [
    ...lg(4), ...i32c(2), 0x74, ...ls(7),                         // kb = HS * 4
    ...i32c(0), ...ls(6),
    0x03, 0x40, ...lg(2), ...lg(6), 0x6a, ...zero, ...store,        // out[e..e+4) = 0
    ...lg(6), ...i32c(16), 0x6a, ...lt(6), ...lg(7), 0x49, 0x0d, 0, 0x0b,
    ...i32c(0), ...ls(5),                                          // j = 0
    0x02, 0x40, 0x03, 0x40,
    ...lg(5), ...lg(3), 0x4f, 0x0d, 1,                             // if j >= n break
    ...lg(1), ...lg(5), ...i32c(2), 0x74, 0x6a, 0x2a, 2, 0, ...splat, ...ls(9), // s = splat(p[j])
    ...i32c(0), ...ls(6),
    0x03, 0x40,
    ...lg(2), ...lg(6), 0x6a,                                      // &out[e]
    ...lg(2), ...lg(6), 0x6a, ...load(0), ...lg(9), ...lg(0), ...lg(6), 0x6a, ...load(0), ...mul4, ...add4, ...store,
    ...lg(6), ...i32c(16), 0x6a, ...lt(6), ...lg(7), 0x49, 0x0d, 0,
    0x0b,
    ...lg(0), ...lg(7), 0x6a, ...ls(0),                            // v += kb
    ...lg(5), ...i32c(1), 0x6a, ...ls(5), 0x0c, 0,
    0x0b, 0x0b, 0x0b,
  ];
  const body2 = [...locals, ...wsum];
  return memoryModule([{ name: 'gemv', params: [0x7f, 0x7f, 0x7f, 0x7f, 0x7f], body }, { name: 'wsum', params: [0x7f, 0x7f, 0x7f, 0x7f, 0x7f], body: body2 }]);
}

let gemvModule: object | null = null;

/** The decode matrices of a model in WebAssembly memory, with x / y scratch for up to decodeSettings.wasmMaxRows rows. */
export class WasmWeights {
  private readonly f32: Float32Array;
  private readonly gemv: (w: number, x: number, y: number, N: number, K: number) => void;
  private readonly wsum: (v: number, p: number, out: number, n: number, HS: number) => void;
  private readonly offsets = new Map<string, { off: number; N: number; K: number }>();
  private readonly xOff: number;
  private readonly yOff: number;
  private readonly kvOff: number;
  private readonly kvFloats: number;
  private readonly aOff: number;
  private readonly capMax: number;

  private constructor(mats: [string, Float32Array, number, number][], rows: number, kvFloats: number, G: number, HS: number, capMax: number) {
    let bytes = 0;
    for (const [key, , N, K] of mats) { this.offsets.set(key, { off: bytes, N, K }); bytes += N * K * 4; }
    const maxK = Math.max(...mats.map((m) => m[3])), maxN = Math.max(...mats.map((m) => m[2]));
    this.xOff = bytes; bytes += rows * maxK * 4;
    this.yOff = bytes; bytes += rows * maxN * 4;
    this.kvOff = bytes; this.kvFloats = kvFloats; bytes += kvFloats * 4;
    this.aOff = bytes; this.capMax = capMax; bytes += G * (2 * HS + capMax) * 4; // q, out [G, HS]; scores [G, capMax]
    gemvModule ??= new WA!.Module(gemvModuleBytes());
    const { exports, buffer } = instantiate(gemvModule, bytes + 65536);
    this.gemv = exports.gemv as (w: number, x: number, y: number, N: number, K: number) => void;
    this.wsum = exports.wsum as (v: number, p: number, out: number, n: number, HS: number) => void;
    this.f32 = new Float32Array(buffer);
    for (const [key, data] of mats) this.f32.set(data, this.offsets.get(key)!.off / 4);
  }

  /**
   * A copy of the model's matrices (and room for a KV cache of kv.B rows x kv.capacity slots, for attention in
   * WebAssembly), or null when a dimension is not a multiple of 16 or the model is too large.
   */
  static build(m: DecoderWeights, rows = decodeSettings.wasmMaxRows, kv: { B: number; capacity: number } | null = null): WasmWeights | null {
    if (rows <= 0 || !WA) return null;
    const c = m.config, p = m.params;
    const Q = c.num_attention_heads * c.head_dim, KV = c.num_key_value_heads * c.head_dim;
    if ([c.hidden_size, Q, c.intermediate_size].some((k) => k % 16 !== 0)) return null;
    let kvFloats = kv && c.head_dim % 16 === 0 ? 2 * c.num_hidden_layers * kv.B * KV * kv.capacity : 0;
    if ((p.size + kvFloats) * 4 > 2 ** 31) kvFloats = 0; // KV cache stays in JavaScript memory
    if (p.size * 4 > 2 ** 31) return null;               // keep well inside wasm32's 4 GiB
    const mats: [string, Float32Array, number, number][] = [];
    for (let l = 0; l < c.num_hidden_layers; l++) {
      const n = layerNames(l);
      mats.push([n.q, p.span(n.q, n.v), Q + 2 * KV, c.hidden_size], [n.o, p.view(n.o), c.hidden_size, Q],
        [n.gate, p.span(n.gate, n.up), 2 * c.intermediate_size, c.hidden_size], [n.down, p.view(n.down), c.hidden_size, c.intermediate_size]);
    }
    mats.push(['head', c.tie_word_embeddings ? p.view('model.embed_tokens.weight') : p.view('lm_head.weight'), c.vocab_size, c.hidden_size]);
    const G = c.num_attention_heads / c.num_key_value_heads;
    try { return new WasmWeights(mats, rows, kvFloats, G, c.head_dim, kvFloats > 0 ? kv!.capacity : 0); } catch { return null; } // no SIMD or no memory: ORT only
  }

  has(key: string): boolean { return this.offsets.has(key); }

  /** out [M, N] = x [M, K] . W^T for the matrix stored under `key`. */
  matmul(out: Float32Array, x: Float32Array, key: string, M: number): void {
    const e = this.offsets.get(key)!;
    const { N, K } = e;
    this.f32.set(x.subarray(0, M * K), this.xOff / 4);
    for (let r = 0; r < M; r++) this.gemv(e.off, this.xOff + r * K * 4, this.yOff + r * N * 4, N, K);
    out.set(this.f32.subarray(this.yOff / 4, this.yOff / 4 + M * N));
  }

  /** Storage for a KvCache of n floats inside this module's memory (so attention can run here), or null. */
  kvArena(n: number, capacity: number): Float32Array | null {
    return n <= this.kvFloats && capacity <= this.capMax ? this.f32.subarray(this.kvOff / 4, this.kvOff / 4 + n) : null;
  }

  /** Whether `a` lives in this module's memory. */
  owns(a: Float32Array): boolean { return a.buffer === this.f32.buffer; }

  /**
   * Attention of the G query heads sharing KV head g of row b, at cache slot i, over the contiguous visible keys
   * j0..i: y rows (b, g*G + gh, t) [HS] = softmax(q . K^T * scale) . V. q, y [B, NH, T, HS]; cache in this memory.
   */
  attend(y: Float32Array, q: Float32Array, cache: KvCache, l: number, b: number, g: number, t: number, T: number, NH: number, j0: number, i: number): void {
    const { HS, NKV, capacity: cap } = cache, G = NH / NKV, n = i - j0 + 1, f = this.f32, scale = 1 / Math.sqrt(HS);
    const kvo = ((b * NKV + g) * cap + j0) * HS * 4;
    const kptr = (cache.k[l] as Float32Array).byteOffset + kvo, vptr = (cache.v[l] as Float32Array).byteOffset + kvo;
    const qo = this.aOff / 4, oo = qo + G * HS, so = oo + G * HS;
    for (let gh = 0; gh < G; gh++) {
      const qr = ((b * NH + g * G + gh) * T + t) * HS;
      f.set(q.subarray(qr, qr + HS), qo + gh * HS);
      const sc = so + gh * this.capMax;
      this.gemv(kptr, (qo + gh * HS) * 4, sc * 4, n, HS);
      let mx = -Infinity;
      for (let j = 0; j < n; j++) { const v = f[sc + j]! * scale; f[sc + j] = v; if (v > mx) mx = v; }
      let z = 0;
      for (let j = 0; j < n; j++) { const e = Math.exp(f[sc + j]! - mx); f[sc + j] = e; z += e; }
      const inv = 1 / z;
      for (let j = 0; j < n; j++) f[sc + j]! *= inv;
      this.wsum(vptr, sc * 4, (oo + gh * HS) * 4, n, HS);
      y.set(f.subarray(oo + gh * HS, oo + gh * HS + HS), qr);
    }
  }
}
