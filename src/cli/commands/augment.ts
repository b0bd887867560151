// `radpo augment INPUT -o OUTPUT`: reward-augmented (goal-conditioned) relabeling of scored preference pairs,
// method.md §2. Thin shell over runAugment / augmentMultiResponse (src/data/augment.ts, src/data/multi.ts).

import * as fs from 'node:fs';
import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import { RadpoError } from '../../util/errors.js';
import type { OptionTable } from '../../util/options.js';
import { runAugment, type RunAugmentOptions } from '../../data/augment.js';
import { augmentMultiResponseFile } from '../../data/multi.js';
import { parseScale } from '../../data/goal.js';
import { parseFieldMap } from '../../data/fields.js';
import { hintSkipInvalid, RejectLog } from '../../data/invalid.js';
import { SCHEMAS, type SchemaName } from '../../data/schema.js';

export const AUGMENT_OPTIONS = {
  output: { type: 'string', alias: 'o', required: true, help: 'output: .jsonl, .json, .parquet, or a dataset folder (with the eval split as test_prefs)', group: 'Output' },
  placement: { type: 'string', default: 'system', choices: ['system', 'prompt'] as const, help: 'system: a system goal message first (merged into an existing one); prompt: goal + blank line before the first user turn', group: 'Goal' },
  goal_template: { type: 'string', help: 'custom goal text; placeholders {score}, {scores} (one line per attribute), {<attribute>}, {min}, {max}', group: 'Goal' },
  goal_template_file: { type: 'string', help: 'read the goal template from this file', group: 'Goal' },
  attributes: { type: 'string[]', help: 'multi-attribute goals, one line each, e.g. helpfulness,honesty,instruction_following,truthfulness (fields <attr>_chosen / <attr>_rejected or the reference fine_grain_score lists)', group: 'Goal' },
  score_scale: { type: 'string', default: '1-10', help: 'scale of the scores in the data', group: 'Goal' },
  goal_scale: { type: 'string', help: 'print goals rescaled to this scale, e.g. 1-5 or 0-100 (scale-robustness study)', group: 'Goal' },
  goal_decimals: { type: 'int', default: 2, min: 0, max: 10, help: 'decimals kept by goal rescaling', group: 'Goal' },
  fine_grained_filter: { type: 'boolean', default: true, help: 'keep a pair only when the mean fine-grained rating of chosen >= rejected (reference filter; applies when those fields exist)', group: 'Pairs' },
  ties: { type: 'string', default: 'keep', choices: ['keep', 'drop'] as const, help: 'pairs with equal scores: keep (reference; both copies get the same goal) or drop', group: 'Pairs' },
  order: { type: 'string', default: 'reference', choices: ['reference', 'shuffle'] as const, help: 'reference: all positive copies in input order, then all negative copies; shuffle: seeded shuffle', group: 'Pairs' },
  seed: { type: 'int', default: 42, help: 'seed of --order shuffle and of --multi_response choices', group: 'Pairs' },
  goal_column: { type: 'boolean', default: true, help: 'add a `goal` column with each row\'s goal', group: 'Output' },
  swap_scores: { type: 'boolean', default: true, help: 'in negative copies also swap the *_chosen / *_rejected score columns (the reference leaves them)', group: 'Output' },
  schema: { type: 'string', choices: SCHEMAS, help: 'input schema (default: detected from the first row)', group: 'Input' },
  field_map: { type: 'string[]', help: 'NAME=dotted.path, e.g. score_chosen=metadata.score_chosen,score_rejected=metadata.score_rejected', group: 'Input' },
  split: { type: 'string', help: 'dataset-folder input: split to augment (default train_prefs / train / the only one)', group: 'Input' },
  eval: { type: 'string', help: 'evaluation file to write beside the output (never augmented unless --eval_goal)', group: 'Evaluation split' },
  eval_split: { type: 'string', help: 'dataset-folder input: evaluation split (default test_prefs / test when present)', group: 'Evaluation split' },
  eval_output: { type: 'string', help: 'where the eval split goes when OUTPUT is a file (default OUTPUT with .eval before the extension)', group: 'Evaluation split' },
  eval_goal: { type: 'number', help: 'condition every eval row on this goal (e.g. 10) instead of leaving it un-augmented', group: 'Evaluation split' },
  multi_response: { type: 'boolean', default: false, help: 'multi-response input (UltraFeedback raw, HelpSteer2): one pair per distinct score as goal, preferring the response closest to it', group: 'Multi-response' },
  max_pairs_per_prompt: { type: 'int', default: 4, min: 1, help: 'multi-response: cap on goal-conditioned pairs per prompt (seeded choice of goals)', group: 'Multi-response' },
  score_attribute: { type: 'string', default: 'helpfulness', help: 'multi-response HelpSteer2: attribute used as the score', group: 'Multi-response' },
  skip_invalid: { type: 'boolean', default: false, help: 'skip bad rows (counted by reason, written to the rejects file) instead of stopping', group: 'Bad input' },
  rejects: { type: 'string', help: 'rejects file for --skip_invalid (default OUTPUT.rejects.jsonl)', group: 'Bad input' },
  allow_duplicate_ids: { type: 'boolean', default: false, help: 'accept repeated id / pair_id values and repeated (prompt_id, chosen, rejected) pairs', group: 'Bad input' },
} as const satisfies OptionTable;

export const augmentCommand: Command = {
  name: 'augment',
  summary: 'reward-augment scored preference pairs (goal-conditioned relabeling)',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo augment INPUT -o OUTPUT [options]',
      description: [
        'Each scored pair (x, y_w, r_w, y_l, r_l) becomes two pairs: goal r_w with (y_w > y_l) and goal r_l with',
        '(y_l > y_w), the goal written into the prompt as the reference text (method.md §2.1). INPUT: JSONL (plain or',
        'gzip), JSON array, Parquet or a dataset folder, in any detected schema. Example:',
        '  radpo augment examples/ultrafeedback_sample.jsonl -o runs/augmented.jsonl',
        'A prompt that already has a system message gets the goal merged into it (goal, blank line, old text).',
        'Placement prompt puts goal + blank line before the first user turn and swaps the negative copy (the reference',
        'code\'s prompt variant forgets the swap; radpo follows the method). Negative copies also swap *_chosen/*_rejected',
        'columns (--no-swap_scores keeps them as the reference does). Pairs with fine-grained fields are filtered as the',
        'reference does unless --no-fine_grained_filter.',
      ].join('\n'),
      options: AUGMENT_OPTIONS,
      positionals: { min: 1, max: 1 },
      recipe: true,
    }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    const input = parsed.positionals[0] as string;
    let template = o.goal_template;
    if (o.goal_template_file) {
      try { template = fs.readFileSync(o.goal_template_file, 'utf8').replace(/\n$/, ''); } catch (e) {
        throw new RadpoError('io', `cannot read goal template: ${(e as Error).message}`, { file: o.goal_template_file });
      }
    }
    const log = o.skip_invalid ? new RejectLog(o.rejects ?? `${o.output.replace(/\/+$/, '')}.rejects.jsonl`) : null;
    const opts: RunAugmentOptions = {
      placement: o.placement, goal_template: template, attributes: o.attributes,
      score_scale: parseScale(o.score_scale, 'score_scale'), goal_scale: o.goal_scale ? parseScale(o.goal_scale, 'goal_scale') : undefined,
      goal_decimals: o.goal_decimals, goal_column: o.goal_column, swap_scores: o.swap_scores,
      fine_grained_filter: o.fine_grained_filter, ties: o.ties, order: o.order, seed: o.seed,
      schema: o.schema as SchemaName | undefined, field_map: parseFieldMap(o.field_map), split: o.split,
      allow_duplicate_ids: o.allow_duplicate_ids, eval: o.eval, eval_split: o.eval_split, eval_output: o.eval_output,
      eval_goal: o.eval_goal, onInvalid: log?.handler,
    };
    try {
      if (o.multi_response) {
        const st = await augmentMultiResponseFile(input, o.output, { ...opts, max_pairs_per_prompt: o.max_pairs_per_prompt, score_attribute: o.score_attribute });
        log?.commit();
        process.stdout.write(`radpo augment: ${st.prompts} prompts (${st.schema}) -> ${st.rows_out} goal-conditioned pairs in ${o.output}\n`);
      } else {
        const r = await runAugment(input, o.output, opts);
        log?.commit();
        const s = r.stats;
        process.stdout.write(`radpo augment: ${s.rows_in} rows (${s.schema}) -> ${s.pairs_kept} pairs kept -> ${s.rows_out} rows in ${o.output}\n`);
        process.stdout.write(`  dropped: fine-grained filter ${s.dropped_fine_grained}, ties ${s.dropped_ties}; ties kept ${s.ties_kept}\n`);
        if (r.eval_output) process.stdout.write(`  eval split: ${r.eval_rows} rows -> ${r.eval_output} (${o.eval_goal === undefined ? 'not augmented' : `goal ${o.eval_goal}`})\n`);
      }
      if (log) process.stdout.write(`  ${log.summary()}${log.total ? ` (rejects: ${o.rejects ?? `${o.output.replace(/\/+$/, '')}.rejects.jsonl`})` : ''}\n`);
      return 0;
    } catch (e) {
      log?.abort();
      hintSkipInvalid(e, log !== null);
      throw e;
    }
  },
};
