// The option tables of `radpo train sft` and `radpo train dpo` (TRL / alignment-handbook key names): flags, --help,
// YAML recipes and validation all derive from these. Not the loop: trainer.ts reads the resolved objects.

import type { OptionTable, Resolved } from '../util/options.js';
import { LOSS_TYPES } from './losses.js';
import { LR_SCHEDULERS } from './schedule.js';

const COMMON = {
  model_name_or_path: { type: 'string', help: 'policy model folder (Hugging Face layout: config.json, model.safetensors, tokenizer.json)', group: 'Model and data' },
  dataset_name: { type: 'string', help: 'local data file or folder (JSONL / JSON / Parquet), read with radpo\'s data readers', group: 'Model and data' },
  dataset_train_split: { type: 'string', default: 'train', help: 'split used for training', group: 'Model and data' },
  dataset_test_split: { type: 'string', default: 'test', help: 'split used for evaluation (when eval_strategy is not "no")', group: 'Model and data' },
  output_dir: { type: 'string', help: 'run folder: metrics.jsonl, checkpoints, final model (omit for in-memory library runs)', group: 'Model and data' },
  max_length: { type: 'int', default: 1024, min: 2, help: 'maximum tokens of prompt + completion', group: 'Length' },
  max_prompt_length: { type: 'int', min: 1, help: 'cap on prompt tokens before max_length applies (older TRL key)', group: 'Length' },
  truncation_mode: { type: 'string', default: 'keep_start', choices: ['keep_start', 'keep_end'] as const, help: 'which end of a too-long sequence (and prompt) to keep', group: 'Length' },
  learning_rate: { type: 'number', default: 1e-6, min: 0, help: 'peak learning rate of AdamW', group: 'Optimization' },
  lr_scheduler_type: { type: 'string', default: 'linear', choices: LR_SCHEDULERS, help: 'learning-rate schedule', group: 'Optimization' },
  warmup_ratio: { type: 'number', default: 0, min: 0, max: 1, help: 'linear warmup as a fraction of all steps (used when warmup_steps is 0)', group: 'Optimization' },
  warmup_steps: { type: 'int', default: 0, min: 0, help: 'linear warmup steps (overrides warmup_ratio when > 0)', group: 'Optimization' },
  per_device_train_batch_size: { type: 'int', default: 8, min: 1, help: 'examples (pairs for DPO) per micro-batch', group: 'Optimization' },
  per_device_eval_batch_size: { type: 'int', default: 8, min: 1, help: 'examples per evaluation batch', group: 'Optimization' },
  gradient_accumulation_steps: { type: 'int', default: 1, min: 1, help: 'micro-batches per optimizer step', group: 'Optimization' },
  num_train_epochs: { type: 'number', default: 3, min: 0, help: 'passes over the training data (fractions allowed)', group: 'Optimization' },
  max_steps: { type: 'int', default: -1, help: 'optimizer steps; overrides num_train_epochs when > 0', group: 'Optimization' },
  weight_decay: { type: 'number', default: 0, min: 0, help: 'decoupled weight decay (not applied to biases and norm weights)', group: 'Optimization' },
  adam_beta1: { type: 'number', default: 0.9, min: 0, max: 1, help: 'AdamW beta1', group: 'Optimization' },
  adam_beta2: { type: 'number', default: 0.999, min: 0, max: 1, help: 'AdamW beta2', group: 'Optimization' },
  adam_epsilon: { type: 'number', default: 1e-8, min: 0, help: 'AdamW epsilon', group: 'Optimization' },
  max_grad_norm: { type: 'number', default: 1, min: 0, help: 'clip the global gradient norm to this (0 disables)', group: 'Optimization' },
  seed: { type: 'int', default: 42, help: 'seed of data order and anything random', group: 'Optimization' },
  logging_steps: { type: 'int', default: 10, min: 1, help: 'write metrics every this many optimizer steps', group: 'Logging and checkpoints' },
  logging_first_step: { type: 'boolean', default: false, help: 'also log after the first step', group: 'Logging and checkpoints' },
  eval_strategy: { type: 'string', default: 'no', choices: ['no', 'steps', 'epoch'] as const, help: 'when to evaluate on the test split', group: 'Logging and checkpoints' },
  eval_steps: { type: 'int', min: 1, help: 'evaluate every this many steps (default: logging_steps)', group: 'Logging and checkpoints' },
  save_strategy: { type: 'string', default: 'steps', choices: ['no', 'steps'] as const, help: 'when to write checkpoints', group: 'Logging and checkpoints' },
  save_steps: { type: 'int', default: 500, min: 1, help: 'write OUT/checkpoint-STEP every this many steps (and at the end)', group: 'Logging and checkpoints' },
  save_total_limit: { type: 'int', min: 1, help: 'keep at most this many checkpoints (oldest removed)', group: 'Logging and checkpoints' },
  resume_from_checkpoint: { type: 'string', help: 'checkpoint folder to resume from, or "true" for the latest in output_dir', group: 'Logging and checkpoints' },
  disable_tqdm: { type: 'boolean', default: false, help: 'no terminal progress bar', group: 'Logging and checkpoints' },
} as const satisfies OptionTable;

export const SFT_OPTIONS = {
  ...COMMON,
  learning_rate: { ...COMMON.learning_rate, default: 2e-5 },
  packing: { type: 'boolean', default: false, help: 'pack several examples into each max_length row (position ids restart and attention stays inside each example)', group: 'Length' },
  completion_only_loss: { type: 'boolean', default: true, help: 'train only on completion tokens (prompt masked)', group: 'Length' },
} as const satisfies OptionTable;

export const DPO_OPTIONS = {
  ...COMMON,
  ref_model_name_or_path: { type: 'string', help: 'reference model folder (default: a frozen copy of the starting policy)', group: 'Model and data' },
  weight_column: { type: 'string', help: 'data column with a per-pair loss weight (loss = mean_i w_i * l_i)', group: 'Model and data' },
  beta: { type: 'number', default: 0.1, min: 0, help: 'deviation from the reference (tau for ipo)', group: 'DPO' },
  loss_type: { type: 'string', default: 'sigmoid', choices: LOSS_TYPES, help: 'preference loss', group: 'DPO' },
  label_smoothing: { type: 'number', default: 0, min: 0, max: 1, help: 'conservative DPO on sigmoid (TRL <= 0.x behaviour), flip rate on robust, epsilon on exo_pair', group: 'DPO' },
  discopop_tau: { type: 'number', default: 0.05, min: 0, help: 'temperature of the discopop loss', group: 'DPO' },
  rpo_alpha: { type: 'number', min: 0, help: 'weight of an added NLL term on the chosen completion (RPO)', group: 'DPO' },
  precompute_ref_log_probs: { type: 'boolean', default: false, help: 'compute reference log-probs once (cached on disk, keyed by data, model and settings)', group: 'DPO' },
  ref_logps_cache_dir: { type: 'string', help: 'cache folder for precomputed reference log-probs (default: ~/.cache/radpo/ref-logps when output_dir is set)', group: 'DPO' },
} as const satisfies OptionTable;

export type SftConfig = Resolved<typeof SFT_OPTIONS>;
export type DpoConfig = Resolved<typeof DPO_OPTIONS>;
/** Keys shared by both trainers (what the loop reads). */
export type TrainArgs = Resolved<typeof COMMON>;
