import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Model } from '../../src/model/model.js';
import { parseModelConfig, type ModelConfig } from '../../src/model/config.js';
import { gemmSettings } from '../../src/model/gemm.js';
import { crossEntropy } from '../../src/model/kernels/loss.js';
import { refForward, refLoss, type Params64 } from './engine_reference.js';
import { relErr } from './engine_helpers.js';

const tiny = (extra: Record<string, unknown>): ModelConfig => parseModelConfig({
  vocab_size: 11, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  head_dim: 4, rms_norm_eps: 1e-5, ...extra,
}, 'test');

const CASES: [string, ModelConfig, boolean][] = [
  ['qwen2 (q/k/v bias, untied, head_dim != hidden/heads), ORT GEMMs', tiny({ model_type: 'qwen2' }), true],
  ['llama (tied, llama3 rope scaling, attention_bias)', tiny({ model_type: 'llama', tie_word_embeddings: true, attention_bias: true, rope_theta: 500000,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8 } }), false],
  ['mistral (sliding window 2)', tiny({ model_type: 'mistral', sliding_window: 2 }), false],
];

/** Batch of 2 x 6: row 0 right-padded (last 2 pads), row 1 left-padded (first 2 pads) with positions cumsum(mask)-1. */
const B = 2, T = 6;
const ids = new Int32Array([3, 1, 4, 1, 0, 0, 0, 0, 5, 9, 2, 6]);
const mask = new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
const pos = new Int32Array([0, 1, 2, 3, 4, 5, 0, 0, 0, 1, 2, 3]);
const labels = new Uint8Array([0, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]);

function perturbed(cfg: ModelConfig, seed: number): Model {
  const m = Model.init(cfg, seed, { initializerRange: 0.5 }); // large weights so every path matters
  const rng = Model.init(cfg, seed + 1, { initializerRange: 0.2 });
  for (const e of m.params.entries) if (e.name.includes('norm') || e.name.endsWith('bias')) {
    const v = m.params.view(e.name), r = rng.params.view(e.name);
    for (let i = 0; i < v.length; i++) v[i]! += r[i]! + (e.name.endsWith('bias') ? 0.3 * Math.sin(i + 1) : 0);
  }
  return m;
}

function to64(m: Model): Params64 {
  return new Map(m.params.entries.map((e) => [e.name, Float64Array.from(m.params.view(e.name))]));
}

for (const [label, cfg, ort] of CASES) {
  test(`model ${label}: logits match the float64 reference; every gradient matches finite differences`, async () => {
    const saved = gemmSettings.refBelowFlops;
    gemmSettings.refBelowFlops = ort ? 0 : Infinity;
    try {
      const m = perturbed(cfg, 21);
      m.enableGrad();
      const logits = await m.forward(ids, B, T, { attentionMask: mask, positionIds: pos, train: true });
      const P = to64(m), V = cfg.vocab_size;
      const ref = refForward(cfg, P, ids, B, T, mask, pos);
      // compare real positions only; fp32 engine vs fp64 reference: ~1e-6 relative
      const real = (a: ArrayLike<number>) => Array.from(a).filter((_, i) => mask[Math.floor(i / V)] === 1);
      assert.ok(relErr(real(logits), real(ref)) < 2e-5, `logits rel err ${relErr(real(logits), real(ref))}`);
      const { loss, dlogits } = crossEntropy(logits, ids, B, T, V, labels);
      assert.ok(Math.abs(loss - refLoss(ref, ids, B, T, V, labels)) < 1e-5);
      await m.backward(dlogits);
      const h = 1e-5; // central differences in float64: error ~1e-9, far below the float32 engine's ~1e-6
      for (const e of m.params.entries) {
        const p = P.get(e.name)!, g = m.grads!.view(e.name), fd = new Float64Array(p.length);
        for (let i = 0; i < p.length; i++) {
          const v = p[i]!;
          p[i] = v + h; const lp = refLoss(refForward(cfg, P, ids, B, T, mask, pos), ids, B, T, V, labels);
          p[i] = v - h; const lm = refLoss(refForward(cfg, P, ids, B, T, mask, pos), ids, B, T, V, labels);
          p[i] = v;
          fd[i] = (lp - lm) / (2 * h);
        }
        // float32 forward/backward through ~10 layers of ops: 1e-4 of the tensor's largest gradient
        assert.ok(relErr(g, fd, 1e-6) < 1e-4, `${e.name}: rel err ${relErr(g, fd, 1e-6)}`);
      }
    } finally {
      gemmSettings.refBelowFlops = saved;
    }
  });
}

test('padding: real-token logits of right- and left-padded rows equal the unpadded rows', async () => {
  const cfg = CASES[0]![1], m = perturbed(cfg, 5), V = cfg.vocab_size;
  const full = await m.forward(ids, B, T, { attentionMask: mask, positionIds: pos });
  const r0 = await m.forward(ids.slice(0, 4), 1, 4);
  const r1 = await m.forward(ids.slice(8, 12), 1, 4);
  assert.ok(relErr(full.subarray(0, 4 * V), r0) < 1e-6);
  assert.ok(relErr(full.subarray(8 * V, 12 * V), r1) < 1e-6);
  assert.ok(full.every(Number.isFinite), 'fully masked (left padding) rows stay finite');
});

test('gradients accumulate across backward calls; train and inference forward agree; clone is independent', async () => {
  const cfg = CASES[1]![1], m = perturbed(cfg, 7), V = cfg.vocab_size;
  m.enableGrad();
  const a = await m.forward(ids, B, T, { attentionMask: mask, train: true });
  const b = await m.forward(ids, B, T, { attentionMask: mask });
  assert.deepEqual(a, b);
  const buf = new Float32Array(a.length);
  assert.equal(await m.forward(ids, B, T, { attentionMask: mask, logitsOut: buf }), buf);
  assert.deepEqual(buf, a);
  await assert.rejects(m.forward(ids, B, T, { logitsOut: new Float32Array(3) }), /logitsOut has length 3/);
  const { dlogits } = crossEntropy(a, ids, B, T, V, labels);
  await m.backward(dlogits);
  const once = m.grads!.data.slice();
  await m.backward(dlogits);
  assert.ok(relErr(m.grads!.data, once.map((x) => 2 * x)) < 1e-6);
  m.zeroGrad();
  assert.ok(m.grads!.data.every((x) => x === 0));
  const c = m.clone();
  c.params.data[0]! += 1;
  assert.notEqual(c.params.data[0], m.params.data[0]);
  await assert.rejects(c.backward(dlogits), /enableGrad/);
});

test('save/load round trip: F32 exact, BF16 within bf16 rounding; config survives', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-engine-'));
  try {
    const cfg = CASES[1]![1], m = perturbed(cfg, 9);
    await m.save(path.join(dir, 'f32'), { extraFiles: { 'note.txt': 'hi' } });
    const l = await Model.load(path.join(dir, 'f32'));
    assert.deepEqual(l.config, m.config);
    assert.deepEqual(l.params.data, m.params.data);
    assert.equal(fs.readFileSync(path.join(dir, 'f32', 'note.txt'), 'utf8'), 'hi');
    await m.save(path.join(dir, 'bf16'), { dtype: 'BF16' });
    const lb = await Model.load(path.join(dir, 'bf16'));
    for (let i = 0; i < m.params.size; i++) {
      const x = m.params.data[i]!; // bf16 has 8 significant bits: round-to-nearest error <= 2^-8 relative
      assert.ok(Math.abs(lb.params.data[i]! - x) <= Math.abs(x) * 2 ** -8 + 1e-30, `${i}: ${x} -> ${lb.params.data[i]}`);
    }
    await assert.rejects(m.save(path.join(dir, 'bad'), { extraFiles: { '../x': 'y' } }), /plain file names/);
    assert.ok(!fs.existsSync(path.join(dir, 'bad')));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
