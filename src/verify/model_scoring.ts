// Implicit rewards and verifier scores with real models: log-probs come from scoreCompletions (the code behind
// `radpo logprobs`), so both equal what that command prints. Not the cache or the maths (logp_cache.ts, verifier.ts).

import { createHash } from 'node:crypto';
import type { PreferencePair } from '../data/types.js';
import { scoreCompletions, type LogitsModel, type ScoreOptions } from '../model/logprobs.js';
import type { PairRow, TokenizePairOptions } from '../model/tokenize_pair.js';
import type { Tokenizer } from '../model/tokenizer.js';
import { implicitRewardsFromScorers, type CompletionRow, type ImplicitRewardOptions, type ImplicitRewardResult, type ModelScorer } from './implicit_reward.js';
import { verifierScoresFromScorer, type VerifierOptions, type VerifierScore } from './verifier.js';
import { goalConditioner, type GoalConditionOptions } from './goal_condition.js';

/** Tokenization settings (they change log-probs, so they are part of every cache key). */
export type TokenizationOptions = Pick<TokenizePairOptions, 'max_length' | 'max_prompt_length' | 'max_completion_length' | 'truncation_mode' | 'add_eos' | 'chat'>;

/** A ModelScorer over scoreCompletions. `key` names the model for the cache (hashModelDir(dir), memoryModelKey). */
export function modelScorer(model: LogitsModel, tokenizer: Tokenizer, opts: TokenizationOptions & { batch_size?: number } = {}, key?: string): ModelScorer {
  const score: ScoreOptions = { ...opts, progress: false };
  return {
    key,
    score: async (rows: CompletionRow[]) => (await scoreCompletions(model, tokenizer, rows as PairRow[], score)).map((s) => ({ logp: s.completion_logprob, n: s.num_tokens })),
  };
}

/** sha256 of config + weights + tokenizer of an in-memory model (Model exposes params.data); ~1 s per GB. */
export function memoryModelKey(model: LogitsModel, tokenizer: Tokenizer): string {
  const h = createHash('sha256');
  h.update(JSON.stringify(model.config));
  const data = (model as { params?: { data?: Float32Array } }).params?.data;
  if (!data) throw new Error('memoryModelKey: the model exposes no params.data; pass an explicit cache key');
  h.update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  h.update(JSON.stringify(tokenizer.tokenizerJson));
  h.update(JSON.stringify(tokenizer.tokenizerConfig));
  return h.digest('hex');
}

export interface ImplicitRewardsOptions extends ImplicitRewardOptions, TokenizationOptions {
  /** Cache keys of the two models when cache_dir is set (default: memoryModelKey of each). */
  policy_key?: string;
  reference_key?: string;
}

/** The tokenization settings as the cache fingerprint (with any caller fingerprint). */
function fingerprintOf(opts: TokenizationOptions & { fingerprint?: unknown }): unknown {
  return { tok: { max_length: opts.max_length ?? null, max_prompt_length: opts.max_prompt_length ?? null, max_completion_length: opts.max_completion_length ?? null, truncation_mode: opts.truncation_mode ?? null, add_eos: opts.add_eos ?? null, chat: opts.chat ?? null }, user: opts.fingerprint ?? null };
}

/**
 * Implicit rewards beta * (log pi_policy(y|x) - log pi_ref(y|x)) of both responses of every pair (sum over completion
 * tokens, or the mean with length_normalize). One tokenizer serves both models (they share a vocabulary).
 */
export async function implicitRewards(
  policy: LogitsModel, reference: LogitsModel, tokenizer: Tokenizer, pairs: readonly PreferencePair[], opts: ImplicitRewardsOptions = {},
): Promise<{ chosen: number[]; rejected: number[]; result: ImplicitRewardResult }> {
  const rows: CompletionRow[] = pairs.flatMap((p) => [{ prompt: p.prompt, completion: p.chosen }, { prompt: p.prompt, completion: p.rejected }]);
  const cached = opts.cache_dir !== undefined;
  const pol = modelScorer(policy, tokenizer, opts, cached ? opts.policy_key ?? memoryModelKey(policy, tokenizer) : undefined);
  const ref = modelScorer(reference, tokenizer, opts, cached ? opts.reference_key ?? memoryModelKey(reference, tokenizer) : undefined);
  const result = await implicitRewardsFromScorers(pol, ref, rows, { ...opts, fingerprint: fingerprintOf(opts) });
  return { chosen: result.rewards.filter((_, i) => i % 2 === 0), rejected: result.rewards.filter((_, i) => i % 2 === 1), result };
}

export interface VerifierScoresOptions extends VerifierOptions, TokenizationOptions, GoalConditionOptions {
  model_key?: string;
}

/**
 * The goal-conditioned model as a verifier: for each prompt/completion row, log p(y | x, g) for every goal on the
 * scale (goal inserted exactly as `radpo augment` does), the posterior over goals, argmax and expected score.
 */
export async function verifierScores(model: LogitsModel, tokenizer: Tokenizer, rows: readonly CompletionRow[], opts: VerifierScoresOptions = {}): Promise<{ goals: number[]; scores: VerifierScore[] }> {
  const scorer = modelScorer(model, tokenizer, opts, opts.cache_dir !== undefined ? opts.model_key ?? memoryModelKey(model, tokenizer) : undefined);
  const condition = goalConditioner({ ...opts, score_scale: opts.score_scale ?? [opts.scale_min ?? 1, opts.scale_max ?? 10] });
  const { goals, scores } = await verifierScoresFromScorer(scorer, rows, condition, { ...opts, fingerprint: fingerprintOf(opts) });
  return { goals, scores };
}
