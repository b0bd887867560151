import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AdamW, clipGradNorm, decayMaskFor } from '../../src/train/optimizer.js';
import { lrMultiplier, warmupSteps } from '../../src/train/schedule.js';

test('AdamW matches a float64 transcription of torch.optim.AdamW (decoupled decay, bias correction)', () => {
  const p = Float32Array.from([0.5, -1, 2]);
  const grads = [[0.1, -0.2, 0.3], [0.05, 0.4, -0.1], [-0.3, 0.1, 0.2]];
  const opt = new AdamW(3, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, decayMask: Uint8Array.from([1, 1, 0]) });
  // reference: torch docs algorithm, in float64
  const ref = [0.5, -1, 2], m = [0, 0, 0], v = [0, 0, 0];
  const lrs = [1e-2, 5e-3, 2e-3];
  grads.forEach((g, k) => {
    opt.step(p, Float32Array.from(g), lrs[k]!);
    const t = k + 1;
    for (let i = 0; i < 3; i++) {
      if (i !== 2) ref[i]! *= 1 - lrs[k]! * 0.1;
      m[i] = 0.9 * m[i]! + 0.1 * g[i]!;
      v[i] = 0.95 * v[i]! + 0.05 * g[i]! * g[i]!;
      const mh = m[i]! / (1 - 0.9 ** t), vh = v[i]! / (1 - 0.95 ** t);
      ref[i]! -= (lrs[k]! * mh) / (Math.sqrt(vh) + 1e-8);
    }
  });
  // float32 storage of params and moments: ~1e-7 relative per step
  for (let i = 0; i < 3; i++) assert.ok(Math.abs((p[i] as number) - ref[i]!) < 1e-6, `param ${i}: ${p[i]} vs ${ref[i]}`);
  assert.equal(opt.state.step, 3);
});

test('HF no-decay rule skips biases and norm weights', () => {
  const mask = decayMaskFor([
    { name: 'model.embed_tokens.weight', offset: 0, size: 2 },
    { name: 'model.layers.0.input_layernorm.weight', offset: 2, size: 1 },
    { name: 'model.layers.0.self_attn.q_proj.bias', offset: 3, size: 1 },
    { name: 'model.norm.weight', offset: 4, size: 1 },
    { name: 'lm_head.weight', offset: 5, size: 1 },
  ], 6);
  assert.deepEqual(Array.from(mask), [1, 1, 0, 0, 0, 1]);
});

test('gradient clipping scales to max_norm and reports the norm before clipping', () => {
  const g = Float32Array.from([3, 4]);
  assert.equal(clipGradNorm(g, 1), 5);
  assert.ok(Math.abs(Math.hypot(g[0]!, g[1]!) - 1) < 1e-6);
  const h = Float32Array.from([0.3, 0.4]);
  clipGradNorm(h, 1);
  assert.deepEqual(Array.from(h), [Math.fround(0.3), Math.fround(0.4)]);
});

test('schedules: hand-computed values of transformers get_scheduler', () => {
  // 10 steps, 2 warmup: linear 0, 0.5, then (10 - s) / 8
  assert.deepEqual([0, 1, 2, 3, 9].map((s) => lrMultiplier('linear', s, 10, 2)), [0, 0.5, 1, 7 / 8, 1 / 8]);
  // cosine: 0.5 (1 + cos(pi (s - 2) / 8)); at s = 6 progress 0.5 -> 0.5
  assert.ok(Math.abs(lrMultiplier('cosine', 6, 10, 2) - 0.5) < 1e-15);
  assert.ok(Math.abs(lrMultiplier('cosine', 3, 10, 2) - 0.5 * (1 + Math.cos(Math.PI / 8))) < 1e-15);
  assert.equal(lrMultiplier('constant', 0, 10, 2), 1);
  assert.deepEqual([0, 1, 5].map((s) => lrMultiplier('constant_with_warmup', s, 10, 2)), [0, 0.5, 1]);
  assert.equal(warmupSteps(100, 0, 0.1), 10);
  assert.equal(warmupSteps(7, 0, 0.1), 1);   // ceil
  assert.equal(warmupSteps(100, 3, 0.1), 3); // steps win
});
