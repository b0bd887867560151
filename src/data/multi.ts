// Beyond the paper: goal-conditioned pairs from multi-response data (UltraFeedback raw, HelpSteer2). For every
// distinct score g among a prompt's responses: chosen = a response scoring g, rejected = the one farthest from g.

import { Rng } from '../util/rng.js';
import { RadpoError } from '../util/errors.js';
import { InvalidRowError, stopOnInvalid } from './invalid.js';
import { readRows } from './read.js';
import { detectSchema, type SchemaName } from './schema.js';
import { Relabeler, applyOverride } from './augment_row.js';
import { promptId, ultrafeedbackResponses, type ScoredResponse } from './responses.js';
import { readPromptGroups, type PromptGroup } from './prepare_helpsteer2.js';
import { binarizedRow } from './prepare_ultrafeedback.js';
import { helpsteer2PairRow } from './prepare_helpsteer2.js';
import { writeRowsTo } from './write.js';
import type { AugmentOptions } from './augment.js';
import type { Row } from './types.js';

export interface MultiResponseOptions extends AugmentOptions {
  max_pairs_per_prompt?: number;   // default 4; goals beyond it are a seeded choice
  score_attribute?: string;        // HelpSteer2 score attribute (default helpfulness)
}

/**
 * Goal-conditioned (chosen, rejected, goal) triples of one prompt: one per distinct score g (a seeded choice of
 * at most `cap` goals); chosen scores exactly g (seeded among equals), rejected is farthest from g (seeded among equals).
 */
export function goalPairs(responses: ScoredResponse[], cap: number, rng: Rng): { chosen: ScoredResponse; rejected: ScoredResponse; goal: number }[] {
  let goals = [...new Set(responses.map((r) => r.score))].sort((a, b) => a - b);
  if (goals.length < 2) return [];
  if (goals.length > cap) goals = rng.shuffle(goals.slice()).slice(0, cap).sort((a, b) => a - b);
  const pick = <T>(xs: T[]): T => xs[xs.length === 1 ? 0 : rng.int(xs.length)] as T;
  return goals.map((g) => {
    const exact = responses.filter((r) => r.score === g);
    const far = Math.max(...responses.map((r) => Math.abs(r.score - g)));
    const farthest = responses.filter((r) => Math.abs(r.score - g) === far);
    return { chosen: pick(exact), rejected: pick(farthest), goal: g };
  });
}

export interface MultiResponseStats { schema: SchemaName; prompts: number; rows_out: number; invalid: number }

export async function augmentMultiResponseFile(input: string, output: string, o: MultiResponseOptions): Promise<MultiResponseStats> {
  const onInvalid = o.onInvalid ?? stopOnInvalid;
  const rng = new Rng(o.seed ?? 42);
  const cap = o.max_pairs_per_prompt ?? 4;
  let schema: SchemaName | null = o.schema ?? null;
  for await (const { row } of readRows(input, { split: o.split, onInvalid: () => undefined })) { schema ??= detectSchema(row); break; }
  if (schema !== 'ultrafeedback-raw' && schema !== 'helpsteer2' && schema !== 'steerlm-regression') {
    throw new RadpoError('input', `--multi_response needs UltraFeedback raw or HelpSteer2 rows, got ${schema ?? 'an unknown schema'}`, { file: input });
  }
  const rl = new Relabeler({ placement: o.placement, goal_template: o.goal_template, score_scale: o.score_scale, goal_scale: o.goal_scale, goal_decimals: o.goal_decimals, goal_column: o.goal_column, schema: 'ultrafeedback-binarized' });
  const st: MultiResponseStats = { schema, prompts: 0, rows_out: 0, invalid: 0 };
  const emit = (base: Row, goal: number, file: string, line: number): Row => {
    st.rows_out++;
    return applyOverride(base, rl.condition(base, rl.shownGoal(goal), file, line));
  };
  async function* rows(): AsyncGenerator<Row> {
    if (schema === 'ultrafeedback-raw') {
      for await (const { row, line, file } of readRows(input, { split: o.split, onInvalid })) {
        let rs: ScoredResponse[];
        try {
          if (typeof row.instruction !== 'string') throw new InvalidRowError('missing_field', 'instruction is missing', { file, line, field: 'instruction', value: row.instruction });
          rs = ultrafeedbackResponses(row, file, line).filter((r) => r.complete);
        } catch (e) {
          if (!(e instanceof InvalidRowError)) throw e;
          st.invalid++; onInvalid(e, row); continue;
        }
        st.prompts++;
        for (const p of goalPairs(rs, cap, rng)) yield emit(binarizedRow(row.instruction as string, p.chosen, p.rejected), p.goal, file, line);
      }
    } else {
      const { groups, invalid } = await readPromptGroups(input, o.score_attribute ?? 'helpfulness', onInvalid, o.split);
      st.invalid += invalid;
      for (const g of groups as PromptGroup[]) {
        st.prompts++;
        let i = 0;
        for (const p of goalPairs(g.responses, cap, rng)) yield emit(helpsteer2PairRow(g.prompt, p.chosen, p.rejected, `${promptId(g.prompt).slice(0, 16)}-g${i++}`), p.goal, input, 0);
      }
    }
  }
  await writeRowsTo(output, { train: rows() }, { title: 'Goal-conditioned pairs from multi-response data', made: `Made by \`radpo augment --multi_response\` (${schema}): for each distinct score g of a prompt's responses (at most ${cap}, seed ${o.seed ?? 42}), chosen = a response scoring g, rejected = the response farthest from g, prompt conditioned on g.` });
  return st;
}
