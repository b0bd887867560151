import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Model } from '../../src/model/model.js';
import { parseModelConfig } from '../../src/model/config.js';
import { packedSegmentStarts } from '../../src/model/kernels/attention.js';
import { Rng } from '../../src/util/rng.js';
import { attnPathName, relErr, withAttnPath, type AttnPath } from './engine_helpers.js';

// Packed rows (SFT packing): several examples in one row, position ids restarting at each. Attention must stay
// inside each example, so a packed row gives every example exactly the logits and gradients it gets alone.

test('packedSegmentStarts: a position step other than +1 starts a sequence (transformers find_packed_sequence_indices)', () => {
  // transformers' docstring example: sequences of 2, 3 and 1 tokens -> sequence indices [0, 0, 1, 1, 1, 2]
  assert.deepEqual(Array.from(packedSegmentStarts(new Int32Array([0, 1, 0, 1, 2, 0]), 1, 6)!), [0, 0, 2, 2, 2, 5]);
  // one sequence per row (also with an offset start) -> null: no mask needed
  assert.equal(packedSegmentStarts(new Int32Array([0, 1, 2, 3, 5, 6, 7, 8]), 2, 4), null);
  // rows are independent; right padding with position 0 starts one-token "sequences" (masked as keys anyway)
  assert.deepEqual(Array.from(packedSegmentStarts(new Int32Array([0, 1, 2, 3, 0, 1, 0, 0]), 2, 4)!), [0, 0, 0, 0, 0, 0, 2, 3]);
  assert.throws(() => packedSegmentStarts(new Int32Array(3), 1, 4), /positionIds has length 3, expected 4/);
});

const tiny = (extra: Record<string, unknown>) => parseModelConfig({
  vocab_size: 13, hidden_size: 8, intermediate_size: 12, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2,
  head_dim: 4, rms_norm_eps: 1e-5, ...extra,
}, 'test');

const EXAMPLES = [[3, 1, 4, 1, 5], [9, 2, 6, 5], [3, 5, 8]];
const T = 14; // 12 packed tokens + 2 padding

for (const [label, cfg] of [
  ['llama', tiny({ model_type: 'llama' })],
  ['qwen2 (q/k/v bias)', tiny({ model_type: 'qwen2' })],
  ['mistral (sliding window 3)', tiny({ model_type: 'mistral', sliding_window: 3 })],
] as const) {
  test(`packed row (${label}): each example gets the logits and gradients it gets alone, fused (1 or 3 query blocks) and blocked attention`, async () => {
    const V = cfg.vocab_size, rng = new Rng(7);
    const ids = new Int32Array(T), pos = new Int32Array(T), mask = new Uint8Array(T);
    const offsets: number[] = [];
    let o = 0;
    for (const ex of EXAMPLES) {
      offsets.push(o);
      ex.forEach((id, i) => { ids[o + i] = id; pos[o + i] = i; mask[o + i] = 1; });
      o += ex.length;
    }
    // upstream gradient: random on real tokens, 0 on padding
    const dlogits = new Float32Array(T * V);
    for (let t = 0; t < o; t++) for (let v = 0; v < V; v++) dlogits[t * V + v] = rng.normal();
    const paths: AttnPath[] = [{ fused: 1 }, { fused: 3 }, { block: 2 }, { block: 5 }, { block: 64 }];
    for (const path of paths) await withAttnPath(path, async () => {
      const name = attnPathName(path);
      const packed = Model.init(cfg, 3, { initializerRange: 0.5 });
      packed.enableGrad();
      const logits = await packed.forward(ids, 1, T, { attentionMask: mask, positionIds: pos, train: true });
      await packed.backward(dlogits);

      const alone = Model.init(cfg, 3, { initializerRange: 0.5 });
      alone.enableGrad();
      for (const [e, ex] of EXAMPLES.entries()) {
        const n = ex.length, off = offsets[e]!;
        const l = await alone.forward(Int32Array.from(ex), 1, n, { train: true });
        const want = logits.subarray(off * V, (off + n) * V);
        assert.ok(relErr(want, l) < 1e-5, `${name}, example ${e}: logits ${relErr(want, l)}`);
        await alone.backward(dlogits.slice(off * V, (off + n) * V)); // accumulates over the examples
      }
      const g1 = packed.grads!.data, g2 = alone.grads!.data;
      assert.ok(relErr(g1, g2) < 1e-5, `${name}: gradients ${relErr(g1, g2)}`);
    });
  });
}

test('packed row: without the sequence mask the examples would see each other (the test above can fail)', async () => {
  const cfg = tiny({ model_type: 'llama' }), V = cfg.vocab_size;
  const ids = Int32Array.from(EXAMPLES.flat()), n0 = EXAMPLES[0]!.length, n1 = EXAMPLES[1]!.length;
  const m = Model.init(cfg, 3, { initializerRange: 0.5 });
  // positions continuing 0..11 (one sequence): the second example now attends to the first
  const joined = await m.forward(ids, 1, ids.length, { positionIds: Int32Array.from(ids, (_, i) => i) });
  const restarted = EXAMPLES.flatMap((ex) => ex.map((_, i) => i));
  const packed = await m.forward(ids, 1, ids.length, { positionIds: Int32Array.from(restarted) });
  const alone = await m.forward(Int32Array.from(EXAMPLES[1]!), 1, n1);
  const seg = (x: Float32Array) => x.subarray(n0 * V, (n0 + n1) * V);
  assert.ok(relErr(seg(packed), alone) < 1e-5);
  assert.ok(relErr(seg(joined), alone) > 1e-2, `joined ${relErr(seg(joined), alone)}`);
});
