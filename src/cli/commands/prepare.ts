// `radpo prepare ultrafeedback` and `radpo prepare helpsteer2`: multi-response data -> scored preference pairs.
// Thin shells over prepareUltrafeedback / prepareHelpsteer2 (src/data/prepare_*.ts).

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { RadpoError } from '../../util/errors.js';
import { prepareUltrafeedback } from '../../data/prepare_ultrafeedback.js';
import { prepareHelpsteer2 } from '../../data/prepare_helpsteer2.js';
import { HELPSTEER2_ATTRIBUTES } from '../../data/responses.js';
import { hintSkipInvalid, RejectLog } from '../../data/invalid.js';

const BAD_INPUT = {
  skip_invalid: { type: 'boolean', default: false, help: 'skip bad rows (counted by reason, written to the rejects file) instead of stopping', group: 'Bad input' },
  rejects: { type: 'string', help: 'rejects file for --skip_invalid (default OUTPUT.rejects.jsonl)', group: 'Bad input' },
} as const satisfies OptionTable;

export const PREPARE_UF_OPTIONS = {
  output: { type: 'string', alias: 'o', required: true, help: 'dataset folder (train_prefs + test_prefs) or a .jsonl/.parquet file (test split beside it as <name>.test.<ext>)' },
  seed: { type: 'int', default: 42, help: 'seed of the random rejected completion and of the test split' },
  test_size: { type: 'int', default: 2000, min: 0, help: 'pairs in the test split (reference: 2000)' },
  truthfulqa_prompts: { type: 'string', help: 'file of TruthfulQA questions to exclude (lines, JSONL/JSON with `question`); no downloads' },
  ...BAD_INPUT,
} as const satisfies OptionTable;

export const PREPARE_HS2_OPTIONS = {
  output: { type: 'string', alias: 'o', required: true, help: '.jsonl, .parquet or a dataset folder (split train)' },
  score: { type: 'string', default: 'helpfulness', help: `attribute used as the score (${HELPSTEER2_ATTRIBUTES.join(', ')})` },
  weights: { type: 'string[]', help: 'weighted score instead: ATTR=W list, e.g. helpfulness=0.65,correctness=0.8,coherence=0.45,complexity=0.55,verbosity=-0.4' },
  pairs: { type: 'string', default: 'best_vs_random', choices: ['best_vs_random', 'all'] as const, help: 'best response vs a seeded random other, or every pair with different scores' },
  ties: { type: 'string', default: 'drop', choices: ['keep', 'drop'] as const, help: 'pairs whose two responses score the same' },
  seed: { type: 'int', default: 42, help: 'seed of the random choice' },
  ...BAD_INPUT,
} as const satisfies OptionTable;

function rejectsPath(output: string, given?: string): string { return given ?? `${output.replace(/\/+$/, '')}.rejects.jsonl`; }

export const prepareUltrafeedbackCommand: Command = {
  name: 'prepare ultrafeedback',
  summary: 'UltraFeedback raw rows -> binarized scored pairs (reference preprocessing)',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo prepare ultrafeedback RAW.jsonl -o OUT [options]',
      description: 'Binarizes raw openbmb/UltraFeedback rows as the reference implementation does (method.md §2.2): drops the\ntruthful_qa source and listed TruthfulQA prompts, skips completions with an N/A rating (ratings as strings or\nlists), chosen = highest overall_score, rejected = a seeded random other; keeps overall and fine-grained scores and\ntheir mean, prompt_id = sha256(prompt); writes train_prefs and test_prefs.',
      options: PREPARE_UF_OPTIONS, positionals: { min: 1, max: 1 }, recipe: true,
    }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    const log = o.skip_invalid ? new RejectLog(rejectsPath(o.output, o.rejects)) : null;
    try {
      const st = await prepareUltrafeedback(parsed.positionals[0] as string, o.output, { seed: o.seed, test_size: o.test_size, truthfulqa_prompts: o.truthfulqa_prompts, onInvalid: log?.handler });
      log?.commit();
      process.stdout.write(`radpo prepare ultrafeedback: ${st.rows_in} rows -> ${st.pairs} pairs (${st.ties} ties): train ${st.train}, test ${st.test} -> ${o.output}${st.test_output ? ` + ${st.test_output}` : ''}\n`);
      process.stdout.write(`  dropped: truthful_qa source ${st.dropped_truthfulqa_source}, TruthfulQA prompts ${st.dropped_truthfulqa_prompt}, fewer than 2 fully rated completions ${st.dropped_too_few_rated}\n`);
      if (log) process.stdout.write(`  ${log.summary()}\n`);
      return 0;
    } catch (e) { log?.abort(); hintSkipInvalid(e, log !== null); throw e; }
  },
};

export const prepareHelpsteer2Command: Command = {
  name: 'prepare helpsteer2',
  summary: 'HelpSteer2 responses to the same prompt -> scored pairs',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo prepare helpsteer2 INPUT -o OUT [options]',
      description: 'Pairs HelpSteer2 responses to the same prompt (rows grouped by prompt text; NeMo SteerLM regression rows\nare accepted too). Score: one attribute (0-4) or a weighted sum; pairs: best vs random or all.',
      options: PREPARE_HS2_OPTIONS, positionals: { min: 1, max: 1 }, recipe: true,
    }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    let score: string | Record<string, number> = o.score;
    if (o.weights) {
      score = {};
      for (const w of o.weights) {
        const m = /^([a-z_]+)=(-?[\d.]+)$/.exec(w);
        if (!m || !(HELPSTEER2_ATTRIBUTES as readonly string[]).includes(m[1] as string) || !Number.isFinite(Number(m[2]))) throw new RadpoError('config', `expected ATTR=WEIGHT with ATTR one of ${HELPSTEER2_ATTRIBUTES.join(', ')}`, { field: 'weights', value: w });
        score[m[1] as string] = Number(m[2]);
      }
    } else if (!(HELPSTEER2_ATTRIBUTES as readonly string[]).includes(o.score)) {
      throw new RadpoError('config', `expected one of ${HELPSTEER2_ATTRIBUTES.join(', ')}`, { field: 'score', value: o.score });
    }
    const log = o.skip_invalid ? new RejectLog(rejectsPath(o.output, o.rejects)) : null;
    try {
      const st = await prepareHelpsteer2(parsed.positionals[0] as string, o.output, { score, pairs: o.pairs, ties: o.ties, seed: o.seed, onInvalid: log?.handler });
      log?.commit();
      process.stdout.write(`radpo prepare helpsteer2: ${st.rows_in} rows, ${st.prompts} prompts -> ${st.pairs} pairs (${st.ties} ties) -> ${o.output}\n`);
      if (log) process.stdout.write(`  ${log.summary()}\n`);
      return 0;
    } catch (e) { log?.abort(); hintSkipInvalid(e, log !== null); throw e; }
  },
};
