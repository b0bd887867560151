import { test } from 'node:test';
import assert from 'node:assert/strict';
import { argmax, selectToken, warpedDistribution, SamplerScratch, sequenceRng, checkSampling, type SamplingOptions } from '../../src/model/sampling.js';
import { Rng } from '../../src/util/rng.js';

const logits = Float32Array.from([1.0, 3.0, 2.0, 3.0, -1.0, 0.5]);
const opts = (o: Partial<SamplingOptions>): SamplingOptions => ({ do_sample: true, temperature: 1, top_k: 0, top_p: 1, ...o });

// float64 reference written independently: softmax(logits / T) restricted to `keep`, renormalised
function ref(l: number[], T: number, keep: (i: number) => boolean): number[] {
  const e = l.map((x, i) => (keep(i) ? Math.exp(x / T) : 0));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

function asDense(m: number, s: SamplerScratch, V: number): number[] {
  const out = new Array<number>(V).fill(0);
  for (let j = 0; j < m; j++) out[s.idx[j] as number] = s.p[j] as number;
  return out;
}

test('argmax picks the lowest index on ties and respects the offset', () => {
  assert.equal(argmax(logits), 1);
  assert.equal(argmax(logits, 2, 3), 1); // [2, 3, -1] -> index 1 within the window
  assert.equal(argmax(Float32Array.from([NaN, 0, NaN])), 1);
});

test('temperature scales the softmax exactly (float64 reference)', () => {
  const s = new SamplerScratch();
  for (const T of [0.5, 1, 2.5]) {
    const got = asDense(warpedDistribution(logits, 0, 6, opts({ temperature: T }), s), s, 6);
    const want = ref([...logits], T, () => true);
    // fp32 logits, float64 arithmetic: agreement to ~1e-15 relative; 1e-12 leaves room
    got.forEach((g, i) => assert.ok(Math.abs(g - (want[i] as number)) < 1e-12, `T=${T} i=${i}: ${g} vs ${want[i]}`));
  }
});

test('top_k keeps the k largest logits, keeping ties at the threshold (transformers rule)', () => {
  const s = new SamplerScratch();
  // k=1: the two 3.0 logits tie at the threshold and both stay
  let got = asDense(warpedDistribution(logits, 0, 6, opts({ top_k: 1 }), s), s, 6);
  assert.deepEqual(got.map((x) => x > 0), [false, true, false, true, false, false]);
  got = asDense(warpedDistribution(logits, 0, 6, opts({ top_k: 3 }), s), s, 6);
  const want = ref([...logits], 1, (i) => [1, 2, 3].includes(i));
  got.forEach((g, i) => assert.ok(Math.abs(g - (want[i] as number)) < 1e-12));
});

test('top_p keeps the smallest most-likely set reaching p (hand-checked)', () => {
  const s = new SamplerScratch();
  // probabilities of [ln .5, ln .3, ln .15, ln .05] are exactly .5 .3 .15 .05
  const l = Float32Array.from([Math.log(0.5), Math.log(0.3), Math.log(0.15), Math.log(0.05)]);
  const kept = (p: number): number[] => {
    const m = warpedDistribution(l, 0, 4, opts({ top_p: p }), s);
    return Array.from(s.idx.subarray(0, m)).sort();
  };
  assert.deepEqual(kept(0.5), [0]);          // mass before token 1 is .5, not < .5
  assert.deepEqual(kept(0.51), [0, 1]);
  assert.deepEqual(kept(0.8), [0, 1]);        // .5+.3 = .8 reaches .8 (fp rounding of .8 may add one)
  assert.deepEqual(kept(0.9), [0, 1, 2]);
  assert.deepEqual(kept(0.99), [0, 1, 2, 3]);
  assert.deepEqual(kept(0.01), [0]);          // always at least one
  const m = warpedDistribution(l, 0, 4, opts({ top_p: 0.9 }), s);
  const z = 0.95;
  [0.5 / z, 0.3 / z, 0.15 / z].forEach((w, j) => assert.ok(Math.abs((s.p[j] as number) - w) < 1e-7, `p[${j}]`)); // fp32 logs: ~1e-8
  assert.equal(m, 3);
});

test('sampled frequencies match the warped distribution (fixed seed, 5-sigma bound)', () => {
  const s = new SamplerScratch();
  const o = opts({ temperature: 0.7, top_k: 4 });
  const want = asDense(warpedDistribution(logits, 0, 6, o, s), s, 6);
  const rng = new Rng(123);
  const n = 40000;
  const counts = new Array<number>(6).fill(0);
  for (let i = 0; i < n; i++) counts[selectToken(logits, 0, 6, o, rng, s)]++;
  counts.forEach((c, i) => {
    const p = want[i] as number;
    const sd = Math.sqrt((n * p * (1 - p)) || 1e-9);
    assert.ok(Math.abs(c - n * p) <= 5 * sd + 1e-9, `token ${i}: ${c} vs ${n * p}`);
    if (p === 0) assert.equal(c, 0);
  });
});

test('greedy ignores the rng; per-sequence streams are reproducible and distinct', () => {
  const s = new SamplerScratch();
  assert.equal(selectToken(logits, 0, 6, { ...opts({}), do_sample: false }, null, s), 1);
  assert.equal(sequenceRng(5, 3).nextU32(), sequenceRng(5, 3).nextU32());
  assert.notEqual(sequenceRng(5, 3).nextU32(), sequenceRng(5, 4).nextU32());
  assert.notEqual(sequenceRng(5, 3).nextU32(), sequenceRng(6, 3).nextU32());
});

test('bad sampling options are refused with the field named', () => {
  assert.throws(() => checkSampling(opts({ temperature: 0 })), /temperature/);
  assert.throws(() => checkSampling(opts({ top_p: 0 })), /top_p/);
  assert.throws(() => checkSampling(opts({ top_k: 1.5 })), /top_k/);
});

test('top_k + top_p + temperature agree with a direct sort-based reference on random logits; ties keep low ids', () => {
  const s = new SamplerScratch();
  const tie = Float32Array.from([1, 1, 1, 0]);
  const m = warpedDistribution(tie, 0, 4, opts({ top_p: 0.5 }), s);
  assert.deepEqual(Array.from(s.idx.subarray(0, m)), [0, 1]); // masses before: 0, 1/3.x < .5, then >= .5
  const rng = new Rng(99);
  for (let trial = 0; trial < 200; trial++) {
    const V = 1 + rng.int(60);
    const l = Float32Array.from({ length: V }, () => Math.round(rng.normal() * 8) / 4); // coarse values: many ties
    const o = opts({ temperature: 0.3 + 2 * rng.next(), top_k: rng.int(V + 2), top_p: rng.next() < 0.3 ? 1 : 0.05 + 0.95 * rng.next() });
    // reference: sort by (logit desc, id asc); top-k by threshold; softmax; nucleus by prefix mass; renormalise
    const ids = [...l.keys()].sort((a, b) => (l[b]! - l[a]!) || a - b);
    const thr = o.top_k > 0 && o.top_k < V ? l[ids[o.top_k - 1]!]! : -Infinity;
    let keep = ids.filter((i) => l[i]! >= thr);
    const e = keep.map((i) => Math.exp((l[i]! - l[ids[0]!]!) / o.temperature));
    const z = e.reduce((a, b) => a + b, 0);
    let probs = e.map((x) => x / z);
    if (o.top_p < 1) {
      let cum = 0, n = 0;
      while (n < keep.length && cum < o.top_p) { cum += probs[n]!; n++; }
      keep = keep.slice(0, n); probs = probs.slice(0, n);
      const z2 = probs.reduce((a, b) => a + b, 0); probs = probs.map((x) => x / z2);
    }
    const want = new Array<number>(V).fill(0);
    keep.forEach((i, j) => { want[i] = probs[j]!; });
    const got = asDense(warpedDistribution(l, 0, V, o, s), s, V);
    // Same float64 formulas, different summation order: 1e-12. (Membership could only flip if a prefix mass were
    // within rounding of top_p; with these seeds it never is, so sets must match exactly.)
    got.forEach((g, i) => assert.equal(g > 0, want[i]! > 0, `trial ${trial} token ${i}: kept sets differ`));
    got.forEach((g, i) => assert.ok(Math.abs(g - want[i]!) < 1e-12, `trial ${trial} token ${i}: ${g} vs ${want[i]}`));
  }
});
