// Writes a generated task dataset in the formats of real data: H4-binarized JSONL splits (train_prefs, test_prefs,
// train_sft) and the multi-response form shaped like raw openbmb/UltraFeedback rows. Not the generator.

import * as path from 'node:path';
import { writeJsonl } from '../data/write.js';
import type { MultiResponseRow, ScoredResponse, TaskDataset } from './generate.js';

const ASPECTS = ['helpfulness', 'honesty', 'instruction_following', 'truthfulness'] as const;

function rating(x: number): string {
  return String(Math.max(1, Math.min(5, Math.round(x))));
}

/**
 * One completion in UltraFeedback's raw shape. The task's attributes (1-5) fill the four fine-grained aspects:
 * the first attribute -> helpfulness, the second (or the first) -> instruction_following, their mean -> honesty and
 * truthfulness. `overall_score` is the judge score; `exact_score` and `attributes` keep the exact values.
 */
export function ultrafeedbackCompletion(c: ScoredResponse): Record<string, unknown> {
  const vals = Object.values(c.attributes);
  const a = vals[0] ?? c.exact / 2, b = vals[1] ?? a, m = (a + b) / 2;
  const byAspect: Record<(typeof ASPECTS)[number], number> = { helpfulness: a, honesty: m, instruction_following: b, truthfulness: m };
  const annotations = Object.fromEntries(ASPECTS.map((k) => [k, { Rating: rating(byAspect[k]), Rationale: `exact ${k === 'helpfulness' ? Object.keys(c.attributes)[0] ?? 'score' : k === 'instruction_following' ? Object.keys(c.attributes)[1] ?? 'score' : 'mean'} attribute` }]));
  return {
    model: c.model, principle: 'helpfulness', custom_system_prompt: '', response: c.response, annotations,
    critique: '', overall_score: c.score, 'fine-grained_score': ASPECTS.reduce((s, k) => s + Number(rating(byAspect[k])), 0) / 4,
    exact_score: c.exact, attributes: c.attributes,
  };
}

export function ultrafeedbackRow(task: string, r: MultiResponseRow): Record<string, unknown> {
  return { source: `radpo-${task}`, instruction: r.prompt, prompt_id: r.prompt_id, models: r.completions.map((c) => c.model), completions: r.completions.map(ultrafeedbackCompletion) };
}

export interface WrittenFiles { [name: string]: { file: string; rows: number } }

/** Writes DIR/{train_prefs,test_prefs,train_sft,multi_response_train,multi_response_test}.jsonl. */
export async function writeTaskDataset(dir: string, d: TaskDataset): Promise<WrittenFiles> {
  const out: WrittenFiles = {};
  const put = async (name: string, rows: unknown[]): Promise<void> => {
    const file = path.join(dir, `${name}.jsonl`);
    out[name] = { file, rows: await writeJsonl(file, rows as Record<string, unknown>[]) };
  };
  await put('train_prefs', d.train_prefs);
  await put('test_prefs', d.test_prefs);
  await put('train_sft', d.train_sft);
  await put('multi_response_train', d.multi.train.map((r) => ultrafeedbackRow(d.task, r)));
  await put('multi_response_test', d.multi.test.map((r) => ultrafeedbackRow(d.task, r)));
  return out;
}
