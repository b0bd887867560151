// `radpo report DIR... -o report.html`: merges experiment results (results.json files or their folders) into one
// self-contained HTML report, or plots training runs (`radpo train` / `radpo lora` output folders) side by side.
// Thin shell over writeExperimentReport and trainingReport; not an experiment runner.

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { readExperimentFile, writeExperimentReport } from '../../experiments/run.js';
import { RadpoError } from '../../util/errors.js';
import { writeReport } from '../../report/html.js';
import { isTrainingRun, readTrainingRun, trainingReport } from '../../report/training.js';

export const REPORT_OPTIONS = {
  output: { type: 'string', alias: 'o', default: 'runs/report.html', help: 'HTML file to write' },
} as const satisfies OptionTable;

export const reportCommand: Command = {
  name: 'report',
  summary: 'merge experiment results, or training runs, into one HTML report',
  async run(argv) {
    const p = parseCommand({
      usage: 'radpo report RESULTS... [-o report.html]',
      description: 'Each RESULTS is a results.json written by `radpo experiment` (or its folder), or a training output folder\n' +
        '(`radpo train` / `radpo lora`: metrics.jsonl), whose curves are drawn side by side (e.g. a DPO and an RA-DPO run).',
      options: REPORT_OPTIONS, positionals: { min: 1, max: 64 },
    }, argv);
    if (!p) return 0;
    const training = p.positionals.map(isTrainingRun);
    if (training.some((t) => t)) {
      const other = p.positionals.find((_, i) => !training[i]);
      if (other !== undefined) throw new RadpoError('usage', 'pass either training output folders (metrics.jsonl) or experiment results, not both', { file: other });
      const runs = p.positionals.map(readTrainingRun);
      writeReport(p.options.output, trainingReport(runs));
      process.stdout.write(`wrote ${p.options.output} (${runs.map((r) => `${r.name}: ${r.metrics.length} logged steps`).join(', ')})\n`);
      return 0;
    }
    const files = p.positionals.map(readExperimentFile);
    writeExperimentReport(p.options.output, files);
    process.stdout.write(`wrote ${p.options.output} (${files.map((f) => f.name).join(', ')})\n`);
    return 0;
  },
};
