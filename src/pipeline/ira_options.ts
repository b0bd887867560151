// The option table of `radpo pipeline ira` (one recipe for the whole loop): DPO keys as `radpo train dpo` spells
// them, relabel keys as `radpo relabel`, augment keys as `radpo augment`. Not the loop itself (ira.ts).

import type { OptionTable, Resolved } from '../util/options.js';
import { DPO_OPTIONS } from '../train/config.js';
import { RELABEL_OPTIONS, SCORING_OPTIONS } from './options.js';

export const IRA_OPTIONS = {
  model_name_or_path: { ...DPO_OPTIONS.model_name_or_path, required: true, help: 'starting policy (e.g. the SFT model); also the reference of round 1 and of the implicit reward' },
  dataset_name: { ...DPO_OPTIONS.dataset_name, required: true, help: 'scored preference pairs (any pair schema): round-1 DPO data and the data relabeled' },
  dataset_train_split: DPO_OPTIONS.dataset_train_split,
  output_dir: { ...DPO_OPTIONS.output_dir, required: true, help: 'run folder: round1_dpo/, relabeled.jsonl, augmented.jsonl, round2_ira/, pipeline.json' },
  init_model: { type: 'string', default: 'none', choices: ['none', 'tiny'] as const, help: 'tiny: create a tiny random Llama with a character tokenizer at model_name_or_path when it does not exist (smoke runs)', group: 'Model and data' },
  resume: { type: 'boolean', default: true, help: 'skip stages whose outputs are complete (the relabel cache also resumes a half-done relabel)', group: 'Model and data' },
  // DPO, both rounds (same meaning and defaults as radpo train dpo)
  beta: DPO_OPTIONS.beta,
  loss_type: DPO_OPTIONS.loss_type,
  label_smoothing: DPO_OPTIONS.label_smoothing,
  learning_rate: DPO_OPTIONS.learning_rate,
  lr_scheduler_type: DPO_OPTIONS.lr_scheduler_type,
  warmup_ratio: DPO_OPTIONS.warmup_ratio,
  num_train_epochs: DPO_OPTIONS.num_train_epochs,
  max_steps: DPO_OPTIONS.max_steps,
  per_device_train_batch_size: DPO_OPTIONS.per_device_train_batch_size,
  gradient_accumulation_steps: DPO_OPTIONS.gradient_accumulation_steps,
  max_length: DPO_OPTIONS.max_length,
  max_prompt_length: DPO_OPTIONS.max_prompt_length,
  truncation_mode: DPO_OPTIONS.truncation_mode,
  seed: DPO_OPTIONS.seed,
  logging_steps: DPO_OPTIONS.logging_steps,
  save_strategy: { ...DPO_OPTIONS.save_strategy, default: 'no' },
  round2_init: { type: 'string', default: 'start', choices: ['start', 'round1'] as const, help: 'which model starts round 2 (and is its reference): the starting policy, or the round-1 DPO model', group: 'DPO' },
  // Relabel (radpo relabel)
  scale_method: RELABEL_OPTIONS.scale_method,
  scale_min: SCORING_OPTIONS.scale_min,
  scale_max: SCORING_OPTIONS.scale_max,
  step: SCORING_OPTIONS.step,
  bins: RELABEL_OPTIONS.bins,
  reorder: RELABEL_OPTIONS.reorder,
  length_normalize: SCORING_OPTIONS.length_normalize,
  relabel_batch_size: { ...SCORING_OPTIONS.batch_size, help: 'completions per model call when relabeling' },
  // Augment (radpo augment)
  placement: { type: 'string', default: 'system', choices: ['system', 'prompt'] as const, help: 'where the goal text goes (radpo augment --placement)', group: 'Augment' },
  fine_grained_filter: { type: 'boolean', default: false, help: 'radpo augment\'s fine-grained filter on the relabeled pairs (off: the judge\'s ratings would veto implicit-reward swaps)', group: 'Augment' },
  order: { type: 'string', default: 'reference', choices: ['reference', 'shuffle'] as const, help: 'augmented row order (radpo augment --order)', group: 'Augment' },
} as const satisfies OptionTable;

export type IraConfig = Resolved<typeof IRA_OPTIONS>;
