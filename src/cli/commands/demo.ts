// `radpo demo`: runs the method end to end on a synthetic task (no downloads) and prints a summary table.
// Thin shell over runDemo (src/experiments/demo.ts).

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { formatDuration } from '../../util/progress.js';
import { formatSummaryTable, runDemo } from '../../experiments/demo.js';
import { stageReporter } from './experiment.js';

export const DEMO_OPTIONS = {
  seed: { type: 'int', default: 1, help: 'seed of data, model, training and sampling' },
  output: { type: 'string', alias: 'o', default: 'runs/demo', help: 'output folder: summary.json, report.html, data/' },
  quick: { type: 'boolean', default: false, help: 'smaller preset (about a minute; for tests and smoke runs)' },
  task: { type: 'string', default: 'sort', choices: ['sort', 'reverse'] as const, help: 'synthetic task' },
  judge_noise: { type: 'number', min: 0, help: 'std of the Gaussian noise the judge adds to the exact reward (default: 2, the AI-feedback setting; 0: exact judge; --quick: 0)' },
  label_smoothing: { type: 'number', min: 0, max: 0.5, help: 'conservative DPO label smoothing for DPO and RA-DPO (default: 0.3, the paper\'s Qwen2 recipe; --quick: 0)' },
} as const satisfies OptionTable;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'reward-augmented DPO vs DPO end to end on a synthetic task (no downloads)',
  async run(argv) {
    const p = parseCommand({
      usage: 'radpo demo [--seed N] [--output DIR] [--quick]',
      description: 'Generates scored data for a synthetic task, augments it, trains an SFT model, then DPO and reward-augmented DPO\nfrom it, samples each, scores samples with the exact reward, and writes DIR/summary.json and DIR/report.html.',
      options: DEMO_OPTIONS,
    }, argv);
    if (!p) return 0;
    const o = p.options;
    const rep = stageReporter();
    const overrides = { ...(o.judge_noise !== undefined ? { judge_noise: o.judge_noise } : {}), ...(o.label_smoothing !== undefined ? { label_smoothing: o.label_smoothing } : {}) };
    const s = await runDemo({ seed: o.seed, output: o.output, quick: o.quick, task: o.task, overrides, hooks: rep.hooks });
    rep.done();
    process.stdout.write(`\n${formatSummaryTable(s)}\n\nRA-DPO - DPO: ${s.ra_dpo_minus_dpo >= 0 ? '+' : ''}${s.ra_dpo_minus_dpo.toFixed(3)} exact reward (task ${s.task}, seed ${s.seed}, ${formatDuration(s.run_time_s)})\n` +
      `wrote ${o.output}/summary.json, ${o.output}/report.html, ${o.output}/data/\n`);
    return 0;
  },
};
