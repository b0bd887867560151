// `radpo lora sft|dpo` (the train recipes plus TRL ModelConfig's --use_peft/--lora_* keys, training only a LoRA
// adapter) and `radpo lora merge`. Thin shell over src/model/lora_train.ts and lora_io.ts.

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import { RadpoError } from '../../util/errors.js';
import { DPO_OPTIONS, SFT_OPTIONS } from '../../train/config.js';
import { LORA_OPTIONS } from '../../model/lora_model.js';
import { trainLoraDpo, trainLoraSft } from '../../model/lora_train.js';
import { mergeAdapter } from '../../model/lora_io.js';
import type { OptionTable } from '../../util/options.js';
import { trainSummary } from './train.js';

const ADAPTER = { adapter: { type: 'string', help: 'continue training this PEFT adapter folder instead of a fresh one', group: 'LoRA' } } as const satisfies OptionTable;

function need(o: { model_name_or_path?: unknown; dataset_name?: unknown }): void {
  if (!o.model_name_or_path) throw new RadpoError('usage', 'missing --model_name_or_path (the base model folder)');
  if (!o.dataset_name) throw new RadpoError('usage', 'missing --dataset_name (a local data file or folder)');
}

function loraTrainCommand(kind: 'sft' | 'dpo'): Command {
  const dpo = kind === 'dpo';
  return {
    name: `lora ${kind}`,
    summary: dpo ? 'DPO of a LoRA adapter; the reference is the base with the adapter off' : 'SFT of a LoRA adapter (saved in PEFT format)',
    async run(argv) {
      const p = parseCommand({
        usage: `radpo lora ${kind} --model_name_or_path BASE --dataset_name DATA --output_dir OUT [--lora_r 16 ...] [--config recipe.yaml]`,
        description: dpo
          ? 'DPO-family training of a LoRA adapter; the reference model is the base with the adapter switched off (no second copy). Every `radpo train dpo` key works.'
          : 'Supervised fine-tuning of a LoRA adapter on the attention and MLP projections; every `radpo train sft` key works.',
        options: { ...(dpo ? DPO_OPTIONS : SFT_OPTIONS), ...LORA_OPTIONS, ...ADAPTER }, recipe: true,
      }, argv);
      if (!p) return 0;
      need(p.options);
      const { adapter, use_peft: _u, ...cfg } = p.options as Record<string, unknown>;
      const o = typeof adapter === 'string' ? { adapter } : {};
      const r = dpo ? await trainLoraDpo(cfg, o) : await trainLoraSft(cfg, o);
      process.stdout.write(trainSummary(`radpo lora ${kind}`, r, ' (PEFT adapter)'));
      return 0;
    },
  };
}

export const loraSftCommand = loraTrainCommand('sft');
export const loraDpoCommand = loraTrainCommand('dpo');

const MERGE_OPTIONS = {
  base: { type: 'string', required: true, help: 'base model folder', group: 'Merge' },
  output: { type: 'string', alias: 'o', required: true, help: 'merged model folder (written atomically)', group: 'Merge' },
  dtype: { type: 'string', default: 'F32', choices: ['F32', 'BF16'] as const, help: 'weight dtype of the merged checkpoint', group: 'Merge' },
} as const satisfies OptionTable;

export const loraMergeCommand: Command = {
  name: 'lora merge',
  summary: 'merge a PEFT LoRA adapter into a full checkpoint',
  async run(argv) {
    const p = parseCommand({
      usage: 'radpo lora merge ADAPTER --base BASE -o OUT',
      description: 'Writes BASE with W += (alpha / r) B A for every adapted projection: a plain Hugging Face model folder.',
      options: MERGE_OPTIONS, positionals: { min: 1, max: 1 },
    }, argv);
    if (!p) return 0;
    await mergeAdapter(p.options.base, p.positionals[0]!, p.options.output, { dtype: p.options.dtype });
    process.stdout.write(`radpo lora merge: ${p.positionals[0]} + ${p.options.base} -> ${p.options.output}\n`);
    return 0;
  },
};
