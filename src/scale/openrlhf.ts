// OpenRLHF's DPO command line (`deepspeed --module openrlhf.cli.train_dpo`, dotted flags of OpenRLHF 0.11 /
// main at 3c3be62, Aug 2026) for a radpo DPO recipe. Not a runner, and not for SFT: settings that do not map are listed.
//
// OpenRLHF's DPOLoss is cDPO on label_smoothing (same as radpo), IPO without length normalisation (radpo/TRL divide
// the log-ratios by completion length), NLL regulariser = mean over pairs of the per-token mean NLL of chosen.

import type { Unmapped } from './trl_map.js';

export const OPENRLHF_REF = 'OpenRLHF 0.11.0 (github.com/OpenRLHF/OpenRLHF commit 3c3be6234e0c)';

export interface OpenRlhfOptions {
  datasetPath: string;      // exported HF dataset folder (train / test splits)
  modelPath?: string;
  outputDir?: string;
  numProcesses: number;     // GPUs over all machines (train.batch_size is global)
  conversational: boolean;  // messages lists -> --data.apply_chat_template
  hasTest?: boolean;        // the dataset folder has a test split (else no --eval.dataset)
}

export interface OpenRlhfCommand { args: string[]; command: string; unmapped: Unmapped[] }

/** Builds the OpenRLHF train_dpo flags for a resolved radpo DPO config. */
export function openrlhfDpoCommand(config: Record<string, unknown>, opts: OpenRlhfOptions, defaults: Record<string, unknown> = {}): OpenRlhfCommand {
  const a: string[] = [];
  const unmapped: Unmapped[] = [];
  const num = (k: string, d: number): number => (typeof config[k] === 'number' ? (config[k] as number) : d);
  const set = (k: string): boolean => config[k] !== undefined && config[k] !== null && JSON.stringify(config[k]) !== JSON.stringify(defaults[k]);
  const flag = (name: string, v?: unknown): void => { a.push(`--${name}`); if (v !== undefined) a.push(String(v)); };

  flag('model.model_name_or_path', opts.modelPath ?? config['model_name_or_path']);
  flag('data.dataset', opts.datasetPath); flag('data.dataset_split', 'train');
  if (opts.hasTest !== false) { flag('eval.dataset', opts.datasetPath); flag('eval.split', 'test'); }
  flag('data.prompt_key', 'prompt'); flag('data.chosen_key', 'chosen'); flag('data.rejected_key', 'rejected');
  if (opts.conversational) flag('data.apply_chat_template');
  flag('data.max_len', num('max_length', 1024));
  const micro = num('per_device_train_batch_size', 8);
  flag('train.micro_batch_size', micro);
  // train.batch_size is the global batch: radpo's effective batch (one process) = per_device x accumulation.
  flag('train.batch_size', micro * num('gradient_accumulation_steps', 1));
  const epochs = num('num_train_epochs', 1);
  flag('train.max_epochs', Math.max(1, Math.round(epochs)));
  if (!Number.isInteger(epochs)) unmapped.push({ key: 'num_train_epochs', value: epochs, reason: 'OpenRLHF takes whole epochs only (rounded)' });
  if (num('max_steps', -1) > 0) unmapped.push({ key: 'max_steps', value: config['max_steps'], reason: 'OpenRLHF train_dpo has no step limit (epochs only)' });
  flag('train.seed', num('seed', 42));
  flag('adam.lr', num('learning_rate', 5e-7));
  a.push('--adam.betas', String(num('adam_beta1', 0.9)), String(num('adam_beta2', 0.999)));
  flag('adam.eps', num('adam_epsilon', 1e-8));
  flag('adam.weight_decay', num('weight_decay', 0));
  flag('max_norm', num('max_grad_norm', 1));

  const sched = String(config['lr_scheduler_type'] ?? 'linear');
  // OpenRLHF's default is cosine with a floor of 10% of the peak; radpo's cosine decays to 0.
  if (sched === 'cosine') { flag('lr_scheduler', 'cosine_with_min_lr'); flag('min_lr_ratio', 0); }
  else if (['linear', 'constant', 'constant_with_warmup'].includes(sched)) flag('lr_scheduler', sched);
  else unmapped.push({ key: 'lr_scheduler_type', value: sched, reason: 'no matching OpenRLHF scheduler known to radpo' });
  const ws = num('warmup_steps', 0), wr = num('warmup_ratio', 0);
  if (ws > 0) unmapped.push({ key: 'warmup_steps', value: ws, reason: 'OpenRLHF takes --lr_warmup_ratio only; convert the step count to a ratio of the total steps by hand' });
  flag('lr_warmup_ratio', ws > 0 ? 0 : wr);

  flag('model.beta', num('beta', 0.1));
  const loss = String(config['loss_type'] ?? 'sigmoid');
  const eps = num('label_smoothing', 0);
  if (loss === 'sigmoid') { if (eps > 0) flag('model.label_smoothing', eps); }
  else if (loss === 'ipo') { flag('model.ipo_enable'); unmapped.push({ key: 'loss_type', value: 'ipo', reason: 'OpenRLHF IPO uses summed (not length-averaged) log-ratios: beta means something else' }); }
  else unmapped.push({ key: 'loss_type', value: loss, reason: 'OpenRLHF DPO implements sigmoid (cDPO) and ipo only' });
  const alpha = num('rpo_alpha', 0);
  if (alpha > 0) { flag('model.nll_loss_coef', alpha); unmapped.push({ key: 'rpo_alpha', value: alpha, reason: 'mapped to --model.nll_loss_coef, which averages per-sequence mean NLLs (radpo/TRL average over all chosen tokens): equal only for equal lengths' }); }

  flag('logger.logging_steps', num('logging_steps', 1));
  flag('eval.steps', config['eval_strategy'] === 'no' ? -1 : num('eval_steps', -1));
  flag('ckpt.save_steps', num('save_steps', -1));
  if (typeof config['save_total_limit'] === 'number') flag('ckpt.max_num', config['save_total_limit']);
  flag('ckpt.output_dir', opts.outputDir ?? 'output-openrlhf');
  flag('ckpt.save_hf');
  flag('ds.zero_stage', 3); flag('ds.param_dtype', 'bf16');
  if (config['gradient_checkpointing'] === true) flag('model.gradient_checkpointing_enable');
  if (config['use_peft'] === true) {
    flag('ds.lora.rank', num('lora_r', 16)); flag('ds.lora.alpha', num('lora_alpha', 32)); flag('ds.lora.dropout', num('lora_dropout', 0.05));
    const tm = config['lora_target_modules'];
    if (Array.isArray(tm) && tm.length > 0) a.push('--ds.lora.target_modules', ...tm.map(String));
  }
  for (const [k, reason] of [
    ['max_prompt_length', 'OpenRLHF truncates prompt+completion to --data.max_len only'],
    ['precompute_ref_log_probs', 'OpenRLHF always runs the reference model live'],
    ['truncation_mode', 'OpenRLHF truncation is fixed'],
  ] as const) if (set(k)) unmapped.push({ key: k, value: config[k], reason });
  if (set('weight_column')) unmapped.push({ key: 'weight_column', value: config['weight_column'], reason: 'per-pair weights are not read by OpenRLHF DPO' });
  const command = ['deepspeed --module openrlhf.cli.train_dpo', ...chunkFlags(a)].join(' \\\n   ');
  return { args: a, command, unmapped };
}

/** Groups `--flag value...` for one-flag-per-line printing, quoting values with shell-special characters. */
function chunkFlags(args: string[]): string[] {
  const out: string[] = [];
  for (const x of args) {
    const q = /^[\w@%+=:,./-]+$/.test(x) ? x : `'${x.replace(/'/g, `'\\''`)}'`;
    if (x.startsWith('--') || out.length === 0) out.push(q);
    else out[out.length - 1] += ` ${q}`;
  }
  return out;
}
