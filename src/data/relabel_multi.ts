// Relabeling of multi-response data before binarization: every completion of an UltraFeedback raw row, or every
// HelpSteer2 row (one response each), gets a new score. Not the pair relabeling (relabel.ts) nor scoring (verify/).

import type { Message, Row } from './types.js';
import { mapToScale, type ScaleMethod, type ScaleOptions } from './relabel_scale.js';
import { spearmanPresent } from './relabel.js';
import { InvalidRowError } from './invalid.js';

/** Multi-response schemas relabel handles: completions inside a row, or one response per row grouped by prompt. */
export type MultiSchema = 'ultrafeedback-raw' | 'helpsteer2';

/** One response as scored: prompt as one user turn, response as one assistant turn (the binarized layout). */
export interface MultiResponse {
  prompt: Message[];
  completion: Message[];
  /** The judge's score (overall_score, or the HelpSteer2 score attribute), when numeric. */
  original?: number;
}

/** Where each schema keeps its prompt, responses and the score that relabeling replaces. */
export interface MultiOptions {
  /** HelpSteer2: the attribute that holds the score (default helpfulness, as radpo augment --multi_response). */
  score_attribute?: string;
}

/** The responses of one row, in order: UltraFeedback completions[j].response, or HelpSteer2's single response. */
export function multiResponses(schema: MultiSchema, row: Row, file: string, line: number, opts: MultiOptions = {}): MultiResponse[] {
  const promptField = schema === 'ultrafeedback-raw' ? 'instruction' : 'prompt';
  const prompt = row[promptField];
  if (typeof prompt !== 'string') throw new InvalidRowError('missing_field', `${promptField} must be a string`, { file, line, field: promptField, value: prompt });
  const turn: Message[] = [{ role: 'user', content: prompt }];
  const one = (response: unknown, field: string, orig: number | undefined): MultiResponse => {
    if (typeof response !== 'string') throw new InvalidRowError('missing_field', 'response must be a string', { file, line, field, value: response });
    const r: MultiResponse = { prompt: turn, completion: [{ role: 'assistant', content: response }] };
    if (orig !== undefined) r.original = orig;
    return r;
  };
  if (schema === 'helpsteer2') {
    const attr = opts.score_attribute ?? 'helpfulness';
    return [one(row.response, 'response', numberOf(row[`original_${attr}`], row[attr]))];
  }
  if (!Array.isArray(row.completions)) throw new InvalidRowError('missing_field', 'completions must be a list', { file, line, field: 'completions', value: row.completions });
  return row.completions.map((c: unknown, j: number) => {
    const comp = (c !== null && typeof c === 'object' ? c : {}) as Row;
    return one(comp.response, `completions.${j}.response`, numberOf(comp.original_overall_score, comp.overall_score));
  });
}

/** The first numeric value (numbers or numeric strings): an earlier relabel's original wins over the score. */
function numberOf(...vs: unknown[]): number | undefined {
  for (const v of vs) {
    const x = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
    if (Number.isFinite(x)) return x;
  }
  return undefined;
}

export interface MultiRelabelSummary {
  rows: number;
  responses: number;
  scale_method: ScaleMethod;
  fit: Record<string, number | number[]>;
  spearman_original: number | null;
}

/**
 * Relabels multi-response rows from one implicit reward per response (row-major, as multiResponses lists them);
 * all responses of all rows are mapped together. UltraFeedback: each completion gets `overall_score` (mapped),
 * `implicit_reward` and `original_overall_score`. HelpSteer2: the row's score attribute becomes the mapped value,
 * with `implicit_reward` and `original_<attribute>`. Rows stay multi-response: binarize or augment them afterwards
 * (radpo prepare ..., radpo augment --multi_response).
 */
export function relabelMultiRows(schema: MultiSchema, rows: readonly Row[], responses: readonly MultiResponse[][], rewards: readonly number[], opts: ScaleOptions & MultiOptions & { scale_method: ScaleMethod }): { rows: Row[]; summary: MultiRelabelSummary } {
  const originals = responses.flat().map((r) => r.original);
  if (rewards.length !== originals.length) throw new Error(`relabelMultiRows: ${rewards.length} rewards for ${originals.length} responses`);
  const { mapped, fit } = mapToScale(rewards, opts.scale_method, { ...opts, original: originals });
  const scored = (base: Row, key: string, k: number): Row => {
    const next: Row = { ...base, [key]: mapped[k] as number, implicit_reward: rewards[k] as number };
    if (originals[k] !== undefined) next[`original_${key}`] = originals[k];
    return next;
  };
  let k = 0;
  const out = rows.map((row) => schema === 'helpsteer2'
    ? scored(row, opts.score_attribute ?? 'helpfulness', k++)
    : { ...row, completions: (row.completions as Row[]).map((c) => scored(c, 'overall_score', k++)) });
  return { rows: out, summary: { rows: rows.length, responses: rewards.length, scale_method: opts.scale_method, fit, spearman_original: spearmanPresent(rewards, originals) } };
}
