// Model folders for relabel / score / the IRA pipeline: a cached log-prob scorer per folder (keyed by its content
// hash), defaults read from a DPO run's training_args.json, progress and summary files. Not the scoring maths.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { Model } from '../model/model.js';
import { Tokenizer } from '../model/tokenizer.js';
import { writeJsonAtomic } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import type { ModelScorer } from '../verify/implicit_reward.js';
import { hashModelDir } from '../verify/logp_cache.js';
import { modelScorer, type TokenizationOptions } from '../verify/model_scoring.js';

/** Loads a model folder (weights + its own tokenizer) as a ModelScorer keyed by the folder's content hash. */
export async function loadScorer(dir: string, batchSize: number, tok: TokenizationOptions = {}): Promise<ModelScorer> {
  if (!fs.existsSync(path.join(dir, 'tokenizer.json'))) throw new RadpoError('model', 'model folder has no tokenizer.json (needed to score text)', { file: dir });
  const [model, tokenizer] = await Promise.all([Model.load(dir), Tokenizer.load(dir)]);
  return modelScorer(model, tokenizer, { ...tok, batch_size: batchSize }, hashModelDir(dir));
}

export interface PolicyDefaults {
  reference: string;
  beta: number;
  beta_source: 'flag' | 'training_args.json' | 'default';
}

/**
 * The reference folder and beta of a DPO policy: flags first, else the run's training_args.json
 * (ref_model_name_or_path, else model_name_or_path; beta), else beta 0.1 (TRL's default).
 */
export function policyDefaults(policy: string, reference?: string, beta?: number): PolicyDefaults {
  let args: Record<string, unknown> = {};
  const f = path.join(policy, 'training_args.json');
  if (fs.existsSync(f)) {
    try { args = JSON.parse(fs.readFileSync(f, 'utf8')) as Record<string, unknown>; } catch (e) {
      throw new RadpoError('io', `cannot parse training_args.json: ${(e as Error).message}`, { file: f });
    }
  }
  const refArg = typeof args.ref_model_name_or_path === 'string' ? args.ref_model_name_or_path : typeof args.model_name_or_path === 'string' ? args.model_name_or_path : undefined;
  const ref = reference ?? refArg;
  if (ref === undefined) throw new RadpoError('usage', 'give --reference DIR (the policy folder has no training_args.json naming its starting model)', { file: policy });
  if (beta !== undefined) return { reference: ref, beta, beta_source: 'flag' };
  if (typeof args.beta === 'number') return { reference: ref, beta: args.beta, beta_source: 'training_args.json' };
  return { reference: ref, beta: 0.1, beta_source: 'default' };
}

/** A progress callback drawing one bar per model pass (TTY only). */
export function progressFor(label: string): (which: string, done: number, total: number) => void {
  let bar: Progress | null = null;
  let current = '';
  return (which, done, total) => {
    if (which !== current) { bar?.done(); bar = new Progress({ total, label: `${label} ${which}`, unit: 'rows' }); current = which; }
    bar?.update(done);
    if (done >= total) { bar?.done(); bar = null; current = ''; }
  };
}

/** Writes `<output>.summary.json` (beside the output, so dataset folders stay clean); returns its path. */
export function writeSummary(output: string, summary: Record<string, unknown>): string {
  const file = `${output.replace(/\/+$/, '')}.summary.json`;
  writeJsonAtomic(file, summary);
  return file;
}
