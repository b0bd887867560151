// The engine's sessions through onnxruntime's C API (src/model/ort_native.ts) against the same models through the
// onnxruntime-node binding: same library, so the outputs must be bitwise equal; plus the zero-copy contract (outputs
// land in the caller's views, nothing around them is touched) and clear errors.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ort from 'onnxruntime-node';
import { Rng } from '../../src/util/rng.js';
import { gemmSettings, ortSession, type EngineSession } from '../../src/model/gemm.js';
import { available, nativeUnavailableReason } from '../../src/model/ort_native.js';
import { graphModel, singleOpModel } from '../../src/model/kernels/onnx_proto.js';
import { Model } from '../../src/model/model.js';
import { parseModelConfig } from '../../src/model/config.js';
import { crossEntropyOrt } from '../../src/model/kernels/loss.js';

function rand(rng: Rng, n: number): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = rng.normal();
  return a;
}

async function both(bytes: Uint8Array, threads = 2): Promise<{ native: EngineSession; binding: EngineSession }> {
  const saved = gemmSettings.native;
  try {
    gemmSettings.native = true;
    const native = await ortSession(bytes, threads);
    gemmSettings.native = false;
    const binding = await ortSession(bytes, threads);
    assert.ok(native.native && !binding.native);
    return { native, binding };
  } finally { gemmSettings.native = saved; }
}

const f32 = (data: Float32Array, dims: number[]) => new ort.Tensor('float32', data, dims);

test('the C API path loads on this platform', () => {
  assert.ok(available(), `native onnxruntime unavailable: ${nativeUnavailableReason()}`);
});

test('native sessions equal the binding bitwise: FusedMatMul (transposes, batched), in-place Gemm accumulate', async () => {
  const rng = new Rng(5);
  for (const [tA, tB] of [[0, 0], [1, 0], [0, 1], [1, 1]] as const) {
    const bytes = singleOpModel('FusedMatMul', 'com.microsoft', [{ name: 'A', dims: ['z', 'a0', 'a1'] }, { name: 'B', dims: ['z', 'b0', 'b1'] }],
      [{ name: 'Y', dims: ['z', 'm', 'n'] }], [{ name: 'transA', int: tA }, { name: 'transB', int: tB }, { name: 'alpha', float: 0.75 }]);
    const { native, binding } = await both(bytes);
    const Z = 3, M = 70, N = 45, K = 130;
    const a = rand(rng, Z * M * K), b = rand(rng, Z * K * N);
    const dA = tA ? [Z, K, M] : [Z, M, K], dB = tB ? [Z, N, K] : [Z, K, N];
    const y1 = new Float32Array(Z * M * N), y2 = new Float32Array(Z * M * N);
    await native.run({ A: f32(a, dA), B: f32(b, dB) }, { Y: f32(y1, [Z, M, N]) });
    await binding.run({ A: f32(a, dA), B: f32(b, dB) }, { Y: f32(y2, [Z, M, N]) });
    assert.ok(y1.some((v) => v !== 0));
    assert.deepEqual(y1, y2, `transA ${tA} transB ${tB}`);
  }
  // Y = A B + C with C and Y the same buffer (gemm.ts's accumulating multiply)
  const bytes = singleOpModel('Gemm', '', [{ name: 'A', dims: ['a0', 'a1'] }, { name: 'B', dims: ['b0', 'b1'] }, { name: 'C', dims: ['m', 'n'] }],
    [{ name: 'Y', dims: ['m', 'n'] }], [{ name: 'transA', int: 1 }, { name: 'beta', float: 1 }]);
  const { native, binding } = await both(bytes);
  const M = 96, N = 64, K = 200, a = rand(rng, K * M), b = rand(rng, K * N), c = rand(rng, M * N);
  const y1 = c.slice(), y2 = c.slice();
  await native.run({ A: f32(a, [K, M]), B: f32(b, [K, N]), C: f32(y1, [M, N]) }, { Y: f32(y1, [M, N]) });
  await binding.run({ A: f32(a, [K, M]), B: f32(b, [K, N]), C: f32(y2, [M, N]) }, { Y: f32(y2, [M, N]) });
  assert.notDeepEqual(y1, c);
  assert.deepEqual(y1, y2);
});

test('native sessions: outputs land in offset views only, int64 inputs, several outputs, empty tensors', async () => {
  const rng = new Rng(9);
  // Reshape by an int64 shape input, then two outputs: the reshaped tensor and its softmax over the last axis.
  const bytes = graphModel([
    { op: 'Reshape', inputs: ['X', 'S'], outputs: ['R'] },
    { op: 'Softmax', inputs: ['R'], outputs: ['P'], attrs: [{ name: 'axis', int: -1 }] },
    { op: 'Identity', inputs: ['R'], outputs: ['Y'] },
  ], [{ name: 'X', dims: ['n'] }, { name: 'S', dims: [2], int64: true }], [{ name: 'Y', dims: ['r', 'c'] }, { name: 'P', dims: ['r', 'c'] }]);
  const { native, binding } = await both(bytes, 1);
  const x = rand(rng, 6 * 7), shape = new ort.Tensor('int64', BigInt64Array.from([6n, 7n]), [2]);
  const buf = new Float32Array(2 + 42 + 42 + 2).fill(-7), y = buf.subarray(2, 44), p = buf.subarray(44, 86);
  await native.run({ X: f32(x, [42]), S: shape }, { Y: f32(y, [6, 7]), P: f32(p, [6, 7]) });
  assert.deepEqual([...buf.subarray(0, 2), ...buf.subarray(86)], [-7, -7, -7, -7], 'memory around the outputs is untouched');
  assert.deepEqual(y, x);
  const y2 = new Float32Array(42), p2 = new Float32Array(42);
  await binding.run({ X: f32(x, [42]), S: shape }, { Y: f32(y2, [6, 7]), P: f32(p2, [6, 7]) });
  assert.deepEqual(p, p2);
  // zero rows
  const mm = singleOpModel('MatMul', '', [{ name: 'A', dims: ['m', 'k'] }, { name: 'B', dims: ['k', 'n'] }], [{ name: 'Y', dims: ['m', 'n'] }], []);
  const s = await both(mm);
  await s.native.run({ A: f32(new Float32Array(0), [0, 4]), B: f32(rand(rng, 12), [4, 3]) }, { Y: f32(new Float32Array(0), [0, 3]) });
});

test('native sessions: onnxruntime errors become exceptions naming the problem, and the session stays usable', async () => {
  const mm = singleOpModel('MatMul', '', [{ name: 'A', dims: ['m', 'k'] }, { name: 'B', dims: ['k', 'n'] }], [{ name: 'Y', dims: ['m', 'n'] }], []);
  const { native } = await both(mm);
  const a = new Float32Array(6).fill(1), b = new Float32Array(12).fill(1), y = new Float32Array(8);
  await assert.rejects(async () => native.run({ A: f32(a, [2, 3]), B: f32(b, [4, 3]) }, { Y: f32(y, [2, 4]) }), /onnxruntime: .*MatMul|onnxruntime: .*dimension/i);
  await assert.rejects(async () => native.run({ A: f32(a, [2, 3]) }, { Y: f32(y, [2, 4]) }), /onnxruntime: .*B/);
  await assert.rejects(async () => native.run({ A: new ort.Tensor('string', ['x'], [1]), B: f32(b, [3, 4]) }, { Y: f32(y, [2, 4]) }), /unsupported type string/);
  await native.run({ A: f32(a, [2, 3]), B: f32(b, [3, 4]) }, { Y: f32(y, [2, 4]) });
  assert.deepEqual([...y], new Array(8).fill(3));
});

test('a training step (forward, loss, backward) is bitwise the same through the C API and through the binding', async () => {
  const cfg = parseModelConfig({
    model_type: 'qwen2', vocab_size: 96, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 2, num_attention_heads: 4,
    num_key_value_heads: 2, max_position_embeddings: 128, rms_norm_eps: 1e-6, tie_word_embeddings: false,
  }, 'tiny');
  const B = 2, T = 40, V = cfg.vocab_size, rng = new Rng(3);
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const mask = new Uint8Array(B * T).fill(1).fill(0, B * T - 5); // right padding in the second row
  const saved = { native: gemmSettings.native, ref: gemmSettings.refBelowFlops };
  const run = async (native: boolean) => {
    gemmSettings.native = native; gemmSettings.refBelowFlops = 0; // every multiply through ORT
    const m = Model.init(cfg, 7);
    m.enableGrad();
    const logits = await m.forward(ids, B, T, { train: true, attentionMask: mask });
    const ce = await crossEntropyOrt(logits, ids, B, T, V, mask);
    await m.backward(ce.dlogits);
    return { logits, loss: ce.loss, grads: m.grads!.data.slice() };
  };
  try {
    const a = await run(true), b = await run(false);
    assert.ok(Number.isFinite(a.loss) && a.grads.some((g) => g !== 0));
    assert.equal(a.loss, b.loss);
    assert.deepEqual(a.logits, b.logits);
    assert.deepEqual(a.grads, b.grads);
  } finally { gemmSettings.native = saved.native; gemmSettings.refBelowFlops = saved.ref; }
});
