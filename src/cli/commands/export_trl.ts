// `radpo export trl --config recipe.yaml -o DIR`: the train recipe (same keys and flags as `radpo train dpo|sft`) as
// a TRL / accelerate / DeepSpeed / FSDP / OpenRLHF job folder. Thin shell over exportTrl (src/scale/export.ts).

import * as fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import { DPO_OPTIONS, SFT_OPTIONS } from '../../train/config.js';
import { exportTrl } from '../../scale/export.js';
import type { TrainerKind } from '../../scale/trl_map.js';
import type { OptionTable } from '../../util/options.js';
import { LORA_OPTIONS } from '../../model/lora_model.js';

export const EXPORT_OPTIONS = {
  out: { type: 'string', alias: 'o', required: true, help: 'export folder (replaced atomically)', group: 'Export' },
  trainer: { type: 'string', choices: ['dpo', 'sft'] as const, help: 'trainer of the recipe (default: inferred from its keys, else dpo)', group: 'Export' },
  num_processes: { type: 'int', default: 8, min: 1, help: 'GPUs over all machines in the accelerate configs', group: 'Export' },
  num_machines: { type: 'int', default: 1, min: 1, help: 'machines (nodes) in the accelerate configs', group: 'Export' },
  mixed_precision: { type: 'string', default: 'bf16', choices: ['bf16', 'fp16', 'no'] as const, help: 'accelerate mixed precision', group: 'Export' },
  copy_model: { type: 'boolean', default: false, help: 'copy the local model folder into DIR/model (self-contained job)', group: 'Export' },
} as const satisfies OptionTable;

const SFT_ONLY = Object.keys(SFT_OPTIONS).filter((k) => !(k in DPO_OPTIONS));  // LoRA keys are shared: no hint
const DPO_ONLY = Object.keys(DPO_OPTIONS).filter((k) => !(k in SFT_OPTIONS));

/** The trainer named by --trainer, else inferred from the recipe's keys (DPO-only or SFT-only keys), else dpo. */
export function inferTrainer(argv: string[]): TrainerKind {
  const i = argv.findIndex((a) => a === '--trainer' || a.startsWith('--trainer='));
  if (i >= 0) { const v = argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1]; if (v === 'sft' || v === 'dpo') return v; }
  const keys = new Set<string>(argv.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=')[0]!.replace(/-/g, '_')));
  const c = argv.indexOf('--config');
  if (c >= 0 && argv[c + 1] && fs.existsSync(argv[c + 1]!)) {
    try {
      const doc = parseYaml(fs.readFileSync(argv[c + 1]!, 'utf8')) as unknown;
      if (doc && typeof doc === 'object') for (const k of Object.keys(doc)) keys.add(k);
    } catch { /* parseCommand reports the YAML error */ }
  }
  if (SFT_ONLY.some((k) => keys.has(k))) return 'sft';
  if (DPO_ONLY.some((k) => keys.has(k))) return 'dpo';
  return 'dpo';
}

function defaultsOf(table: OptionTable): Record<string, unknown> {
  const d: Record<string, unknown> = {};
  for (const [k, s] of Object.entries(table)) if (s.default !== undefined) d[k] = s.default;
  return d;
}

export const exportTrlCommand: Command = {
  name: 'export trl',
  summary: 'write a recipe + dataset as a TRL / accelerate / DeepSpeed / OpenRLHF job folder',
  async run(argv) {
    const trainer = inferTrainer(argv);
    const table = { ...(trainer === 'dpo' ? DPO_OPTIONS : SFT_OPTIONS), ...LORA_OPTIONS };
    const parsed = parseCommand({
      usage: 'radpo export trl --config recipe.yaml -o DIR [--trainer dpo|sft] [--key value ...]',
      description: 'Exports a radpo train recipe (the same keys as radpo train dpo|sft) and its dataset as a TRL 1.16 job:\nHF dataset folder, trl_config.yaml, train.py, accelerate configs (DDP, ZeRO-3, FSDP), OpenRLHF command, README.',
      options: { ...table, ...EXPORT_OPTIONS },
      recipe: true,
    }, argv);
    if (!parsed) return 0;
    const { out, trainer: _t, num_processes, num_machines, mixed_precision, copy_model, ...config } = parsed.options as Record<string, unknown>;
    const res = await exportTrl(config, {
      trainer, out: out as string, numProcesses: num_processes as number, numMachines: num_machines as number,
      mixedPrecision: mixed_precision as 'bf16' | 'fp16' | 'no', copyModel: copy_model as boolean, defaults: defaultsOf(table),
    });
    const rows = Object.entries(res.rows).map(([s, n]) => `${s} ${n}`).join(', ');
    process.stdout.write(`exported ${trainer.toUpperCase()} job to ${res.out} (rows: ${rows})\n`);
    process.stdout.write(`  run: cd ${res.out} && bash launch.sh zero3    (see README.md)\n`);
    if (res.mapping.unmapped.length > 0) process.stdout.write(`  not mapped to TRL: ${res.mapping.unmapped.map((u) => u.key).join(', ')} (README.md says why)\n`);
    return 0;
  },
};
