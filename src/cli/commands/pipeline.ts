// `radpo pipeline ira --config recipes/ira_small.yaml`: the whole implicit-reward relabeling loop in one command.
// Thin shell over runIra (src/pipeline/ira.ts).

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import { IRA_OPTIONS } from '../../pipeline/ira_options.js';
import { runIra } from '../../pipeline/ira.js';

export const pipelineIraCommand: Command = {
  name: 'pipeline ira',
  summary: 'DPO -> implicit-reward relabel -> augment -> DPO, resumable, from one recipe',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo pipeline ira --config recipes/ira_small.yaml [--key value ...]',
      description: [
        'Implicit-reward relabeling (method.md §2.4) as one job in OUTPUT_DIR:',
        '  1. round1_dpo/    DPO of model_name_or_path on dataset_name (the original pairs)',
        '  2. relabeled.jsonl  every response scored with beta * (log pi_round1 - log pi_start), mapped onto the goal scale',
        '  3. augmented.jsonl  reward-augmented pairs (goal = relabeled score), as radpo augment writes them',
        '  4. round2_ira/    DPO of round2_init on the augmented pairs',
        'pipeline.json records the resolved config and each stage\'s summary. A rerun skips finished stages (--resume).',
      ].join('\n'),
      options: IRA_OPTIONS,
      recipe: true,
    }, argv);
    if (!parsed) return 0;
    const r = await runIra(parsed.options, { log: (l) => process.stdout.write(`radpo pipeline ira: ${l}\n`) });
    for (const s of r.stages) process.stdout.write(`  ${s.name.padEnd(11)} ${s.skipped ? 'skipped' : `${s.seconds.toFixed(1)}s`}  ${s.output}\n`);
    process.stdout.write(`  summary: ${r.output_dir}/pipeline.json\n`);
    return 0;
  },
};
