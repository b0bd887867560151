// `radpo relabel --policy DIR [--reference DIR] INPUT -o OUTPUT`: implicit-reward relabeling (IRA, method.md §2.4).
// Thin shell over relabelFile (src/pipeline/relabel.ts); the models are loaded here.

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import { parseFieldMap } from '../../data/fields.js';
import type { SchemaName } from '../../data/schema.js';
import { RELABEL_OPTIONS } from '../../pipeline/options.js';
import { relabelFile } from '../../pipeline/relabel.js';
import { loadScorer, policyDefaults, progressFor, writeSummary } from '../../pipeline/model_dirs.js';

export const relabelCommand: Command = {
  name: 'relabel',
  summary: 'score responses with a DPO policy\'s implicit reward and map them onto the goal scale (IRA)',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo relabel --policy DIR [--reference DIR] INPUT -o OUTPUT [options]',
      description: [
        'Scores every response with r = beta * (log pi_policy(y|x) - log pi_ref(y|x)) (sum over completion tokens, or the',
        'mean with --length_normalize), maps all rewards together onto the goal scale and writes rows radpo augment',
        'reads unchanged: score_chosen/_rejected (mapped), implicit_reward_chosen/_rejected (raw), original_score_* (the',
        'input\'s scores). Pairs whose reward prefers the rejected response are swapped (--reorder). UltraFeedback raw',
        'rows: every completion gets overall_score (mapped), implicit_reward and original_overall_score; HelpSteer2 rows:',
        'the --score_attribute column becomes the mapped score (original_<attribute> keeps the old one).',
        'Log-probs are cached per model (content hash) and row, so an interrupted run resumes where it stopped.',
        'Example: radpo relabel --policy runs/dpo data/train.jsonl -o runs/ira.jsonl --scale_method quantile',
      ].join('\n'),
      options: RELABEL_OPTIONS,
      positionals: { min: 1, max: 1 },
      recipe: true,
    }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    const input = parsed.positionals[0] as string;
    const started = Date.now();
    const d = policyDefaults(o.policy, o.reference, o.beta);
    const tok = { max_length: o.max_length ?? null, max_prompt_length: o.max_prompt_length ?? null, truncation_mode: o.truncation_mode };
    const policy = await loadScorer(o.policy, o.batch_size, tok);
    const reference = await loadScorer(d.reference, o.batch_size, tok);
    const cacheDir = o.no_cache ? undefined : o.cache_dir ?? `${o.output.replace(/\/+$/, '')}.logps-cache`;
    const bar = progressFor('relabel');
    const r = await relabelFile(input, o.output, policy, reference, {
      scale_method: o.scale_method, scale_min: o.scale_min, scale_max: o.scale_max, step: o.step, bins: o.bins, reorder: o.reorder,
      beta: d.beta, length_normalize: o.length_normalize, batch_size: o.batch_size, cache_dir: cacheDir, fingerprint: tok,
      split: o.split, schema: o.schema as SchemaName | undefined, field_map: parseFieldMap(o.field_map), limit: o.limit, score_attribute: o.score_attribute,
      onProgress: (which, done, total) => bar(which, done, total),
    });
    const summary = { input, output: o.output, policy: o.policy, reference: d.reference, beta: d.beta, beta_source: d.beta_source, length_normalize: o.length_normalize, cache_dir: cacheDir ?? null, ...r, seconds: (Date.now() - started) / 1000 };
    const summaryFile = writeSummary(o.output, summary);
    const s = r.summary;
    process.stdout.write(`radpo relabel: ${r.responses} responses (${r.kind}) scored with beta ${d.beta} (${d.beta_source}); policy computed ${r.stats.policy.computed}, cached ${r.stats.policy.cached}; reference computed ${r.stats.reference.computed}, cached ${r.stats.reference.cached}\n`);
    if ('pairs_in' in s) process.stdout.write(`  ${s.pairs_in} pairs -> ${s.pairs_out} in ${o.output}; implicit reward agrees with the original order on ${(100 * s.agreement).toFixed(1)}% (${s.disagreed} ${o.reorder === 'swap' ? 'swapped' : o.reorder === 'drop' ? 'dropped' : 'kept'})\n`);
    else process.stdout.write(`  ${s.rows} rows -> ${o.output} (then radpo prepare ${r.kind === 'helpsteer2' ? 'helpsteer2' : 'ultrafeedback'}, or radpo augment --multi_response)\n`);
    process.stdout.write(`  scale ${o.scale_method} ${o.scale_min}-${o.scale_max} step ${o.step}; Spearman with original scores: ${s.spearman_original === null ? 'n/a' : s.spearman_original.toFixed(3)}; summary: ${summaryFile}\n`);
    return 0;
  },
};
