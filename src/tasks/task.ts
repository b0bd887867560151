// The shape of a synthetic instruction task: prompts, an exact reward on a 1-10 scale, and behaviour policies of
// graded quality that stand in for UltraFeedback's models. Not a data generator (see generate.ts).

import type { Rng } from '../util/rng.js';

/** One behaviour policy ("model" in UltraFeedback terms): samples a response to a prompt. */
export interface Behaviour {
  name: string;
  sample(prompt: string, rng: Rng): string;
}

export interface Task {
  /** Registry name, e.g. 'sort'. */
  name: string;
  description: string;
  /** Every character a prompt or a response of a behaviour may contain (for building a char tokenizer). */
  alphabet: string;
  /** Best possible exact reward (10) and worst (1). */
  maxReward: number;
  minReward: number;
  samplePrompt(rng: Rng): string;
  /** Exact reward of `response` to `prompt`, in [minReward, maxReward]; never throws on malformed responses. */
  reward(prompt: string, response: string): number;
  /**
   * Fine-grained attributes on a 1-5 scale (UltraFeedback style). Multi-attribute tasks trade these off; the
   * overall reward is a fixed function of them.
   */
  attributes(prompt: string, response: string): Record<string, number>;
  /** A response with the maximum reward. */
  ideal(prompt: string): string;
  /** Behaviour policies, from weakest to strongest. */
  behaviours: Behaviour[];
}

export function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}
