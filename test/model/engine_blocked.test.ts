import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Model } from '../../src/model/model.js';
import { parseModelConfig } from '../../src/model/config.js';
import { crossEntropy } from '../../src/model/kernels/loss.js';
import { attnPathName, relErr, withAttnPath, type AttnPath } from './engine_helpers.js';

// The model trains through the fused attention graphs (sequences up to attnFusedSettings.maxT) or the blocked causal
// kernel (longer ones). engine.test.ts checks the model against finite differences on the fused path with one query
// block (T = 6); here the fused path with 2 and 4 query blocks and the blocked path with several blocks (sizes 1, 2,
// 4: T not a multiple; 64: one block) must give the same logits and gradients (float32 with a different GEMM split:
// 1e-5 relative, norm-wise).

const tiny = (extra: Record<string, unknown>) => parseModelConfig({
  vocab_size: 11, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  head_dim: 4, rms_norm_eps: 1e-5, ...extra,
}, 'test');

const B = 2, T = 6;
const ids = new Int32Array([3, 1, 4, 1, 0, 0, 0, 0, 5, 9, 2, 6]);
const mask = new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0, 1, 1, 1, 1]);
const pos = new Int32Array([0, 1, 2, 3, 4, 5, 0, 0, 0, 1, 2, 3]);

async function run(cfg: ReturnType<typeof tiny>, path: AttnPath): Promise<{ logits: Float32Array; grads: Float32Array }> {
  return withAttnPath(path, async () => {
    const m = Model.init(cfg, 3, { initializerRange: 0.5 });
    m.enableGrad();
    const logits = await m.forward(ids, B, T, { attentionMask: mask, positionIds: pos, train: true });
    await m.backward(crossEntropy(logits, ids, B, T, cfg.vocab_size, mask).dlogits);
    return { logits, grads: m.grads!.data.slice() };
  });
}

for (const [label, cfg] of [['qwen2 (GQA, padding)', tiny({ model_type: 'qwen2' })], ['mistral (sliding window 2)', tiny({ model_type: 'mistral', sliding_window: 2 })]] as const) {
  test(`model ${label}: logits and gradients do not depend on the attention path (fused with 1, 2, 4 query blocks; blocked with any block size)`, async () => {
    const ref = await run(cfg, { fused: 1 });
    for (const path of [{ fused: 2 }, { fused: 4 }, { block: 1 }, { block: 2 }, { block: 4 }, { block: 64 }]) {
      const r = await run(cfg, path), name = attnPathName(path);
      assert.ok(relErr(r.logits, ref.logits) < 1e-5, `${name}: logits ${relErr(r.logits, ref.logits)}`);
      assert.ok(relErr(r.grads, ref.grads) < 1e-5, `${name}: grads ${relErr(r.grads, ref.grads)}`);
    }
  });
}

test('thread count does not change results (what makes the adaptive 1-thread rule safe): 1 vs 2 ORT threads bitwise equal', async () => {
  const { gemmSettings } = await import('../../src/model/gemm.js');
  const saved = { ...gemmSettings };
  const cfg = parseModelConfig({ model_type: 'llama', vocab_size: 97, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5 }, 'test');
  const ids = Int32Array.from({ length: 2 * 40 }, (_, i) => (i * 31) % 97);
  const runWith = async (threads: number) => {
    Object.assign(gemmSettings, { threads, smallThreads: threads, adaptive: false, refBelowFlops: 0 });
    const m = Model.init(cfg, 5);
    m.enableGrad();
    const logits = await m.forward(ids, 2, 40, { train: true });
    await m.backward(crossEntropy(logits, ids, 2, 40, 97).dlogits);
    return [logits, m.grads!.data.slice()];
  };
  try {
    const [a, b] = [await runWith(2), await runWith(1)];
    assert.deepEqual(a[0], b[0]);
    assert.deepEqual(a[1], b[1]);
  } finally {
    Object.assign(gemmSettings, saved);
  }
});
