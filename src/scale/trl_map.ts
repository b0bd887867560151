// Maps a resolved radpo trainer config (TRL / alignment-handbook key names) onto TRL 1.16's DPOConfig / SFTConfig /
// ModelConfig / ScriptArguments. Pure: no files. Not a TRL clone: keys TRL 1.16 cannot express are listed, not faked.
//
// label_smoothing: radpo's "sigmoid" loss with label_smoothing = eps is conservative DPO (cDPO, Mitchell 2023), as in
// TRL 0.8.2 used by the paper's reference recipes: l = -(1-eps) logsig(z) - eps logsig(-z), z = beta * delta.
// TRL 1.16 ignores label_smoothing for "sigmoid" (it only feeds "robust" and "exo_pair"), so the export writes cDPO as
// TRL's multi-loss sum w1 * sigmoid + w2 * robust(eps'), which is exactly cDPO because (softplus = -logsig):
//   cDPO(z)          = softplus(-z) + eps * z                       (since softplus(z) = softplus(-z) + z)
//   robust_eps'(z)   = softplus(-z) - k z,   k = eps' / (1 - 2 eps')
//   w1 = 1 + eps/k, w2 = -eps/k  =>  w1 softplus(-z) + w2 (softplus(-z) - k z) = softplus(-z) + eps z.
// eps' = eps when eps < 0.5 (weights 2 - 2 eps and -(1 - 2 eps)); eps' = 0.25 otherwise (robust needs eps' < 0.5).

export const TRL_VERSION = '1.16.0';
export const TRL_PINS: Record<string, string> = {
  trl: '1.16.0', transformers: '5.24.0', accelerate: '1.15.0', datasets: '5.2.0', peft: '0.21.2',
};

export type TrainerKind = 'dpo' | 'sft';

export interface TrlLossSpec { loss_type: string[]; loss_weights: number[] | null; label_smoothing: number }

/** TRL 1.16 loss settings that compute radpo's cDPO (sigmoid + label_smoothing eps in [0, 1)). */
export function conservativeDpoToTrl(eps: number): TrlLossSpec {
  if (!(eps >= 0 && eps < 1)) throw new Error(`conservativeDpoToTrl: label_smoothing must lie in [0, 1), got ${eps}`);
  if (eps === 0) return { loss_type: ['sigmoid'], loss_weights: null, label_smoothing: 0 };
  // eps / k with eps' = eps is 1 - 2 eps; with eps' = 0.25 (k = 0.5) it is 2 eps.
  const r = eps < 0.5 ? 1 - 2 * eps : 2 * eps;
  return { loss_type: ['sigmoid', 'robust'], loss_weights: [1 + r, -r], label_smoothing: eps < 0.5 ? eps : 0.25 };
}

/** One radpo setting the target trainer cannot express (or expresses differently). */
export interface Unmapped { key: string; value: unknown; reason: string }

export interface TrlMapping {
  trainer: TrainerKind;
  /** Flat YAML mapping read by TRL's TrlParser: ScriptArguments + DPOConfig/SFTConfig + ModelConfig keys. */
  args: Record<string, unknown>;
  unmapped: Unmapped[];
  notes: string[];
}

export interface TrlMapOptions {
  /** Path of the exported dataset folder as train.py sees it (relative to the export folder). */
  datasetPath: string;
  /** model_name_or_path as written into the TRL config (defaults to the recipe's). */
  modelPath?: string;
  /** output_dir of the TRL job (default "output"). */
  outputDir?: string;
  /** GPUs (processes) in the accelerate job: gradient_accumulation_steps is divided so the effective batch holds. */
  numProcesses?: number;
  /** Defaults of the radpo table: a key equal to its default is not reported as unmapped. */
  defaults?: Record<string, unknown>;
}

// Keys whose name and meaning are the same in radpo and TRL 1.16 (TrainingArguments / DPOConfig / SFTConfig).
const SAME_COMMON = [
  'learning_rate', 'lr_scheduler_type', 'per_device_train_batch_size', 'per_device_eval_batch_size',
  'num_train_epochs', 'max_steps', 'max_length', 'logging_steps', 'eval_steps', 'eval_strategy', 'save_steps',
  'save_strategy', 'save_total_limit', 'seed', 'weight_decay', 'adam_beta1', 'adam_beta2', 'adam_epsilon',
  'max_grad_norm', 'truncation_mode', 'logging_first_step', 'data_seed', 'optim', 'gradient_checkpointing', 'disable_tqdm',
] as const;
const SAME_DPO = ['beta', 'precompute_ref_log_probs', 'discopop_tau', 'ld_alpha', 'use_weighting', 'f_divergence_type'] as const;
const SAME_SFT = ['packing', 'completion_only_loss', 'assistant_only_loss', 'dataset_text_field', 'eos_token'] as const;
// ModelConfig (PEFT) keys, same names in radpo (TRL's ModelConfig spellings; src/model/lora_model.ts LORA_OPTIONS).
const SAME_MODEL = ['use_peft', 'lora_r', 'lora_alpha', 'lora_dropout', 'lora_target_modules', 'use_rslora'] as const;
// radpo's LoRA default targets all seven projections; PEFT's default for Llama is q_proj, v_proj only.
const ALL_TARGETS = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'];
// Keys handled specially below.
const SPECIAL = new Set([
  'model_name_or_path', 'dataset_name', 'dataset_train_split', 'dataset_test_split', 'output_dir',
  'gradient_accumulation_steps', 'warmup_ratio', 'warmup_steps', 'loss_type', 'label_smoothing', 'rpo_alpha',
  'resume_from_checkpoint', 'max_prompt_length', 'ref_model_name_or_path', 'weight_column',
]);
// radpo keys that change how radpo runs on this machine but not what is computed; they have no TRL counterpart.
const RUNTIME_ONLY = new Set([
  'threads', 'quiet', 'progress', 'ref_logps_cache_dir', 'report_to', 'run_name', 'config', 'overwrite_output_dir', 'save_only_model',
]);

const has = (v: unknown): boolean => v !== undefined && v !== null;

/** Maps `config` (a resolved radpo train config) to TRL 1.16 arguments; lists what does not map. */
export function mapToTrl(trainer: TrainerKind, config: Record<string, unknown>, opts: TrlMapOptions): TrlMapping {
  const args: Record<string, unknown> = {};
  const unmapped: Unmapped[] = [];
  const notes: string[] = [];
  const isDefault = (k: string): boolean => opts.defaults !== undefined && k in opts.defaults && sameValue(opts.defaults[k], config[k]);

  // ScriptArguments / ModelConfig
  args['model_name_or_path'] = opts.modelPath ?? config['model_name_or_path'];
  args['dataset_name'] = opts.datasetPath;
  args['dataset_train_split'] = 'train';
  args['dataset_test_split'] = 'test';
  args['output_dir'] = opts.outputDir ?? 'output';
  args['report_to'] = 'none';
  for (const k of SAME_COMMON) if (has(config[k])) args[k] = config[k];
  for (const k of trainer === 'dpo' ? SAME_DPO : SAME_SFT) if (has(config[k])) args[k] = config[k];
  if (config['use_peft'] === true) {
    for (const k of SAME_MODEL) if (has(config[k])) args[k] = config[k];
    const tm = config['lora_target_modules'];
    args['lora_target_modules'] = Array.isArray(tm) && tm.length > 0 ? tm : ALL_TARGETS;
    if (typeof config['lora_alpha'] === 'number' && !Number.isInteger(config['lora_alpha'])) {
      unmapped.push({ key: 'lora_alpha', value: config['lora_alpha'], reason: 'TRL ModelConfig.lora_alpha is an int: the value is rounded by its parser' });
    }
  }

  // Effective batch = per_device * accumulation * processes; keep radpo's (one process) on N processes.
  const nProc = opts.numProcesses ?? 1;
  const accum = numberOr(config['gradient_accumulation_steps'], 1);
  if (nProc > 1 && accum % nProc === 0) {
    args['gradient_accumulation_steps'] = accum / nProc;
    notes.push(`gradient_accumulation_steps ${accum} -> ${accum / nProc} so that ${nProc} processes keep radpo's effective batch of ${numberOr(config['per_device_train_batch_size'], 8) * accum}`);
  } else {
    args['gradient_accumulation_steps'] = accum;
    if (nProc > 1) {
      notes.push(`gradient_accumulation_steps ${accum} is not divisible by ${nProc} processes: the effective batch grows ${nProc}x (per_device_train_batch_size x gradient_accumulation_steps x processes); lower per_device_train_batch_size or the process count to match radpo`);
    }
  }

  // Warmup: transformers 5 has no warmup_ratio; warmup_steps < 1 is read as a ratio of the total steps.
  const ws = numberOr(config['warmup_steps'], 0);
  const wr = numberOr(config['warmup_ratio'], 0);
  if (ws > 0) args['warmup_steps'] = Math.round(ws);
  else if (wr > 0) {
    if (wr >= 1) unmapped.push({ key: 'warmup_ratio', value: wr, reason: 'transformers 5 reads warmup_steps >= 1 as a step count; a ratio must be < 1' });
    else { args['warmup_steps'] = wr; notes.push(`warmup_ratio ${wr} -> warmup_steps ${wr} (transformers 5: a float < 1 is a ratio; warmup steps = ceil(ratio x total steps))`); }
  }

  if (trainer === 'dpo') mapDpoLoss(config, args, unmapped, notes);
  else {
    if (has(config['loss_type']) && config['loss_type'] !== 'nll') unmapped.push({ key: 'loss_type', value: config['loss_type'], reason: 'SFT export supports the nll loss only' });
  }

  const mpl = config['max_prompt_length'];
  if (has(mpl) && !isDefault('max_prompt_length')) {
    unmapped.push({ key: 'max_prompt_length', value: mpl, reason: 'TRL 1.16 has no max_prompt_length: it truncates prompt+completion to max_length only (truncation_mode); pairs radpo shortens at the prompt are truncated differently' });
  }
  if (has(config['weight_column'])) {
    unmapped.push({ key: 'weight_column', value: config['weight_column'], reason: 'TRL 1.16 DPOTrainer has no per-pair loss weights (use_weighting is WPO, a different weighting)' });
  }
  if (has(config['ref_model_name_or_path'])) {
    notes.push('ref_model_name_or_path has no TrlParser key: train.py reads it from radpo_export.json and passes ref_model to DPOTrainer');
  }
  if (has(config['resume_from_checkpoint']) && config['resume_from_checkpoint'] !== false) {
    notes.push('resume_from_checkpoint not exported: a radpo checkpoint holds radpo optimizer state; TRL starts a fresh run (pass --resume_from_checkpoint to train.py to resume a TRL run)');
  }

  // Everything else: report keys that carry a non-default value.
  const handled = new Set<string>([...SAME_COMMON, ...SAME_DPO, ...SAME_SFT, ...SAME_MODEL, ...SPECIAL]);
  for (const [k, v] of Object.entries(config)) {
    if (handled.has(k) || RUNTIME_ONLY.has(k) || !has(v) || isDefault(k)) continue;
    if (trainer === 'sft' && (SAME_DPO as readonly string[]).includes(k)) continue;
    if (trainer === 'dpo' && (SAME_SFT as readonly string[]).includes(k)) continue;
    unmapped.push({ key: k, value: v, reason: 'no TRL 1.16 counterpart known to radpo export; not exported' });
  }
  return { trainer, args, unmapped, notes };
}

function mapDpoLoss(config: Record<string, unknown>, args: Record<string, unknown>, unmapped: Unmapped[], notes: string[]): void {
  const lossType = String(config['loss_type'] ?? 'sigmoid');
  const eps = numberOr(config['label_smoothing'], 0);
  let spec: TrlLossSpec;
  if (lossType === 'sigmoid') {
    spec = conservativeDpoToTrl(eps);
    if (eps > 0) {
      notes.push(`label_smoothing ${eps} on sigmoid = conservative DPO (TRL 0.8.2 semantics); TRL 1.16 ignores label_smoothing on sigmoid, so it is written as loss_type [sigmoid, robust] with loss_weights [${spec.loss_weights!.map(fmt).join(', ')}] and label_smoothing ${spec.label_smoothing}, which is the same loss and gradient`);
    }
  } else {
    // robust / exo_pair read label_smoothing identically in radpo and TRL 1.16; the other types ignore it in both.
    spec = { loss_type: [lossType], loss_weights: null, label_smoothing: eps };
  }
  const alpha = numberOr(config['rpo_alpha'], 0);
  if (alpha > 0) {
    // RPO (Pang et al. 2024): + alpha * mean NLL over chosen completion tokens = TRL 1.16's "sft" loss term.
    spec.loss_type.push('sft');
    spec.loss_weights = [...(spec.loss_weights ?? spec.loss_type.slice(0, -1).map(() => 1)), alpha];
    notes.push(`rpo_alpha ${alpha} -> extra loss_type "sft" with weight ${alpha} (TRL 1.16 has no rpo_alpha)`);
  }
  args['loss_type'] = spec.loss_type;
  if (spec.loss_weights) args['loss_weights'] = spec.loss_weights;
  args['label_smoothing'] = spec.label_smoothing;
  if (!['sigmoid', 'robust', 'hinge', 'ipo', 'exo_pair', 'nca_pair', 'bco_pair', 'sppo_hard', 'apo_zero', 'apo_down', 'discopop', 'sigmoid_norm'].includes(lossType)) {
    unmapped.push({ key: 'loss_type', value: lossType, reason: 'not a TRL 1.16 DPO loss type' });
  }
}

function numberOr(v: unknown, d: number): number { return typeof v === 'number' && Number.isFinite(v) ? v : d; }
function sameValue(a: unknown, b: unknown): boolean { return JSON.stringify(a) === JSON.stringify(b); }
function fmt(x: number): string { return String(Number(x.toPrecision(12))); }
