// Adapter training: the trainers' own trainSft / trainDpo (same losses, optimizer, loop, metrics, checkpoints) run on
// a LoraModel, so only adapter parameters are optimised; DPO's reference is the base with the adapter off.
// Not a second trainer: this only splits the config, builds the LoraModel and passes it in.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Model } from './model.js';
import { LoraModel, LORA_OPTIONS, loraConfigFrom } from './lora_model.js';
import { loadAdapter } from './lora_io.js';
import { trainDpo, type TrainDpoOptions } from '../train/dpo.js';
import { trainSft, type TrainSftOptions } from '../train/sft.js';
import type { DpoConfig, SftConfig } from '../train/config.js';
import type { TrainResult } from '../train/trainer.js';
import { resolveOptions, type Resolved } from '../util/options.js';
import { RadpoError } from '../util/errors.js';

export type LoraOptions = Resolved<typeof LORA_OPTIONS>;

/** Splits a flat config into the trainer's keys and the LoRA keys (TRL ModelConfig names). */
export function splitLoraKeys<T extends Record<string, unknown>>(config: T): { train: Record<string, unknown>; lora: LoraOptions } {
  const train: Record<string, unknown> = {}, lora: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(config)) (k in LORA_OPTIONS ? lora : train)[k] = v;
  return { train, lora: resolveOptions(LORA_OPTIONS, lora) };
}

export interface LoraTrainOptions {
  /** The base model (default: loaded from model_name_or_path). */
  base?: Model;
  /** Continue training an existing PEFT adapter folder instead of a fresh one. */
  adapter?: string;
}

async function wrap(config: Record<string, unknown>, o: LoraTrainOptions): Promise<{ lora: LoraModel; train: Record<string, unknown> }> {
  const { train, lora: lo } = splitLoraKeys(config);
  const dir = train['model_name_or_path'] as string | undefined;
  if (!o.base && !dir) throw new RadpoError('config', 'missing model: give --model_name_or_path (the base model folder)', { field: 'model_name_or_path' });
  const base = o.base ?? await Model.load(dir!);
  const basePath = dir && fs.existsSync(dir) ? path.resolve(dir) : dir ?? null;
  const lora = o.adapter
    ? new LoraModel(base, loadAdapter(o.adapter, base.config), basePath)
    : LoraModel.create(base, loraConfigFrom(lo), typeof train['seed'] === 'number' ? train['seed'] : 42, basePath);
  return { lora, train };
}

/** SFT of a LoRA adapter; the final model / checkpoints are PEFT adapter folders. */
export async function trainLoraSft(config: Partial<SftConfig> & Partial<LoraOptions>, opts: Omit<TrainSftOptions<LoraModel>, 'model'> & LoraTrainOptions = {}): Promise<TrainResult<LoraModel>> {
  const { lora, train } = await wrap(config, opts);
  const { base: _b, adapter: _a, ...rest } = opts;
  return trainSft<LoraModel>(train as Partial<SftConfig>, { ...rest, model: lora });
}

/** DPO (any loss_type) of a LoRA adapter against the base with the adapter switched off (no copy of the base). */
export async function trainLoraDpo(config: Partial<DpoConfig> & Partial<LoraOptions>, opts: Omit<TrainDpoOptions<LoraModel>, 'model'> & LoraTrainOptions = {}): Promise<TrainResult<LoraModel>> {
  const { lora, train } = await wrap(config, opts);
  const { base: _b, adapter: _a, ...rest } = opts;
  if (train['ref_model_name_or_path'] !== undefined || rest.refModel) {
    throw new RadpoError('config', 'LoRA DPO uses the base model (adapter off) as the reference; ref_model_name_or_path is not supported with it', { field: 'ref_model_name_or_path' });
  }
  return trainDpo<LoraModel>(train as Partial<DpoConfig>, { ...rest, model: lora, refModel: lora.reference() });
}
