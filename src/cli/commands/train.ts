// `radpo train sft` and `radpo train dpo`: option tables from src/train/config.ts, YAML recipes via --config, flags
// override. Thin shell over trainSft / trainDpo; prints a one-line summary per run.

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import { RadpoError } from '../../util/errors.js';
import { DPO_OPTIONS, SFT_OPTIONS } from '../../train/config.js';
import { trainDpo } from '../../train/dpo.js';
import { trainSft } from '../../train/sft.js';
import type { TrainResult } from '../../train/trainer.js';
import { LORA_OPTIONS } from '../../model/lora_model.js';
import { trainLoraDpo, trainLoraSft } from '../../model/lora_train.js';

/** One-line summary of a training run (`radpo train` and `radpo lora`): steps, last loss and accuracy, dropped rows, output. */
export function trainSummary(label: string, r: TrainResult<unknown>, outNote = ''): string {
  const last = [...r.metrics].reverse().find((m) => m.loss !== undefined);
  const ev = [...r.metrics].reverse().find((m) => m.eval_loss !== undefined);
  const parts = [`${label}: ${r.globalStep} steps`];
  if (last) parts.push(`loss ${last.loss!.toFixed(4)}`);
  if (last?.['rewards/accuracies'] !== undefined) parts.push(`rewards/accuracies ${last['rewards/accuracies'].toFixed(3)}`);
  if (ev) parts.push(`eval_loss ${ev.eval_loss!.toFixed(4)}`);
  const dropped = r.metrics[0]?.dropped_train_rows;
  if (dropped) parts.push(`${dropped} training rows dropped (too long for max_length)`);
  return parts.join(', ') + (r.outputDir ? ` -> ${r.outputDir}${outNote}` : '') + '\n';
}

function requireKeys(o: { model_name_or_path?: string | undefined; dataset_name?: string | undefined }): void {
  if (!o.model_name_or_path) throw new RadpoError('usage', 'missing --model_name_or_path (a model folder)');
  if (!o.dataset_name) throw new RadpoError('usage', 'missing --dataset_name (a local data file or folder)');
}

/** Full fine-tuning ignores the LoRA keys (they only matter with --use_peft, as in TRL's ModelConfig). */
function withoutLora<T extends Record<string, unknown>>(cfg: T): T {
  const out: Record<string, unknown> = { ...cfg };
  for (const k of Object.keys(LORA_OPTIONS)) delete out[k];
  return out as T;
}

export const trainSftCommand: Command = {
  name: 'train sft',
  summary: 'supervised fine-tuning (completion-only loss, optional packing)',
  async run(argv) {
    const p = parseCommand({
      usage: 'radpo train sft --model_name_or_path M --dataset_name DATA --output_dir OUT [--config recipe.yaml] [options]',
      description: 'Supervised fine-tuning on prompt/completion (or messages) rows; the prompt is masked from the loss. Keys follow TRL SFTConfig.',
      options: { ...SFT_OPTIONS, ...LORA_OPTIONS }, recipe: true,
    }, argv);
    if (!p) return 0;
    requireKeys(p.options);
    const { use_peft, ...cfg } = p.options;
    process.stdout.write(trainSummary('radpo train sft', use_peft ? await trainLoraSft(cfg) : await trainSft(withoutLora(cfg))));
    return 0;
  },
};

export const trainDpoCommand: Command = {
  name: 'train dpo',
  summary: 'DPO-family preference training (TRL DPOTrainer losses and metrics)',
  async run(argv) {
    const p = parseCommand({
      usage: 'radpo train dpo --model_name_or_path M --dataset_name DATA --output_dir OUT [--config recipe.yaml] [options]',
      description: 'Direct preference optimisation and relatives (loss_type) against a frozen reference. Keys follow TRL DPOConfig / alignment-handbook recipes.',
      options: { ...DPO_OPTIONS, ...LORA_OPTIONS }, recipe: true,
    }, argv);
    if (!p) return 0;
    requireKeys(p.options);
    const { use_peft, ...cfg } = p.options;
    process.stdout.write(trainSummary('radpo train dpo', use_peft ? await trainLoraDpo(cfg) : await trainDpo(withoutLora(cfg))));
    return 0;
  },
};
