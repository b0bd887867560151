// The goal-conditioned policy as a verifier: log p(y | x, g) for every goal g on the scale, the posterior over goals
// p(g | x, y) ∝ p(y | x, g) (uniform prior), and the implied score (argmax, expectation). Not the goal text itself.

import { cachedLogps, type CompletionRow, type ModelScorer, type ScoringOptions } from './implicit_reward.js';
import type { CachedScoreStats } from './logp_cache.js';
import { RadpoError } from '../util/errors.js';

export interface VerifierOptions extends ScoringOptions {
  /** Goals to try; default the grid scale_min, scale_min + step, ..., scale_max. */
  goals?: number[];
  scale_min?: number;   // default 1
  scale_max?: number;   // default 10
  step?: number;        // default 1
  /** Divide each log-likelihood by the completion's token count before the softmax (a flatter posterior). */
  length_normalize?: boolean;
  /** Softmax temperature over goals (default 1). */
  temperature?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface VerifierScore {
  /** [G] log p(y | x, g) per goal (summed over completion tokens). */
  logps: number[];
  /** [G] posterior over goals. */
  probs: number[];
  /** Goal with the highest likelihood (the lowest such goal on ties). */
  score_argmax: number;
  /** sum_g g p(g | x, y). */
  score_expected: number;
  n_tokens: number;
}

export function goalGrid(opts: Pick<VerifierOptions, 'goals' | 'scale_min' | 'scale_max' | 'step'>): number[] {
  if (opts.goals && opts.goals.length > 0) return [...opts.goals];
  const lo = opts.scale_min ?? 1, hi = opts.scale_max ?? 10, step = opts.step ?? 1;
  if (!(hi > lo) || !(step > 0)) throw new RadpoError('config', `bad goal scale ${lo}..${hi} step ${step}`, { field: 'step', value: step });
  const k = Math.floor((hi - lo) / step + 1e-9);
  return Array.from({ length: k + 1 }, (_, i) => Number((lo + i * step).toFixed(10)));
}

/**
 * Posterior over goals from per-goal log-likelihoods [G]: softmax(logps / (n if length_normalize) / temperature),
 * computed with the max subtracted. Returns probs, argmax goal and expected goal.
 */
export function goalPosterior(logps: readonly number[], goals: readonly number[], nTokens: number, opts: { length_normalize?: boolean; temperature?: number } = {}): Omit<VerifierScore, 'logps' | 'n_tokens'> {
  if (logps.length !== goals.length || goals.length === 0) throw new Error(`goalPosterior: ${logps.length} log-probs for ${goals.length} goals`);
  const div = (opts.length_normalize && nTokens > 0 ? nTokens : 1) * (opts.temperature ?? 1);
  const z = logps.map((l) => l / div);
  let best = 0;
  z.forEach((v, i) => { if (v > (z[best] as number)) best = i; });
  const mx = z[best] as number;
  const e = z.map((v) => Math.exp(v - mx));
  const sum = e.reduce((a, b) => a + b, 0);
  const probs = e.map((v) => v / sum);
  const expected = probs.reduce((a, p, i) => a + p * (goals[i] as number), 0);
  return { probs, score_argmax: goals[best] as number, score_expected: expected };
}

/**
 * Scores every row under every goal with one model. `condition(row, goal)` must insert the goal exactly as
 * training did (radpo augment's placement, which may also reshape the completion); rows x goals are scored in
 * batches through the log-prob cache.
 */
export async function verifierScoresFromScorer(
  model: ModelScorer, rows: readonly CompletionRow[], condition: (row: CompletionRow, goal: number) => CompletionRow, opts: VerifierOptions = {},
): Promise<{ goals: number[]; scores: VerifierScore[]; stats: CachedScoreStats }> {
  const goals = goalGrid(opts);
  const flat: CompletionRow[] = [];
  for (const r of rows) for (const g of goals) flat.push(condition(r, g));
  const { entries, stats } = await cachedLogps(model, flat, opts, opts.onProgress);
  const G = goals.length;
  const scores = rows.map((_, i) => {
    const es = entries.slice(i * G, (i + 1) * G);
    const logps = es.map((e) => e.logp);
    const n = es[0]?.n ?? 0;
    return { logps, ...goalPosterior(logps, goals, n, opts), n_tokens: n };
  });
  return { goals, scores, stats };
}
