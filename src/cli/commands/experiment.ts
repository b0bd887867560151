// `radpo experiment NAME`: runs one of the paper's experiments on a synthetic task over seeds and writes results
// JSON and an HTML report. Thin shell over runExperiment (src/experiments/run.ts).

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import { RadpoError } from '../../util/errors.js';
import { Progress, formatDuration } from '../../util/progress.js';
import type { OptionTable } from '../../util/options.js';
import { RUN_OPTIONS, type Hooks, type RunConfig } from '../../experiments/pipeline.js';
import { EXPERIMENT_NAMES, runExperiment } from '../../experiments/run.js';
import { EXPERIMENTS } from '../../experiments/experiments.js';

/** Run settings an experiment takes as flags: every RUN_OPTIONS key but the seed (experiments run seeds 1..N). */
const RUN_KEYS = Object.keys(RUN_OPTIONS).filter((k) => k !== 'seed');

/**
 * Flags for the run settings `keys` (RUN_OPTIONS entries): unset flags stay undefined, so the caller's preset or the
 * RUN_OPTIONS default applies; the help shows that value. `group` replaces the table's help group when given.
 */
export function runSettingFlags(keys: readonly string[], preset: Partial<RunConfig> = {}, group?: string): OptionTable {
  const table = RUN_OPTIONS as OptionTable;
  return Object.fromEntries(keys.map((k) => {
    const v = table[k]!;
    return [k, { ...v, default: undefined, help: `${v.help} [${String((preset as Record<string, unknown>)[k] ?? v.default)}]`, ...(group ? { group } : {}) }];
  }));
}

/** The run settings among `keys` that were given as flags. */
export function runOverrides(o: Record<string, unknown>, keys: readonly string[]): Partial<RunConfig> {
  const overrides: Record<string, unknown> = {};
  for (const k of keys) if (o[k] !== undefined) overrides[k] = o[k];
  return overrides as Partial<RunConfig>;
}

export const EXPERIMENT_OPTIONS = {
  seeds: { type: 'int', default: 3, min: 1, help: 'number of seeds (1..N)', group: 'Experiment' },
  output: { type: 'string', alias: 'o', help: 'output folder (default runs/experiment-NAME)', group: 'Experiment' },
  quick: { type: 'boolean', default: false, help: 'smaller data and model (smoke runs)', group: 'Experiment' },
  sft_cache: { type: 'string', default: 'runs/.cache/sft', help: 'folder caching SFT models by their settings (reused across experiments); "" disables', group: 'Experiment' },
  // Run settings: unset flags keep the RUN_OPTIONS default (or the --quick preset's value).
  ...runSettingFlags(RUN_KEYS),
} as OptionTable;

/** Stage lines on stderr (always) and a step counter bar during training (TTY only). */
export function stageReporter(): { hooks: Hooks; done(): void } {
  const t0 = Date.now();
  let bar: Progress | null = null;
  const hooks: Hooks = {
    onStage(stage) {
      bar?.done(); bar = null;
      process.stderr.write(`[${formatDuration((Date.now() - t0) / 1000).padStart(5)}] ${stage}\n`);
    },
    onLog(stage, m) {
      if (typeof m.loss !== 'number') return;
      bar ??= new Progress({ label: `  ${stage}`, unit: 'steps' });
      bar.update(m.step ?? 0, `loss ${m.loss.toFixed(3)}`);
    },
  };
  return { hooks, done: () => { bar?.done(); bar = null; } };
}

export const experimentCommand: Command = {
  name: 'experiment',
  summary: `run a paper experiment on synthetic tasks (${EXPERIMENT_NAMES.join(', ')})`,
  async run(argv) {
    const p = parseCommand({
      usage: `radpo experiment NAME [--seeds 3] [--output DIR] [options]   (NAME: ${EXPERIMENT_NAMES.join(', ')})`,
      description: ['Runs a named experiment over seeds 1..N; writes DIR/results.json and DIR/report.html.', '  toy: the poster\'s toy examples solved exactly',
        ...Object.entries(EXPERIMENTS).map(([k, v]) => `  ${k}: ${v.summary}`)].join('\n'),
      options: EXPERIMENT_OPTIONS,
      positionals: { min: 1, max: 1 },
      recipe: true,
    }, argv);
    if (!p) return 0;
    const name = p.positionals[0]!;
    if (!(EXPERIMENT_NAMES as readonly string[]).includes(name)) throw new RadpoError('usage', `unknown experiment (known: ${EXPERIMENT_NAMES.join(', ')})`, { value: name });
    const o = p.options as Record<string, unknown>;
    const overrides = runOverrides(o, RUN_KEYS);
    const seeds = Array.from({ length: o.seeds as number }, (_, i) => i + 1);
    const output = (o.output as string | undefined) ?? `runs/experiment-${name}`;
    const rep = stageReporter();
    const cache = o.sft_cache as string;
    const f = await runExperiment({ name, seeds, output, quick: o.quick as boolean, overrides, hooks: { ...rep.hooks, ...(cache ? { sftCacheDir: cache } : {}) } });
    rep.done();
    const verdicts = f.sections.flatMap((s) => s.blocks).filter((b) => b.kind === 'verdict').map((b) => (b as { text: string }).text);
    process.stdout.write(`${verdicts.map((v) => `- ${v}`).join('\n')}${verdicts.length ? '\n' : ''}wrote ${output}/results.json and ${output}/report.html (${formatDuration(f.seconds)})\n`);
    return 0;
  },
};
