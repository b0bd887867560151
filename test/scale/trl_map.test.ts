import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conservativeDpoToTrl, mapToTrl } from '../../src/scale/trl_map.js';
import { DPO_OPTIONS, SFT_OPTIONS } from '../../src/train/config.js';
import { resolveOptions } from '../../src/util/options.js';
import { pairLoss } from '../../src/train/losses.js';

// float64 transcription of TRL 1.16 DPOTrainer's per-sequence losses we combine (dpo_trainer.py, read in the venv):
//   sigmoid: -logsig(beta*delta);  robust: (-(1-e) logsig(beta*delta) + e logsig(-beta*delta)) / (1 - 2e)
//   total = sum_i loss_weights[i] * loss_i
const logsig = (x: number): number => (x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x)));
function trlLoss(spec: { loss_type: string[]; loss_weights: number[] | null; label_smoothing: number }, z: number): number {
  const e = spec.label_smoothing;
  let total = 0;
  spec.loss_type.forEach((t, i) => {
    const w = spec.loss_weights ? spec.loss_weights[i]! : 1;
    if (t === 'sigmoid') total += w * -logsig(z);
    else if (t === 'robust') total += w * ((-(1 - e) * logsig(z) + e * logsig(-z)) / (1 - 2 * e));
    else throw new Error(t);
  });
  return total;
}
// cDPO as TRL 0.8.2 / OpenRLHF / radpo define it.
const cdpo = (eps: number, z: number): number => -(1 - eps) * logsig(z) - eps * logsig(-z);

test('cDPO mapping: hand-checked weights', () => {
  assert.deepEqual(conservativeDpoToTrl(0), { loss_type: ['sigmoid'], loss_weights: null, label_smoothing: 0 });
  const s = conservativeDpoToTrl(0.3);  // eps' = eps: weights 2 - 2*0.3 = 1.4 and -(1 - 0.6) = -0.4
  assert.deepEqual(s.loss_type, ['sigmoid', 'robust']);
  assert.equal(s.label_smoothing, 0.3);
  assert.ok(Math.abs(s.loss_weights![0]! - 1.4) < 1e-15 && Math.abs(s.loss_weights![1]! + 0.4) < 1e-15);
  const h = conservativeDpoToTrl(0.5);  // eps >= 0.5: eps' = 0.25, weights 1 + 2*0.5 = 2 and -1
  assert.deepEqual(h, { loss_type: ['sigmoid', 'robust'], loss_weights: [2, -1], label_smoothing: 0.25 });
  // z = 1, eps = 0.3 by hand: 0.7 * softplus(-1) + 0.3 * softplus(1) = 0.7 * 0.3132617 + 0.3 * 1.3132617 = 0.6132617
  assert.ok(Math.abs(trlLoss(s, 1) - 0.6132617) < 1e-7);  // 7 printed digits
  assert.throws(() => conservativeDpoToTrl(1));
});

test('cDPO mapping: TRL 1.16 combined loss equals cDPO for every eps and z, and its slope too', () => {
  for (const eps of [0.01, 0.1, 0.3, 0.45, 0.5, 0.7, 0.99]) {
    const spec = conservativeDpoToTrl(eps);
    for (const z of [-30, -4, -1, -0.1, 0, 0.1, 1, 4, 30]) {
      // 1e-12 relative: float64 rounding of a few terms of size <= 31 (weights up to ~3).
      assert.ok(Math.abs(trlLoss(spec, z) - cdpo(eps, z)) <= 1e-12 * Math.max(1, Math.abs(z)), `eps ${eps} z ${z}`);
      const h = 1e-5;  // central differences, error ~h^2 * |f'''| << 1e-8
      const dT = (trlLoss(spec, z + h) - trlLoss(spec, z - h)) / (2 * h);
      const dC = (cdpo(eps, z + h) - cdpo(eps, z - h)) / (2 * h);
      assert.ok(Math.abs(dT - dC) < 1e-8, `slope eps ${eps} z ${z}`);
    }
  }
  // radpo's own sigmoid loss with label_smoothing (src/train/losses.ts) is the cDPO the mapping targets.
  for (const eps of [0.1, 0.3]) for (const d of [-2, 0.5, 3]) {
    const p = { policy_chosen: d, policy_rejected: 0, ref_chosen: 0, ref_rejected: 0, chosen_length: 1, rejected_length: 1 };
    const l = pairLoss('sigmoid', p, { beta: 0.7, label_smoothing: eps, discopop_tau: 0.05 }).loss;
    assert.ok(Math.abs(l - trlLoss(conservativeDpoToTrl(eps), 0.7 * d)) < 1e-12);  // float64 rounding
  }
  // A mapping that just passed label_smoothing to TRL's sigmoid would be wrong: it ignores it (would fail here).
  assert.ok(Math.abs(trlLoss({ loss_type: ['sigmoid'], loss_weights: null, label_smoothing: 0.3 }, 1) - cdpo(0.3, 1)) > 0.2);
});

test('DPO recipe -> TRL args: names, values, warmup, accumulation over processes, rpo_alpha', () => {
  const cfg = resolveOptions(DPO_OPTIONS, {
    model_name_or_path: 'Qwen/Qwen2-7B-Instruct', dataset_name: 'ra.jsonl', output_dir: 'runs/x', beta: 0.01,
    learning_rate: 5e-7, lr_scheduler_type: 'cosine', warmup_ratio: 0.1, num_train_epochs: 1,
    per_device_train_batch_size: 2, gradient_accumulation_steps: 64, max_length: 1024, max_prompt_length: 512,
    label_smoothing: 0.3, rpo_alpha: 0.5, seed: 7,
  }) as Record<string, unknown>;
  const defaults = Object.fromEntries(Object.entries(DPO_OPTIONS).filter(([, s]) => 'default' in s).map(([k, s]) => [k, (s as { default: unknown }).default]));
  const m = mapToTrl('dpo', cfg, { datasetPath: 'dataset', numProcesses: 8, defaults });
  const a = m.args;
  assert.equal(a['model_name_or_path'], 'Qwen/Qwen2-7B-Instruct');
  assert.equal(a['dataset_name'], 'dataset');
  assert.equal(a['output_dir'], 'output');
  assert.equal(a['beta'], 0.01);
  assert.equal(a['learning_rate'], 5e-7);
  assert.equal(a['lr_scheduler_type'], 'cosine');
  assert.equal(a['warmup_steps'], 0.1);               // transformers 5: float < 1 = ratio
  assert.equal(a['warmup_ratio'], undefined);
  assert.equal(a['per_device_train_batch_size'], 2);
  assert.equal(a['gradient_accumulation_steps'], 8);  // 2 x 64 x 1 = 2 x 8 x 8 = 128
  assert.equal(a['seed'], 7);
  assert.deepEqual(a['loss_type'], ['sigmoid', 'robust', 'sft']);
  assert.ok(Math.abs((a['loss_weights'] as number[])[0]! - 1.4) < 1e-15);
  assert.equal((a['loss_weights'] as number[])[2], 0.5);
  assert.equal(a['label_smoothing'], 0.3);
  const keys = m.unmapped.map((u) => u.key);
  assert.ok(keys.includes('max_prompt_length'));
  assert.ok(!keys.includes('beta') && !keys.includes('max_length'));
});

test('warmup_steps wins over warmup_ratio; indivisible accumulation is reported', () => {
  const cfg = resolveOptions(DPO_OPTIONS, { warmup_steps: 10, warmup_ratio: 0.1, gradient_accumulation_steps: 3 }) as Record<string, unknown>;
  const m = mapToTrl('dpo', cfg, { datasetPath: 'dataset', numProcesses: 2 });
  assert.equal(m.args['warmup_steps'], 10);
  assert.equal(m.args['gradient_accumulation_steps'], 3);
  assert.ok(m.notes.some((n) => /not divisible by 2/.test(n)));
});

test('robust / exo_pair pass label_smoothing through unchanged (same semantics in radpo and TRL 1.16)', () => {
  for (const lt of ['robust', 'exo_pair'] as const) {
    const cfg = resolveOptions(DPO_OPTIONS, { loss_type: lt, label_smoothing: 0.1 }) as Record<string, unknown>;
    const m = mapToTrl('dpo', cfg, { datasetPath: 'dataset' });
    assert.deepEqual(m.args['loss_type'], [lt]);
    assert.equal(m.args['label_smoothing'], 0.1);
    assert.equal(m.args['loss_weights'], undefined);
  }
});

test('SFT recipe -> SFTConfig args, no DPO keys', () => {
  const cfg = resolveOptions(SFT_OPTIONS, { model_name_or_path: 'm', packing: true, max_length: 512 }) as Record<string, unknown>;
  const m = mapToTrl('sft', cfg, { datasetPath: 'dataset' });
  assert.equal(m.args['packing'], true);
  assert.equal(m.args['completion_only_loss'], true);
  assert.equal(m.args['max_length'], 512);
  assert.equal(m.args['beta'], undefined);
  assert.equal(m.args['loss_type'], undefined);
});

test('LoRA keys map to TRL ModelConfig only with use_peft; default targets are written out (PEFT would pick q/v only)', () => {
  const off = mapToTrl('dpo', { lora_r: 8 }, { datasetPath: 'dataset' });
  assert.equal(off.args['lora_r'], undefined);
  const on = mapToTrl('dpo', { use_peft: true, lora_r: 8, lora_alpha: 16, lora_dropout: 0 }, { datasetPath: 'dataset' });
  assert.equal(on.args['use_peft'], true);
  assert.equal(on.args['lora_r'], 8);
  assert.deepEqual(on.args['lora_target_modules'], ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj']);
  const half = mapToTrl('sft', { use_peft: true, lora_alpha: 2.5 }, { datasetPath: 'dataset' });
  assert.ok(half.unmapped.some((u) => u.key === 'lora_alpha'));
});
