// Relabeling of multi-response rows (UltraFeedback raw: one instruction, several completions): every completion
// gets a new overall_score, before binarization. Not the pair relabeling (relabel.ts) nor the scoring (verify/).

import type { Message, Row } from './types.js';
import { mapToScale, type ScaleMethod, type ScaleOptions } from './relabel_scale.js';
import { spearmanPresent } from './relabel.js';
import { InvalidRowError } from './invalid.js';

/** One response of a multi-response row, as scored: prompt and completion in conversational form. */
export interface MultiResponse {
  prompt: Message[];
  completion: Message[];
  /** The judge's overall score, when present and numeric. */
  original?: number;
}

/**
 * The responses of an UltraFeedback raw row: prompt = the instruction as one user turn (the form the
 * binarized data uses), completion = `completions[j].response` as one assistant turn.
 */
export function ultrafeedbackResponses(row: Row, file: string, line: number): MultiResponse[] {
  if (typeof row.instruction !== 'string') throw new InvalidRowError('missing_field', 'instruction must be a string', { file, line, field: 'instruction', value: row.instruction });
  if (!Array.isArray(row.completions)) throw new InvalidRowError('missing_field', 'completions must be a list', { file, line, field: 'completions', value: row.completions });
  const prompt: Message[] = [{ role: 'user', content: row.instruction }];
  return row.completions.map((c: unknown, j: number) => {
    const comp = c as Row | null;
    if (comp === null || typeof comp !== 'object' || typeof comp.response !== 'string') {
      throw new InvalidRowError('bad_value', 'completion needs a string response', { file, line, field: `completions.${j}.response`, value: comp?.response });
    }
    const orig = originalOf(comp);
    const r: MultiResponse = { prompt, completion: [{ role: 'assistant', content: comp.response }] };
    if (orig !== undefined) r.original = orig;
    return r;
  });
}

/** An earlier relabel's original_overall_score wins over overall_score (numbers or numeric strings). */
function originalOf(c: Row): number | undefined {
  for (const v of [c.original_overall_score, c.overall_score]) {
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
 * Relabels UltraFeedback raw rows given one implicit reward per completion (row-major over rows and completions).
 * Every completion gets `implicit_reward`, `overall_score` = the mapped value and `original_overall_score` (when it
 * had one); all completions of all rows are mapped together. The rows stay raw: binarize them afterwards.
 */
export function relabelUltrafeedbackRows(rows: readonly Row[], responses: readonly MultiResponse[][], rewards: readonly number[], opts: ScaleOptions & { scale_method: ScaleMethod }): { rows: Row[]; summary: MultiRelabelSummary } {
  const originals = responses.flat().map((r) => r.original);
  if (rewards.length !== originals.length) throw new Error(`relabelUltrafeedbackRows: ${rewards.length} rewards for ${originals.length} completions`);
  const { mapped, fit } = mapToScale(rewards, opts.scale_method, { ...opts, original: originals });
  let k = 0;
  const out = rows.map((row) => {
    const completions = (row.completions as Row[]).map((c) => {
      const next: Row = { ...c, overall_score: mapped[k] as number, implicit_reward: rewards[k] as number };
      const o = originals[k];
      if (o !== undefined) next.original_overall_score = o;
      k++;
      return next;
    });
    return { ...row, completions };
  });
  return { rows: out, summary: { rows: rows.length, responses: rewards.length, scale_method: opts.scale_method, fit, spearman_original: spearmanPresent(rewards, originals) } };
}
