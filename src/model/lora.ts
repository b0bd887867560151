// LoRA adapters (Hu et al. 2021) on the attention and MLP projections: y = W x + (alpha / r) B A dropout(x), with
// PEFT's names and init. Hooks into the engine through Model.adapter; not I/O (lora_io.ts) or training (lora_model.ts).
//
// Shapes: x [N, K] (projection input), A [r, K], B [m, r], h = x A^T [N, r], out block [N, m] of the group output
// [N, M] at column `offset` (the engine fuses q|k|v and gate|up into one GEMM each).

import type { ModelConfig } from './config.js';
import type { ProjGroup, ProjectionAdapter } from './model.js';
import { ParamStore, type ParamEntry } from './params.js';
import { mm } from './kernels/linear.js';
import type { Vec } from './kernels/types.js';
import { Rng } from '../util/rng.js';
import { dropoutForward } from './dropout_wasm.js';
import { RadpoError } from '../util/errors.js';

export const LORA_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraTarget = (typeof LORA_TARGETS)[number];

export interface LoraConfig {
  r: number;
  lora_alpha: number;
  lora_dropout: number;
  target_modules: LoraTarget[];
  use_rslora?: boolean;   // scaling alpha / sqrt(r) instead of alpha / r (PEFT use_rslora)
}

/** PEFT's scaling factor. */
export function loraScaling(c: LoraConfig): number { return c.use_rslora ? c.lora_alpha / Math.sqrt(c.r) : c.lora_alpha / c.r; }

/** PEFT tensor name of one adapter matrix. */
export function peftName(layer: number, module: LoraTarget, which: 'A' | 'B'): string {
  return `base_model.model.${baseWeightName(layer, module).replace(/\.weight$/, '')}.lora_${which}.weight`;
}

/** Hugging Face name of the base weight a module adapts. */
export function baseWeightName(layer: number, module: LoraTarget): string {
  const part = module === 'gate_proj' || module === 'up_proj' || module === 'down_proj' ? 'mlp' : 'self_attn';
  return `model.layers.${layer}.${part}.${module}.weight`;
}

/** One adapted module: where its output lives in the engine's fused group. */
export interface LoraSlot {
  layer: number; module: LoraTarget; group: ProjGroup;
  K: number;       // in_features
  m: number;       // out_features
  M: number;       // width of the fused group output
  offset: number;  // column of this module in the group output
  a: string; b: string;  // PEFT names in the adapter's ParamStore
}

/** Module geometry of a Llama-family config. */
export function moduleGeometry(c: ModelConfig, module: LoraTarget): { group: ProjGroup; K: number; m: number; M: number; offset: number } {
  const C = c.hidden_size, Q = c.num_attention_heads * c.head_dim, KV = c.num_key_value_heads * c.head_dim, I = c.intermediate_size;
  switch (module) {
    case 'q_proj': return { group: 'qkv', K: C, m: Q, M: Q + 2 * KV, offset: 0 };
    case 'k_proj': return { group: 'qkv', K: C, m: KV, M: Q + 2 * KV, offset: Q };
    case 'v_proj': return { group: 'qkv', K: C, m: KV, M: Q + 2 * KV, offset: Q + KV };
    case 'o_proj': return { group: 'o', K: Q, m: C, M: C, offset: 0 };
    case 'gate_proj': return { group: 'gate_up', K: C, m: I, M: 2 * I, offset: 0 };
    case 'up_proj': return { group: 'gate_up', K: C, m: I, M: 2 * I, offset: I };
    case 'down_proj': return { group: 'down', K: I, m: C, M: C, offset: 0 };
  }
}

/**
 * Forward of one slot: h [N, r] = x A^T; out[:, offset:offset+m] += scale * h B^T. `tmp` [N, m] is scratch when the
 * slot is a column block of a wider group (M > m). The per-slot reference (float64 tests): LoraAdapter computes the
 * same for a whole group at once (groupB).
 */
export async function loraSlotForward(out: Vec, x: Vec, A: Vec, B: Vec, h: Vec, tmp: Vec, N: number, K: number, r: number, m: number, M: number, offset: number, scale: number): Promise<void> {
  await mm(h, x, A, N, r, K, { transB: true });
  if (M === m) { await mm(out, h, B, N, m, r, { transB: true, alpha: scale, accumulate: true }); return; }
  await mm(tmp, h, B, N, m, r, { transB: true });
  for (let n = 0; n < N; n++) {
    const o = n * M + offset, t = n * m;
    for (let j = 0; j < m; j++) out[o + j]! += scale * tmp[t + j]!;
  }
}

/**
 * Backward of one slot given dout [N, M] (gradient of the group output): dA [r, K] +=, dB [m, r] +=, and dxin [N, K]
 * (the gradient reaching the adapter's input: written, or added when accumulateDx). g [N, m], dh [N, r] are scratch.
 */
export async function loraSlotBackward(dxin: Vec, dA: Vec, dB: Vec, dout: Vec, x: Vec, A: Vec, B: Vec, h: Vec, g: Vec, dh: Vec, N: number, K: number, r: number, m: number, M: number, offset: number, scale: number, accumulateDx = false): Promise<void> {
  let gg: Vec = dout;
  if (M !== m) {
    for (let n = 0; n < N; n++) { const o = n * M + offset, t = n * m; for (let j = 0; j < m; j++) g[t + j] = dout[o + j]!; }
    gg = g;
  }
  await mm(dB, gg, h, m, r, N, { transA: true, alpha: scale, accumulate: true });
  await mm(dh, gg, B, N, r, m, { alpha: scale });
  await mm(dA, dh, x, r, K, N, { transA: true, accumulate: true });
  await mm(dxin, dh, A, N, K, r, { accumulate: accumulateDx });
}

interface SlotState { h: Float32Array; xd: Float32Array | null; keep: Uint8Array | null }

// Dropout's backward loop as a plain function: inside the async hooks below element loops ran ~20x slower. The
// forward (mask draws and product) is dropout_wasm.ts.
/** dx += dxin * keep / (1 - p). */
function dropoutBackward(dx: Float32Array, dxin: Float32Array, keep: Uint8Array, n: number, inv: number): void {
  for (let i = 0; i < n; i++) if (keep[i]) dx[i]! += dxin[i]! * inv;
}

/** A LoRA adapter over a model config: parameters, gradients and the engine hook. */
export class LoraAdapter implements ProjectionAdapter {
  readonly config: LoraConfig;
  readonly scaling: number;
  readonly params: ParamStore;
  grads: ParamStore | null = null;
  readonly slots: LoraSlot[];
  /** false: the hook does nothing (the base model, e.g. the DPO reference). */
  enabled = true;
  readonly freezeBase = true;
  private readonly byGroup = new Map<string, LoraSlot[]>();
  private readonly saved = new Map<LoraSlot, SlotState>();
  private scratch = new Map<string, Float32Array>();
  private rng: Rng;

  constructor(model: ModelConfig, config: LoraConfig, params?: ParamStore, seed = 0) {
    if (!(Number.isInteger(config.r) && config.r > 0)) throw new RadpoError('config', 'lora_r must be a positive integer', { field: 'lora_r', value: config.r });
    if (!(config.lora_dropout >= 0 && config.lora_dropout < 1)) throw new RadpoError('config', 'lora_dropout must lie in [0, 1)', { field: 'lora_dropout', value: config.lora_dropout });
    if (config.target_modules.length === 0) throw new RadpoError('config', 'lora_target_modules is empty', { field: 'lora_target_modules' });
    for (const t of config.target_modules) if (!LORA_TARGETS.includes(t)) throw new RadpoError('config', `unknown LoRA target (use ${LORA_TARGETS.join(', ')})`, { field: 'lora_target_modules', value: t });
    this.config = config;
    this.scaling = loraScaling(config);
    const entries: ParamEntry[] = [];
    const slots: LoraSlot[] = [];
    let off = 0;
    const add = (name: string, shape: number[]): void => { const size = shape[0]! * shape[1]!; entries.push({ name, shape, offset: off, size }); off += size; };
    for (let l = 0; l < model.num_hidden_layers; l++) {
      for (const module of LORA_TARGETS) {
        if (!config.target_modules.includes(module)) continue;
        const g = moduleGeometry(model, module);
        const slot: LoraSlot = { layer: l, module, ...g, a: peftName(l, module, 'A'), b: peftName(l, module, 'B') };
        add(slot.a, [config.r, g.K]);
        add(slot.b, [g.m, config.r]);
        slots.push(slot);
        const key = `${l}.${g.group}`;
        if (!this.byGroup.has(key)) this.byGroup.set(key, []);
        this.byGroup.get(key)!.push(slot);
      }
    }
    this.slots = slots;
    this.params = params ?? new ParamStore(entries);
    if (params && params.size !== off) throw new Error(`LoraAdapter: params size ${params.size} != layout ${off}`);
    this.rng = new Rng(seed ^ 0x10ba);
  }

  /** PEFT's default init: A ~ kaiming_uniform(a = sqrt(5)) = U(-1/sqrt(K), 1/sqrt(K)), B = 0 (adapter starts as a no-op). */
  static init(model: ModelConfig, config: LoraConfig, seed: number): LoraAdapter {
    const ad = new LoraAdapter(model, config, undefined, seed);
    const rng = new Rng(seed);
    for (const s of ad.slots) {
      const A = ad.params.view(s.a), bound = 1 / Math.sqrt(s.K);
      for (let i = 0; i < A.length; i++) A[i] = (2 * rng.next() - 1) * bound;
    }
    return ad;
  }

  enableGrad(): void { if (!this.grads) this.grads = this.params.zerosLike(); }

  private buf(key: string, n: number): Float32Array {
    let b = this.scratch.get(key);
    if (!b || b.length < n) { b = new Float32Array(n); this.scratch.set(key, b); }
    return b.subarray(0, n);
  }

  /**
   * A group's slots side by side (q | k | v or gate | up: the fused GEMM's column blocks; o and down: one slot): their
   * up-projections as one GEMM with a block-diagonal B [M, S*r] (slot s's B at rows offset.., columns s*r..) over the
   * slots' h [N, S*r], instead of scattering each slot's [N, m] product into the group output (and gathering it back
   * in backward) as loraSlotForward / loraSlotBackward do.
   */
  private groupB(slots: LoraSlot[]): Float32Array {
    const S = slots.length, r = this.config.r, M = slots[0]!.M, SR = S * r;
    const bd = this.buf('bd', M * SR);
    bd.fill(0);
    slots.forEach((s, si) => {
      const B = this.params.view(s.b);
      for (let i = 0; i < s.m; i++) bd.set(B.subarray(i * r, (i + 1) * r), (s.offset + i) * SR + si * r);
    });
    return bd;
  }

  /** Columns si*r .. si*r+r of hcat [N, S*r] <-> h [N, r] (toCat: h into hcat). */
  private static cols(hcat: Float32Array, h: Float32Array, N: number, r: number, S: number, si: number, toCat: boolean): void {
    const SR = S * r;
    for (let n = 0; n < N; n++) {
      const c = n * SR + si * r, o = n * r;
      if (toCat) hcat.set(h.subarray(o, o + r), c); else h.set(hcat.subarray(c, c + r), o);
    }
  }

  async forward(layer: number, group: ProjGroup, out: Float32Array, x: Float32Array, N: number, train: boolean): Promise<void> {
    if (!this.enabled) return;
    const slots = this.byGroup.get(`${layer}.${group}`);
    if (!slots) return;
    const r = this.config.r, p = this.config.lora_dropout, S = slots.length;
    const hcat = this.buf('hcat', N * S * r);
    for (const [si, s] of slots.entries()) {
      let st: SlotState | undefined;
      if (train) {
        st = this.saved.get(s);
        if (!st || st.h.length !== N * r) { st = { h: new Float32Array(N * r), xd: null, keep: null }; this.saved.set(s, st); }
      }
      let xin = x;
      if (train && p > 0) {
        // Inverted dropout as torch.nn.Dropout: keep with prob 1-p, scale kept values by 1/(1-p).
        if (!st!.xd || st!.xd.length !== N * s.K) { st!.xd = new Float32Array(N * s.K); st!.keep = new Uint8Array(N * s.K); }
        const xd = st!.xd, keep = st!.keep!;
        dropoutForward(this.rng, keep, xd, x, N * s.K, p);
        xin = xd;
      }
      const h = train ? st!.h : this.buf('h', N * r);
      await mm(h, xin, this.params.view(s.a), N, r, s.K, { transB: true });
      LoraAdapter.cols(hcat, h, N, r, S, si, true);
    }
    await mm(out, hcat, this.groupB(slots), N, slots[0]!.M, S * r, { transB: true, alpha: this.scaling, accumulate: true });
  }

  async backward(layer: number, group: ProjGroup, dx: Float32Array, dout: Float32Array, x: Float32Array, N: number): Promise<void> {
    if (!this.enabled) return;
    const slots = this.byGroup.get(`${layer}.${group}`);
    if (!slots) return;
    if (!this.grads) throw new Error('LoraAdapter.backward: call enableGrad() first');
    const r = this.config.r, p = this.config.lora_dropout, S = slots.length, M = slots[0]!.M, SR = S * r;
    for (const s of slots) {
      const st = this.saved.get(s);
      if (!st || st.h.length !== N * r) throw new Error('LoraAdapter.backward: no saved activations (forward with train first)');
    }
    // dH [N, S*r] = scale * dout B_bd; dB_bd [M, S*r] = scale * dout^T H: each slot's dh and dB are blocks of these
    const hcat = this.buf('hcat', N * SR), dhcat = this.buf('dhcat', N * SR), dbd = this.buf('dbd', M * SR);
    slots.forEach((s, si) => LoraAdapter.cols(hcat, this.saved.get(s)!.h, N, r, S, si, true));
    await mm(dhcat, dout, this.groupB(slots), N, SR, M, { alpha: this.scaling });
    await mm(dbd, dout, hcat, M, SR, N, { transA: true, alpha: this.scaling });
    for (const [si, s] of slots.entries()) {
      const st = this.saved.get(s)!;
      const xin = p > 0 ? st.xd! : x;
      // Without dropout the input gradient adds straight into dx; with it, through the kept mask and 1/(1-p).
      const dxin = p > 0 ? this.buf('dxin', N * s.K) : dx;
      const dB = this.grads.view(s.b), dh = this.buf('dh', N * r);
      for (let i = 0; i < s.m; i++) { const o = (s.offset + i) * SR + si * r; for (let j = 0; j < r; j++) dB[i * r + j]! += dbd[o + j]!; }
      LoraAdapter.cols(dhcat, dh, N, r, S, si, false);
      await mm(this.grads.view(s.a), dh, xin, r, s.K, N, { transA: true, accumulate: true });
      await mm(dxin, dh, this.params.view(s.a), N, s.K, r, { accumulate: p === 0 });
      if (p > 0) dropoutBackward(dx, dxin, st.keep!, N * s.K, 1 / (1 - p));
    }
  }

  /** W += scaling * B A for every slot, in place on a base parameter store (Hugging Face names). */
  async mergeInto(base: ParamStore): Promise<void> {
    for (const s of this.slots) {
      const W = base.view(baseWeightName(s.layer, s.module));
      await mm(W, this.params.view(s.b), this.params.view(s.a), s.m, s.K, this.config.r, { alpha: this.scaling, accumulate: true });
    }
  }
}
