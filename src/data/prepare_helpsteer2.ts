// HelpSteer2 (responses to the same prompt, five 0-4 attributes) -> scored preference pairs: best-vs-random or all
// pairs, score = one attribute or a weighted sum. Not augmentation (augment.ts) and not HelpSteer2's own preference file.

import { Rng } from '../util/rng.js';
import { InvalidRowError, stopOnInvalid, type InvalidHandler } from './invalid.js';
import { readRows } from './read.js';
import { detectSchema } from './schema.js';
import { HELPSTEER2_ATTRIBUTES, helpsteer2Response, promptId, steerlmToHelpsteer2, type ScoredResponse } from './responses.js';
import { writeRowsTo } from './write.js';
import type { Row } from './types.js';

export interface PrepareHelpsteer2Options {
  score?: string | Record<string, number>;  // attribute name (default helpfulness) or weights per attribute
  pairs?: 'best_vs_random' | 'all';         // default best_vs_random
  ties?: 'keep' | 'drop';                   // default drop (a tied pair carries no preference)
  seed?: number;
  onInvalid?: InvalidHandler;
}

export interface PromptGroup { prompt: string; responses: ScoredResponse[] }

/** Groups HelpSteer2 (or SteerLM regression) rows by prompt, in first-seen order. Holds the file in memory (HelpSteer2: ~20k rows). */
export async function readPromptGroups(input: string, score: string | Record<string, number>, onInvalid: InvalidHandler = stopOnInvalid, split?: string): Promise<{ groups: PromptGroup[]; rows: number; invalid: number }> {
  const byPrompt = new Map<string, PromptGroup>();
  let rows = 0; let invalid = 0;
  for await (const { row: raw, line, file } of readRows(input, { onInvalid, split })) {
    rows++;
    try {
      const row = detectSchema(raw) === 'steerlm-regression' ? steerlmToHelpsteer2(raw, file, line) : raw;
      if (typeof row.prompt !== 'string') throw new InvalidRowError('missing_field', 'prompt is missing', { file, line, field: 'prompt', value: row.prompt });
      const r = helpsteer2Response(row, file, line, score);
      if (r.response.trim() === '') throw new InvalidRowError('empty_response', 'response is empty', { file, line, field: 'response', value: r.response });
      let g = byPrompt.get(row.prompt);
      if (!g) { g = { prompt: row.prompt, responses: [] }; byPrompt.set(row.prompt, g); }
      g.responses.push(r);
    } catch (e) {
      if (!(e instanceof InvalidRowError)) throw e;
      invalid++;
      onInvalid(e, raw);
    }
  }
  return { groups: [...byPrompt.values()], rows, invalid };
}

export function helpsteer2PairRow(prompt: string, c: ScoredResponse, r: ScoredResponse, pairId: string): Row {
  const chosen = [{ content: prompt, role: 'user' }, { content: c.response, role: 'assistant' }];
  const rejected = [{ content: prompt, role: 'user' }, { content: r.response, role: 'assistant' }];
  const row: Row = { prompt, prompt_id: promptId(prompt), pair_id: pairId, chosen, rejected, score_chosen: c.score, score_rejected: r.score };
  for (const a of HELPSTEER2_ATTRIBUTES) {
    if (c.attributes[a] !== undefined) row[`${a}_chosen`] = c.attributes[a];
    if (r.attributes[a] !== undefined) row[`${a}_rejected`] = r.attributes[a];
  }
  return row;
}

/** Pairs of one prompt group: best (first highest) vs a seeded random other, or every pair (higher score chosen). */
export function helpsteer2Pairs(g: PromptGroup, o: PrepareHelpsteer2Options, rng: Rng): [ScoredResponse, ScoredResponse, string][] {
  const rs = g.responses;
  if (rs.length < 2) return [];
  const id = promptId(g.prompt).slice(0, 16);
  const out: [ScoredResponse, ScoredResponse, string][] = [];
  if ((o.pairs ?? 'best_vs_random') === 'all') {
    for (let i = 0; i < rs.length; i++) for (let j = i + 1; j < rs.length; j++) {
      const a = rs[i] as ScoredResponse; const b = rs[j] as ScoredResponse;
      if (a.score === b.score && (o.ties ?? 'drop') === 'drop') continue;
      out.push(a.score >= b.score ? [a, b, `${id}-${i}-${j}`] : [b, a, `${id}-${j}-${i}`]);
    }
    return out;
  }
  let best = 0;
  for (let i = 1; i < rs.length; i++) if ((rs[i] as ScoredResponse).score > (rs[best] as ScoredResponse).score) best = i;
  let j = rng.int(rs.length - 1);
  if (j >= best) j++;
  const c = rs[best] as ScoredResponse; const r = rs[j] as ScoredResponse;
  if (c.score === r.score && (o.ties ?? 'drop') === 'drop') return [];
  return [[c, r, `${id}-${best}-${j}`]];
}

export interface PrepareHelpsteer2Stats { rows_in: number; prompts: number; pairs: number; ties: number; invalid: number }

export async function prepareHelpsteer2(input: string, output: string, o: PrepareHelpsteer2Options = {}): Promise<PrepareHelpsteer2Stats> {
  const { groups, rows, invalid } = await readPromptGroups(input, o.score ?? 'helpfulness', o.onInvalid);
  const rng = new Rng(o.seed ?? 42);
  const st: PrepareHelpsteer2Stats = { rows_in: rows, prompts: groups.length, pairs: 0, ties: 0, invalid };
  function* pairs(): Generator<Row> {
    for (const g of groups) {
      for (const [c, r, id] of helpsteer2Pairs(g, o, rng)) {
        st.pairs++;
        if (c.score === r.score) st.ties++;
        yield helpsteer2PairRow(g.prompt, c, r, id);
      }
    }
  }
  const score = typeof o.score === 'object' ? `weighted sum ${Object.entries(o.score).map(([k, w]) => `${w}*${k}`).join(' + ')}` : `attribute ${o.score ?? 'helpfulness'}`;
  await writeRowsTo(output, { train: pairs() }, { title: 'HelpSteer2 preference pairs', made: `Made by \`radpo prepare helpsteer2\`: responses to the same prompt paired ${o.pairs ?? 'best_vs_random'} (seed ${o.seed ?? 42}), score = ${score}, ties ${o.ties ?? 'drop'}.`, license: 'cc-by-4.0', source: 'nvidia/HelpSteer2' });
  return st;
}
