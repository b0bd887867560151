// One seeded run on a synthetic task: generate data, SFT a tiny model, train preference variants from the same SFT
// model (DPO, reward-augmented DPO and controls), evaluate each by exact reward. Not the CLI or the report.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { hashJson } from '../verify/logp_cache.js';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic.js';
import { augmentPairs } from '../data/augment.js';
import { detectSchema, toPreferencePair } from '../data/schema.js';
import type { PreferencePair, Row } from '../data/types.js';
import type { Model } from '../model/model.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { gemmSettings } from '../model/gemm.js';
import { trainSft } from '../train/sft.js';
import { trainDpo } from '../train/dpo.js';
import { generateTaskData, judgeAgreement, type H4Row, type TaskDataset } from '../tasks/generate.js';
import { getTask } from '../tasks/registry.js';
import type { Task } from '../tasks/task.js';
import { Rng } from '../util/rng.js';
import type { OptionTable, Resolved } from '../util/options.js';
import { conditionedPrompt, MODEL_SIZES, taskModel, taskTokenizer, TASK_GOAL_TEMPLATE, type GoalOptions } from './setup.js';
import { sampleRewards, summarise, type MethodEval, type Samples } from './evaluate.js';

/** One table for every run setting (CLI flags, recipes and results JSON all use these keys). */
export const RUN_OPTIONS = {
  task: { type: 'string', default: 'sort', choices: ['sort', 'reverse'] as const, help: 'synthetic task', group: 'Data' },
  seed: { type: 'int', default: 1, help: 'seed of data, model init, training order and sampling', group: 'Data' },
  num_prompts: { type: 'int', default: 1500, min: 20, help: 'preference prompts (4 scored responses each; 10% held out)', group: 'Data' },
  num_sft_prompts: { type: 'int', default: 2000, min: 10, help: 'SFT prompts (one behaviour response each)', group: 'Data' },
  judge_noise: { type: 'number', default: 0, min: 0, help: 'std of Gaussian noise on judge scores', group: 'Data' },
  judge_round: { type: 'number', default: 1, min: 0, help: 'round judge scores to multiples of this (0: no rounding)', group: 'Data' },
  model_size: { type: 'string', default: 'small', choices: ['tiny', 'small', 'base'] as const, help: 'model preset (setup.ts MODEL_SIZES)', group: 'Model' },
  goal_numbers: { type: 'string', default: 'digits', choices: ['digits', 'whole'] as const, help: 'task tokenizer: one token per digit (goal 10 starts like goal 1) or numbers 10-100 as one token each (whole, as Llama-3 keeps numbers whole)', group: 'Model' },
  goal_placement: { type: 'string', default: 'system', choices: ['system', 'prompt'] as const, help: 'radpo augment placement of the goal text (the task template renders a system goal right before the response)', group: 'Training' },
  sft_goal_rows: { type: 'number', default: 0.5, min: 0, max: 1, help: 'share of SFT rows that carry a goal text (the rest are plain)', group: 'Training' },
  sft_goals: { type: 'string', default: 'score', choices: ['random', 'score'] as const, help: 'goal of those SFT rows: random (uninformative: the SFT model learns to read goal text as noise) or the response\'s judge score (reward-conditioned SFT)', group: 'Training' },
  sft_epochs: { type: 'number', default: 8, min: 0, help: 'SFT epochs', group: 'Training' },
  sft_learning_rate: { type: 'number', default: 3e-3, min: 0, help: 'SFT peak learning rate', group: 'Training' },
  dpo_epochs: { type: 'number', default: 1, min: 0, help: 'DPO epochs over each variant\'s data', group: 'Training' },
  dpo_learning_rate: { type: 'number', default: 5e-4, min: 0, help: 'DPO peak learning rate', group: 'Training' },
  beta: { type: 'number', default: 0.1, min: 0, help: 'DPO beta', group: 'Training' },
  label_smoothing: { type: 'number', default: 0, min: 0, max: 0.5, help: 'conservative DPO label smoothing (the paper\'s Qwen2 and Gemma-2 recipes use 0.3), same for every variant', group: 'Training' },
  rpo_alpha: { type: 'number', default: 1, min: 0, help: 'weight of the NLL term on chosen responses (RPO; TRL loss_type ["sigmoid", "sft"]), same for every variant', group: 'Training' },
  batch_size: { type: 'int', default: 32, min: 1, help: 'examples (pairs) per step', group: 'Training' },
  eval_prompts: { type: 'int', default: 150, min: 1, help: 'held-out prompts sampled for evaluation', group: 'Evaluation' },
  samples_per_prompt: { type: 'int', default: 2, min: 1, help: 'samples per prompt', group: 'Evaluation' },
  temperature: { type: 'number', default: 1, min: 0, help: 'sampling temperature (0: greedy)', group: 'Evaluation' },
  threads: { type: 'int', default: 1, min: 1, help: 'matrix-multiply threads (1 is fastest for these tiny models)', group: 'Model' },
  goal_scale: { type: 'string', default: '1-10', choices: ['1-5', '1-10', '0-100'] as const, help: 'goal scale printed in the goal text', group: 'Evaluation' },
  noise_levels: { type: 'string', default: '0,1,2,3', help: 'experiment noise: comma-separated judge_noise levels swept', group: 'Experiments' },
  ira_scale: { type: 'string', default: 'quantile', choices: ['quantile', 'linear_fit', 'minmax'] as const, help: 'experiment ira: mapping of implicit rewards onto the 1-10 scores (data/relabel_scale.ts)', group: 'IRA' },
  ira_init: { type: 'string', default: 'sft', choices: ['sft', 'round1', 'both'] as const, help: 'experiment ira: round 2 starts from (and is referenced to) the SFT model, the round-1 DPO model, or both', group: 'IRA' },
} as const satisfies OptionTable;

export type RunConfig = Resolved<typeof RUN_OPTIONS>;

/** Preference-training variants, all from the same SFT model. */
export type Variant = 'dpo' | 'ra_dpo' | 'dpo_dup' | 'ra_dpo_half' | 'ra_dpo_no_top';
export const VARIANT_LABELS: Record<Variant, string> = {
  dpo: 'DPO', ra_dpo: 'RA-DPO (reward-augmented)', dpo_dup: 'DPO on duplicated pairs (2N)', ra_dpo_half: 'RA-DPO on half the pairs', ra_dpo_no_top: 'RA-DPO, top goal held out',
};

export interface RunContext {
  cfg: RunConfig;
  task: Task;
  data: TaskDataset;
  tok: Tokenizer;
  goal: GoalOptions;
  /** Top goal on the printed scale (10 on 1-10). */
  topGoal: number;
  sft: Model;
  sftLog: Record<string, number>[];
  evalPrompts: string[];
}

export function scaleOf(cfg: RunConfig): [number, number] {
  return cfg.goal_scale === '1-5' ? [1, 5] : cfg.goal_scale === '0-100' ? [0, 100] : [1, 10];
}

export interface Hooks {
  quiet?: boolean;
  /** Folder caching SFT models by the settings they depend on (experiments that share seeds reuse them). */
  sftCacheDir?: string;
  /** Stage messages for a progress display. */
  onStage?: (stage: string) => void;
  /** Every training log entry (TRL metric names), with the stage it belongs to. */
  onLog?: (stage: string, m: Record<string, number>) => void;
}

/** Data, tokenizer and the SFT model shared by every variant of one seed. */
export async function prepareRun(cfg: RunConfig, hooks: Hooks = {}): Promise<RunContext> {
  const task = getTask(cfg.task);
  gemmSettings.threads = cfg.threads;
  hooks.onStage?.('data');
  const data = generateTaskData(task, { numPrompts: cfg.num_prompts, numSftPrompts: cfg.num_sft_prompts, seed: cfg.seed, judge: { noise: cfg.judge_noise, round: cfg.judge_round } });
  const tok = taskTokenizer(task, cfg.goal_numbers);
  const model = taskModel(tok, MODEL_SIZES[cfg.model_size]!, cfg.seed);
  hooks.onStage?.('sft');
  const scale = scaleOf(cfg);
  const goalRng = new Rng(cfg.seed ^ 0x5f7);
  const goalOpts: GoalOptions = { template: TASK_GOAL_TEMPLATE, scale, placement: cfg.goal_placement };
  const sftRows = data.train_sft.map((r) => {
    const withGoal = goalRng.next() < cfg.sft_goal_rows;
    const judged = r.score; // the judge's score (noisy when judge_noise > 0), never the exact reward
    const onScale = Math.round(scale[0] + ((judged - 1) * (scale[1] - scale[0])) / 9);
    const goal = !withGoal ? null : cfg.sft_goals === 'score' ? onScale : scale[0] + goalRng.int(scale[1] - scale[0] + 1);
    return { prompt: conditionedPrompt(r.prompt, goal, goalOpts), completion: [r.messages[1]!] };
  });
  const cacheFile = hooks.sftCacheDir ? path.join(hooks.sftCacheDir, `sft-${shortHash(sftKey(cfg))}.bin`) : null;
  if (cacheFile && fs.existsSync(cacheFile)) {
    const buf = fs.readFileSync(cacheFile);
    const cached = JSON.parse(fs.readFileSync(`${cacheFile}.json`, 'utf8')) as Record<string, number>[];
    model.params.data.set(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
    return { cfg, task, data, tok, goal: goalOpts, topGoal: scale[1], sft: model, sftLog: cached, evalPrompts: data.test_prefs.slice(0, cfg.eval_prompts).map((r) => r.prompt) };
  }
  const res = await trainSft({
    learning_rate: cfg.sft_learning_rate, num_train_epochs: cfg.sft_epochs, per_device_train_batch_size: cfg.batch_size,
    lr_scheduler_type: 'cosine', warmup_ratio: 0.05, max_length: 96, seed: cfg.seed, logging_steps: 10, save_strategy: 'no', disable_tqdm: hooks.quiet ?? true,
  }, { model, tokenizer: tok, train: sftRows as never, quiet: hooks.quiet ?? true, onLog: (m) => hooks.onLog?.('sft', m) });
  if (cacheFile) {
    writeFileAtomic(cacheFile, new Uint8Array(res.model.params.data.buffer, res.model.params.data.byteOffset, res.model.params.data.byteLength));
    writeJsonAtomic(`${cacheFile}.json`, res.metrics);
  }
  return {
    cfg, task, data, tok, goal: goalOpts, topGoal: scale[1], sft: res.model, sftLog: res.metrics,
    evalPrompts: data.test_prefs.slice(0, cfg.eval_prompts).map((r) => r.prompt),
  };
}

/** The settings an SFT model depends on (data, model, SFT recipe, goal text), for the cache key. */
function sftKey(cfg: RunConfig): Record<string, unknown> {
  const { task, seed, num_prompts, num_sft_prompts, judge_noise, judge_round, model_size, goal_placement, sft_goal_rows, sft_goals, sft_epochs, sft_learning_rate, batch_size, goal_scale, goal_numbers } = cfg;
  // SFT goals come from the judge (not the exact reward) since this version: the tag keeps older cached models out.
  return { task, seed, num_prompts, num_sft_prompts, judge_noise, judge_round, model_size, goal_placement, sft_goal_rows, sft_goals, sft_epochs, sft_learning_rate, batch_size, goal_scale, goal_numbers, sft_goal_source: 'judge' };
}

function toPairs(rows: Row[]): PreferencePair[] {
  if (rows.length === 0) return [];
  const schema = detectSchema(rows[0]!);
  if (!schema) throw new Error('pipeline: cannot detect the schema of generated rows');
  return rows.map((r, i) => toPreferencePair(r, { schema, file: '<generated>', line: i + 1 }));
}

/** The training pairs of a variant (same N prompts; "half" uses the first N/2); `rows`: other scored pairs (IRA). */
export function variantData(ctx: RunContext, v: Variant, rows: Row[] = ctx.data.train_prefs as unknown as Row[]): PreferencePair[] {
  const [lo, hi] = scaleOf(ctx.cfg);
  // On 1-5 one decimal keeps 9 and 10 apart (4.6 vs 5); on 1-10 and 0-100 integers do.
  const aug = (rs: Row[]): Row[] => augmentPairs(rs, { placement: ctx.cfg.goal_placement, goal_template: TASK_GOAL_TEMPLATE, score_scale: [1, 10], goal_scale: [lo, hi], goal_decimals: hi - lo < 9 ? 1 : 0 });
  switch (v) {
    case 'dpo': return toPairs(rows);
    case 'dpo_dup': return toPairs([...rows, ...rows]);
    case 'ra_dpo': return toPairs(aug(rows));
    case 'ra_dpo_half': return toPairs(aug(rows.slice(0, Math.floor(rows.length / 2))));
    case 'ra_dpo_no_top': return toPairs(aug(rows)).filter((p) => (p as { goal?: unknown }).goal !== hi);
  }
}

export const GOAL_CONDITIONED: ReadonlySet<Variant> = new Set<Variant>(['ra_dpo', 'ra_dpo_half', 'ra_dpo_no_top']);

export interface VariantResult {
  variant: Variant;
  model: Model;
  log: Record<string, number>[];
  pairs: number;
}

/** Where a training run starts: other scored pairs (IRA relabeled), another start/reference model, a stage name. */
export interface TrainFrom { rows?: Row[]; model?: Model; stage?: string }

/** DPO from the SFT model (or `from.model`, which is then also the reference, as TRL does) on a variant's data. */
export async function trainVariant(ctx: RunContext, v: Variant, hooks: Hooks = {}, evalPairs?: PreferencePair[], from: TrainFrom = {}): Promise<VariantResult> {
  const stage = from.stage ?? v;
  hooks.onStage?.(stage);
  const pairs = variantData(ctx, v, from.rows);
  const start = from.model ?? ctx.sft;
  const cfg = ctx.cfg;
  const res = await trainDpo({
    beta: cfg.beta, learning_rate: cfg.dpo_learning_rate, num_train_epochs: cfg.dpo_epochs, per_device_train_batch_size: cfg.batch_size,
    lr_scheduler_type: 'cosine', warmup_ratio: 0.1, max_length: 96, seed: cfg.seed + 1, logging_steps: 5, save_strategy: 'no',
    precompute_ref_log_probs: true, disable_tqdm: hooks.quiet ?? true, ...(cfg.rpo_alpha > 0 ? { rpo_alpha: cfg.rpo_alpha } : {}), ...(cfg.label_smoothing > 0 ? { label_smoothing: cfg.label_smoothing } : {}),
    ...(evalPairs ? { eval_strategy: 'steps' as const, eval_steps: 5 } : {}),
  }, { model: start.clone(), refModel: start, tokenizer: ctx.tok, train: pairs, eval: evalPairs, quiet: hooks.quiet ?? true, onLog: (m) => hooks.onLog?.(stage, m) });
  return { variant: v, model: res.model, log: res.metrics, pairs: pairs.length };
}

export async function evalAt(ctx: RunContext, model: Model, goal: number | null, salt: number, prompts = ctx.evalPrompts): Promise<Samples> {
  return sampleRewards(model, ctx.tok, ctx.task, prompts, goal, { samplesPerPrompt: ctx.cfg.samples_per_prompt, temperature: ctx.cfg.temperature, seed: ctx.cfg.seed * 1000 + salt }, ctx.goal);
}

export interface HeadlineSeedResult {
  seed: number;
  methods: Record<string, MethodEval>;
  logs: Record<string, Record<string, number>[]>;
  pairs: Record<string, number>;
  /** judgeAgreement of the run's training responses (1 for the exact judge). */
  judge_agreement: number;
  seconds: number;
}

/** SFT, then each variant; every model sampled on the same held-out prompts (goal-conditioned ones at the top goal). */
export async function runHeadlineSeed(cfg: RunConfig, variants: Variant[], hooks: Hooks = {}): Promise<HeadlineSeedResult> {
  const t0 = Date.now();
  const ctx = await prepareRun(cfg, hooks);
  hooks.onStage?.('eval sft');
  const top = ctx.task.maxReward;
  const sft = await evalAt(ctx, ctx.sft, null, 0);
  const methods: Record<string, MethodEval> = { sft: summarise(sft, sft, top), sft_goal: summarise(await evalAt(ctx, ctx.sft, ctx.topGoal, 0), sft, top) };
  const logs: Record<string, Record<string, number>[]> = { sft: ctx.sftLog };
  const pairs: Record<string, number> = {};
  for (const v of variants) {
    const r = await trainVariant(ctx, v, hooks);
    hooks.onStage?.(`eval ${v}`);
    const s = await evalAt(ctx, r.model, GOAL_CONDITIONED.has(v) ? ctx.topGoal : null, 0);
    methods[v] = summarise(s, sft, top);
    logs[v] = r.log;
    pairs[v] = r.pairs;
  }
  return { seed: cfg.seed, methods, logs, pairs, judge_agreement: judgeAgreement(ctx.data.multi.train), seconds: (Date.now() - t0) / 1000 };
}

/** Short cache key of a settings object (sha256 of its JSON, as the log-prob cache keys rows). */
function shortHash(v: unknown): string {
  return hashJson(v).slice(0, 16);
}

/** A shuffled copy (used where an experiment needs a random subset of prompts). */
export function shuffled<T>(xs: readonly T[], seed: number): T[] {
  return new Rng(seed).shuffle([...xs]);
}

export type { H4Row };
