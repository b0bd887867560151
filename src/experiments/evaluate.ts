// Sampling-based evaluation on a synthetic task: sample responses at a goal (or unconditioned), score them with
// the exact reward, summarise (mean reward, top-score share, win rate vs a baseline). Not training.

import { generate } from '../model/generate.js';
import type { Model } from '../model/model.js';
import type { ChatMessage } from '../model/chat_template.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { Task } from '../tasks/task.js';
import { mean, topShare, winRate } from '../eval/stats.js';
import { conditionedPrompt, type GoalOptions } from './setup.js';

export interface SampleOptions {
  samplesPerPrompt: number;
  temperature: number;
  seed: number;
  maxNewTokens?: number;
  batchSize?: number;
}

export interface Samples {
  goal: number | null;
  /** prompt-major: rewards[p * samplesPerPrompt + j] */
  responses: string[];
  rewards: number[];
}

export async function sampleRewards(model: Model, tok: Tokenizer, task: Task, prompts: string[], goal: number | null, o: SampleOptions, g: GoalOptions = {}): Promise<Samples> {
  const gens = await generate(model, tok, prompts.map((p) => conditionedPrompt(p, goal, g) as ChatMessage[]), {
    do_sample: o.temperature > 0, temperature: o.temperature > 0 ? o.temperature : 1, top_k: 0, top_p: 1,
    max_new_tokens: o.maxNewTokens ?? 16, batch_size: o.batchSize ?? 64, num_return_sequences: o.samplesPerPrompt, seed: o.seed,
  });
  const responses = gens.map((x) => x.text);
  const rewards = gens.map((x) => task.reward(prompts[x.prompt_index]!, x.text));
  return { goal, responses, rewards };
}

export interface MethodEval { reward: number; top_share: number; win_rate_vs_sft: number; n: number }

/** Summary of samples against the SFT model's samples for the same prompts and sample indices. */
export function summarise(s: Samples, sft: Samples, top: number): MethodEval {
  return { reward: mean(s.rewards), top_share: topShare(s.rewards, top), win_rate_vs_sft: winRate(s.rewards, sft.rewards), n: s.rewards.length };
}
