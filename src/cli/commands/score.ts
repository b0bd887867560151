// `radpo score --model DIR INPUT -o OUTPUT`: a goal-conditioned model as a verifier (likelihood of each response
// under every goal, posterior, argmax and expected score). Thin shell over scoreFile (src/pipeline/score.ts).

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import { parseFieldMap } from '../../data/fields.js';
import type { SchemaName } from '../../data/schema.js';
import { RadpoError } from '../../util/errors.js';
import { SCORE_OPTIONS } from '../../pipeline/options.js';
import { scoreFile } from '../../pipeline/score.js';
import { loadScorer, progressFor, writeSummary } from '../../pipeline/model_dirs.js';

export const scoreCommand: Command = {
  name: 'score',
  summary: 'score responses with a goal-conditioned model: likelihood per goal, argmax and expected score',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo score --model DIR INPUT -o OUTPUT [options]',
      description: [
        'For every response y of INPUT and every goal g on the scale (scale_min..scale_max in steps of step), computes',
        'log p(y | x, g) with the goal text inserted exactly as radpo augment does (--placement, --goal_template), the',
        'posterior p(g | x, y) (softmax over goals, uniform prior) and the implied score: argmax goal and expectation.',
        'Pairs get verifier_score_chosen/_rejected, verifier_expected_* and verifier_probs_*; UltraFeedback raw',
        'completions get verifier_score, verifier_expected, verifier_probs. Log-probs are cached as in radpo relabel.',
        'Example: radpo score --model runs/ra-dpo data/test.jsonl -o runs/verifier.jsonl',
      ].join('\n'),
      options: SCORE_OPTIONS,
      positionals: { min: 1, max: 1 },
      recipe: true,
    }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    if (!(o.step > 0)) throw new RadpoError('config', 'score needs a goal spacing step > 0', { field: 'step', value: o.step });
    const input = parsed.positionals[0] as string;
    const started = Date.now();
    const tok = { max_length: o.max_length ?? null, max_prompt_length: o.max_prompt_length ?? null, truncation_mode: o.truncation_mode };
    const model = await loadScorer(o.model, o.batch_size, tok);
    const cacheDir = o.no_cache ? undefined : o.cache_dir ?? `${o.output.replace(/\/+$/, '')}.logps-cache`;
    const bar = progressFor('score');
    const r = await scoreFile(input, o.output, model, {
      scale_min: o.scale_min, scale_max: o.scale_max, step: o.step, length_normalize: o.length_normalize, temperature: o.temperature,
      placement: o.placement, goal_template: o.goal_template, batch_size: o.batch_size, cache_dir: cacheDir, fingerprint: tok,
      split: o.split, schema: o.schema as SchemaName | undefined, field_map: parseFieldMap(o.field_map), limit: o.limit, score_attribute: o.score_attribute,
      onProgress: (done, total) => bar('model', done, total),
    });
    const summaryFile = writeSummary(o.output, { input, output: o.output, model: o.model, placement: o.placement, cache_dir: cacheDir ?? null, ...r, seconds: (Date.now() - started) / 1000 });
    const f = (x: number | null): string => (x === null ? 'n/a' : x.toFixed(3));
    process.stdout.write(`radpo score: ${r.responses} responses x ${r.goals.length} goals (computed ${r.stats.computed}, cached ${r.stats.cached}) -> ${o.output}\n`);
    process.stdout.write(`  Spearman with original scores: expected ${f(r.spearman_expected)}, argmax ${f(r.spearman_argmax)}; pairs ranked right: ${f(r.pair_accuracy)}; summary: ${summaryFile}\n`);
    return 0;
  },
};
