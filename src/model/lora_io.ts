// LoRA adapters on disk in PEFT's format (adapter_config.json + adapter_model.safetensors, PEFT tensor names), and
// merging an adapter into a full checkpoint. Not the math (lora.ts) and not training (lora_model.ts).

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ModelConfig } from './config.js';
import { LORA_TARGETS, LoraAdapter, type LoraConfig, type LoraTarget } from './lora.js';
import { Model } from './model.js';
import { readSafetensorsHeader, readTensorInto, saveSafetensors } from './safetensors.js';
import { writeDirAtomicAsync } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** adapter_config.json as PEFT 0.21 writes it for a plain LoRA on a causal LM. */
export function peftAdapterConfig(c: LoraConfig, baseModel: string | null): Record<string, unknown> {
  return {
    peft_type: 'LORA', task_type: 'CAUSAL_LM', base_model_name_or_path: baseModel, inference_mode: true,
    r: c.r, lora_alpha: c.lora_alpha, lora_dropout: c.lora_dropout, target_modules: [...c.target_modules],
    use_rslora: c.use_rslora ?? false, use_dora: false, bias: 'none', fan_in_fan_out: false, init_lora_weights: true,
    modules_to_save: null, layers_to_transform: null, layers_pattern: null, rank_pattern: {}, alpha_pattern: {},
    revision: null, lora_bias: false,
  };
}

/** Writes the adapter as a PEFT folder (atomically), plus optional extra files (e.g. tokenizer, params.bin). */
export async function saveAdapter(dir: string, ad: LoraAdapter, opts: { baseModel?: string | null; extraFiles?: Record<string, string | Uint8Array> } = {}): Promise<void> {
  await writeDirAtomicAsync(dir, async (tmp) => {
    fs.writeFileSync(path.join(tmp, ADAPTER_CONFIG), JSON.stringify(peftAdapterConfig(ad.config, opts.baseModel ?? null), null, 2) + '\n');
    saveSafetensors(path.join(tmp, ADAPTER_WEIGHTS), ad.params, 'F32', { format: 'pt' });
    for (const [name, content] of Object.entries(opts.extraFiles ?? {})) {
      if (name !== path.basename(name) || name === '..' || name === '.') throw new RadpoError('io', 'extra file names must be plain file names', { field: 'extraFiles', value: name });
      fs.writeFileSync(path.join(tmp, name), content);
    }
  });
}

/** Reads adapter_config.json, refusing PEFT features radpo does not implement (naming them). */
export function readAdapterConfig(dir: string): { config: LoraConfig; baseModel: string | null } {
  const file = path.join(dir, ADAPTER_CONFIG);
  let j: Record<string, unknown>;
  try { j = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>; } catch (e) {
    throw new RadpoError('model', `cannot read adapter config: ${(e as Error).message}`, { file });
  }
  const refuse = (field: string, why: string): never => { throw new RadpoError('unsupported', why, { file, field, value: j[field] }); };
  if (j['peft_type'] !== 'LORA') refuse('peft_type', 'only LoRA adapters are supported');
  if (j['use_dora'] === true) refuse('use_dora', 'DoRA adapters are not supported');
  if (j['bias'] !== undefined && j['bias'] !== 'none') refuse('bias', 'adapters that train biases are not supported');
  if (j['fan_in_fan_out'] === true) refuse('fan_in_fan_out', 'fan_in_fan_out (GPT-2 Conv1D) is not a Llama layout');
  if (j['modules_to_save'] !== undefined && j['modules_to_save'] !== null && !(Array.isArray(j['modules_to_save']) && j['modules_to_save'].length === 0)) refuse('modules_to_save', 'fully trained extra modules are not supported');
  if (j['layers_to_transform'] !== undefined && j['layers_to_transform'] !== null) refuse('layers_to_transform', 'adapters on a subset of layers are not supported');
  for (const k of ['rank_pattern', 'alpha_pattern']) {
    const v = j[k];
    if (v && typeof v === 'object' && Object.keys(v).length > 0) refuse(k, 'per-module ranks / alphas are not supported');
  }
  if (j['lora_bias'] === true) refuse('lora_bias', 'LoRA bias terms are not supported');
  let tm = j['target_modules'];
  if (tm === 'all-linear') tm = [...LORA_TARGETS];
  if (!Array.isArray(tm)) refuse('target_modules', 'target_modules must be a list of module names (or "all-linear")');
  const targets = (tm as unknown[]).map(String);
  for (const t of targets) if (!(LORA_TARGETS as readonly string[]).includes(t)) refuse('target_modules', `unsupported target module "${t}" (supported: ${LORA_TARGETS.join(', ')})`);
  const r = j['r'], alpha = j['lora_alpha'];
  if (typeof r !== 'number' || !Number.isInteger(r) || r <= 0) refuse('r', 'r must be a positive integer');
  if (typeof alpha !== 'number') refuse('lora_alpha', 'lora_alpha must be a number');
  return {
    config: {
      r: r as number, lora_alpha: alpha as number, lora_dropout: typeof j['lora_dropout'] === 'number' ? j['lora_dropout'] : 0,
      target_modules: LORA_TARGETS.filter((t) => targets.includes(t)) as LoraTarget[], use_rslora: j['use_rslora'] === true,
    },
    baseModel: typeof j['base_model_name_or_path'] === 'string' ? j['base_model_name_or_path'] : null,
  };
}

/** Loads a PEFT LoRA folder for a base model config; PEFT's `.default` adapter-name infix is accepted too. */
export function loadAdapter(dir: string, model: ModelConfig): LoraAdapter {
  const { config } = readAdapterConfig(dir);
  const ad = new LoraAdapter(model, config);
  const file = path.join(dir, ADAPTER_WEIGHTS);
  if (!fs.existsSync(file)) throw new RadpoError('model', `no ${ADAPTER_WEIGHTS} in the adapter folder`, { file: dir });
  const h = readSafetensorsHeader(file);
  const want = new Set(ad.params.entries.map((e) => e.name));
  for (const name of h.tensors.keys()) {
    if (!want.has(name.replace('.default.weight', '.weight'))) throw new RadpoError('model', 'unexpected tensor for this adapter config and base model', { file, field: name });
  }
  for (const e of ad.params.entries) {
    const name = h.tensors.has(e.name) ? e.name : e.name.replace(/\.weight$/, '.default.weight');
    const t = h.tensors.get(name);
    if (!t) throw new RadpoError('model', 'missing adapter tensor', { file, field: e.name });
    if (t.shape.length !== 2 || t.shape[0] !== e.shape[0] || t.shape[1] !== e.shape[1]) {
      throw new RadpoError('model', `shape [${t.shape.join(', ')}] does not match [${e.shape.join(', ')}] (r and the base model's sizes)`, { file, field: e.name });
    }
    readTensorInto(h, name, ad.params.view(e.name));
  }
  return ad;
}

/** base + adapter -> a full checkpoint folder (W += scaling * B A), tokenizer files of the base copied along. */
export async function mergeAdapter(baseDir: string, adapterDir: string, outDir: string, opts: { dtype?: 'F32' | 'BF16' } = {}): Promise<void> {
  const model = await Model.load(baseDir);
  const ad = loadAdapter(adapterDir, model.config);
  await ad.mergeInto(model.params);
  const extraFiles: Record<string, Uint8Array> = {};
  for (const f of ['tokenizer.json', 'tokenizer_config.json', 'special_tokens_map.json', 'generation_config.json', 'chat_template.jinja']) {
    const p = path.join(baseDir, f);
    if (fs.existsSync(p)) extraFiles[f] = fs.readFileSync(p);
  }
  await model.save(outDir, { ...(opts.dtype ? { dtype: opts.dtype } : {}), extraFiles });
}

/**
 * Model folders for inference (generate, logprobs): `modelDir` is a full checkpoint, or a PEFT adapter folder whose
 * adapter_config.json names a local base (base_model_name_or_path, as PEFT's AutoPeftModelForCausalLM reads it).
 * `adapterDir` (or the adapter folder itself) is merged into the loaded weights in memory (W += scaling * B A, what
 * the adapter computes without dropout). The tokenizer comes from the adapter folder when it has tokenizer.json,
 * else from the base.
 */
export async function resolveInferenceModel(modelDir: string, adapterDir?: string): Promise<{ model: Model; tokenizerDir: string }> {
  let base = modelDir, adapter = adapterDir ?? null;
  if (!fs.existsSync(path.join(modelDir, 'config.json')) && fs.existsSync(path.join(modelDir, ADAPTER_CONFIG))) {
    if (adapterDir) throw new RadpoError('usage', '--model is an adapter folder and --adapter is set too: pass the base model as --model', { file: modelDir });
    const { baseModel } = readAdapterConfig(modelDir);
    // as given (PEFT: relative to the working directory), else relative to the adapter folder
    const resolved = baseModel === null ? null : [path.resolve(baseModel), path.resolve(modelDir, baseModel)].find((d) => fs.existsSync(path.join(d, 'config.json'))) ?? null;
    if (resolved === null) {
      throw new RadpoError('model', 'adapter folder without a local base model: pass the base as --model and this folder as --adapter',
        { file: path.join(modelDir, ADAPTER_CONFIG), field: 'base_model_name_or_path', value: baseModel });
    }
    base = resolved; adapter = modelDir;
  }
  const model = await Model.load(base);
  if (adapter !== null) await loadAdapter(adapter, model.config).mergeInto(model.params);
  const tokenizerDir = adapter !== null && fs.existsSync(path.join(adapter, 'tokenizer.json')) ? adapter : base;
  return { model, tokenizerDir };
}
