// Goal-conditioning of one prompt/completion for scoring, through the same Relabeler `radpo augment` uses, so a
// verifier sees exactly the text training saw. Not the goal wording (data/goal.ts) nor the placement rules.

import { Relabeler, materialize, type Placement } from '../data/augment_row.js';
import type { CompletionRow } from './implicit_reward.js';

export interface GoalConditionOptions {
  placement?: Placement;
  goal_template?: string;
  /** The goal scale printed in the goal text (default [1, 10]). */
  score_scale?: [number, number];
}

/**
 * The goal-conditioning of one prompt/completion exactly as `radpo augment` writes it (same Relabeler, same
 * placement rules): returns the conditioned prompt and completion (a string prompt may become messages).
 */
export function goalConditioner(opts: GoalConditionOptions = {}): (row: CompletionRow, goal: number) => CompletionRow {
  const rl = new Relabeler({ placement: opts.placement, goal_template: opts.goal_template, score_scale: opts.score_scale, goal_column: false, schema: 'trl-standard' });
  return (row, goal) => {
    const o = rl.condition({ prompt: row.prompt, chosen: row.completion, rejected: row.completion }, goal, '<score>', 0);
    return { prompt: materialize(o.prompt ?? row.prompt), completion: materialize(o.chosen) };
  };
}
