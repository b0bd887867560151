// Implicit rewards r(x, y) = beta * (log pi_policy(y|x) - log pi_ref(y|x)) of a DPO-trained policy (method.md §2.4),
// batched and cached per model. Not the mapping onto a goal scale (data/relabel_scale.ts) nor the row rewriting.

import { hashJson, LogpCache, scoreCached, type CachedScoreStats, type LogpEntry } from './logp_cache.js';

/** One completion to score: its prompt and the completion (assistant turn(s) or raw text), as in PreferencePair. */
export interface CompletionRow {
  prompt: unknown;
  completion: unknown;
}

/** Scores a batch of rows with one model: summed completion-token log-probs and token counts. */
export type LogpScorer = (rows: CompletionRow[]) => Promise<LogpEntry[]>;

export interface ModelScorer {
  score: LogpScorer;
  /** Content hash of the model (and tokenizer) for the cache; required when a cache folder is given. */
  key?: string;
}

/** Batching and caching of log-prob scoring. */
export interface ScoringOptions {
  /** Rows per model call (default 8). */
  batch_size?: number;
  /** Folder of the on-disk log-prob cache (one file per model key); absent: no cache. */
  cache_dir?: string;
  /** Anything else that changes log-probs for the same model and row (max_length, template...), for cache keys. */
  fingerprint?: unknown;
}

export interface ImplicitRewardOptions extends ScoringOptions {
  /** DPO beta of the policy (default 0.1, TRL's and radpo train dpo's default; the reference recipes use 0.01). */
  beta?: number;
  /** Use the mean of token log-ratios instead of their sum (implicit rewards favour long responses). */
  length_normalize?: boolean;
  /** Progress callback: rows done / rows to compute, per model. */
  onProgress?: (which: 'policy' | 'reference', done: number, total: number) => void;
}

export interface ImplicitRewardResult {
  /** Per row: beta * (policy - reference), summed or length-normalised. */
  rewards: number[];
  policy: LogpEntry[];
  reference: LogpEntry[];
  stats: { policy: CachedScoreStats; reference: CachedScoreStats };
}

/** The cache key of one row: content + fingerprint (the model goes into the cache file name). */
export function rowKey(row: CompletionRow, fingerprint: unknown): string {
  return hashJson([row.prompt, row.completion, fingerprint ?? null]);
}

/** Log-probs of every row under one model, through the cache when `cache_dir` and `model.key` are set. */
export async function cachedLogps(model: ModelScorer, rows: readonly CompletionRow[], opts: ScoringOptions, onBatch?: (done: number, total: number) => void): Promise<{ entries: LogpEntry[]; stats: CachedScoreStats }> {
  if (opts.cache_dir !== undefined && model.key === undefined) throw new Error('cachedLogps: a cache folder needs a model key');
  const cache = opts.cache_dir !== undefined ? LogpCache.open(opts.cache_dir, model.key as string) : null;
  const keys = rows.map((r) => rowKey(r, opts.fingerprint));
  return scoreCached(rows, keys, cache, opts.batch_size ?? 8, model.score, onBatch, approxLength);
}

/** Characters of prompt + completion: a cheap stand-in for token count when ordering rows into batches. */
function approxLength(r: CompletionRow): number {
  return JSON.stringify(r.prompt ?? '').length + JSON.stringify(r.completion ?? '').length;
}

/** r = beta (lp_policy - lp_ref), or beta (lp_policy / n_policy - lp_ref / n_ref) when length-normalised. */
export function implicitReward(policy: LogpEntry, reference: LogpEntry, beta: number, lengthNormalize: boolean): number {
  if (!lengthNormalize) return beta * (policy.logp - reference.logp);
  if (policy.n === 0 || reference.n === 0) return 0; // empty completion: no token log-ratios to average
  return beta * (policy.logp / policy.n - reference.logp / reference.n);
}

/** Implicit rewards of `rows` from two log-prob scorers (the policy first, then the reference, each batched). */
export async function implicitRewardsFromScorers(policy: ModelScorer, reference: ModelScorer, rows: readonly CompletionRow[], opts: ImplicitRewardOptions = {}): Promise<ImplicitRewardResult> {
  const beta = opts.beta ?? 0.1;
  const p = await cachedLogps(policy, rows, opts, (d, t) => opts.onProgress?.('policy', d, t));
  const r = await cachedLogps(reference, rows, opts, (d, t) => opts.onProgress?.('reference', d, t));
  const rewards = rows.map((_, i) => implicitReward(p.entries[i] as LogpEntry, r.entries[i] as LogpEntry, beta, opts.length_normalize ?? false));
  return { rewards, policy: p.entries, reference: r.entries, stats: { policy: p.stats, reference: r.stats } };
}
