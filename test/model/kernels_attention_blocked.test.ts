import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { randn, relErr } from './engine_helpers.js';
import { attentionForward, attentionBackward, type AttnShape, type AttnMask } from '../../src/model/kernels/attention.js';
import { attentionForwardBlocked, attentionBackwardBlocked, attnBlockSettings, blockedProbsLength } from '../../src/model/kernels/attention_blocked.js';
import { attentionForwardFused, attentionBackwardFused, attnFusedSettings, fusedProbsLength } from '../../src/model/kernels/attention_fused.js';
import { rmsnormForward, rmsnormBackward, residualRmsnormForward } from '../../src/model/kernels/rmsnorm.js';
import { ortResidualRmsnorm, ortRmsnormBackward, ortScaledSoftmax } from '../../src/model/kernels/ort_ops.js';

// The blocked (query-block causal) attention against the full T x T float64 kernel of attention.ts, which
// kernels.test.ts checks against a naive loop and finite differences. Float32 storage of probs and dS through two
// GEMMs: 1e-5 relative (norm-wise) is ~100x the float32 rounding and far below any indexing error (O(1)).
const TOL = 1e-5;

/** [B, NH, T, HS] -> [B, T, NH, HS] */
function toTokens(x: Float32Array, B: number, H: number, T: number, HS: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let e = 0; e < HS; e++) {
    out[((b * T + t) * H + h) * HS + e] = x[((b * H + h) * T + t) * HS + e]!;
  }
  return out;
}

const CASES: [string, AttnShape, Uint8Array | null, number | null, number, Int32Array?][] = [
  ['GQA, no mask, T = 7 not a multiple of block 3', { B: 2, T: 7, NH: 4, NKV: 2, HS: 3 }, null, null, 3],
  ['right + left padding (left rows see nothing), block 2', { B: 2, T: 6, NH: 4, NKV: 2, HS: 3 },
    new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]), null, 2],
  ['sliding window 3 with padding, block 4 (keys start after 0)', { B: 2, T: 9, NH: 2, NKV: 1, HS: 4 },
    new Uint8Array([0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0]), 3, 4],
  ['block 1 (one query per block), window 2', { B: 1, T: 5, NH: 3, NKV: 3, HS: 2 }, null, 2, 1],
  ['one block larger than T (the full kernel)', { B: 1, T: 5, NH: 4, NKV: 1, HS: 4 }, new Uint8Array([1, 1, 1, 0, 1]), null, 64],
  ['packed sequences (starts 0, 3, 4 | 0, 2) with padding and window 2, block 2', { B: 2, T: 6, NH: 4, NKV: 2, HS: 3 },
    new Uint8Array([1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 1]), 2, 2, new Int32Array([0, 0, 0, 3, 4, 4, 0, 0, 2, 2, 2, 2])],
];

for (const [label, s, mask, window, block, segStart] of CASES) {
  test(`blocked attention (${label}): forward and backward match the full float64 kernel, both layouts`, async () => {
    const rng = new Rng(41), { B, T, NH, NKV, HS } = s, m: AttnMask = { attentionMask: mask, window, segStart: segStart ?? null };
    const q = randn(rng, B * NH * T * HS), k = randn(rng, B * NKV * T * HS), v = randn(rng, B * NKV * T * HS), dy = randn(rng, q.length);
    const y64 = new Float64Array(q.length), p64 = new Float64Array(B * NH * T * T);
    const dq64 = new Float64Array(q.length), dk64 = new Float64Array(k.length), dv64 = new Float64Array(v.length);
    await attentionForward(y64, p64, q, k, v, s, m);
    await attentionBackward(dq64, dk64, dv64, new Float64Array(p64.length), dy, q, k, v, p64, s);
    const saved = attnBlockSettings.block;
    attnBlockSettings.block = block;
    try {
      const n = blockedProbsLength(s, window);
      assert.ok(n <= B * NH * T * T);
      const [q32, k32, v32, dy32] = [q, k, v, dy].map((x) => Float32Array.from(x)) as [Float32Array, Float32Array, Float32Array, Float32Array];
      for (const tokens of [false, true]) {
        const y = new Float32Array(q.length).fill(NaN), p = new Float32Array(n).fill(NaN);
        const dq = new Float32Array(q.length).fill(NaN), dk = new Float32Array(k.length).fill(NaN), dv = new Float32Array(v.length).fill(NaN);
        await attentionForwardBlocked(y, p, q32, k32, v32, s, m, tokens);
        await attentionBackwardBlocked(dq, dk, dv, tokens ? toTokens(dy32, B, NH, T, HS) : dy32, q32, k32, v32, p, s, window, tokens);
        const yh = tokens ? Float32Array.from(y) : y;
        const want = tokens ? toTokens(Float32Array.from(y64), B, NH, T, HS) : y64;
        assert.ok(relErr(yh, want) < TOL, `y (${tokens ? 'tokens' : 'heads'}) ${relErr(yh, want)}`);
        assert.ok(relErr(dq, dq64) < TOL, `dq ${relErr(dq, dq64)}`);
        assert.ok(relErr(dk, dk64) < TOL, `dk ${relErr(dk, dk64)}`);
        assert.ok(relErr(dv, dv64) < TOL, `dv ${relErr(dv, dv64)}`);
        assert.ok(dq.every(Number.isFinite) && dk.every(Number.isFinite) && dv.every(Number.isFinite) && y.every(Number.isFinite));
      }
    } finally {
      attnBlockSettings.block = saved;
    }
  });
}

/** The float64 full kernel's outputs for one case (the reference for both float32 paths). */
async function reference(s: AttnShape, m: AttnMask, q: Float64Array, k: Float64Array, v: Float64Array, dy: Float64Array) {
  const { B, NH, T } = s;
  const y64 = new Float64Array(q.length), p64 = new Float64Array(B * NH * T * T);
  const dq64 = new Float64Array(q.length), dk64 = new Float64Array(k.length), dv64 = new Float64Array(v.length);
  await attentionForward(y64, p64, q, k, v, s, m);
  await attentionBackward(dq64, dk64, dv64, new Float64Array(p64.length), dy, q, k, v, p64, s);
  return { y64, p64, dq64, dk64, dv64 };
}

for (const [label, s, mask, window, , segStart] of CASES) {
  test(`fused attention graphs (${label}): forward, probs and backward match the full float64 kernel, 1-3 query blocks, both layouts`, async () => {
    const rng = new Rng(41), { B, T, NH, NKV, HS } = s, m: AttnMask = { attentionMask: mask, window, segStart: segStart ?? null };
    const q = randn(rng, B * NH * T * HS), k = randn(rng, B * NKV * T * HS), v = randn(rng, B * NKV * T * HS), dy = randn(rng, q.length);
    const { y64, p64, dq64, dk64, dv64 } = await reference(s, m, q, k, v, dy);
    const [q32, k32, v32, dy32] = [q, k, v, dy].map((x) => Float32Array.from(x)) as [Float32Array, Float32Array, Float32Array, Float32Array];
    const saved = attnFusedSettings.blocks;
    try {
      for (const nb of [1, 2, 3]) for (const tokens of [false, true]) {
        attnFusedSettings.blocks = () => nb;
        const n = fusedProbsLength(s);
        assert.ok(n <= B * NH * T * T && (nb > 1 || n === B * NH * T * T));
        const y = new Float32Array(q.length).fill(NaN), p = new Float32Array(n).fill(NaN);
        const dq = new Float32Array(q.length).fill(NaN), dk = new Float32Array(k.length).fill(NaN), dv = new Float32Array(v.length).fill(NaN);
        await attentionForwardFused(y, p, q32, k32, v32, s, m, tokens);
        await attentionBackwardFused(dq, dk, dv, tokens ? toTokens(dy32, B, NH, T, HS) : dy32, q32, k32, v32, p, y, s, tokens);
        const at = `${nb} block(s), ${tokens ? 'tokens' : 'heads'}`;
        const want = tokens ? toTokens(Float32Array.from(y64), B, NH, T, HS) : y64;
        assert.ok(relErr(y, want) < TOL, `y (${at}) ${relErr(y, want)}`);
        if (nb === 1) {
          assert.ok(relErr(p, p64) < TOL, `probs ${relErr(p, p64)}`);
          // masked keys and queries that see nothing: exactly 0, as in the reference
          for (let i = 0; i < p.length; i++) if (p64[i] === 0) assert.equal(p[i], 0, `probs[${i}]`);
        }
        assert.ok(relErr(dq, dq64) < TOL, `dq (${at}) ${relErr(dq, dq64)}`);
        assert.ok(relErr(dk, dk64) < TOL, `dk (${at}) ${relErr(dk, dk64)}`);
        assert.ok(relErr(dv, dv64) < TOL, `dv (${at}) ${relErr(dv, dv64)}`);
        assert.ok(dq.every(Number.isFinite) && dk.every(Number.isFinite) && dv.every(Number.isFinite) && y.every(Number.isFinite), at);
      }
    } finally {
      attnFusedSettings.blocks = saved;
    }
  });
}

test('fused attention: a padding mask changed in place (same array) is not served from the mask cache', async () => {
  const rng = new Rng(45), s: AttnShape = { B: 2, T: 5, NH: 2, NKV: 1, HS: 3 };
  const q = randn(rng, 2 * 2 * 5 * 3), k = randn(rng, 2 * 5 * 3), v = randn(rng, 2 * 5 * 3);
  const [q32, k32, v32] = [q, k, v].map((x) => Float32Array.from(x)) as [Float32Array, Float32Array, Float32Array];
  const mask = new Uint8Array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
  const y = new Float32Array(q.length), p = new Float32Array(2 * 2 * 5 * 5);
  await attentionForwardFused(y, p, q32, k32, v32, s, { attentionMask: mask, window: null });
  mask.set([0, 0, 1, 1, 1], 5); // row 1 now left-padded
  await attentionForwardFused(y, p, q32, k32, v32, s, { attentionMask: mask, window: null });
  const { y64 } = await reference(s, { attentionMask: mask, window: null }, q, k, v, new Float64Array(q.length));
  assert.ok(relErr(y, y64) < TOL, `y ${relErr(y, y64)}`);
});

test('residual + RMSNorm: fused TypeScript kernel equals add then rmsnormForward exactly; the ORT graph within float32 rounding', async () => {
  const rng = new Rng(42), N = 5, C = 7, eps = 1e-5; // C not a multiple of 4: the unrolled tail runs
  const a = Float32Array.from(randn(rng, N * C)), b = Float32Array.from(randn(rng, N * C)), w = Float32Array.from(randn(rng, C));
  const sum = a.map((x, i) => x + b[i]!), y1 = new Float32Array(N * C), r1 = new Float32Array(N);
  rmsnormForward(y1, r1, sum, w, N, C, eps);
  const xs = new Float32Array(N * C), y2 = new Float32Array(N * C), r2 = new Float32Array(N);
  residualRmsnormForward(xs, y2, r2, a, b, w, N, C, eps);
  assert.deepEqual(xs, sum); assert.deepEqual(y2, y1); assert.deepEqual(r2, r1);
  // float64 reference
  const x64 = Float64Array.from(a, (x, i) => x + b[i]!), y64 = new Float64Array(N * C), r64 = new Float64Array(N);
  rmsnormForward(y64, r64, x64, Float64Array.from(w), N, C, eps);
  const xs3 = new Float32Array(N * C), y3 = new Float32Array(N * C), r3 = new Float32Array(N);
  await ortResidualRmsnorm(xs3, y3, r3, a, b, w, N, C, eps);
  assert.deepEqual(xs3, sum);
  assert.ok(relErr(y3, y64) < 1e-6 && relErr(r3, r64) < 1e-6, `${relErr(y3, y64)} ${relErr(r3, r64)}`); // float32 mean + rsqrt
});

test('RMSNorm backward: the ORT graph accumulates into dx and dw like the float64 kernel', async () => {
  const rng = new Rng(43), N = 6, C = 5;
  const x = randn(rng, N * C), w = randn(rng, C), dout = randn(rng, N * C), rstd = new Float64Array(N), y = new Float64Array(N * C);
  rmsnormForward(y, rstd, x, w, N, C, 1e-5);
  const dx64 = new Float64Array(N * C).fill(0.25), dw64 = new Float64Array(C).fill(-0.5);
  rmsnormBackward(dx64, dw64, dout, x, w, rstd, N, C, true);
  const dx = new Float32Array(N * C).fill(0.25), dw = new Float32Array(C).fill(-0.5);
  await ortRmsnormBackward(dx, dw, Float32Array.from(dout), Float32Array.from(x), Float32Array.from(w), Float32Array.from(rstd), N, C);
  assert.ok(relErr(dx, dx64) < 1e-6, `dx ${relErr(dx, dx64)}`); // float32 products and sums of C or N terms
  assert.ok(relErr(dw, dw64) < 1e-6, `dw ${relErr(dw, dw64)}`);
});

test('ortScaledSoftmax: k * softmax of each row', async () => {
  const x = new Float32Array([0, 1, 2, -1, -1, 5]), out = new Float32Array(6);
  await ortScaledSoftmax(out, x, 2, 3, 0.5);
  for (let r = 0; r < 2; r++) {
    const row = Array.from(x.subarray(r * 3, r * 3 + 3)), z = row.reduce((s2, v) => s2 + Math.exp(v), 0);
    for (let j = 0; j < 3; j++) assert.ok(Math.abs(out[r * 3 + j]! - 0.5 * Math.exp(row[j]!) / z) < 1e-7); // float32 softmax
  }
});

test('blocked attention: overlapping calls (two models awaiting at once) do not share scratch buffers', async () => {
  const rng = new Rng(44), s: AttnShape = { B: 2, T: 9, NH: 4, NKV: 2, HS: 4 }, m: AttnMask = { attentionMask: null, window: null };
  const saved = attnBlockSettings.block;
  attnBlockSettings.block = 4;
  try {
    const mk = () => [s.B * s.NH * s.T * s.HS, s.B * s.NKV * s.T * s.HS, s.B * s.NKV * s.T * s.HS].map((n) => Float32Array.from(randn(rng, n)));
    const inputs = [mk(), mk()];
    const run = async (x: Float32Array[]) => {
      const y = new Float32Array(x[0]!.length), p = new Float32Array(blockedProbsLength(s, null));
      await attentionForwardBlocked(y, p, x[0]!, x[1]!, x[2]!, s, m);
      const dq = new Float32Array(x[0]!.length), dk = new Float32Array(x[1]!.length), dv = new Float32Array(x[2]!.length);
      await attentionBackwardBlocked(dq, dk, dv, x[0]!, x[0]!, x[1]!, x[2]!, p, s, null);
      return [y, dq, dk, dv];
    };
    const seq = [await run(inputs[0]!), await run(inputs[1]!)];
    const par = await Promise.all([run(inputs[0]!), run(inputs[1]!)]);
    for (let i = 0; i < 2; i++) for (let j = 0; j < 4; j++) assert.deepEqual(par[i]![j], seq[i]![j]);
  } finally {
    attnBlockSettings.block = saved;
  }
});
