import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Rng } from '../../src/util/rng.js';
import { randn, relErr } from './engine_helpers.js';
import { swigluForward, swigluBackward } from '../../src/model/kernels/swiglu.js';
import { ortSwiglu, ortSwigluBackward, ortSoftmaxBackward } from '../../src/model/kernels/ort_ops.js';
import { attentionForward, attentionBackward, type AttnShape, type AttnMask } from '../../src/model/kernels/attention.js';

// ORT multi-node graphs (float32) against the float64 TypeScript kernels; tolerance 1e-6 relative (norm-wise) covers
// float32 rounding (~6e-8 per value) through a few operations.

test('ORT SwiGLU graphs (forward, backward with recomputed sigmoid) match the float64 kernels', async () => {
  const rng = new Rng(31);
  const N = 5, I = 7, gu = randn(rng, N * 2 * I, 3), dh = randn(rng, N * I);
  const h64 = new Float64Array(N * I), d64 = new Float64Array(N * 2 * I);
  swigluForward(h64, gu, N, I); swigluBackward(d64, dh, gu, N, I);
  const h32 = new Float32Array(N * I), d32 = new Float32Array(N * 2 * I);
  await ortSwiglu(h32, Float32Array.from(gu), N, I);
  await ortSwigluBackward(d32, Float32Array.from(dh), Float32Array.from(gu), N, I);
  assert.ok(relErr(h32, h64) < 1e-6, `forward ${relErr(h32, h64)}`);
  assert.ok(relErr(d32, d64) < 1e-6, `backward ${relErr(d32, d64)}`);
});

test('ORT softmax backward matches p * (dp - rowsum(dp * p)) in float64, also writing in place over dp', async () => {
  const rng = new Rng(32);
  const R = 6, T = 5, p = new Float32Array(R * T), dp = Float32Array.from(randn(rng, R * T));
  for (let r = 0; r < R; r++) { // causal-style rows: zeros beyond r % T, one all-zero row (a query that sees nothing)
    if (r === 3) continue;
    let s = 0;
    for (let j = 0; j <= r % T; j++) { p[r * T + j] = Math.exp(rng.normal()); s += p[r * T + j]!; }
    for (let j = 0; j <= r % T; j++) p[r * T + j]! /= s;
  }
  const want = new Float64Array(R * T);
  for (let r = 0; r < R; r++) {
    let dot = 0;
    for (let j = 0; j < T; j++) dot += dp[r * T + j]! * p[r * T + j]!;
    for (let j = 0; j < T; j++) want[r * T + j] = p[r * T + j]! * (dp[r * T + j]! - dot);
  }
  const out = new Float32Array(R * T);
  await ortSoftmaxBackward(out, dp, p, R, T);
  assert.ok(relErr(out, want) < 1e-6, `${relErr(out, want)}`);
  for (let j = 0; j < T; j++) assert.equal(Math.abs(out[3 * T + j]!), 0);
  await ortSoftmaxBackward(dp, dp, p, R, T); // aliased output
  assert.deepEqual(Array.from(dp), Array.from(out));
});

test('attention backward: the float32 (ORT) path matches the float64 path with padding and a window', async () => {
  const rng = new Rng(33);
  const s: AttnShape = { B: 2, T: 6, NH: 4, NKV: 2, HS: 3 };
  const m: AttnMask = { attentionMask: new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1]), window: 4 };
  const q = randn(rng, 2 * 4 * 6 * 3), k = randn(rng, 2 * 2 * 6 * 3), v = randn(rng, 2 * 2 * 6 * 3), dy = randn(rng, q.length);
  const f64 = (n: number) => new Float64Array(n), f32 = (n: number) => new Float32Array(n);
  const y64 = f64(q.length), p64 = f64(2 * 4 * 36), dq64 = f64(q.length), dk64 = f64(k.length), dv64 = f64(v.length);
  await attentionForward(y64, p64, q, k, v, s, m);
  await attentionBackward(dq64, dk64, dv64, f64(p64.length), dy, q, k, v, p64, s);
  const [q32, k32, v32] = [q, k, v].map((x) => Float32Array.from(x)) as [Float32Array, Float32Array, Float32Array];
  const y32 = f32(q.length), p32 = f32(p64.length), dq32 = f32(q.length), dk32 = f32(k.length), dv32 = f32(v.length);
  await attentionForward(y32, p32, q32, k32, v32, s, m, f32(p64.length));
  await attentionBackward(dq32, dk32, dv32, f32(p64.length), Float32Array.from(dy), q32, k32, v32, p32, s);
  for (const [a, b, name] of [[dq32, dq64, 'dq'], [dk32, dk64, 'dk'], [dv32, dv64, 'dv']] as const) {
    assert.ok(relErr(a, b) < 1e-5, `${name} ${relErr(a, b)}`); // float32 storage of probs and dS through two GEMMs
  }
});
