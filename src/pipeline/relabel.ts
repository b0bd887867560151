// `radpo relabel` as a function: read preference data, score every response with the implicit reward of a policy
// against its reference, map onto the goal scale, write rows `radpo augment` reads. Not the model loading (CLI).

import { relabelPairs, type ReorderMode, type RelabelSummary } from '../data/relabel.js';
import { relabelMultiRows, multiResponses, type MultiRelabelSummary, type MultiSchema } from '../data/relabel_multi.js';
import type { ScaleMethod } from '../data/relabel_scale.js';
import { implicitRewardsFromScorers, type CompletionRow, type ImplicitRewardOptions, type ModelScorer } from '../verify/implicit_reward.js';
import type { CachedScoreStats } from '../verify/logp_cache.js';
import { writeRowsTo } from '../data/write.js';
import { readRelabelInput, type ReadInputOptions } from './relabel_io.js';

export interface RelabelFileOptions extends ImplicitRewardOptions, ReadInputOptions {
  scale_method: ScaleMethod;
  scale_min?: number;
  scale_max?: number;
  step?: number;
  bins?: number;
  reorder?: ReorderMode;
  /** HelpSteer2 input: the attribute the relabeled score replaces (default helpfulness). */
  score_attribute?: string;
}

export interface RelabelFileResult {
  kind: 'pairs' | MultiSchema;
  responses: number;
  summary: RelabelSummary | MultiRelabelSummary;
  stats: { policy: CachedScoreStats; reference: CachedScoreStats };
}

/**
 * Relabels INPUT into OUTPUT. Pairs: every chosen and rejected response. Multi-response rows (UltraFeedback raw,
 * HelpSteer2): every response of every prompt; `radpo prepare ...` or `radpo augment --multi_response` then read
 * the new scores.
 */
export async function relabelFile(input: string, output: string, policy: ModelScorer, reference: ModelScorer, opts: RelabelFileOptions): Promise<RelabelFileResult> {
  const data = await readRelabelInput(input, opts);
  const scale = { scale_method: opts.scale_method, scale_min: opts.scale_min, scale_max: opts.scale_max, step: opts.step, bins: opts.bins };
  if (data.kind === 'pairs') {
    const rows: CompletionRow[] = data.pairs.flatMap((p) => [{ prompt: p.prompt, completion: p.chosen }, { prompt: p.prompt, completion: p.rejected }]);
    const ir = await implicitRewardsFromScorers(policy, reference, rows, opts);
    const { pairs, summary } = relabelPairs(data.pairs, ir.rewards, { ...scale, reorder: opts.reorder });
    await writeRowsTo(output, { [opts.split ?? 'train']: pairs });
    return { kind: 'pairs', responses: rows.length, summary, stats: ir.stats };
  }
  const multi = { score_attribute: opts.score_attribute };
  const responses = data.rows.map((row, i) => multiResponses(data.schema, row, data.where[i]!.file, data.where[i]!.line, multi));
  const rows: CompletionRow[] = responses.flat().map((r) => ({ prompt: r.prompt, completion: r.completion }));
  const ir = await implicitRewardsFromScorers(policy, reference, rows, opts);
  const out = relabelMultiRows(data.schema, data.rows, responses, ir.rewards, { ...scale, ...multi });
  await writeRowsTo(output, { [opts.split ?? 'train']: out.rows });
  return { kind: data.schema, responses: rows.length, summary: out.summary, stats: ir.stats };
}
