// The Llama-family decoder (llama, mistral, qwen2): parameters in one flat store, explicit forward and backward
// over the kernels, load/save of Hugging Face folders. Not generation or losses: those build on forward/backward.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { configToJson, parseModelConfig, type ModelConfig } from './config.js';
import { layerNames, paramLayout, ParamStore } from './params.js';
import { initParams } from './init.js';
import { loadWeights, saveSafetensors } from './safetensors.js';
import { RadpoError } from '../util/errors.js';
import { writeDirAtomicAsync } from '../util/atomic.js';
import { embeddingBackward, embeddingForward } from './kernels/embedding.js';
import { rmsnormForward } from './kernels/rmsnorm.js';
import { biasBackward, linearForward, mm } from './kernels/linear.js';
import { joinHeadsRope, ropeInvFreq, ropeTables, splitHeadsRope } from './kernels/rope.js';
import { joinHeadsRopeWasm, splitHeadsRopeWasm } from './kernels/rope_wasm.js';
import { packedSegmentStarts, type AttnShape } from './kernels/attention.js';
import { sameValues } from './kernels/types.js';
import { attentionBackwardBlocked, attentionForwardBlocked } from './kernels/attention_blocked.js';
import { attentionBackwardFused, attentionForwardFused, useFusedAttention } from './kernels/attention_fused.js';
import { ortResidualRmsnorm, ortRmsnormBackward, ortSwiglu, ortSwigluBackward } from './kernels/ort_ops.js';

/**
 * Step breakdown for benchmarks: when enabled, forward/backward add the milliseconds of each stage (GEMMs, element-wise
 * kernels, copies) to `ms` by label. Off by default (one branch per stage).
 */
export const modelProfile = { enabled: false, ms: new Map<string, number>() };
let markT = 0;
function mark(label: string | null): void {
  if (!modelProfile.enabled) return;
  const t = performance.now();
  if (label !== null) modelProfile.ms.set(label, (modelProfile.ms.get(label) ?? 0) + t - markT);
  markT = t;
}

export interface ForwardOpts {
  /** [B*T], 1 = real token, 0 = padding (right or left). Default: all real. */
  attentionMask?: Uint8Array;
  /**
   * [B*T] rotary positions. Default: 0..T-1 in every row (as transformers without position_ids). Where the position
   * does not step by +1 a new packed sequence starts, and attention stays inside each sequence (as transformers'
   * packed-sequence detection; SFT packing relies on it).
   */
  positionIds?: Int32Array;
  /** Keep activations for backward(). */
  train?: boolean;
  /** Write the logits into this [B*T*V] buffer (returned) instead of a new array: no allocation per call. */
  logitsOut?: Float32Array;
}

/** Projection groups of a layer as the engine computes them (fused GEMMs): [q|k|v], o, [gate|up], down. */
export type ProjGroup = 'qkv' | 'o' | 'gate_up' | 'down';

/**
 * A low-rank path around the projections (LoRA, src/model/lora.ts). forward: out [N, M] += adapter(x [N, K]) right
 * after the group's base GEMM. backward: dx [N, K] += adapter input-gradient of dout [N, M], adapter grads +=.
 * freezeBase: backward computes no gradients of the model's own parameters (grads may be null then).
 */
export interface ProjectionAdapter {
  readonly freezeBase: boolean;
  forward(layer: number, group: ProjGroup, out: Float32Array, x: Float32Array, N: number, train: boolean): Promise<void>;
  backward(layer: number, group: ProjGroup, dx: Float32Array, dout: Float32Array, x: Float32Array, N: number): Promise<void>;
}

/** Activations of one layer kept for backward (train) or reused by every layer (inference). */
interface LayerActs {
  x: Float32Array;      // [N, C] layer input (residual stream)
  ln1: Float32Array;    // [N, C]
  rstd1: Float32Array;  // [N]
  q: Float32Array;      // [B, NH, T, HS] after RoPE
  k: Float32Array;      // [B, NKV, T, HS] after RoPE
  v: Float32Array;      // [B, NKV, T, HS]
  probs: Float32Array;  // [B, NH, T, T] (attention_fused.ts) or the blocked causal probs (attention_blocked.ts)
  yt: Float32Array;     // [N, NH*HS] attention output, o_proj input
  x2: Float32Array;     // [N, C] residual after attention
  ln2: Float32Array;    // [N, C]
  rstd2: Float32Array;  // [N]
  gu: Float32Array;     // [N, 2I] gate | up
  h: Float32Array;      // [N, I] silu(gate) * up
}

interface Acts {
  B: number; T: number;
  layers: LayerActs[];
  qkv: Float32Array;    // [N, Q + 2KV] scratch
  tmp: Float32Array;    // [N, C] scratch (o_proj / down_proj output)
  xf: Float32Array;     // [N, C] final residual
  lnf: Float32Array;    // [N, C]
  rstdf: Float32Array;  // [N]
  cos: Float32Array; sin: Float32Array; // [N, HS/2]
  tablePos: Int32Array | null;           // positions the tables hold (recomputed only when they change)
}

interface GradScratch {
  B: number; T: number;
  dres: Float32Array; dln: Float32Array;   // [N, C]
  dh: Float32Array; dgu: Float32Array;     // [N, I], [N, 2I]
  dyt: Float32Array;                       // [N, Q]
  dq: Float32Array; dk: Float32Array; dv: Float32Array; // head layouts
  dqkv: Float32Array;                       // [N, Q + 2KV]
}

export class Model {
  readonly config: ModelConfig;
  readonly params: ParamStore;
  grads: ParamStore | null = null;
  /** Low-rank adapter hook (LoRA); null = the plain model. */
  adapter: ProjectionAdapter | null = null;
  private readonly invFreq: Float64Array;
  private trainActs: Acts | null = null;
  private evalActs: Acts | null = null;
  private scratch: GradScratch | null = null;
  private saved: { ids: Int32Array; B: number; T: number; acts: Acts; fusedAttn: boolean } | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(config: ModelConfig, params?: ParamStore) {
    this.config = config;
    this.params = params ?? new ParamStore(paramLayout(config));
    this.invFreq = ropeInvFreq(config.head_dim, config.rope_theta, config.rope_scaling);
  }

  /** Loads a Hugging Face folder: config.json plus model.safetensors or a sharded index. */
  static async load(dir: string): Promise<Model> {
    const file = path.join(dir, 'config.json');
    let json: unknown;
    try { json = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) {
      throw new RadpoError('model', `cannot read config.json: ${(e as Error).message}`, { file });
    }
    const model = new Model(parseModelConfig(json, file));
    loadWeights(dir, model.params, model.config);
    return model;
  }

  /** A fresh model with transformers' initialisation (normal(0, initializer_range) weights, unit norms). */
  static init(config: ModelConfig, seed: number, opts: { initializerRange?: number } = {}): Model {
    const m = new Model(config);
    initParams(m.params, config, seed, opts.initializerRange ?? config.initializer_range);
    return m;
  }

  /** Writes config.json + model.safetensors (+ extra files) atomically; transformers loads the folder unchanged. */
  async save(dir: string, opts: { dtype?: 'F32' | 'BF16'; extraFiles?: Record<string, string | Uint8Array> } = {}): Promise<void> {
    const dtype = opts.dtype ?? 'F32';
    await writeDirAtomicAsync(dir, async (tmp) => {
      fs.writeFileSync(path.join(tmp, 'config.json'), JSON.stringify(configToJson(this.config, { torchDtype: dtype === 'BF16' ? 'bfloat16' : 'float32' }), null, 2) + '\n');
      saveSafetensors(path.join(tmp, 'model.safetensors'), this.params, dtype);
      for (const [name, content] of Object.entries(opts.extraFiles ?? {})) {
        if (name.includes('/') || name.includes('\\') || name === '..' || name === '.') throw new RadpoError('io', 'extra file names must be plain file names', { field: 'extraFiles', value: name });
        fs.writeFileSync(path.join(tmp, name), content);
      }
    });
  }

  enableGrad(): void { if (!this.grads) this.grads = this.params.zerosLike(); }
  zeroGrad(): void { this.grads?.data.fill(0); }
  /** Independent copy of config and parameters (no gradients, no activations). */
  clone(): Model { return new Model(structuredClone(this.config), this.params.clone()); }

  /** ids [B*T] int32; returns logits [B*T*V] (a new array the caller owns). train=true keeps activations for backward(). */
  forward(ids: Int32Array, B: number, T: number, opts: ForwardOpts = {}): Promise<Float32Array> {
    return this.serial(() => this.forwardImpl(ids, B, T, opts));
  }

  /** dlogits [B*T*V] for the last train forward; accumulates (+=) parameter gradients into grads. */
  backward(dlogits: Float32Array): Promise<void> {
    return this.serial(() => this.backwardImpl(dlogits));
  }

  private serial<R>(fn: () => Promise<R>): Promise<R> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private dims() {
    const c = this.config;
    return {
      C: c.hidden_size, V: c.vocab_size, L: c.num_hidden_layers, NH: c.num_attention_heads, NKV: c.num_key_value_heads,
      HS: c.head_dim, I: c.intermediate_size, Q: c.num_attention_heads * c.head_dim, KV: c.num_key_value_heads * c.head_dim,
    };
  }

  private acts(B: number, T: number, train: boolean): Acts {
    const cached = train ? this.trainActs : this.evalActs;
    if (cached && cached.B === B && cached.T === T) return cached;
    const { C, L, NH, HS, I, Q, KV } = this.dims(), N = B * T;
    const f = (n: number): Float32Array => new Float32Array(n);
    const layer = (): LayerActs => ({
      x: f(N * C), ln1: f(N * C), rstd1: f(N), q: f(N * Q), k: f(N * KV), v: f(N * KV), probs: f(B * NH * T * T),
      yt: f(N * Q), x2: f(N * C), ln2: f(N * C), rstd2: f(N), gu: f(N * 2 * I), h: f(N * I),
    });
    // Inference reuses one layer's buffers for every layer.
    const layers = train ? Array.from({ length: L }, layer) : [layer()];
    const a: Acts = {
      B, T, layers, qkv: f(N * (Q + 2 * KV)), tmp: f(N * C), xf: f(N * C), lnf: f(N * C), rstdf: f(N),
      cos: f(N * HS / 2), sin: f(N * HS / 2), tablePos: null,
    };
    if (train) { this.trainActs = a; if (this.saved?.acts !== a) this.saved = null; } else this.evalActs = a;
    return a;
  }

  private attnMask(l: number, mask: Uint8Array | null, segStart: Int32Array | null) {
    return { attentionMask: mask, window: this.config.layer_windows[l] ?? null, segStart };
  }

  private async forwardImpl(ids: Int32Array, B: number, T: number, opts: ForwardOpts): Promise<Float32Array> {
    const { C, V, L, NH, NKV, HS, I, Q, KV } = this.dims(), N = B * T, p = this.params, eps = this.config.rms_norm_eps;
    if (!(Number.isInteger(B) && Number.isInteger(T) && B > 0 && T > 0)) throw new Error(`Model.forward: bad shape B=${B} T=${T}`);
    if (ids.length !== N) throw new Error(`Model.forward: ids has length ${ids.length}, expected B*T = ${N}`);
    const mask = opts.attentionMask ?? null;
    if (mask && mask.length !== N) throw new Error(`Model.forward: attentionMask has length ${mask.length}, expected ${N}`);
    const pos = opts.positionIds ?? defaultPositions(B, T);
    if (pos.length !== N) throw new Error(`Model.forward: positionIds has length ${pos.length}, expected ${N}`);
    const segStart = opts.positionIds ? packedSegmentStarts(pos, B, T) : null;
    const train = opts.train === true;
    const a = this.acts(B, T, train);
    if (train) this.saved = null;
    const shape: AttnShape = { B, T, NH, NKV, HS }, fusedAttn = useFusedAttention(shape);
    mark(null);
    if (!a.tablePos || !sameValues(a.tablePos, pos)) { ropeTables(a.cos, a.sin, pos, this.invFreq, N); a.tablePos = pos.slice(); }

    embeddingForward(a.layers[0]!.x, ids, p.view('model.embed_tokens.weight'), N, C, V);
    mark('f.embed+rope_tables');
    for (let l = 0; l < L; l++) {
      const s = train ? a.layers[l]! : a.layers[0]!;
      const n = layerNames(l);
      if (l === 0) rmsnormForward(s.ln1, s.rstd1, s.x, p.view(n.ln1), N, C, eps); // later layers: fused below
      mark('f.rmsnorm');
      await linearForward(a.qkv, s.ln1, p.span(n.q, n.v), this.config.qkv_bias ? p.span(n.qb, n.vb) : null, N, C, Q + 2 * KV);
      if (this.adapter) await this.adapter.forward(l, 'qkv', a.qkv, s.ln1, N, train);
      mark('f.gemm_qkv');
      if (!splitHeadsRopeWasm(s.q, s.k, s.v, a.qkv, a.cos, a.sin, B, T, NH, NKV, HS)) splitHeadsRope(s.q, s.k, s.v, a.qkv, a.cos, a.sin, B, T, NH, NKV, HS);
      mark('f.split+rope');
      await (fusedAttn ? attentionForwardFused : attentionForwardBlocked)(s.yt, s.probs, s.q, s.k, s.v, shape, this.attnMask(l, mask, segStart), true); // yt [N, Q] directly
      mark('f.attention');
      await linearForward(a.tmp, s.yt, p.view(n.o), this.config.o_bias ? p.view(n.ob) : null, N, Q, C);
      if (this.adapter) await this.adapter.forward(l, 'o', a.tmp, s.yt, N, train);
      mark('f.gemm_o');
      await ortResidualRmsnorm(s.x2, s.ln2, s.rstd2, s.x, a.tmp, p.view(n.ln2), N, C, eps);
      mark('f.residual+rmsnorm');
      await linearForward(s.gu, s.ln2, p.span(n.gate, n.up), null, N, C, 2 * I);
      if (this.adapter) await this.adapter.forward(l, 'gate_up', s.gu, s.ln2, N, train);
      mark('f.gemm_gate_up');
      await ortSwiglu(s.h, s.gu, N, I);
      mark('f.swiglu');
      await linearForward(a.tmp, s.h, p.view(n.down), null, N, I, C);
      if (this.adapter) await this.adapter.forward(l, 'down', a.tmp, s.h, N, train);
      mark('f.gemm_down');
      // residual add fused with the next RMSNorm (the next layer's input norm, or the final norm)
      if (l + 1 < L) {
        const nx = train ? a.layers[l + 1]! : s;
        await ortResidualRmsnorm(nx.x, nx.ln1, nx.rstd1, s.x2, a.tmp, p.view(layerNames(l + 1).ln1), N, C, eps);
      } else await ortResidualRmsnorm(a.xf, a.lnf, a.rstdf, s.x2, a.tmp, p.view('model.norm.weight'), N, C, eps);
      mark('f.residual+rmsnorm');
    }
    if (opts.logitsOut && opts.logitsOut.length !== N * V) throw new Error(`Model.forward: logitsOut has length ${opts.logitsOut.length}, expected ${N * V}`);
    const logits = opts.logitsOut ?? new Float32Array(N * V);
    await linearForward(logits, a.lnf, this.lmHead(p), null, N, C, V);
    mark('f.gemm_lm_head');
    if (train) this.saved = { ids: ids.slice(), B, T, acts: a, fusedAttn };
    return logits;
  }

  private lmHead(s: ParamStore): Float32Array {
    return s.view(this.config.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight');
  }

  private gradScratch(B: number, T: number): GradScratch {
    if (this.scratch && this.scratch.B === B && this.scratch.T === T) return this.scratch;
    const { C, I, Q, KV } = this.dims(), N = B * T;
    const f = (n: number): Float32Array => new Float32Array(n);
    this.scratch = {
      B, T, dres: f(N * C), dln: f(N * C), dh: f(N * I), dgu: f(N * 2 * I), dyt: f(N * Q),
      dq: f(N * Q), dk: f(N * KV), dv: f(N * KV), dqkv: f(N * (Q + 2 * KV)),
    };
    return this.scratch;
  }

  private async backwardImpl(dlogits: Float32Array): Promise<void> {
    const ad = this.adapter, frozen = ad?.freezeBase === true;
    if (!this.grads && !frozen) throw new Error('Model.backward: call enableGrad() first');
    if (!this.saved) throw new Error('Model.backward: no saved activations; call forward(..., { train: true }) first');
    const { ids, B, T, acts: a, fusedAttn } = this.saved;
    const { C, V, L, NH, NKV, HS, I, Q, KV } = this.dims(), N = B * T, p = this.params;
    // Frozen base (adapter training): parameter gradients go to a throwaway [C] buffer or are skipped.
    const g = this.grads as ParamStore, dnorm = (name: string): Float32Array => (frozen ? new Float32Array(C) : g.view(name));
    if (dlogits.length !== N * V) throw new Error(`Model.backward: dlogits has length ${dlogits.length}, expected ${N * V}`);
    const s = this.gradScratch(B, T);
    const shape: AttnShape = { B, T, NH, NKV, HS };

    // LM head and final norm.
    mark(null);
    await mm(s.dln, dlogits, this.lmHead(p), N, C, V);
    if (!frozen) await mm(this.lmHead(g), dlogits, a.lnf, V, C, N, { transA: true, accumulate: true });
    mark('b.gemm_lm_head');
    s.dres.fill(0);
    await ortRmsnormBackward(s.dres, dnorm('model.norm.weight'), s.dln, a.xf, p.view('model.norm.weight'), a.rstdf, N, C);
    mark('b.rmsnorm');

    for (let l = L - 1; l >= 0; l--) {
      const x = a.layers[l]!, n = layerNames(l);
      // MLP: x_{l+1} = x2 + down(silu(gate) * up)
      await mm(s.dh, s.dres, p.view(n.down), N, I, C);
      if (ad) await ad.backward(l, 'down', s.dh, s.dres, x.h, N);
      if (!frozen) await mm(g.view(n.down), s.dres, x.h, C, I, N, { transA: true, accumulate: true });
      mark('b.gemm_down');
      await ortSwigluBackward(s.dgu, s.dh, x.gu, N, I);
      mark('b.swiglu');
      await mm(s.dln, s.dgu, p.span(n.gate, n.up), N, C, 2 * I);
      if (ad) await ad.backward(l, 'gate_up', s.dln, s.dgu, x.ln2, N);
      if (!frozen) await mm(g.span(n.gate, n.up), s.dgu, x.ln2, 2 * I, C, N, { transA: true, accumulate: true });
      mark('b.gemm_gate_up');
      await ortRmsnormBackward(s.dres, dnorm(n.ln2), s.dln, x.x2, p.view(n.ln2), x.rstd2, N, C);
      mark('b.rmsnorm');
      // Attention: x2 = x + o_proj(attn(rope(q), rope(k), v))
      await mm(s.dyt, s.dres, p.view(n.o), N, Q, C);
      if (ad) await ad.backward(l, 'o', s.dyt, s.dres, x.yt, N);
      if (!frozen) await mm(g.view(n.o), s.dres, x.yt, C, Q, N, { transA: true, accumulate: true });
      if (this.config.o_bias && !frozen) biasBackward(g.view(n.ob), s.dres, N, C);
      mark('b.gemm_o');
      if (fusedAttn) await attentionBackwardFused(s.dq, s.dk, s.dv, s.dyt, x.q, x.k, x.v, x.probs, x.yt, shape, true);
      else await attentionBackwardBlocked(s.dq, s.dk, s.dv, s.dyt, x.q, x.k, x.v, x.probs, shape, this.config.layer_windows[l] ?? null, true);
      mark('b.attention');
      if (!joinHeadsRopeWasm(s.dqkv, s.dq, s.dk, s.dv, a.cos, a.sin, B, T, NH, NKV, HS)) joinHeadsRope(s.dqkv, s.dq, s.dk, s.dv, a.cos, a.sin, B, T, NH, NKV, HS);
      if (this.config.qkv_bias && !frozen) biasBackward(g.span(n.qb, n.vb), s.dqkv, N, Q + 2 * KV);
      mark('b.split+join+rope');
      await mm(s.dln, s.dqkv, p.span(n.q, n.v), N, C, Q + 2 * KV);
      if (ad) await ad.backward(l, 'qkv', s.dln, s.dqkv, x.ln1, N);
      if (!frozen) await mm(g.span(n.q, n.v), s.dqkv, x.ln1, Q + 2 * KV, C, N, { transA: true, accumulate: true });
      mark('b.gemm_qkv');
      await ortRmsnormBackward(s.dres, dnorm(n.ln1), s.dln, x.x, p.view(n.ln1), x.rstd1, N, C);
      mark('b.rmsnorm');
    }
    if (!frozen) embeddingBackward(g.view('model.embed_tokens.weight'), s.dres, ids, N, C);
    mark('b.embed');
  }
}

function defaultPositions(B: number, T: number): Int32Array {
  const pos = new Int32Array(B * T);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) pos[b * T + t] = t;
  return pos;
}

