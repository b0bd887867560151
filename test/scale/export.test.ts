import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { main } from '../../src/cli/main.js';
import { readRows } from '../../src/data/read.js';
import { accelerateConfig, launchCommand } from '../../src/scale/accelerate.js';
import { openrlhfDpoCommand } from '../../src/scale/openrlhf.js';

// Real rows: TRL standard (explicit string prompt) for train; TRL conversational implicit-prompt rows for test.
// The trainers' reader refuses a file with a bad row (trl-standard row 44 has chosen == rejected; conversational row 51
// an empty chosen), so the tests take the rows before those.
const STD = '/work/shared/data/real/trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl';
const firstLines = (file: string, n: number): string[] => fs.readFileSync(file, 'utf8').split('\n').slice(0, n);
const CONV = '/work/shared/data/real/trl-conversational-implicit/ultrafeedback_binarized_train_prefs_first500.chosen_rejected.jsonl';

function tmpdir(): string { return fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-scale-')); }
// (The command's summary goes to stdout, which the test runner also uses; it shows up as TAP comments.)
const quiet = <T>(fn: () => Promise<T>): Promise<T> => fn();

test('radpo export trl: DPO recipe on real UltraFeedback rows -> complete job folder', async () => {
  const dir = tmpdir();
  const model = path.join(dir, 'tiny-model');
  fs.mkdirSync(model);
  fs.writeFileSync(path.join(model, 'config.json'), '{}');
  const TRAIN = path.join(dir, 'train.jsonl');
  fs.writeFileSync(TRAIN, firstLines(STD, 40).join('\n') + '\n');
  const TEST = path.join(dir, 'test.jsonl');
  fs.writeFileSync(TEST, firstLines(CONV, 30).join('\n') + '\n');
  const recipe = path.join(dir, 'recipe.yaml');
  fs.writeFileSync(recipe, [
    `model_name_or_path: ${model}`, `dataset_name: ${TRAIN}`, `dataset_test_split: ${TEST}`, 'eval_strategy: steps',
    'beta: 0.01', 'learning_rate: 5.0e-7', 'lr_scheduler_type: cosine', 'warmup_ratio: 0.1', 'num_train_epochs: 1',
    'per_device_train_batch_size: 2', 'gradient_accumulation_steps: 64', 'max_length: 1024', 'max_prompt_length: 512',
    'label_smoothing: 0.3', 'seed: 42', 'output_dir: runs/ra-dpo',
  ].join('\n'));
  const out = path.join(dir, 'job');
  const code = await quiet(() => main(['export', 'trl', '--config', recipe, '-o', out, '--num_processes', '8', '--beta', '0.02', '--use_peft', '--lora_r', '8']));
  assert.equal(code, 0);
  for (const f of ['README.md', 'trl_config.yaml', 'train.py', 'requirements.txt', 'launch.sh', 'openrlhf_dpo.sh', 'radpo_export.json',
    'accelerate/ddp.yaml', 'accelerate/zero3.yaml', 'accelerate/fsdp.yaml', 'dataset/README.md',
    'dataset/data/train-00000-of-00001.parquet', 'dataset/data/test-00000-of-00001.parquet']) {
    assert.ok(fs.existsSync(path.join(out, f)), f);
  }
  // TRL config: flag override beats the recipe; cDPO written as sigmoid + robust with hand-checked weights.
  const trl = parseYaml(fs.readFileSync(path.join(out, 'trl_config.yaml'), 'utf8')) as Record<string, unknown>;
  assert.equal(trl['beta'], 0.02);
  assert.deepEqual(trl['loss_type'], ['sigmoid', 'robust']);
  assert.deepEqual(trl['loss_weights'], [1.4, -0.4]);
  assert.equal(trl['label_smoothing'], 0.3);
  assert.equal(trl['gradient_accumulation_steps'], 8);   // 2 x 64 on one process = 2 x 8 x 8 processes
  assert.equal(trl['warmup_steps'], 0.1);
  assert.equal(trl['model_name_or_path'], model);
  assert.equal(trl['dataset_name'], 'dataset');
  assert.equal(trl['eval_strategy'], 'steps');
  assert.equal(trl['max_prompt_length'], undefined);      // no such key in TRL 1.16
  assert.equal(trl['use_peft'], true);                     // LoRA flags: TRL ModelConfig names
  assert.equal(trl['lora_r'], 8);
  assert.equal(trl['lora_alpha'], 32);                     // radpo's default = TRL ModelConfig's default
  assert.equal((trl['lora_target_modules'] as string[]).length, 7);
  // Dataset: every row of both files, TRL explicit-prompt conversational format, read back with radpo's reader.
  const rows: Record<string, unknown>[] = [];
  for await (const r of readRows(path.join(out, 'dataset'), { split: 'train' })) rows.push(r.row);
  assert.equal(rows.length, 40);
  const first = JSON.parse(fs.readFileSync(TRAIN, 'utf8').split('\n')[0]!) as Record<string, string>;
  assert.deepEqual(Object.keys(rows[0]!).sort(), ['chosen', 'prompt', 'rejected']);
  assert.equal(rows[0]!['prompt'], first['prompt']);
  assert.equal(rows[0]!['chosen'], first['chosen']);
  const test: Record<string, unknown>[] = [];
  for await (const r of readRows(path.join(out, 'dataset'), { split: 'test' })) test.push(r.row);
  assert.equal(test.length, 30);
  const c0 = JSON.parse(fs.readFileSync(TEST, 'utf8').split('\n')[0]!) as { chosen: { role: string; content: string }[] };
  const t0 = test[0] as { prompt: { role: string; content: string }[]; chosen: { role: string; content: string }[] };
  assert.equal(t0.prompt[0]!.content, c0.chosen[0]!.content);   // implicit prompt = the shared user turn
  assert.deepEqual(t0.chosen.map((m) => m.role), ['assistant']);
  assert.equal(t0.chosen[0]!.content, c0.chosen[c0.chosen.length - 1]!.content);
  // README states the TRL version, the cDPO mapping and what does not map.
  const readme = fs.readFileSync(path.join(out, 'README.md'), 'utf8');
  assert.match(readme, /TRL 1\.16\.0/);
  assert.match(readme, /conservative DPO/);
  assert.match(readme, /`max_prompt_length`/);
  assert.match(readme, /accelerate launch --config_file accelerate\/zero3\.yaml train\.py --config trl_config\.yaml/);
  // OpenRLHF: cDPO passes unchanged; global batch 128.
  const orl = fs.readFileSync(path.join(out, 'openrlhf_dpo.sh'), 'utf8');
  assert.match(orl, /--model\.label_smoothing 0\.3/);
  assert.match(orl, /--train\.batch_size 128/);
  assert.match(orl, /--lr_scheduler cosine_with_min_lr/);
  assert.match(orl, /--min_lr_ratio 0\b/);
  assert.match(orl, /--ds\.lora\.rank 8/);
  const meta = JSON.parse(fs.readFileSync(path.join(out, 'radpo_export.json'), 'utf8')) as { rows: Record<string, number>; radpo_config: Record<string, unknown> };
  assert.deepEqual(meta.rows, { train: 40, test: 30 });
  assert.equal(meta.radpo_config['max_prompt_length'], 512);
  // No temp folders left beside the export.
  assert.deepEqual(fs.readdirSync(dir).filter((f) => f.includes('.tmp')), []);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('export: the trainer is inferred from SFT-only keys; a bad key fails and leaves nothing', async () => {
  const dir = tmpdir();
  const TRAIN = path.join(dir, 'sft.jsonl');
  fs.writeFileSync(TRAIN, firstLines(STD, 20).map((l) => { const r = JSON.parse(l) as Record<string, string>; return JSON.stringify({ prompt: r['prompt'], completion: r['chosen'] }); }).join('\n') + '\n');
  const recipe = path.join(dir, 'sft.yaml');
  fs.writeFileSync(recipe, `model_name_or_path: some/hub-model\ndataset_name: ${TRAIN}\npacking: false\nmax_length: 256\n`);
  const out = path.join(dir, 'job');
  assert.equal(await quiet(() => main(['export', 'trl', '--config', recipe, '-o', out])), 0);
  const trl = parseYaml(fs.readFileSync(path.join(out, 'trl_config.yaml'), 'utf8')) as Record<string, unknown>;
  assert.equal(trl['max_length'], 256);
  assert.equal(trl['beta'], undefined);
  const py = fs.readFileSync(path.join(out, 'train.py'), 'utf8');
  assert.match(py, /SFTTrainer/);
  // multi-process launches leave the process group before exit (else a rank can abort in teardown after training)
  assert.match(py, /if dist\.is_available\(\) and dist\.is_initialized\(\):\n\s+trainer\.accelerator\.wait_for_everyone\(\)\n\s+dist\.destroy_process_group\(\)/);
  assert.ok(!fs.existsSync(path.join(out, 'openrlhf_dpo.sh')));
  const rows: Record<string, unknown>[] = [];
  for await (const r of readRows(path.join(out, 'dataset'), { split: 'train' })) rows.push(r.row);
  assert.deepEqual(Object.keys(rows[0]!).sort(), ['completion', 'prompt']);
  const bad = path.join(dir, 'job2');
  const w = process.stderr.write.bind(process.stderr);
  process.stderr.write = (() => true) as typeof process.stderr.write;
  try {
    assert.notEqual(await main(['export', 'trl', '--config', recipe, '-o', bad, '--bta', '1']), 0);
  } finally { process.stderr.write = w; }
  assert.ok(!fs.existsSync(bad));
  fs.rmSync(dir, { recursive: true, force: true });
});

test('accelerate configs and launch commands', () => {
  const shape = { numProcesses: 16, numMachines: 2, mixedPrecision: 'bf16' as const };
  const z3 = accelerateConfig('zero3', shape);
  assert.equal(z3['distributed_type'], 'DEEPSPEED');
  assert.equal((z3['deepspeed_config'] as Record<string, unknown>)['zero_stage'], 3);
  assert.equal(z3['num_processes'], 16);
  assert.equal(z3['num_machines'], 2);
  assert.equal(accelerateConfig('ddp', shape)['distributed_type'], 'MULTI_GPU');
  assert.equal((accelerateConfig('fsdp', shape)['fsdp_config'] as Record<string, unknown>)['fsdp_version'], 2);
  assert.match(launchCommand('zero3', shape), /--machine_rank \$MACHINE_RANK --main_process_ip \$MAIN_PROCESS_IP/);
  assert.equal(launchCommand('single', shape), 'python train.py --config trl_config.yaml');
});

test('OpenRLHF: loss types it lacks and settings it cannot take are reported', () => {
  const c = openrlhfDpoCommand({ loss_type: 'hinge', max_steps: 10, num_train_epochs: 1.5, warmup_steps: 5, rpo_alpha: 1 }, { datasetPath: 'dataset', numProcesses: 8, conversational: true });
  const keys = c.unmapped.map((u) => u.key);
  for (const k of ['loss_type', 'max_steps', 'num_train_epochs', 'warmup_steps', 'rpo_alpha']) assert.ok(keys.includes(k), k);
  assert.ok(c.args.includes('--data.apply_chat_template'));
  const i = c.args.indexOf('--model.nll_loss_coef');
  assert.equal(c.args[i + 1], '1');
});
