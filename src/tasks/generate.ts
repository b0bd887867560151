// UltraFeedback-like data from a synthetic task: several responses per prompt from behaviour policies, scored by a
// judge (exact reward + optional noise and rounding), binarized best-vs-random into H4 rows. Not a writer (io.ts).

import { promptId } from '../data/responses.js';
import { Rng } from '../util/rng.js';
import { clamp, type Task } from './task.js';

export interface JudgeOptions {
  /** Standard deviation of Gaussian noise added to the exact reward before rounding (0 = exact judge). */
  noise?: number;
  /** Round judge scores to multiples of this (1 = integer scores like UltraFeedback; 0 = no rounding). */
  round?: number;
}

export interface GenerateOptions {
  numPrompts: number;
  /** Responses per prompt (UltraFeedback: 4), each from a behaviour drawn uniformly at random. */
  responsesPerPrompt?: number;
  judge?: JudgeOptions;
  /** Share of prompts held out as test_prefs. */
  testFraction?: number;
  /** Prompts for SFT (train_sft), disjoint draws from the same prompt distribution; default numPrompts. */
  numSftPrompts?: number;
  seed: number;
}

export interface ScoredResponse {
  model: string;
  response: string;
  /** Judge score on the 1-10 scale (what the data carries). */
  score: number;
  /** Exact reward (what evaluation uses). */
  exact: number;
  attributes: Record<string, number>;
}

export interface MultiResponseRow { prompt: string; prompt_id: string; completions: ScoredResponse[] }

export interface Message { role: 'user' | 'assistant' | 'system'; content: string }

/** One row of HuggingFaceH4/ultrafeedback_binarized. */
export interface H4Row {
  prompt: string;
  prompt_id: string;
  chosen: Message[];
  rejected: Message[];
  messages: Message[];
  score_chosen: number;
  score_rejected: number;
}

/** One SFT demonstration; `score` is the judge's score of the response (same judge as the preference data). */
export interface SftRow { prompt: string; prompt_id: string; messages: Message[]; score: number }

export interface TaskDataset {
  task: string;
  multi: { train: MultiResponseRow[]; test: MultiResponseRow[] };
  train_prefs: H4Row[];
  test_prefs: H4Row[];
  train_sft: SftRow[];
}

/** prompt_id as the UltraFeedback preparation writes it (sha256 of the prompt): one definition, in src/data. */
export { promptId };

export function judgeScore(exact: number, judge: JudgeOptions, rng: Rng): number {
  let s = exact + (judge.noise ? judge.noise * rng.normal() : 0);
  const step = judge.round ?? 1;
  if (step > 0) s = Math.round(s / step) * step;
  return clamp(s, 1, 10);
}

export function conversation(prompt: string, response: string): Message[] {
  return [{ role: 'user', content: prompt }, { role: 'assistant', content: response }];
}

/**
 * Best-vs-random binarization (H4 recipe): chosen = highest judge score (first on ties), rejected = uniformly random
 * among the other responses whose text differs from the chosen one. null when every response has the same text.
 */
export function binarize(row: MultiResponseRow, rng: Rng): H4Row | null {
  const c = row.completions;
  if (c.length < 2) throw new Error(`binarize: prompt ${row.prompt} has ${c.length} completions`);
  let best = 0;
  for (let i = 1; i < c.length; i++) if (c[i]!.score > c[best]!.score) best = i;
  const others = c.map((_, i) => i).filter((i) => i !== best && c[i]!.response !== c[best]!.response);
  if (others.length === 0) return null;
  const other = others[rng.int(others.length)]!;
  const chosen = conversation(row.prompt, c[best]!.response);
  return {
    prompt: row.prompt,
    prompt_id: row.prompt_id,
    chosen,
    rejected: conversation(row.prompt, c[other]!.response),
    messages: chosen,
    score_chosen: c[best]!.score,
    score_rejected: c[other]!.score,
  };
}

/** Draws `n` distinct prompts (or as many as the task has, if fewer), excluding `exclude`. */
function drawPrompts(task: Task, n: number, rng: Rng, exclude: Set<string>): string[] {
  const out: string[] = [];
  const seen = new Set(exclude);
  for (let tries = 0; out.length < n && tries < n * 50; tries++) {
    const p = task.samplePrompt(rng);
    if (!seen.has(p)) { seen.add(p); out.push(p); }
  }
  return out;
}

export function scoreResponses(task: Task, prompt: string, k: number, judge: JudgeOptions, rng: Rng): ScoredResponse[] {
  const out: ScoredResponse[] = [];
  for (let j = 0; j < k; j++) {
    const b = task.behaviours[rng.int(task.behaviours.length)]!;
    const response = b.sample(prompt, rng);
    const exact = task.reward(prompt, response);
    out.push({ model: b.name, response, score: judgeScore(exact, judge, rng), exact, attributes: task.attributes(prompt, response) });
  }
  return out;
}

export function generateTaskData(task: Task, opts: GenerateOptions): TaskDataset {
  const rng = new Rng(opts.seed);
  const k = opts.responsesPerPrompt ?? 4;
  const judge = opts.judge ?? {};
  const prompts = drawPrompts(task, opts.numPrompts, rng.fork(1), new Set());
  const sftPrompts = drawPrompts(task, opts.numSftPrompts ?? opts.numPrompts, rng.fork(2), new Set(prompts));
  const nTest = Math.round(prompts.length * (opts.testFraction ?? 0.1));
  const gen = rng.fork(3);
  const rows = prompts.map((p): MultiResponseRow => ({ prompt: p, prompt_id: promptId(p), completions: scoreResponses(task, p, k, judge, gen) }));
  const bin = rng.fork(4);
  const pairs = rows.map((r) => binarize(r, bin));
  const keep = (xs: (H4Row | null)[]): H4Row[] => xs.filter((x): x is H4Row => x !== null);
  const sftRng = rng.fork(5), sftJudge = rng.fork(6);
  const train_sft = sftPrompts.map((p): SftRow => {
    const b = task.behaviours[sftRng.int(task.behaviours.length)]!;
    const response = b.sample(p, sftRng);
    return { prompt: p, prompt_id: promptId(p), messages: conversation(p, response), score: judgeScore(task.reward(p, response), judge, sftJudge) };
  });
  return {
    task: task.name,
    multi: { train: rows.slice(nTest), test: rows.slice(0, nTest) },
    train_prefs: keep(pairs.slice(nTest)),
    test_prefs: keep(pairs.slice(0, nTest)),
    train_sft,
  };
}

/** Summary statistics of a dataset's judge scores: the sparsity of the top score. */
export function scoreStats(rows: MultiResponseRow[], top = 10): { responses: number; meanExact: number; topShare: number; chosenTopShare: number; histogram: Record<string, number> } {
  let n = 0, sum = 0, top1 = 0, chosenTop = 0;
  const histogram: Record<string, number> = {};
  for (const r of rows) {
    let best = -Infinity;
    for (const c of r.completions) {
      n++; sum += c.exact;
      if (c.exact >= top) top1++;
      best = Math.max(best, c.exact);
      const key = String(c.score);
      histogram[key] = (histogram[key] ?? 0) + 1;
    }
    if (best >= top) chosenTop++;
  }
  return { responses: n, meanExact: n ? sum / n : NaN, topShare: n ? top1 / n : NaN, chosenTopShare: rows.length ? chosenTop / rows.length : NaN, histogram };
}

/**
 * How often the judge orders two responses of one prompt as the exact reward does, over pairs whose exact rewards
 * differ (a judge tie counts 1/2): 1 for the exact judge; about 0.8 at noise 2 on `sort`.
 */
export function judgeAgreement(rows: MultiResponseRow[]): number {
  let agree = 0, n = 0;
  for (const r of rows) {
    const c = r.completions;
    for (let i = 0; i < c.length; i++) for (let j = i + 1; j < c.length; j++) {
      if (c[i]!.exact === c[j]!.exact) continue;
      n++;
      const judged = Math.sign(c[i]!.score - c[j]!.score);
      agree += judged === 0 ? 0.5 : judged === Math.sign(c[i]!.exact - c[j]!.exact) ? 1 : 0;
    }
  }
  return n ? agree / n : NaN;
}
