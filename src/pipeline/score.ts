// `radpo score` as a function: every response of a preference file scored by a goal-conditioned model (likelihood
// under each goal, posterior, argmax and expected score). Not the model loading (CLI) nor the goal text (data/goal.ts).

import { multiResponses, type MultiOptions } from '../data/relabel_multi.js';
import { spearmanPresent, originalScores } from '../data/relabel.js';
import { writeRowsTo } from '../data/write.js';
import type { Row } from '../data/types.js';
import type { CompletionRow, ModelScorer } from '../verify/implicit_reward.js';
import type { CachedScoreStats } from '../verify/logp_cache.js';
import { goalConditioner, type GoalConditionOptions } from '../verify/goal_condition.js';
import { verifierScoresFromScorer, type VerifierOptions, type VerifierScore } from '../verify/verifier.js';
import { readRelabelInput, type ReadInputOptions } from './relabel_io.js';

export interface ScoreFileOptions extends VerifierOptions, ReadInputOptions, GoalConditionOptions, MultiOptions {}

export interface ScoreFileResult {
  responses: number;
  goals: number[];
  /** Spearman correlation of the expected score (and of the argmax) with the data's original scores, when present. */
  spearman_expected: number | null;
  spearman_argmax: number | null;
  /** Pairs only: fraction of pairs whose chosen response gets the higher expected score (ties count 1/2). */
  pair_accuracy: number | null;
  stats: CachedScoreStats;
}

const columns = (s: VerifierScore): Row => ({ verifier_score: s.score_argmax, verifier_expected: s.score_expected, verifier_probs: s.probs });
const sided = (s: VerifierScore, side: string): Row => Object.fromEntries(Object.entries(columns(s)).map(([k, v]) => [`${k}_${side}`, v]));

/**
 * Scores INPUT with a goal-conditioned model and writes it to OUTPUT with verifier columns: pairs get
 * `verifier_score_chosen/_rejected` (argmax goal), `verifier_expected_*` and `verifier_probs_*` (posterior over the
 * goals); UltraFeedback raw completions and HelpSteer2 rows get `verifier_score`, `verifier_expected`, `verifier_probs`.
 */
export async function scoreFile(input: string, output: string, model: ModelScorer, opts: ScoreFileOptions = {}): Promise<ScoreFileResult> {
  const data = await readRelabelInput(input, opts);
  const condition = goalConditioner({ ...opts, score_scale: opts.score_scale ?? [opts.scale_min ?? 1, opts.scale_max ?? 10] });
  let rows: CompletionRow[];
  let originals: (number | undefined)[];
  if (data.kind === 'pairs') {
    rows = data.pairs.flatMap((p) => [{ prompt: p.prompt, completion: p.chosen }, { prompt: p.prompt, completion: p.rejected }]);
    originals = data.pairs.flatMap((p) => originalScores(p));
  } else {
    const resp = data.rows.flatMap((row, i) => multiResponses(data.schema, row, data.where[i]!.file, data.where[i]!.line, opts));
    rows = resp.map((r) => ({ prompt: r.prompt, completion: r.completion }));
    originals = resp.map((r) => r.original);
  }
  const { goals, scores, stats } = await verifierScoresFromScorer(model, rows, condition, opts);
  let out: Row[];
  if (data.kind === 'pairs') {
    out = data.pairs.map((p, i) => ({ ...p, ...sided(scores[2 * i] as VerifierScore, 'chosen'), ...sided(scores[2 * i + 1] as VerifierScore, 'rejected') }));
  } else {
    let k = 0;
    out = data.schema === 'helpsteer2'
      ? data.rows.map((row) => ({ ...row, ...columns(scores[k++] as VerifierScore) }))
      : data.rows.map((row) => ({ ...row, completions: (row.completions as Row[]).map((c) => ({ ...c, ...columns(scores[k++] as VerifierScore) })) }));
  }
  await writeRowsTo(output, { [opts.split ?? 'train']: out });
  let acc: number | null = null;
  if (data.kind === 'pairs' && data.pairs.length > 0) {
    let won = 0;
    for (let i = 0; i < data.pairs.length; i++) {
      const c = (scores[2 * i] as VerifierScore).score_expected, r = (scores[2 * i + 1] as VerifierScore).score_expected;
      won += c > r ? 1 : c === r ? 0.5 : 0;
    }
    acc = won / data.pairs.length;
  }
  return {
    pair_accuracy: acc,
    responses: rows.length, goals, stats,
    spearman_expected: spearmanPresent(scores.map((s) => s.score_expected), originals),
    spearman_argmax: spearmanPresent(scores.map((s) => s.score_argmax), originals),
  };
}
