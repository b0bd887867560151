import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { trainDpoCommand } from '../../src/cli/commands/train.js';
import { Model } from '../../src/model/model.js';
import { tinyModelFolder, tmpDir } from './helpers.js';

// Real rows: TRL standard format (prompt / chosen / rejected text) and conversational-implicit (message lists).
const REAL = '../shared/data/real';
function sample(file: string, n: number, dir: string): string {
  const lines = fs.readFileSync(path.join(REAL, file), 'utf8').split('\n').filter((l) => l.trim()).slice(0, n);
  const out = path.join(dir, path.basename(file));
  fs.writeFileSync(out, lines.join('\n') + '\n');
  return out;
}

const child = path.join(path.dirname(new URL(import.meta.url).pathname), 'cli_child.ts');
/** The CLI in a child process (the test runner reports through this process's stdout, so it is not patched). */
async function quietMain(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const p = spawn(process.execPath, ['--import', 'tsx', child, ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '', err = '';
  p.stdout.on('data', (d) => { out += String(d); });
  p.stderr.on('data', (d) => { err += String(d); });
  const code = await new Promise<number>((res) => p.on('close', (c) => res(c ?? -1)));
  return { code, out, err };
}

test('contract: radpo train dpo with flags only writes OUT/metrics.jsonl with step and TRL metric names', async () => {
  const model = await tinyModelFolder();
  const dir = tmpDir('cli');
  const data = sample('trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl', 4, dir);
  const out = path.join(dir, 'out');
  const r = await quietMain(['train', 'dpo', '--model_name_or_path', model, '--dataset_name', data, '--output_dir', out, '--max_steps', '1', '--logging_steps', '1', '--max_length', '96', '--per_device_train_batch_size', '2']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /radpo train dpo: 1 steps, loss 0\.6931/);
  const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(lines.length, 1);
  for (const k of ['step', 'loss', 'grad_norm', 'learning_rate', 'epoch', 'rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logps/rejected', 'num_tokens']) assert.ok(k in lines[0], k);
  // the output folder is a loadable model with the tokenizer beside it
  await Model.load(out);
  assert.ok(fs.existsSync(path.join(out, 'tokenizer.json')));
  const args = JSON.parse(fs.readFileSync(path.join(out, 'training_args.json'), 'utf8'));
  assert.equal(args.max_length, 96); assert.equal(args.loss_type, 'sigmoid');
});

test('recipe file plus overrides; unknown keys and wrong types are errors naming them; SFT on messages', async () => {
  const model = await tinyModelFolder(2);
  const dir = tmpDir('cli2');
  const data = sample('trl-conversational-implicit/ultrafeedback_binarized_test_prefs_first500.chosen_rejected.jsonl', 3, dir);
  const recipe = path.join(dir, 'r.yaml');
  fs.writeFileSync(recipe, `model_name_or_path: ${model}\ndataset_name: ${data}\nbeta: 0.01\nloss_type: ipo\nmax_steps: 1\nlogging_steps: 1\nmax_length: 64\ntruncation_mode: keep_end\nper_device_train_batch_size: 3\n`);
  const out = path.join(dir, 'o');
  const r = await quietMain(['train', 'dpo', '--config', recipe, '--output_dir', out, '--beta', '0.05']);
  assert.equal(r.code, 0, r.err);
  const args = JSON.parse(fs.readFileSync(path.join(out, 'training_args.json'), 'utf8'));
  assert.equal(args.beta, 0.05); assert.equal(args.loss_type, 'ipo');

  // errors, in-process (commands throw RadpoError; main prints it): unknown recipe key, wrong type, missing model
  fs.writeFileSync(recipe, 'betta: 0.1\n');
  await assert.rejects(trainDpoCommand.run(['--config', recipe]), /field "betta".*unknown key \(did you mean --beta\?\)/);
  await assert.rejects(trainDpoCommand.run(['--model_name_or_path', model, '--dataset_name', data, '--learning_rate', 'fast']), /field "learning_rate", value "fast": expected a finite number/);
  await assert.rejects(trainDpoCommand.run(['--dataset_name', data]), (e: Error & { code?: string }) => e.code === 'usage' && /model_name_or_path/.test(e.message));
  await assert.rejects(trainDpoCommand.run(['--losstype', 'ipo']), /unknown option --losstype \(did you mean --loss_type\?\)/);

  const sft = await quietMain(['train', 'sft', '--model_name_or_path', model, '--dataset_name', data, '--output_dir', path.join(dir, 's'), '--max_steps', '2', '--logging_steps', '1', '--max_length', '64', '--truncation_mode', 'keep_end', '--per_device_train_batch_size', '2', '--packing']);
  assert.equal(sft.code, 0, sft.err);
  const m = fs.readFileSync(path.join(dir, 's', 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // random init over a 703-token vocabulary: the first loss is near ln(703) = 6.56
  assert.ok(Math.abs(m[0].loss - Math.log(703)) < 1, `sft loss ${m[0].loss}`);
});

test('radpo train dpo --use_peft trains a LoRA adapter (PEFT files) and leaves the base weights alone', async () => {
  const model = await tinyModelFolder();
  const dir = tmpDir('cli-peft');
  const data = sample('trl-standard/trl-lib_ultrafeedback_binarized_eval_clean_200.jsonl', 4, dir);
  const out = path.join(dir, 'out');
  const r = await quietMain(['train', 'dpo', '--model_name_or_path', model, '--dataset_name', data, '--output_dir', out, '--max_steps', '2', '--logging_steps', '1', '--max_length', '96', '--per_device_train_batch_size', '2', '--use_peft', '--lora_r', '4', '--learning_rate', '1e-2']);
  assert.equal(r.code, 0, r.err);
  assert.ok(fs.existsSync(path.join(out, 'adapter_config.json')), 'adapter_config.json written');
  assert.ok(fs.existsSync(path.join(out, 'adapter_model.safetensors')), 'adapter_model.safetensors written');
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8')).r, 4);
  // without --use_peft the LoRA keys are accepted and ignored: a full model folder comes out
  const out2 = path.join(dir, 'full');
  const r2 = await quietMain(['train', 'dpo', '--model_name_or_path', model, '--dataset_name', data, '--output_dir', out2, '--max_steps', '1', '--max_length', '96', '--per_device_train_batch_size', '2', '--lora_r', '4']);
  assert.equal(r2.code, 0, r2.err);
  assert.ok(fs.existsSync(path.join(out2, 'model.safetensors')));
  assert.ok(!fs.existsSync(path.join(out2, 'adapter_config.json')));
});
