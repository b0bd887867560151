// The option tables of `radpo relabel` and `radpo score` (flags, --help, YAML recipes and validation derive from
// them). Not the IRA pipeline's table (ira_options.ts), which reuses these keys.

import type { OptionTable, Resolved } from '../util/options.js';
import { SCALE_METHODS } from '../data/relabel_scale.js';
import { REORDER_MODES } from '../data/relabel.js';
import { SCHEMAS } from '../data/schema.js';

/** Keys shared by relabel and score: input selection, scoring batch, cache and sequence length. */
export const SCORING_OPTIONS = {
  output: { type: 'string', alias: 'o', required: true, help: 'output file (.jsonl, or .parquet by extension), written atomically', group: 'Input and output' },
  split: { type: 'string', help: 'split of a dataset folder input (default: the only one, else train_prefs / train)', group: 'Input and output' },
  schema: { type: 'string', choices: SCHEMAS, help: 'input schema (default: detected from the first row)', group: 'Input and output' },
  field_map: { type: 'string[]', help: 'canonical=path pairs for custom schemas, e.g. chosen=a,rejected=b,score_chosen=meta.s1', group: 'Input and output' },
  score_attribute: { type: 'string', default: 'helpfulness', help: 'HelpSteer2 input: the attribute that holds the score (as radpo augment --multi_response)', group: 'Input and output' },
  limit: { type: 'int', default: 0, min: 0, help: 'read at most this many rows (0 = all)', group: 'Input and output' },
  batch_size: { type: 'int', default: 8, min: 1, help: 'completions per model call', group: 'Scoring' },
  max_length: { type: 'int', min: 2, help: 'truncate prompt + completion to this many tokens (default: no limit), as radpo logprobs', group: 'Scoring' },
  max_prompt_length: { type: 'int', min: 1, help: 'keep only the last N prompt tokens (default: no limit)', group: 'Scoring' },
  truncation_mode: { type: 'string', default: 'keep_end', choices: ['keep_end', 'keep_start'] as const, help: 'what max_length keeps, as radpo logprobs', group: 'Scoring' },
  cache_dir: { type: 'string', help: 'log-prob cache folder (default: OUTPUT.logps-cache/ beside the output); reruns reuse finished rows', group: 'Scoring' },
  no_cache: { type: 'boolean', default: false, help: 'do not read or write the log-prob cache', group: 'Scoring' },
  scale_min: { type: 'number', default: 1, help: 'lowest goal of the scale', group: 'Goal scale' },
  scale_max: { type: 'number', default: 10, help: 'highest goal of the scale', group: 'Goal scale' },
  step: { type: 'number', default: 1, min: 0, help: 'rounding step of scores / spacing of goals (0: no rounding, relabel only)', group: 'Goal scale' },
  length_normalize: { type: 'boolean', default: false, help: 'mean instead of sum of token log-probs (implicit rewards favour long responses)', group: 'Scoring' },
} as const satisfies OptionTable;

export const RELABEL_OPTIONS = {
  policy: { type: 'string', required: true, help: 'DPO-trained policy model folder', group: 'Models' },
  reference: { type: 'string', help: 'reference model folder (default: ref_model_name_or_path, else model_name_or_path, from the policy\'s training_args.json)', group: 'Models' },
  beta: { type: 'number', min: 0, help: 'beta of the implicit reward (default: the policy\'s training_args.json beta, else 0.1)', group: 'Models' },
  ...SCORING_OPTIONS,
  scale_method: { type: 'string', default: 'quantile', choices: SCALE_METHODS, help: 'minmax, quantile (equal-frequency bins) or linear_fit (to the original scores)', group: 'Goal scale' },
  bins: { type: 'int', min: 2, help: 'quantile: number of bins (default: one per goal on the scale)', group: 'Goal scale' },
  reorder: { type: 'string', default: 'swap', choices: REORDER_MODES, help: 'pairs whose implicit reward prefers the rejected response: swap sides, keep, or drop', group: 'Goal scale' },
} as const satisfies OptionTable;

export const SCORE_OPTIONS = {
  model: { type: 'string', required: true, help: 'goal-conditioned (reward-augmented) model folder', group: 'Models' },
  ...SCORING_OPTIONS,
  placement: { type: 'string', default: 'system', choices: ['system', 'prompt'] as const, help: 'where the goal text goes, as radpo augment --placement', group: 'Goal scale' },
  goal_template: { type: 'string', help: 'custom goal text, as radpo augment --goal_template', group: 'Goal scale' },
  temperature: { type: 'number', default: 1, min: 1e-6, help: 'softmax temperature over goals', group: 'Scoring' },
} as const satisfies OptionTable;

export type RelabelConfig = Resolved<typeof RELABEL_OPTIONS>;
export type ScoreConfig = Resolved<typeof SCORE_OPTIONS>;
