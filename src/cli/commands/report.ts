// `radpo report DIR... -o report.html`: merges experiment results (results.json files or their folders) into one
// self-contained HTML report. Thin shell over writeExperimentReport; not an experiment runner.

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { readExperimentFile, writeExperimentReport } from '../../experiments/run.js';

export const REPORT_OPTIONS = {
  output: { type: 'string', alias: 'o', default: 'runs/report.html', help: 'HTML file to write' },
} as const satisfies OptionTable;

export const reportCommand: Command = {
  name: 'report',
  summary: 'merge experiment results into one HTML report',
  async run(argv) {
    const p = parseCommand({ usage: 'radpo report RESULTS... [-o report.html]', description: 'Each RESULTS is a results.json written by `radpo experiment`, or its folder.', options: REPORT_OPTIONS, positionals: { min: 1, max: 64 } }, argv);
    if (!p) return 0;
    const files = p.positionals.map(readExperimentFile);
    writeExperimentReport(p.options.output, files);
    process.stdout.write(`wrote ${p.options.output} (${files.map((f) => f.name).join(', ')})\n`);
    return 0;
  },
};
