import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { randn, numericGrad, dot, relErr } from './engine_helpers.js';
import { embeddingForward, embeddingBackward } from '../../src/model/kernels/embedding.js';
import { rmsnormForward, rmsnormBackward } from '../../src/model/kernels/rmsnorm.js';
import { swigluForward, swigluBackward } from '../../src/model/kernels/swiglu.js';
import { linearForward, linearBackward } from '../../src/model/kernels/linear.js';
import { joinHeadsRope, ropeApply, ropeInvFreq, ropeTables, splitHeadsRope } from '../../src/model/kernels/rope.js';
import { joinHeadsRopeWasm, splitHeadsRopeWasm } from '../../src/model/kernels/rope_wasm.js';
import { attentionForward, attentionBackward, type AttnShape, type AttnMask } from '../../src/model/kernels/attention.js';
import { crossEntropy, tokenLogprobs, tokenLogprobsBackward } from '../../src/model/kernels/loss.js';

// All kernels run in float64 here, so central differences (error ~1e-9) check the hand-written backward to 1e-6.
const TOL = 1e-6;

test('embedding: forward gathers rows, backward scatter-adds (repeated ids accumulate)', () => {
  const V = 5, C = 3, ids = new Int32Array([2, 0, 2, 4]), N = ids.length;
  const wte = randn(new Rng(1), V * C), out = new Float64Array(N * C);
  embeddingForward(out, ids, wte, N, C, V);
  assert.deepEqual([...out.subarray(6, 9)], [...wte.subarray(6, 9)]);
  const g = randn(new Rng(2), N * C), dw = new Float64Array(V * C);
  embeddingBackward(dw, g, ids, N, C);
  for (let c = 0; c < C; c++) assert.ok(Math.abs(dw[2 * C + c]! - (g[c]! + g[2 * C + c]!)) < 1e-15);
  assert.equal(dw[1 * C], 0);
  assert.throws(() => embeddingForward(out, new Int32Array([0, 5, 0, 0]), wte, N, C, V), /outside vocabulary/);
});

test('rmsnorm: forward matches x*w/sqrt(mean(x^2)+eps); backward matches finite differences', async () => {
  const rng = new Rng(3), N = 3, C = 6, eps = 1e-5;
  const x = randn(rng, N * C), w = randn(rng, C), g = randn(rng, N * C);
  const out = new Float64Array(N * C), rstd = new Float64Array(N);
  const f = () => { rmsnormForward(out, rstd, x, w, N, C, eps); return dot(out, g); };
  f();
  let ms = 0; for (let c = 0; c < C; c++) ms += x[C + c]! ** 2;
  assert.ok(Math.abs(out[C + 2]! - (x[C + 2]! * w[2]!) / Math.sqrt(ms / C + eps)) < 1e-14);
  const dx = new Float64Array(N * C).fill(0.5), dw = new Float64Array(C);
  rmsnormBackward(dx, dw, g, x, w, rstd, N, C, true);
  for (let i = 0; i < dx.length; i++) dx[i]! -= 0.5; // accumulate mode adds onto existing values
  assert.ok(relErr(dx, await numericGrad(x, f)) < TOL);
  assert.ok(relErr(dw, await numericGrad(w, f)) < TOL);
});

test('swiglu: backward matches finite differences', async () => {
  const rng = new Rng(4), N = 3, I = 5;
  const gu = randn(rng, N * 2 * I, 2), g = randn(rng, N * I), h = new Float64Array(N * I);
  const f = () => { swigluForward(h, gu, N, I); return dot(h, g); };
  f();
  const gate = gu[I + 1]!, up = gu[2 * I + I + 1]!; void up;
  assert.ok(Math.abs(h[1]! - (gu[1]! / (1 + Math.exp(-gu[1]!))) * gu[I + 1]!) < 1e-14, `${gate}`);
  const dgu = new Float64Array(N * 2 * I);
  swigluBackward(dgu, g, gu, N, I);
  assert.ok(relErr(dgu, await numericGrad(gu, f)) < TOL);
});

test('linear with bias: backward matches finite differences (dx, dW, db)', async () => {
  const rng = new Rng(5), N = 4, I = 3, O = 5;
  const x = randn(rng, N * I), w = randn(rng, O * I), b = randn(rng, O), g = randn(rng, N * O), out = new Float64Array(N * O);
  const f = async () => { await linearForward(out, x, w, b, N, I, O); return dot(out, g); };
  await f();
  assert.ok(Math.abs(out[O + 2]! - (x[I] * w[2 * I] + x[I + 1]! * w[2 * I + 1]! + x[I + 2]! * w[2 * I + 2]! + b[2]!)) < 1e-14);
  const dx = new Float64Array(N * I), dw = new Float64Array(O * I), db = new Float64Array(O);
  await linearBackward(dx, dw, db, g, x, w, N, I, O);
  assert.ok(relErr(dx, await numericGrad(x, f)) < TOL);
  assert.ok(relErr(dw, await numericGrad(w, f)) < TOL);
  assert.ok(relErr(db, await numericGrad(b, f)) < TOL);
});

test('rope: inverse undoes forward; matches rotate_half by hand; llama3 scaling matches hand-computed frequencies', () => {
  const B = 1, H = 2, T = 3, HS = 4, rng = new Rng(6);
  const inv = ropeInvFreq(HS, 10000, null);
  assert.ok(Math.abs(inv[1]! - 0.01) < 1e-9); // 10000^(-2/4)
  const pos = new Int32Array([0, 5, 9]), cos = new Float64Array(T * 2), sin = new Float64Array(T * 2);
  ropeTables(cos, sin, pos, inv, T);
  const x = randn(rng, B * H * T * HS), y = x.slice();
  ropeApply(y, cos, sin, B, H, T, HS, false);
  // head 1, t = 1 (position 5), pair i = 1: (x1 cos - x2 sin, x2 cos + x1 sin) with angle 5 * 0.01
  const r = (1 * T + 1) * HS, a = Math.fround(5 * Math.fround(0.01));
  assert.ok(Math.abs(y[r + 1]! - (x[r + 1]! * Math.cos(a) - x[r + 3]! * Math.sin(a))) < 1e-7);
  assert.ok(Math.abs(y[r + 3]! - (x[r + 3]! * Math.cos(a) + x[r + 1]! * Math.sin(a))) < 1e-7);
  ropeApply(y, cos, sin, B, H, T, HS, true);
  assert.ok(relErr(y, x) < 1e-14);
  // llama3: factor 8, low 1, high 4, original 8192 -> wavelength > 8192 divided by 8, < 2048 kept, between smoothed.
  const sc = { rope_type: 'llama3' as const, factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 };
  const base = ropeInvFreq(128, 500000, null), scaled = ropeInvFreq(128, 500000, sc);
  for (let i = 0; i < 64; i++) {
    const wl = (2 * Math.PI) / base[i]!;
    let want = base[i]!;
    if (wl > 8192) want = base[i]! / 8;
    else if (wl >= 2048) { const s = (8192 / wl - 1) / 3; want = (1 - s) * base[i]! / 8 + s * base[i]!; }
    assert.ok(Math.abs(scaled[i]! - want) <= 1e-7 * want, `i=${i}`);
  }
});

/** Naive float64 attention, per head, with repeat_kv, for the forward check. */
function naiveAttention(q: Float64Array, k: Float64Array, v: Float64Array, s: AttnShape, m: AttnMask): Float64Array {
  const { B, T, NH, NKV, HS } = s, G = NH / NKV, y = new Float64Array(B * NH * T * HS);
  for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < T; i++) {
    const kh = Math.floor(h / G), sc: number[] = [];
    for (let j = 0; j < T; j++) {
      const ok = j <= i && (!m.attentionMask || m.attentionMask[b * T + j] === 1) && (m.window === null || i - j < m.window) &&
        (!m.segStart || j >= m.segStart[b * T + i]!);
      let d = 0; for (let e = 0; e < HS; e++) d += q[((b * NH + h) * T + i) * HS + e]! * k[((b * NKV + kh) * T + j) * HS + e]!;
      sc.push(ok ? d / Math.sqrt(HS) : -Infinity);
    }
    const mx = Math.max(...sc);
    if (mx === -Infinity) continue;
    const ex = sc.map((z) => Math.exp(z - mx)), tot = ex.reduce((p, c) => p + c, 0);
    for (let j = 0; j < T; j++) for (let e = 0; e < HS; e++) y[((b * NH + h) * T + i) * HS + e]! += (ex[j]! / tot) * v[((b * NKV + kh) * T + j) * HS + e]!;
  }
  return y;
}

for (const [label, mask, window, segStart] of [
  ['no mask', null, null, undefined],
  ['right+left padding', new Uint8Array([1, 1, 1, 0, 0, 0, 1, 1, 1, 1]), null, undefined],
  ['sliding window 2', null, 2, undefined],
  ['packed sequences (starts 0, 2 | 0, 1, 3) with padding', new Uint8Array([1, 1, 1, 1, 0, 1, 1, 1, 1, 1]), null, new Int32Array([0, 0, 2, 2, 2, 0, 1, 1, 3, 3])],
] as const) {
  test(`attention (GQA 4 heads / 2 kv, ${label}): forward matches naive; backward matches finite differences`, async () => {
    const s: AttnShape = { B: 2, T: 5, NH: 4, NKV: 2, HS: 3 }, rng = new Rng(7);
    const m: AttnMask = { attentionMask: mask, window, segStart: segStart ?? null };
    const q = randn(rng, 2 * 4 * 5 * 3), k = randn(rng, 2 * 2 * 5 * 3), v = randn(rng, 2 * 2 * 5 * 3), g = randn(rng, q.length);
    const y = new Float64Array(q.length), p = new Float64Array(2 * 4 * 5 * 5);
    const f = async () => { await attentionForward(y, p, q, k, v, s, m); return dot(y, g); };
    await f();
    assert.ok(relErr(y, naiveAttention(q, k, v, s, m)) < 1e-12);
    const dq = new Float64Array(q.length), dk = new Float64Array(k.length), dv = new Float64Array(v.length), dp = new Float64Array(p.length);
    await attentionBackward(dq, dk, dv, dp, g, q, k, v, p, s);
    assert.ok(relErr(dq, await numericGrad(q, f)) < TOL);
    assert.ok(relErr(dk, await numericGrad(k, f)) < TOL);
    assert.ok(relErr(dv, await numericGrad(v, f)) < TOL);
  });
}

test('tokenLogprobs: logits at t score token t+1; backward matches finite differences', async () => {
  const B = 2, T = 3, V = 4, rng = new Rng(8);
  const logits = randn(rng, B * T * V), ids = new Int32Array([1, 3, 0, 2, 2, 1]);
  const lp = tokenLogprobs(logits, ids, B, T, V);
  const lse = Math.log([0, 1, 2, 3].reduce((s, i) => s + Math.exp(logits[4 + i]!), 0));
  assert.ok(Math.abs(lp[1]! - (logits[4 + 0]! - lse)) < 1e-12); // row 0, t = 1 scores ids[2] = 0
  const w = randn(rng, B * (T - 1));
  const d = new Float64Array(B * T * V);
  tokenLogprobsBackward(d, logits, ids, w, B, T, V);
  assert.ok(relErr(d, await numericGrad(logits, () => dot(tokenLogprobs(logits, ids, B, T, V), w))) < TOL);
});

test('crossEntropy: mean over masked targets equals -mean(tokenLogprobs); dlogits matches finite differences', async () => {
  const B = 2, T = 4, V = 5, rng = new Rng(9);
  const l64 = randn(rng, B * T * V), logits = Float32Array.from(l64), ids = new Int32Array([1, 4, 0, 2, 3, 3, 1, 0]);
  const labelMask = new Uint8Array([0, 0, 1, 1, 0, 1, 1, 0]);
  const { loss, count, dlogits } = crossEntropy(logits, ids, B, T, V, labelMask);
  assert.equal(count, 4);
  const lp = tokenLogprobs(logits, ids, B, T, V);
  assert.ok(Math.abs(loss - -(lp[1]! + lp[2]! + lp[3]! + lp[4]!) / 4) < 1e-6); // fast exp: 2e-7 relative in the partition sum
  const fd = await numericGrad(l64, () => {
    const l = tokenLogprobs(l64, ids, B, T, V); return -(l[1]! + l[2]! + l[3]! + l[4]!) / 4;
  });
  assert.ok(relErr(dlogits, fd) < 1e-6); // dlogits is stored in float32: ~6e-8 relative rounding
  assert.equal(crossEntropy(logits, ids, B, T, V, new Uint8Array(8)).count, 0);
});

test('ORT fast paths agree with the float64 TypeScript kernels (attention softmax with masks, swiglu via sigmoid, cross-entropy)', async () => {
  const { swigluFromSigmoid, swigluBackwardFromSigmoid } = await import('../../src/model/kernels/swiglu.js');
  const { crossEntropyOrt } = await import('../../src/model/kernels/loss.js');
  const { ortSigmoid } = await import('../../src/model/kernels/ort_ops.js');
  const rng = new Rng(12);
  const s: AttnShape = { B: 2, T: 6, NH: 4, NKV: 2, HS: 3 };
  // row 1 is left-padded by 3: its first 3 queries see nothing (zero rows), window 4 also bites
  const m: AttnMask = { attentionMask: new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]), window: 4 };
  const q = randn(rng, 2 * 4 * 6 * 3), k = randn(rng, 2 * 2 * 6 * 3), v = randn(rng, 2 * 2 * 6 * 3);
  const y64 = new Float64Array(q.length), p64 = new Float64Array(2 * 4 * 36);
  await attentionForward(y64, p64, q, k, v, s, m);
  const y32 = new Float32Array(q.length), p32 = new Float32Array(p64.length), sc = new Float32Array(p64.length);
  await attentionForward(y32, p32, Float32Array.from(q), Float32Array.from(k), Float32Array.from(v), s, m, sc);
  assert.ok(relErr(p32, p64) < 1e-6 && relErr(y32, y64) < 1e-6, `${relErr(p32, p64)} ${relErr(y32, y64)}`); // float32 rounding
  const N = 3, I = 4, gu = randn(rng, N * 2 * I, 3), dh = randn(rng, N * I);
  const h64 = new Float64Array(N * I), d64 = new Float64Array(N * 2 * I);
  swigluForward(h64, gu, N, I); swigluBackward(d64, dh, gu, N, I);
  const gu32 = Float32Array.from(gu), sg = new Float32Array(N * 2 * I), h32 = new Float32Array(N * I), d32 = new Float32Array(N * 2 * I);
  await ortSigmoid(sg, gu32, N * 2 * I);
  swigluFromSigmoid(h32, gu32, sg, N, I); swigluBackwardFromSigmoid(d32, Float32Array.from(dh), gu32, sg, N, I);
  assert.ok(relErr(h32, h64) < 1e-6 && relErr(d32, d64) < 1e-6);
  const B = 2, T = 5, V = 7, logits = Float32Array.from(randn(rng, B * T * V, 3)), ids = new Int32Array([1, 2, 3, 4, 5, 6, 0, 1, 2, 3]);
  const lm = new Uint8Array([0, 1, 1, 0, 1, 0, 0, 1, 1, 1]);
  const a = crossEntropy(logits, ids, B, T, V, lm), b = await crossEntropyOrt(logits, ids, B, T, V, lm);
  assert.equal(a.count, b.count);
  assert.ok(Math.abs(a.loss - b.loss) < 1e-6 && relErr(b.dlogits, a.dlogits) < 1e-6);
});

test('head split with RoPE and its gradient: WebAssembly SIMD equals the TypeScript loops bitwise (GQA, MHA, chunked rows)', () => {
  const same = (a: Float32Array, b: Float32Array): boolean => a.every((v, i) => Object.is(v, b[i]));
  // [B, T, NH, NKV, HS]; T 2000 at W 512 spans two chunks of the module's memory
  for (const [B, T, NH, NKV, HS] of [[2, 5, 4, 2, 4], [3, 33, 4, 2, 16], [1, 2000, 4, 2, 64], [2, 7, 3, 3, 8]] as const) {
    const N = B * T, Q = NH * HS, KV = NKV * HS, W = Q + 2 * KV, rng = new Rng(T);
    const qkv = Float32Array.from({ length: N * W }, () => rng.normal());
    const pos = Int32Array.from({ length: N }, (_, i) => (i % T) * 3 + 1);
    const cos = new Float32Array((N * HS) / 2), sin = new Float32Array((N * HS) / 2);
    ropeTables(cos, sin, pos, ropeInvFreq(HS, 10000, null), N);
    const want = [new Float32Array(N * Q), new Float32Array(N * KV), new Float32Array(N * KV)] as const;
    const got = [new Float32Array(N * Q), new Float32Array(N * KV), new Float32Array(N * KV)] as const;
    splitHeadsRope(want[0], want[1], want[2], qkv, cos, sin, B, T, NH, NKV, HS);
    assert.ok(splitHeadsRopeWasm(got[0], got[1], got[2], qkv, cos, sin, B, T, NH, NKV, HS));
    for (let i = 0; i < 3; i++) assert.ok(same(got[i]!, want[i]!), `split ${i}, shape ${[B, T, NH, NKV, HS]}`);
    const dWant = new Float32Array(N * W), dGot = new Float32Array(N * W).fill(7);
    joinHeadsRope(dWant, want[0], want[1], want[2], cos, sin, B, T, NH, NKV, HS);
    assert.ok(joinHeadsRopeWasm(dGot, want[0], want[1], want[2], cos, sin, B, T, NH, NKV, HS));
    assert.ok(same(dGot, dWant), `join, shape ${[B, T, NH, NKV, HS]}`);
    // the join undoes the split (rotation, then rotation back, equals the input up to rounding)
    assert.ok(relErr(dGot, qkv) < 1e-6);
  }
  // head size 6: half 3 is odd, the module declines and leaves the caller to TypeScript
  const z = new Float32Array(2 * 6 * 3);
  assert.equal(splitHeadsRopeWasm(z, z, z, new Float32Array(2 * 18), new Float32Array(6), new Float32Array(6), 1, 2, 1, 1, 6), false);
});
