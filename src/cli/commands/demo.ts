// `radpo demo`: runs the method end to end on a synthetic task (no downloads) and prints a summary table.
// Thin shell over runDemo (src/experiments/demo.ts).

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { formatDuration } from '../../util/progress.js';
import { DEMO_PRESETS, formatSummaryTable, runDemo } from '../../experiments/demo.js';
import { RUN_OPTIONS } from '../../experiments/pipeline.js';
import { runOverrides, runSettingFlags, stageReporter } from './experiment.js';

/** Run settings the demo takes as flags: all but the seed and task (own flags) and other experiments' settings. */
const RUN_KEYS = Object.keys(RUN_OPTIONS).filter((k) => !['seed', 'task', 'ira_scale', 'ira_init', 'noise_levels'].includes(k));

export const DEMO_OPTIONS = {
  seed: { type: 'int', default: 1, help: 'seed of data, model, training and sampling' },
  output: { type: 'string', alias: 'o', default: 'runs/demo', help: 'output folder: summary.json, report.html, data/' },
  quick: { type: 'boolean', default: false, help: 'smaller preset (about a minute; for tests and smoke runs)' },
  task: { type: 'string', default: 'sort', choices: ['sort', 'reverse'] as const, help: 'synthetic task' },
  // Run settings (RUN_OPTIONS): unset flags keep the demo preset's value (DEMO_PRESETS) or the RUN_OPTIONS default.
  ...runSettingFlags(RUN_KEYS, DEMO_PRESETS.full, 'Run settings'),
} as OptionTable;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'reward-augmented DPO vs DPO end to end on a synthetic task (no downloads)',
  async run(argv) {
    const p = parseCommand({
      usage: 'radpo demo [--seed N] [--output DIR] [--quick] [run settings]',
      description: 'Generates scored data for a synthetic task, augments it, trains an SFT model, then DPO and reward-augmented DPO\nfrom it, samples each, scores samples with the exact reward, and writes DIR/summary.json and DIR/report.html.',
      options: DEMO_OPTIONS,
    }, argv);
    if (!p) return 0;
    const o = p.options as Record<string, unknown>;
    const rep = stageReporter();
    const s = await runDemo({ seed: o.seed as number, output: o.output as string, quick: o.quick as boolean, task: o.task as 'sort' | 'reverse', overrides: runOverrides(o, RUN_KEYS), hooks: rep.hooks });
    rep.done();
    process.stdout.write(`\n${formatSummaryTable(s)}\n\nRA-DPO - DPO: ${s.ra_dpo_minus_dpo >= 0 ? '+' : ''}${s.ra_dpo_minus_dpo.toFixed(3)} exact reward (task ${s.task}, seed ${s.seed}, ${formatDuration(s.run_time_s)})\n` +
      `wrote ${o.output}/summary.json, ${o.output}/report.html, ${o.output}/data/\n`);
    return 0;
  },
};
