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

test('AdamW in WebAssembly SIMD equals the TypeScript loop within float32 rounding (decay runs, gradient scale, odd size, restored state)', () => {
  const P = 5003; // not a multiple of 4: the scalar tail runs
  const rng = (seed: number) => { let x = seed; return () => { x = (x * 1103515245 + 12345) % 2147483648; return x / 2147483648 - 0.5; }; };
  const r = rng(7);
  const mask = Uint8Array.from({ length: P }, (_, i) => (i % 1000 < 700 ? 1 : 0)); // alternating decay / no-decay runs
  const opts = { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 0.1, decayMask: mask };
  const simd = new AdamW(P, opts, true), plain = new AdamW(P, opts, false);
  assert.ok(simd.simd && !plain.simd);
  const p1 = Float32Array.from({ length: P }, r), p2 = p1.slice();
  for (let k = 0; k < 5; k++) {
    const g = Float32Array.from({ length: P }, r), before = g.slice();
    simd.step(p1, g, 1e-2, 0.5); plain.step(p2, g, 1e-2, 0.5);
    assert.deepEqual(g, before, 'gradients are read, not written');
    if (k === 2) { // a checkpoint restore replaces the state arrays: the wasm path adopts them
      simd.state = { step: simd.state.step, m: simd.state.m.slice(), v: simd.state.v.slice() };
    }
  }
  let worst = 0;
  for (let i = 0; i < P; i++) worst = Math.max(worst, Math.abs((p1[i] as number) - (p2[i] as number)) / (1e-3 + Math.abs(p2[i] as number)));
  assert.ok(worst < 1e-5, `max relative difference ${worst}`);
  // the decay mask matters: a run without decay moved differently from one with it
  const noDecay = new AdamW(P, { ...opts, decayMask: null }, true), p3 = Float32Array.from({ length: P }, rng(7));
  noDecay.step(p3, new Float32Array(P), 1e-2); // zero gradient: only the decay moves weights
  const p0 = Float32Array.from({ length: P }, rng(7));
  assert.ok(Math.abs((p3[0] as number) - (p0[0] as number) * (1 - 1e-3)) < 1e-7 && p3[750] !== p0[750]);
});
