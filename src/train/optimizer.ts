// AdamW with decoupled weight decay over one flat parameter buffer (torch.optim.AdamW's update), plus global
// gradient-norm clipping. Not a scheduler: the learning rate of each step is passed in (see schedule.ts).

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

  constructor(size: number, opts: AdamWOptions) {
    this.opts = opts;
    this.state = { step: 0, m: new Float32Array(size), v: new Float32Array(size) };
    if (opts.decayMask && opts.decayMask.length !== size) throw new Error(`AdamW: decayMask has ${opts.decayMask.length} entries, expected ${size}`);
  }

  /**
   * One update, in place. params [P], grads [P]. torch order: p *= 1 - lr*wd; m, v moments; p -= lr/bc1 * m /
   * (sqrt(v)/sqrt(bc2) + eps).
   */
  step(params: Float32Array, grads: Float32Array, lr: number): void {
    const { beta1: b1, beta2: b2, eps, weightDecay: wd, decayMask } = this.opts;
    const { m, v } = this.state;
    if (params.length !== m.length || grads.length !== m.length) throw new Error(`AdamW.step: expected ${m.length} params and grads, got ${params.length} / ${grads.length}`);
    const t = ++this.state.step;
    const bc1 = 1 - Math.pow(b1, t);
    const sqrtBc2 = Math.sqrt(1 - Math.pow(b2, t));
    const stepSize = lr / bc1;
    const decay = 1 - lr * wd;
    for (let i = 0; i < params.length; i++) {
      const g = grads[i] as number;
      let p = params[i] as number;
      if (wd !== 0 && (!decayMask || decayMask[i])) p *= decay;
      const mi = (m[i] = b1 * (m[i] as number) + (1 - b1) * g);
      const vi = (v[i] = b2 * (v[i] as number) + (1 - b2) * g * g);
      params[i] = p - (stepSize * mi) / (Math.sqrt(vi) / sqrtBc2 + eps);
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
  const norm = gradNorm(grads);
  if (maxNorm > 0 && Number.isFinite(norm)) {
    const coef = maxNorm / (norm + 1e-6);
    if (coef < 1) for (let i = 0; i < grads.length; i++) grads[i] = (grads[i] as number) * coef;
  }
  return norm;
}

/** HF Trainer's no-decay rule (names with bias or a norm layer): 1 = decay, for each flat parameter index. */
export function decayMaskFor(entries: { name: string; offset: number; size: number }[], total: number): Uint8Array {
  const mask = new Uint8Array(total);
  const noDecay = /bias|layernorm|rmsnorm|(?:^|\.)norm(?:$|\.)|_norm(?:$|\.)/;
  for (const e of entries) if (!noDecay.test(e.name)) mask.fill(1, e.offset, e.offset + e.size);
  return mask;
}
