// UltraFeedback raw -> binarized scored pairs, as the reference preprocess does (method.md §2.2): TruthfulQA
// exclusion, N/A ratings, best-vs-random (seeded), fine-grained scores and mean, prompt_id, train/test split. Not augmentation.

import * as fs from 'node:fs';
import { RadpoError } from '../util/errors.js';
import { Rng } from '../util/rng.js';
import { Progress } from '../util/progress.js';
import { tempPathFor } from '../util/atomic.js';
import { InvalidRowError, stopOnInvalid, type InvalidHandler } from './invalid.js';
import { readRows } from './read.js';
import { promptId, ultrafeedbackResponses, type ScoredResponse } from './responses.js';
import { writeJsonl, writeRowsTo } from './write.js';
import { ULTRAFEEDBACK_ASPECTS } from './augment_row.js';
import type { Row } from './types.js';

export interface PrepareUltrafeedbackOptions {
  seed?: number;                 // default 42
  test_size?: number;            // default 2000 (as the reference); must leave at least one train pair
  truthfulqa_prompts?: string;   // file of TruthfulQA questions to exclude: one per line, or JSONL/JSON with `question`
  onInvalid?: InvalidHandler;
  progress?: boolean;
}

export interface PrepareUltrafeedbackStats {
  rows_in: number; dropped_truthfulqa_source: number; dropped_truthfulqa_prompt: number;
  dropped_too_few_rated: number; pairs: number; ties: number; train: number; test: number; invalid: number;
}

/** Reads a TruthfulQA prompt list: plain lines, JSONL/JSON objects with `question`, or a JSON array of strings. */
export function readPromptList(file: string): Set<string> {
  let text: string;
  try { text = fs.readFileSync(file, 'utf8'); } catch (e) { throw new RadpoError('io', `cannot read prompt list: ${(e as Error).message}`, { file }); }
  const out = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v === 'string') out.add(v);
    else if (v && typeof v === 'object' && typeof (v as Row).question === 'string') out.add((v as Row).question as string);
  };
  const t = text.trimStart();
  if (t.startsWith('[')) { for (const v of JSON.parse(t) as unknown[]) add(v); return out; }
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.trimStart().startsWith('{')) { try { add(JSON.parse(line)); continue; } catch { /* a plain line */ } }
    out.add(line.replace(/\r$/, ''));
  }
  return out;
}

/** Chooses (chosen, rejected) among completions with all four ratings: the first highest overall score, and a seeded uniform other. */
export function bestVsRandom(comps: ScoredResponse[], rng: Rng): [ScoredResponse, ScoredResponse] | null {
  const rated = comps.filter((c) => c.complete);
  if (rated.length < 2) return null;
  let best = 0;
  for (let i = 1; i < rated.length; i++) if ((rated[i] as ScoredResponse).score > (rated[best] as ScoredResponse).score) best = i;
  let j = rng.int(rated.length - 1);
  if (j >= best) j++;
  return [rated[best] as ScoredResponse, rated[j] as ScoredResponse];
}

export function binarizedRow(prompt: string, c: ScoredResponse, r: ScoredResponse): Row {
  const chosen = [{ content: prompt, role: 'user' }, { content: c.response, role: 'assistant' }];
  const rejected = [{ content: prompt, role: 'user' }, { content: r.response, role: 'assistant' }];
  const fc = ULTRAFEEDBACK_ASPECTS.map((a) => c.attributes[a] as number);
  const fr = ULTRAFEEDBACK_ASPECTS.map((a) => r.attributes[a] as number);
  return {
    prompt, prompt_id: promptId(prompt), chosen, rejected, messages: chosen,
    score_chosen: c.score, score_rejected: r.score,
    overall_score_chosen: c.score, overall_score_rejected: r.score,
    fine_grain_score_chosen: fc, fine_grain_score_rejected: fr,
    avg_fine_score_chosen: fc.reduce((s, x) => s + x, 0) / 4, avg_fine_score_rejected: fr.reduce((s, x) => s + x, 0) / 4,
    model_chosen: c.model ?? null, model_rejected: r.model ?? null,
  };
}

/**
 * Streams raw rows once into binarized pairs (spilled to a temp JSONL), then writes train_prefs / test_prefs with a
 * seeded choice of `test_size` test pairs (input order kept within each split). OUTPUT: dataset folder, or a
 * .jsonl/.parquet file for the train split with the test split beside it (<name>.test.<ext>).
 */
export async function prepareUltrafeedback(input: string, output: string, o: PrepareUltrafeedbackOptions = {}): Promise<PrepareUltrafeedbackStats & { test_output?: string }> {
  const onInvalid = o.onInvalid ?? stopOnInvalid;
  const tqa = o.truthfulqa_prompts ? readPromptList(o.truthfulqa_prompts) : new Set<string>();
  const rng = new Rng(o.seed ?? 42);
  const st: PrepareUltrafeedbackStats = { rows_in: 0, dropped_truthfulqa_source: 0, dropped_truthfulqa_prompt: 0, dropped_too_few_rated: 0, pairs: 0, ties: 0, train: 0, test: 0, invalid: 0 };
  const tmp = tempPathFor(`${output}.pairs.jsonl`);
  const progress = new Progress({ label: 'prepare ultrafeedback', unit: 'rows', enabled: o.progress });
  try {
    async function* pairs(): AsyncGenerator<Row> {
      for await (const { row, line, file } of readRows(input, { onInvalid })) {
        st.rows_in++;
        if ((st.rows_in & 255) === 0) progress.update(st.rows_in);
        try {
          if (typeof row.instruction !== 'string') throw new InvalidRowError('missing_field', 'instruction is missing', { file, line, field: 'instruction', value: row.instruction });
          if (row.source === 'truthful_qa') { st.dropped_truthfulqa_source++; continue; }
          if (tqa.has(row.instruction)) { st.dropped_truthfulqa_prompt++; continue; }
          const pick = bestVsRandom(ultrafeedbackResponses(row, file, line), rng);
          if (!pick) { st.dropped_too_few_rated++; continue; }
          st.pairs++;
          if (pick[0].score === pick[1].score) st.ties++;
          yield binarizedRow(row.instruction, pick[0], pick[1]);
        } catch (e) {
          if (!(e instanceof InvalidRowError)) throw e;
          st.invalid++;
          onInvalid(e, row);
        }
      }
    }
    await writeJsonl(tmp, pairs());
    progress.done();
    const testSize = o.test_size ?? 2000;
    if (testSize >= st.pairs && st.pairs > 0) {
      throw new RadpoError('config', `test_size must leave at least one train pair (${st.pairs} pairs)`, { field: 'test_size', value: testSize });
    }
    const isTest = new Uint8Array(st.pairs);
    const perm = new Rng((o.seed ?? 42) ^ 0x5eed).shuffle(Array.from({ length: st.pairs }, (_, i) => i));
    for (let i = 0; i < testSize && i < perm.length; i++) isTest[perm[i] as number] = 1;
    async function* split(test: boolean): AsyncGenerator<Row> {
      let i = 0;
      for await (const { row } of readRows(tmp)) { if (Boolean(isTest[i++]) === test) yield row; }
    }
    st.test = Math.min(testSize, st.pairs); st.train = st.pairs - st.test;
    const made = `Made by \`radpo prepare ultrafeedback\` from raw openbmb/UltraFeedback rows: TruthfulQA source${o.truthfulqa_prompts ? ' and listed TruthfulQA prompts' : ''} dropped; completions with an N/A rating skipped; chosen = highest overall_score, rejected = a seeded uniform other (seed ${o.seed ?? 42}); ${st.test} test pairs chosen with the same seed.`;
    if (/\.(jsonl|json|parquet)$/i.test(output)) {
      const testOut = output.replace(/(\.[a-z]+)$/i, '.test$1');
      await writeRowsTo(output, { train_prefs: split(false) });
      await writeRowsTo(testOut, { test_prefs: split(true) });
      return { ...st, test_output: testOut };
    }
    await writeRowsTo(output, { train_prefs: split(false), test_prefs: split(true) }, { title: 'UltraFeedback, binarized (best vs random)', made, license: 'mit', source: 'openbmb/UltraFeedback' });
    return st;
  } finally { fs.rmSync(tmp, { force: true }); }
}
