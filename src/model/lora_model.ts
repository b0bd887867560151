// A base Model plus a LoRA adapter, seen by the trainers as a model whose only parameters are the adapter's (so
// AdamW, clipping and checkpoints touch nothing else), and a reference view = the same base with the adapter off.
// Not a second copy of the base: policy and reference share one Model; calls are serialised so the switch is safe.

import type { Model, ForwardOpts } from './model.js';
import { LORA_TARGETS, LoraAdapter, type LoraConfig, type LoraTarget } from './lora.js';
import { saveAdapter } from './lora_io.js';
import type { ParamStore } from './params.js';
import type { OptionTable } from '../util/options.js';
import { RadpoError } from '../util/errors.js';

/** TRL ModelConfig's PEFT keys (same names and defaults as trl 1.16 ModelConfig). */
export const LORA_OPTIONS = {
  use_peft: { type: 'boolean', default: false, help: 'train a LoRA adapter instead of all weights (TRL ModelConfig name)', group: 'LoRA' },
  lora_r: { type: 'int', default: 16, min: 1, help: 'LoRA rank r', group: 'LoRA' },
  lora_alpha: { type: 'number', default: 32, min: 0, help: 'LoRA alpha (scaling alpha / r)', group: 'LoRA' },
  lora_dropout: { type: 'number', default: 0.05, min: 0, max: 0.99, help: 'dropout on the adapter input', group: 'LoRA' },
  lora_target_modules: { type: 'string[]', choices: LORA_TARGETS, help: 'modules to adapt (PEFT names; default: all seven projections)', group: 'LoRA' },
  use_rslora: { type: 'boolean', default: false, help: 'rank-stabilised scaling alpha / sqrt(r)', group: 'LoRA' },
} as const satisfies OptionTable;

/** The LoraConfig named by resolved LORA_OPTIONS keys. */
export function loraConfigFrom(o: { lora_r: number; lora_alpha: number; lora_dropout: number; lora_target_modules?: string[] | undefined; use_rslora?: boolean }): LoraConfig {
  const tm = (o.lora_target_modules && o.lora_target_modules.length > 0 ? o.lora_target_modules : [...LORA_TARGETS]) as LoraTarget[];
  return { r: o.lora_r, lora_alpha: o.lora_alpha, lora_dropout: o.lora_dropout, target_modules: tm, use_rslora: o.use_rslora ?? false };
}

/** Serialises every call on the shared base so the adapter switch cannot interleave. */
class Gate {
  private q: Promise<unknown> = Promise.resolve();
  run<R>(fn: () => Promise<R>): Promise<R> {
    const r = this.q.then(fn, fn);
    this.q = r.catch(() => undefined);
    return r;
  }
}

/** Base model + adapter as a TrainableModel: params / grads are the adapter's. */
export class LoraModel {
  readonly base: Model;
  readonly adapter: LoraAdapter;
  /** Written into adapter_config.json as base_model_name_or_path. */
  baseModelPath: string | null;
  private readonly gate = new Gate();

  constructor(base: Model, adapter: LoraAdapter, baseModelPath: string | null = null) {
    this.base = base;
    this.adapter = adapter;
    this.baseModelPath = baseModelPath;
    base.adapter = adapter;
  }

  /** A fresh adapter (PEFT init: B = 0, so the model starts equal to the base). */
  static create(base: Model, config: LoraConfig, seed: number, baseModelPath: string | null = null): LoraModel {
    return new LoraModel(base, LoraAdapter.init(base.config, config, seed), baseModelPath);
  }

  get config() { return this.base.config; }
  get params(): ParamStore { return this.adapter.params; }
  get grads(): ParamStore | null { return this.adapter.grads; }
  set grads(g: ParamStore | null) { this.adapter.grads = g; }
  enableGrad(): void { this.adapter.enableGrad(); }
  zeroGrad(): void { this.adapter.grads?.data.fill(0); }

  forward(ids: Int32Array, B: number, T: number, opts: ForwardOpts = {}): Promise<Float32Array> {
    return this.gate.run(() => { this.adapter.enabled = true; return this.base.forward(ids, B, T, opts); });
  }
  backward(dlogits: Float32Array): Promise<void> {
    return this.gate.run(() => { this.adapter.enabled = true; return this.base.backward(dlogits); });
  }

  /** The base model with the adapter switched off (the DPO reference), sharing memory with this model. */
  reference() {
    const self = this;
    return {
      config: self.base.config,
      params: self.base.params,
      grads: null as ParamStore | null,
      enableGrad(): void { throw new Error('the LoRA reference view is frozen'); },
      zeroGrad(): void {},
      forward(ids: Int32Array, B: number, T: number, opts: ForwardOpts = {}): Promise<Float32Array> {
        if (opts.train) throw new Error('the LoRA reference view is inference only');
        return self.gate.run(async () => {
          self.adapter.enabled = false;
          try { return await self.base.forward(ids, B, T, opts); } finally { self.adapter.enabled = true; }
        });
      },
      backward(): Promise<void> { return Promise.reject(new Error('the LoRA reference view is frozen')); },
    };
  }

  /**
   * Saves the adapter in PEFT's format (the trainers call this for checkpoints and the final model). extraFiles
   * (tokenizer) go along; params.bin holds the flat adapter so `resume_from_checkpoint` can reload it.
   */
  async save(dir: string, opts: { extraFiles?: Record<string, string | Uint8Array> } = {}): Promise<void> {
    const d = this.adapter.params.data;
    const bin = new Uint8Array(d.buffer, d.byteOffset, d.byteLength).slice();
    await saveAdapter(dir, this.adapter, { baseModel: this.baseModelPath, extraFiles: { ...opts.extraFiles, 'params.bin': bin } });
  }

  /** Same base, same adapter values, independent adapter (for tests). */
  clone(): never { throw new RadpoError('unsupported', 'a LoRA model has no independent copy: use reference() for the DPO reference'); }
}

