// The implicit-reward relabeling loop of method.md §2.4 as one resumable job: DPO on the original pairs -> relabel
// with the round-1 implicit reward -> reward-augment -> DPO again. Not a trainer or a relabeler of its own.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { augmentFile, type AugmentStats } from '../data/augment.js';
import { detectContainer } from '../data/read.js';
import { Model } from '../model/model.js';
import { parseModelConfig } from '../model/config.js';
import { buildTokenizer, writeTokenizer } from '../model/tokenizer_build.js';
import { trainDpo } from '../train/dpo.js';
import type { DpoConfig } from '../train/config.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { resolveOptions } from '../util/options.js';
import { RadpoError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { IRA_OPTIONS, type IraConfig } from './ira_options.js';
import { loadScorer } from './model_dirs.js';
import { relabelFile, type RelabelFileResult } from './relabel.js';

export interface IraStage { name: string; skipped: boolean; seconds: number; output: string; result?: unknown }
export interface IraResult { output_dir: string; stages: IraStage[]; config: IraConfig }

/** Paths of the run folder's stages. */
export function iraPaths(outputDir: string) {
  return {
    round1: path.join(outputDir, 'round1_dpo'),
    relabeled: path.join(outputDir, 'relabeled.jsonl'),
    augmented: path.join(outputDir, 'augmented.jsonl'),
    round2: path.join(outputDir, 'round2_ira'),
    summary: path.join(outputDir, 'pipeline.json'),
  };
}

/** A finished DPO run folder: the trainer writes the model files and metrics.jsonl at the very end. */
function trained(dir: string): boolean {
  return fs.existsSync(path.join(dir, 'model.safetensors')) && fs.existsSync(path.join(dir, 'metrics.jsonl'));
}

/** Stage records (by name) and config of an earlier run in the same folder (empty when none or unreadable). */
function previousRun(file: string): { stages: Map<string, IraStage>; config: Record<string, unknown> | null } {
  try {
    const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { stages?: IraStage[]; config?: Record<string, unknown> };
    return { stages: new Map((doc.stages ?? []).map((s) => [s.name, s])), config: doc.config ?? null };
  } catch { return { stages: new Map(), config: null }; }
}

/** A tiny random Llama with a character tokenizer (init_model: tiny), for smoke runs of the whole loop. */
export async function initTinyModel(dir: string, seed: number): Promise<void> {
  const tok = buildTokenizer({ kind: 'char' });
  const config = parseModelConfig({
    model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 2048, rms_norm_eps: 1e-6,
    tie_word_embeddings: true, eos_token_id: 2, pad_token_id: 0,
  });
  await Model.init(config, seed).save(dir);
  writeTokenizer(dir, tok);
}

/**
 * Runs the loop into `output_dir`. Each stage is skipped when `resume` is on, its output is complete and no stage
 * before it ran in this call (a rerun upstream makes everything after it stale); the
 * relabel stage also resumes row by row through its log-prob cache. Round 1 and round 2 use the same DPO keys;
 * round 2 starts from `round2_init` (its reference is its starting model, as TRL does). `pipeline.json` records
 * the resolved config, each stage's summary and timings.
 */
export async function runIra(config: Partial<IraConfig>, opts: { quiet?: boolean; log?: (line: string) => void } = {}): Promise<IraResult> {
  const cfg = resolveOptions(IRA_OPTIONS, config as Record<string, unknown>);
  const log = opts.log ?? (() => undefined);
  const p = iraPaths(cfg.output_dir);
  fs.mkdirSync(cfg.output_dir, { recursive: true });
  const stages: IraStage[] = [];
  const prev = previousRun(p.summary);
  const before = prev.stages;
  const changed = prev.config ? Object.keys(cfg).filter((k) => k !== 'resume' && JSON.stringify(prev.config?.[k]) !== JSON.stringify(cfg[k as keyof IraConfig])) : [];
  if (cfg.resume && changed.length > 0) log(`config differs from the run that made the existing outputs (${changed.join(', ')}); finished stages are still reused: pass --resume false (or remove their outputs) to redo them`);
  let upstreamRan = false; // once a stage runs, the outputs after it are stale

  const save = (): void => writeJsonAtomic(p.summary, { radpo_version: VERSION, config: cfg, stages });
  const stage = async (name: string, output: string, done: boolean, run: () => Promise<unknown>): Promise<void> => {
    const t0 = Date.now();
    if (cfg.resume && done && !upstreamRan) {
      // keep what the run that made the output recorded about it
      stages.push({ ...before.get(name), name, skipped: true, seconds: 0, output });
      log(`${name}: done before, skipped (${output})`);
    } else {
      log(`${name}: running -> ${output}`);
      upstreamRan = true;
      const result = await run();
      stages.push({ name, skipped: false, seconds: (Date.now() - t0) / 1000, output, result });
    }
    save();
  };

  const start = cfg.model_name_or_path;
  if (!fs.existsSync(path.join(start, 'config.json'))) {
    if (cfg.init_model !== 'tiny') throw new RadpoError('model', 'model_name_or_path has no config.json (init_model: tiny creates a random smoke-test model there)', { file: start, field: 'model_name_or_path' });
    await initTinyModel(start, cfg.seed);
    log(`init_model: created a tiny random model in ${start}`);
  }
  const dpo: Partial<DpoConfig> = {
    beta: cfg.beta, loss_type: cfg.loss_type, label_smoothing: cfg.label_smoothing, learning_rate: cfg.learning_rate,
    lr_scheduler_type: cfg.lr_scheduler_type, warmup_ratio: cfg.warmup_ratio, num_train_epochs: cfg.num_train_epochs,
    max_steps: cfg.max_steps, per_device_train_batch_size: cfg.per_device_train_batch_size,
    gradient_accumulation_steps: cfg.gradient_accumulation_steps, max_length: cfg.max_length, max_prompt_length: cfg.max_prompt_length,
    truncation_mode: cfg.truncation_mode, seed: cfg.seed, logging_steps: cfg.logging_steps, save_strategy: cfg.save_strategy,
    disable_tqdm: opts.quiet ?? false,
  };
  const lastMetrics = (m: Record<string, number>[]): Record<string, number> | undefined => m.filter((x) => x.loss !== undefined).at(-1);
  const split = detectContainer(cfg.dataset_name) === 'folder' ? cfg.dataset_train_split : undefined;

  await stage('round1_dpo', p.round1, trained(p.round1), async () => {
    const r = await trainDpo({ ...dpo, model_name_or_path: start, dataset_name: cfg.dataset_name, dataset_train_split: cfg.dataset_train_split, output_dir: p.round1 }, { quiet: opts.quiet });
    return { steps: r.globalStep, last: lastMetrics(r.metrics) };
  });

  await stage('relabel', p.relabeled, fs.existsSync(p.relabeled), async () => {
    // Truncated as in training, so the implicit reward scores the tokens DPO saw.
    const tok = { max_length: cfg.max_length, max_prompt_length: cfg.max_prompt_length ?? null, truncation_mode: cfg.truncation_mode };
    const policy = await loadScorer(p.round1, cfg.relabel_batch_size, tok);
    const reference = await loadScorer(start, cfg.relabel_batch_size, tok);
    const r: RelabelFileResult = await relabelFile(cfg.dataset_name, p.relabeled, policy, reference, {
      beta: cfg.beta, length_normalize: cfg.length_normalize, batch_size: cfg.relabel_batch_size, split,
      cache_dir: path.join(cfg.output_dir, 'logps-cache'), fingerprint: tok,
      scale_method: cfg.scale_method, scale_min: cfg.scale_min, scale_max: cfg.scale_max, step: cfg.step, bins: cfg.bins, reorder: cfg.reorder,
    });
    return r;
  });

  await stage('augment', p.augmented, fs.existsSync(p.augmented), async () => {
    const st: AugmentStats = await augmentFile(p.relabeled, p.augmented, {
      placement: cfg.placement, fine_grained_filter: cfg.fine_grained_filter, order: cfg.order, seed: cfg.seed,
      score_scale: [cfg.scale_min, cfg.scale_max], progress: opts.quiet ? false : undefined,
    });
    return st;
  });

  const init2 = cfg.round2_init === 'round1' ? p.round1 : start;
  await stage('round2_ira', p.round2, trained(p.round2), async () => {
    const r = await trainDpo({ ...dpo, model_name_or_path: init2, dataset_name: p.augmented, output_dir: p.round2 }, { quiet: opts.quiet });
    return { init: init2, steps: r.globalStep, last: lastMetrics(r.metrics) };
  });
  return { output_dir: cfg.output_dir, stages, config: cfg };
}
