import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Rng } from '../../src/util/rng.js';
import { parseModelConfig } from '../../src/model/config.js';
import { Model } from '../../src/model/model.js';
import { trainLoraDpo, trainLoraSft } from '../../src/model/lora_train.js';
import { loadAdapter } from '../../src/model/lora_io.js';
import { trainDpo } from '../../src/train/dpo.js';

const cfg = parseModelConfig({
  model_type: 'llama', vocab_size: 29, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 2,
  num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: true,
  max_position_embeddings: 64,
});
const rng = new Rng(1);
const seq = (n: number): number[] => Array.from({ length: n }, () => 1 + rng.int(28));
const PAIRS = Array.from({ length: 8 }, () => ({ prompt_ids: seq(4), chosen_ids: seq(3), rejected_ids: seq(3) }));
const SFT = Array.from({ length: 6 }, () => { const p = seq(4), c = seq(4); return { input_ids: [...p, ...c], completion_mask: [...p.map(() => 0), ...c.map(() => 1)] }; });
const COMMON = { per_device_train_batch_size: 2, gradient_accumulation_steps: 1, max_steps: 3, logging_steps: 1, learning_rate: 0.05, lr_scheduler_type: 'constant', seed: 3, max_length: 32 } as const;

test('LoRA DPO: only the adapter moves, step-1 loss is ln 2 (fresh adapter = reference), no base copy', async () => {
  const base = Model.init(cfg, 2);
  const before = base.params.data.slice();
  const r = await trainLoraDpo({ ...COMMON, beta: 0.5, lora_r: 2, lora_alpha: 4, lora_dropout: 0, lora_target_modules: ['q_proj', 'v_proj', 'down_proj'] },
    { base, train: PAIRS, quiet: true });
  const losses = r.metrics.filter((m) => m.loss !== undefined).map((m) => m.loss!);
  assert.equal(losses.length, 3);
  // B = 0 at init, so policy == reference: sigmoid DPO loss = ln 2 (float32 log-probs: 1e-6).
  assert.ok(Math.abs(losses[0]! - Math.log(2)) < 1e-6, String(losses[0]));
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses[2]! < losses[0]!, `loss went ${losses.join(' -> ')}`);
  assert.deepEqual(base.params.data, before);            // frozen base, bit for bit
  assert.equal(base.grads, null);                         // and no full-size gradient store
  const B = r.model.adapter.params.view('base_model.model.model.layers.0.self_attn.q_proj.lora_B.weight');
  assert.ok(B.some((x) => x !== 0));                      // the adapter learned
});

test('LoRA DPO step 1 equals full DPO on the base (a fresh adapter is the base function), for ipo too', async () => {
  // The first logged loss and metrics come from the forward before any update, so they must agree.
  const base = Model.init(cfg, 5);
  const r1 = await trainLoraDpo({ ...COMMON, max_steps: 1, beta: 0.1, loss_type: 'ipo', lora_r: 2, lora_dropout: 0 }, { base, train: PAIRS, quiet: true });
  const r2 = await trainDpo({ ...COMMON, max_steps: 1, beta: 0.1, loss_type: 'ipo' }, { model: Model.init(cfg, 5), train: PAIRS, quiet: true });
  const m1 = r1.metrics.find((m) => m.loss !== undefined)!, m2 = r2.metrics.find((m) => m.loss !== undefined)!;
  for (const k of ['loss', 'rewards/margins', 'logps/chosen', 'logps/rejected']) {
    assert.ok(Math.abs(m1[k]! - m2[k]!) < 1e-5 * Math.max(1, Math.abs(m2[k]!)), `${k}: ${m1[k]} vs ${m2[k]}`);  // float32
  }
});

test('LoRA SFT writes PEFT checkpoints and a final adapter that reloads', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-lora-sft-'));
  const base = Model.init(cfg, 4);
  const r = await trainLoraSft({ ...COMMON, output_dir: dir, save_steps: 2, lora_r: 4, lora_alpha: 8, lora_dropout: 0.1 }, { base, train: SFT, quiet: true });
  const losses = r.metrics.filter((m) => m.loss !== undefined).map((m) => m.loss!);
  assert.ok(losses.every(Number.isFinite) && losses[2]! < losses[0]!, losses.join(' '));
  for (const d of [dir, path.join(dir, 'checkpoint-2')]) {
    assert.ok(fs.existsSync(path.join(d, 'adapter_config.json')), d);
    assert.ok(fs.existsSync(path.join(d, 'adapter_model.safetensors')), d);
    assert.ok(!fs.existsSync(path.join(d, 'model.safetensors')), d);   // no full copy of the base
  }
  const back = loadAdapter(dir, cfg);
  assert.deepEqual(back.params.data, r.model.adapter.params.data);
  fs.rmSync(dir, { recursive: true, force: true });
});

test('CLI: radpo lora dpo on a radpo-init model folder and text pairs, then radpo lora merge', async () => {
  const { initModelFolder } = await import('../../src/model/init_folder.js');
  const { main } = await import('../../src/cli/main.js');
  const { LoraModel } = await import('../../src/model/lora_model.js');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-lora-cli-'));
  const spec = { model_type: 'llama', vocab_size: 300, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2,
    num_key_value_heads: 1, max_position_embeddings: 128, tie_word_embeddings: true, tokenizer: { kind: 'byte_bpe', vocab_size: 300 } };
  await initModelFolder(spec, path.join(dir, 'base'), { seed: 1, corpus: ['what is two plus two four five', 'the sky is blue green'] });
  const rows = [['What is two plus two?', 'Four.', 'Five.'], ['Sky?', 'Blue.', 'Green.']].map(([p, c, r]) =>
    JSON.stringify({ prompt: [{ role: 'user', content: p }], chosen: [{ role: 'assistant', content: c }], rejected: [{ role: 'assistant', content: r }] }));
  fs.writeFileSync(path.join(dir, 'pairs.jsonl'), rows.join('\n') + '\n');
  const out = path.join(dir, 'adapter');
  assert.equal(await main(['lora', 'dpo', '--model_name_or_path', path.join(dir, 'base'), '--dataset_name', path.join(dir, 'pairs.jsonl'),
    '--output_dir', out, '--max_steps', '2', '--per_device_train_batch_size', '2', '--use_peft', '--lora_r', '4', '--learning_rate', '0.01', '--disable_tqdm']), 0);
  const cfg = JSON.parse(fs.readFileSync(path.join(out, 'adapter_config.json'), 'utf8')) as Record<string, unknown>;
  assert.equal(cfg['r'], 4);
  assert.equal(cfg['base_model_name_or_path'], path.join(dir, 'base'));
  assert.equal(await main(['lora', 'merge', out, '--base', path.join(dir, 'base'), '-o', path.join(dir, 'merged')]), 0);
  const base = await Model.load(path.join(dir, 'base'));
  const lora = new LoraModel(base, loadAdapter(out, base.config));
  const merged = await Model.load(path.join(dir, 'merged'));
  const ids = Int32Array.from([5, 17, 40, 3, 99]);
  const a = await lora.forward(ids, 1, 5), b = await merged.forward(ids, 1, 5), plain = await (await Model.load(path.join(dir, 'base'))).forward(ids, 1, 5);
  let d = 0, moved = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); moved = Math.max(moved, Math.abs(a[i]! - plain[i]!)); }
  assert.ok(d < 1e-5, String(d));      // float32 rounding of merged weights vs the low-rank path
  assert.ok(moved > 1e-6, String(moved)); // two DPO steps moved the adapter off the PEFT init (B = 0)
  fs.rmSync(dir, { recursive: true, force: true });
});

test('LoRA resume_from_checkpoint continues bit-identically (lora_dropout 0)', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-lora-resume-'));
  const c = { ...COMMON, max_steps: 3, save_steps: 1, beta: 0.3, lora_r: 2, lora_dropout: 0 };
  const full = await trainLoraDpo({ ...c, output_dir: path.join(dir, 'a') }, { base: Model.init(cfg, 8), train: PAIRS, quiet: true });
  await trainLoraDpo({ ...c, max_steps: 3, output_dir: path.join(dir, 'b'), save_steps: 1 }, { base: Model.init(cfg, 8), train: PAIRS, quiet: true });
  fs.rmSync(path.join(dir, 'b', 'checkpoint-3'), { recursive: true });
  const resumed = await trainLoraDpo({ ...c, output_dir: path.join(dir, 'b'), resume_from_checkpoint: path.join(dir, 'b', 'checkpoint-2') },
    { base: Model.init(cfg, 8), train: PAIRS, quiet: true });
  assert.equal(resumed.globalStep, 3);
  assert.deepEqual(resumed.model.adapter.params.data, full.model.adapter.params.data);
  fs.rmSync(dir, { recursive: true, force: true });
});
