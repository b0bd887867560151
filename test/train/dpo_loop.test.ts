import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { trainDpo } from '../../src/train/dpo.js';
import { trainSft } from '../../src/train/sft.js';
import { maxAbsDiff, randomPairs, tinyModel, tmpDir } from './helpers.js';

const base = { learning_rate: 1e-2, logging_steps: 1, seed: 3, max_length: 64, lr_scheduler_type: 'constant' as const };

test('step-1 DPO loss is ln 2 when policy and reference coincide (sigmoid, no smoothing), with TRL metric names', async () => {
  const r = await trainDpo({ ...base, max_steps: 1, per_device_train_batch_size: 4 }, { model: tinyModel(), train: randomPairs(8, 1), quiet: true });
  const m = r.metrics[0]!;
  // policy == reference at step 1, so every log-ratio is exactly 0 (same float32 forward twice)
  assert.equal(m.loss, Math.LN2);
  for (const k of ['step', 'epoch', 'loss', 'grad_norm', 'learning_rate', 'rewards/chosen', 'rewards/rejected', 'rewards/margins', 'rewards/accuracies', 'logps/chosen', 'logps/rejected', 'num_tokens']) {
    assert.ok(k in m, `missing metric ${k}`);
  }
  assert.equal(m['rewards/margins'], 0); assert.equal(m['rewards/accuracies'], 0);
  assert.equal(m.step, 1); assert.equal(m.epoch, 0.5);
  assert.ok(m['logps/chosen']! < 0 && m.grad_norm! > 0);
});

test('per-pair weights from a data column scale each pair loss (loss = mean w_i l_i)', async () => {
  const pairs = randomPairs(4, 1).map((p, i) => ({ ...p, w: i < 2 ? 3 : 1 }));
  const r = await trainDpo({ ...base, max_steps: 1, per_device_train_batch_size: 4, weight_column: 'w' }, { model: tinyModel(), train: pairs, quiet: true });
  // every pair loss is ln 2 at step 1, so the weighted mean is (3 + 3 + 1 + 1) / 4 * ln 2
  assert.ok(Math.abs(r.metrics[0]!.loss! - 2 * Math.LN2) < 1e-12);
  await assert.rejects(trainDpo({ ...base, max_steps: 1, weight_column: 'missing' }, { model: tinyModel(), train: pairs, quiet: true }), /field "missing".*weight must be/);
});

test('batch 8 x accumulation 1 == batch 1 x accumulation 8 (DPO with RPO term, and SFT)', async () => {
  const pairs = randomPairs(16, 2);
  const run = async (b: number, a: number) => trainDpo({ ...base, max_steps: 2, per_device_train_batch_size: b, gradient_accumulation_steps: a, rpo_alpha: 0.5, max_grad_norm: 0.5 }, { model: tinyModel(5), train: pairs, quiet: true });
  const x = await run(8, 1), y = await run(1, 8);
  // same math; float32 sums in another order (other padding) differ ~1e-7 relative. Adam divides by sqrt(v), so
  // a coordinate with a tiny gradient moves ~lr either way: allow 1% of one step (lr 1e-2) on weights.
  assert.ok(maxAbsDiff(x.model.params.data, y.model.params.data) < 1e-4, `weights differ by ${maxAbsDiff(x.model.params.data, y.model.params.data)}`);
  for (const k of ['loss', 'rewards/chosen', 'logps/rejected', 'grad_norm']) {
    assert.ok(Math.abs(x.metrics[1]![k]! - y.metrics[1]![k]!) < 1e-5 * Math.max(1, Math.abs(x.metrics[1]![k]!)), `${k}: ${x.metrics[1]![k]} vs ${y.metrics[1]![k]}`);
  }
  const sft = randomPairs(16, 4).map((p) => ({ input_ids: [...p.prompt_ids, ...p.chosen_ids], completion_mask: [...p.prompt_ids.map(() => 0), ...p.chosen_ids.map(() => 1)] }));
  const s1 = await trainSft({ ...base, max_steps: 2, per_device_train_batch_size: 8 }, { model: tinyModel(6), train: sft, quiet: true });
  const s2 = await trainSft({ ...base, max_steps: 2, per_device_train_batch_size: 1, gradient_accumulation_steps: 8 }, { model: tinyModel(6), train: sft, quiet: true });
  assert.ok(maxAbsDiff(s1.model.params.data, s2.model.params.data) < 1e-4);
  for (const k of ['loss', 'grad_norm']) assert.ok(Math.abs(s1.metrics[0]![k]! - s2.metrics[0]![k]!) < 1e-6 * s1.metrics[0]![k]!, k);
});

test('precomputed reference log-probs (and their disk cache) give the same run as the live reference model', async () => {
  const pairs = randomPairs(12, 7);
  const cache = tmpDir('refcache');
  const cfg = { ...base, max_steps: 3, per_device_train_batch_size: 4, loss_type: 'ipo' as const };
  const live = await trainDpo(cfg, { model: tinyModel(9), train: pairs, quiet: true });
  const pre = await trainDpo({ ...cfg, precompute_ref_log_probs: true, ref_logps_cache_dir: cache, per_device_eval_batch_size: 5 }, { model: tinyModel(9), train: pairs, quiet: true });
  assert.equal(fs.readdirSync(cache).length, 1);
  const again = await trainDpo({ ...cfg, precompute_ref_log_probs: true, ref_logps_cache_dir: cache }, { model: tinyModel(9), train: pairs, quiet: true });
  // reference forwards in other batch shapes (padding) -> float32 rounding only: 1e-5 relative on losses
  for (let i = 0; i < 3; i++) {
    for (const k of ['loss', 'rewards/chosen', 'rewards/margins']) {
      assert.ok(Math.abs(live.metrics[i]![k]! - pre.metrics[i]![k]!) < 1e-5 * Math.max(1, Math.abs(live.metrics[i]![k]!)), `step ${i + 1} ${k}: ${live.metrics[i]![k]} vs ${pre.metrics[i]![k]}`);
    }
  }
  assert.equal(again.metrics[0]!.ref_logps_cache_hit, 1);
  assert.equal(pre.metrics[0]!.ref_logps_cache_hit, 0);
  assert.deepEqual(Array.from(again.model.params.data), Array.from(pre.model.params.data));
});

test('a run folder gets metrics.jsonl, training_args.json, checkpoints with rotation, and the final model', async () => {
  const out = tmpDir('run');
  const r = await trainDpo({ ...base, max_steps: 4, per_device_train_batch_size: 2, output_dir: out, save_steps: 1, save_total_limit: 2, eval_strategy: 'steps', eval_steps: 2 }, { model: tinyModel(), train: randomPairs(6, 1), eval: randomPairs(3, 8), quiet: true });
  const lines = fs.readFileSync(path.join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(lines.filter((l) => 'loss' in l).map((l) => l.step), [1, 2, 3, 4]);
  assert.deepEqual(lines.filter((l) => 'eval_loss' in l).map((l) => l.step), [2, 4]);
  assert.ok('eval_rewards/accuracies' in lines.find((l) => 'eval_loss' in l));
  assert.deepEqual(fs.readdirSync(out).filter((n) => n.startsWith('checkpoint-')).sort(), ['checkpoint-3', 'checkpoint-4']);
  for (const f of ['config.json', 'model.safetensors', 'training_args.json', 'run_info.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
  for (const f of ['model.safetensors', 'optimizer.bin', 'trainer_state.json', 'training_args.json']) assert.ok(fs.existsSync(path.join(out, 'checkpoint-4', f)), f);
  assert.equal(JSON.parse(fs.readFileSync(path.join(out, 'training_args.json'), 'utf8')).beta, 0.1);
  assert.equal(r.globalStep, 4);
});

test('a NaN loss stops training with a numeric error naming the step, keeping the last good checkpoint', async () => {
  const out = tmpDir('nan');
  const model = tinyModel();
  const fwd = model.forward.bind(model);
  let calls = 0;
  // poison the policy's logits from the 3rd optimizer step on (calls: ref + policy per step)
  model.forward = async (ids, B, T, o) => { const l = await fwd(ids, B, T, o); if (o?.train && ++calls >= 3) l.fill(NaN); return l; };
  await assert.rejects(
    trainDpo({ ...base, max_steps: 5, per_device_train_batch_size: 2, output_dir: out, save_steps: 1 }, { model, train: randomPairs(6, 1), quiet: true }),
    (e: Error & { code?: string }) => e.code === 'numeric' && /loss is NaN at step 3/.test(e.message) && /checkpoint-2/.test(e.message),
  );
  assert.deepEqual(fs.readdirSync(out).filter((n) => n.startsWith('checkpoint-')).sort(), ['checkpoint-1', 'checkpoint-2']);
});

test('SFT with packing evaluates on the held-out split at each epoch end (eval_strategy epoch)', async () => {
  const ex = randomPairs(10, 4).map((p) => ({ input_ids: [...p.prompt_ids, ...p.chosen_ids], completion_mask: [...p.prompt_ids.map(() => 0), ...p.chosen_ids.map(() => 1)] }));
  const r = await trainSft({ ...base, num_train_epochs: 2, per_device_train_batch_size: 4, logging_steps: 2, eval_strategy: 'epoch', packing: true, max_length: 16 }, { model: tinyModel(), train: ex, eval: ex.slice(0, 3), quiet: true });
  const evals = r.metrics.filter((m) => 'eval_loss' in m);
  // 10 examples of <= 11 tokens pack into 16-token rows: fewer rows than examples, 2 steps per epoch
  assert.deepEqual(evals.map((m) => [m.step, m.epoch]), [[2, 1], [4, 2]]);
  assert.ok(evals[1]!.eval_loss! < evals[0]!.eval_loss!, 'eval loss falls on the training examples themselves');
});

test('SFT packing trains exactly like the unpacked batch: same loss and gradient norm (attention stays in each example)', async () => {
  const ex = randomPairs(4, 6).map((p) => ({ input_ids: [...p.prompt_ids, ...p.chosen_ids], completion_mask: [...p.prompt_ids.map(() => 0), ...p.chosen_ids.map(() => 1)] }));
  const run = (packing: boolean) => trainSft({ ...base, max_steps: 1, per_device_train_batch_size: packing ? 1 : 4, packing, max_length: 64 },
    { model: tinyModel(7), train: ex, quiet: true });
  const [unpacked, packed] = [await run(false), await run(true)];
  const a = unpacked.metrics[0]!, b = packed.metrics[0]!;
  // one packed row holding all four examples vs a padded batch of four: the same scored tokens, float32 sums in
  // another order
  assert.ok(Math.abs(a.loss! - b.loss!) < 1e-5 * a.loss!, `loss ${a.loss} vs ${b.loss}`);
  assert.ok(Math.abs(a.grad_norm! - b.grad_norm!) < 1e-4 * a.grad_norm!, `grad_norm ${a.grad_norm} vs ${b.grad_norm}`);
});

test('every row too long for max_length: the error says why and what to change (DPO and SFT)', async () => {
  const pairs = randomPairs(4, 8).map((p) => ({ ...p, prompt_ids: Array.from({ length: 20 }, (_, i) => 1 + (i % 5)) }));
  await assert.rejects(trainDpo({ ...base, max_steps: 1, max_length: 16 }, { model: tinyModel(), train: pairs, quiet: true }),
    /all 4 training rows were dropped: no completion token fits in max_length 16 \(truncation_mode keep_start\); raise --max_length; --truncation_mode keep_end/);
  const ex = pairs.map((p) => ({ input_ids: [...p.prompt_ids, ...p.chosen_ids], completion_mask: [...p.prompt_ids.map(() => 0), ...p.chosen_ids.map(() => 1)] }));
  await assert.rejects(trainSft({ ...base, max_steps: 1, max_length: 16 }, { model: tinyModel(), train: ex, quiet: true }), /all 4 training rows were dropped/);
  // keep_end keeps the completion: trains
  const r = await trainDpo({ ...base, max_steps: 1, max_length: 16, truncation_mode: 'keep_end' }, { model: tinyModel(), train: pairs, quiet: true });
  assert.equal(r.globalStep, 1);
});
