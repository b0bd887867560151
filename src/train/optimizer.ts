// AdamW with decoupled weight decay over one flat parameter buffer (torch.optim.AdamW's update), plus global
// gradient-norm clipping. Not a scheduler: the learning rate of each step is passed in (see schedule.ts).
// From 1024 parameters on, the update runs in WebAssembly SIMD (adamw_wasm.ts, float32 lanes); below that, or
// without WebAssembly, in the TypeScript loop here (float64 arithmetic, float32 storage).

import { WasmAdamW } from './adamw_wasm.js';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** [P] 1 where weight decay applies, 0 where not (HF skips biases and norm weights); null = everywhere. */
  decayMask?: Uint8Array | null;
}

/** Serializable optimizer state: step count and the two moment buffers, same layout as the parameters. */
export interface AdamWState { step: number; m: Float32Array; v: Float32Array }

export class AdamW {
  readonly opts: AdamWOptions;
  state: AdamWState;
  private readonly wasm: WasmAdamW | null;
  /** [start, end, decays] runs of the decay mask (the whole buffer as one run without a mask). */
  private readonly runs: [number, number, boolean][] = [];

  constructor(size: number, opts: AdamWOptions, useWasm = size >= 1024) {
    this.opts = opts;
    if (opts.decayMask && opts.decayMask.length !== size) throw new Error(`AdamW: decayMask has ${opts.decayMask.length} entries, expected ${size}`);
    this.wasm = useWasm ? WasmAdamW.create(size) : null;
    this.state = { step: 0, m: this.wasm?.m ?? new Float32Array(size), v: this.wasm?.v ?? new Float32Array(size) };
    const dm = opts.decayMask;
    for (let i = 0; i < size;) {
      let j = i + 1;
      if (dm) while (j < size && dm[j] === dm[i]) j++; else j = size;
      this.runs.push([i, j, !dm || dm[i] !== 0]);
      i = j;
    }
  }

  /** Whether the update runs in WebAssembly (else TypeScript). */
  get simd(): boolean { return this.wasm !== null; }

  /**
   * One update, in place. params [P], grads [P] (read, not written), each gradient multiplied by gradScale first
   * (the clipping coefficient: clipping without a pass that rewrites the gradients). torch order:
   * p *= 1 - lr*wd; m, v moments; p -= lr/bc1 * m / (sqrt(v)/sqrt(bc2) + eps).
   */
  step(params: Float32Array, grads: Float32Array, lr: number, gradScale = 1): void {
    const { beta1: b1, beta2: b2, eps, weightDecay: wd } = this.opts;
    if (params.length !== this.state.m.length || grads.length !== this.state.m.length) throw new Error(`AdamW.step: expected ${this.state.m.length} params and grads, got ${params.length} / ${grads.length}`);
    const t = ++this.state.step;
    const bc1 = 1 - Math.pow(b1, t);
    const sqrtBc2 = Math.sqrt(1 - Math.pow(b2, t));
    const stepSize = lr / bc1;
    const decay = 1 - lr * wd;
    const w = this.wasm;
    if (w) {
      // a restored checkpoint brings its own moment arrays: copied into the module's memory once
      if (this.state.m !== w.m) { w.m.set(this.state.m); this.state.m = w.m; }
      if (this.state.v !== w.v) { w.v.set(this.state.v); this.state.v = w.v; }
      const c = { b1, b2, stepSize, invSqrtBc2: 1 / sqrtBc2, eps, gradScale };
      for (const [a, b, decays] of this.runs) w.update(params, grads, a, b, decays && wd !== 0 ? decay : 1, c);
      return;
    }
    const { m, v } = this.state;
    for (const [a, b, decays] of this.runs) {
      const dc = decays && wd !== 0 ? decay : 1;
      for (let i = a; i < b; i++) {
        const g = (grads[i] as number) * gradScale;
        const mi = (m[i] = b1 * (m[i] as number) + (1 - b1) * g);
        const vi = (v[i] = b2 * (v[i] as number) + (1 - b2) * g * g);
        params[i] = (params[i] as number) * dc - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
      }
    }
  }
}

/** L2 norm of a gradient buffer, accumulated in float64. */
export function gradNorm(grads: Float32Array): number {
  let s = 0;
  for (let i = 0; i < grads.length; i++) { const g = grads[i] as number; s += g * g; }
  return Math.sqrt(s);
}

/**
 * torch.nn.utils.clip_grad_norm_: scales grads by max_norm / (norm + 1e-6) when that is < 1. Returns the norm
 * before clipping (what HF logs as grad_norm). maxNorm <= 0 disables clipping.
 */
export function clipGradNorm(grads: Float32Array, maxNorm: number): number {
  const norm = gradNorm(grads), coef = clipCoefficient(norm, maxNorm);
  if (coef < 1) for (let i = 0; i < grads.length; i++) grads[i] = (grads[i] as number) * coef;
  return norm;
}

/** The factor clipGradNorm applies for a gradient norm (1 when no clipping). */
export function clipCoefficient(norm: number, maxNorm: number): number {
  return maxNorm > 0 && Number.isFinite(norm) ? Math.min(1, maxNorm / (norm + 1e-6)) : 1;
}

/** HF Trainer's no-decay rule (names with bias or a norm layer): 1 = decay, for each flat parameter index. */
export function decayMaskFor(entries: { name: string; offset: number; size: number }[], total: number): Uint8Array {
  const mask = new Uint8Array(total);
  const noDecay = /bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)/;
  for (const e of entries) if (!noDecay.test(e.name)) mask.fill(1, e.offset, e.offset + e.size);
  return mask;
}
