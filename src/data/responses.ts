// Multi-response rows -> (prompt, scored responses): UltraFeedback raw completions (string or list ratings, N/A),
// HelpSteer2 rows grouped by prompt, NeMo SteerLM regression rows. Not pair selection (prepare_*.ts, multi.ts).

import { createHash } from 'node:crypto';
import { InvalidRowError } from './invalid.js';
import { readScore } from './schema.js';
import { ULTRAFEEDBACK_ASPECTS } from './augment_row.js';
import type { Row } from './types.js';

export const HELPSTEER2_ATTRIBUTES = ['helpfulness', 'correctness', 'coherence', 'complexity', 'verbosity'] as const;

export interface ScoredResponse {
  response: string;
  score: number;                       // overall (UltraFeedback) or the chosen attribute / weighted sum (HelpSteer2)
  attributes: Record<string, number>;  // fine-grained ratings
  model?: string;
  complete: boolean;                   // false when a fine-grained rating is N/A (UltraFeedback)
}

export function promptId(prompt: string): string {
  return createHash('sha256').update(prompt, 'utf8').digest('hex');
}

/** A rating as released: "4", 4, "N/A", or (older releases) a list holding one {Rating} object. */
export function ufRating(annotation: unknown, field: string, file: string, line: number): number | null {
  let a = annotation;
  if (Array.isArray(a)) a = a[0];
  const r = a !== null && typeof a === 'object' ? (a as Row).Rating : a;
  if (r === 'N/A' || r === 'n/a' || r === 'NA') return null;
  const v = readScore(r, `${field}.Rating`, file, line);
  return v;
}

/** The completions of an UltraFeedback raw row with their overall score and the four aspect ratings. */
export function ultrafeedbackResponses(row: Row, file: string, line: number): ScoredResponse[] {
  const comps = row.completions;
  if (!Array.isArray(comps)) throw new InvalidRowError('missing_field', 'completions must be a list', { file, line, field: 'completions', value: comps });
  return comps.map((c: Row, i: number) => {
    const f = `completions.${i}`;
    if (c === null || typeof c !== 'object') throw new InvalidRowError('bad_value', 'completion is not an object', { file, line, field: f, value: c });
    if (typeof c.response !== 'string') throw new InvalidRowError('missing_field', 'response is missing', { file, line, field: `${f}.response`, value: c.response });
    const ann = (c.annotations ?? {}) as Row;
    const attributes: Record<string, number> = {};
    let complete = true;
    for (const a of ULTRAFEEDBACK_ASPECTS) {
      if (ann[a] === undefined) throw new InvalidRowError('missing_field', 'annotation is missing', { file, line, field: `${f}.annotations.${a}`, value: undefined });
      const v = ufRating(ann[a], `${f}.annotations.${a}`, file, line);
      if (v === null) complete = false; else attributes[a] = v;
    }
    const score = readScore(c.overall_score, `${f}.overall_score`, file, line);
    return { response: c.response, score, attributes, model: typeof c.model === 'string' ? c.model : undefined, complete };
  });
}

/** One HelpSteer2 row's response; score = one attribute or a weighted sum of attributes. */
export function helpsteer2Response(row: Row, file: string, line: number, score: string | Record<string, number>): ScoredResponse {
  if (typeof row.response !== 'string') throw new InvalidRowError('missing_field', 'response is missing', { file, line, field: 'response', value: row.response });
  const attributes: Record<string, number> = {};
  for (const a of HELPSTEER2_ATTRIBUTES) if (row[a] !== undefined) attributes[a] = readScore(row[a], a, file, line);
  let s: number;
  if (typeof score === 'string') {
    if (attributes[score] === undefined) throw new InvalidRowError('missing_field', 'score attribute is missing', { file, line, field: score, value: row[score] });
    s = attributes[score] as number;
  } else {
    s = 0;
    for (const [a, w] of Object.entries(score)) {
      if (attributes[a] === undefined) throw new InvalidRowError('missing_field', 'weighted attribute is missing', { file, line, field: a, value: row[a] });
      s += w * (attributes[a] as number);
    }
    s = Math.round(s * 1e6) / 1e6;
  }
  return { response: row.response, score: s, attributes, complete: true };
}

/** NeMo-Aligner SteerLM regression row {text, label[9]} -> a HelpSteer2 row (labels 4..8 = the five attributes). */
export function steerlmToHelpsteer2(row: Row, file: string, line: number): Row {
  const text = row.text as string;
  const labels = row.label as unknown[];
  const u = text.indexOf('<extra_id_1>User\n');
  const a = text.lastIndexOf('<extra_id_1>Assistant\n');
  if (u < 0 || a < 0 || a < u || !Array.isArray(labels) || labels.length < 9) {
    throw new InvalidRowError('bad_value', 'expected <extra_id_1>User / <extra_id_1>Assistant turns and 9 labels', { file, line, field: 'text', value: text });
  }
  const prompt = text.slice(u + '<extra_id_1>User\n'.length, a).replace(/\n$/, '');
  let response = text.slice(a + '<extra_id_1>Assistant\n'.length);
  const end = response.lastIndexOf('<extra_id_2>');
  if (end >= 0) response = response.slice(0, end);
  response = response.replace(/\n$/, '');
  const out: Row = { prompt, response };
  HELPSTEER2_ATTRIBUTES.forEach((k, i) => { out[k] = labels[4 + i]; });
  return out;
}
