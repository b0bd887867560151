import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { sequenceLogps, sequenceLogpsBackward, sequenceLogpsBackwardOrt, sequenceLogpsOrt } from '../../src/train/logps.js';
import { dpoObjective, sftObjective } from '../../src/train/objective.js';
import { collatePreference } from '../../src/train/collate.js';
import { Rng } from '../../src/util/rng.js';

const golden = JSON.parse(fs.readFileSync(new URL('../../../shared/golden/preference_losses.json', import.meta.url), 'utf8')).token_logps;

test('completion log-prob sum and per-token log-probs match the float64 golden', () => {
  const T = golden.input_ids.length, V = golden.logits[0].length;
  const logits = Float32Array.from(golden.logits.flat());
  const s = sequenceLogps(logits, Int32Array.from(golden.input_ids), Uint8Array.from(golden.completion_mask), 1, T, V);
  // float32 logits are exact here (short decimals), the sum is float64: 1e-6 covers float32 rounding of inputs
  assert.ok(Math.abs((s.sums[0] as number) - golden.completion_logp_sum) < 1e-6, `${s.sums[0]} vs ${golden.completion_logp_sum}`);
  assert.equal(s.counts[0], golden.shifted_mask.reduce((a: number, b: number) => a + b, 0));
  golden.shifted_mask.forEach((m: number, t: number) => {
    if (m) assert.ok(Math.abs((s.tokenLogps[t + 1] as number) - golden.shifted_token_logps[t]) < 1e-6, `token ${t}`);
  });
  assert.ok(Math.abs((s.sums[0] as number) / (s.counts[0] as number) - golden.completion_logp_mean) < 1e-6);
});

function randomLogits(n: number, seed: number): Float32Array {
  const r = new Rng(seed);
  return Float32Array.from({ length: n }, () => 2 * r.normal());
}

test('DPO and SFT objective gradients w.r.t. logits agree with finite differences', async () => {
  const V = 5;
  const pairs = [
    { prompt_ids: [1, 2], chosen_ids: [3, 4], rejected_ids: [0] },
    { prompt_ids: [4], chosen_ids: [2], rejected_ids: [1, 1, 3] },
  ];
  const b = collatePreference(pairs, 0, { truncation_mode: 'keep_start' });
  b.refChosen = Float64Array.from([-3, -2]); b.refRejected = Float64Array.from([-4, -1]);
  const base = randomLogits(b.B * b.T * V, 3);
  const norm = { pairs: 2, chosenTokens: 3, tokens: 9 };
  const cases: [string, (l: Float32Array, g: boolean) => Promise<{ loss: number; dlogits: Float32Array }>][] = [
    ['dpo sigmoid + rpo', (l, g) => dpoObjective(l, b, V, { loss_type: 'sigmoid', beta: 0.5, label_smoothing: 0.1, discopop_tau: 0.05, rpo_alpha: 0.7 }, norm, g)],
    ['dpo ipo weighted', (l, g) => dpoObjective(l, { ...b, weights: Float64Array.from([0.5, 2]) }, V, { loss_type: 'ipo', beta: 0.5, label_smoothing: 0, discopop_tau: 0.05, rpo_alpha: undefined }, norm, g)],
    ['sft', (l, g) => sftObjective(l, b, V, norm, g)],
  ];
  for (const [name, f] of cases) {
    const grad = (await f(base.slice(), true)).dlogits;
    // float32 logits; central differences with h = 1e-2 on the float64 loss: error O(h^2) ~ 1e-4 relative
    const h = 1e-2;
    for (let i = 0; i < base.length; i++) {
      const up = base.slice(); up[i] = (up[i] as number) + h;
      const dn = base.slice(); dn[i] = (dn[i] as number) - h;
      const fd = ((await f(up, false)).loss - (await f(dn, false)).loss) / (2 * h);
      assert.ok(Math.abs(fd - (grad[i] as number)) < 2e-4 + 2e-3 * Math.abs(fd), `${name} [${i}]: fd ${fd} vs ${grad[i]}`);
    }
  }
});

test('backward leaves unscored positions at exactly zero', () => {
  const V = 4, T = 4;
  const logits = randomLogits(T * V, 9);
  const ids = Int32Array.from([1, 2, 3, 0]);
  const mask = Uint8Array.from([0, 0, 1, 0]);
  const s = sequenceLogps(logits, ids, mask, 1, T, V);
  const out = sequenceLogpsBackward(logits, s, ids, mask, 1, T, V, Float64Array.from([1]), null, new Float32Array(T * V));
  for (let t = 0; t < T; t++) for (let v = 0; v < V; v++) {
    if (t !== 1) assert.equal(out[t * V + v], 0, `position ${t}`);
  }
  // the scored row sums to 0 (onehot - softmax)
  let sum = 0;
  for (let v = 0; v < V; v++) sum += out[V + v] as number;
  assert.ok(Math.abs(sum) < 1e-6);
});

test('ORT log-probs (the trainers\' path) match the TypeScript reference: sums, per-token values, counts, and the golden', async () => {
  const T = golden.input_ids.length, V = golden.logits[0].length;
  const g = await sequenceLogpsOrt(Float32Array.from(golden.logits.flat()), Int32Array.from(golden.input_ids), Uint8Array.from(golden.completion_mask), 1, T, V);
  assert.ok(Math.abs((g.sums[0] as number) - golden.completion_logp_sum) < 1e-5, `${g.sums[0]} vs ${golden.completion_logp_sum}`); // float32 log-sum-exp
  const B = 3, T2 = 7, V2 = 300, rng = new Rng(21);
  const logits = randomLogits(B * T2 * V2, 5);
  const ids = Int32Array.from({ length: B * T2 }, () => rng.int(V2));
  const mask = Uint8Array.from({ length: B * T2 }, (_, i) => (i % T2 > 2 && i % 5 !== 0 ? 1 : 0));
  const ref = sequenceLogps(logits, ids, mask, B, T2, V2), got = await sequenceLogpsOrt(logits, ids, mask, B, T2, V2);
  assert.deepEqual(Array.from(got.counts), Array.from(ref.counts));
  for (let i = 0; i < B; i++) assert.ok(Math.abs((got.sums[i] as number) - (ref.sums[i] as number)) < 1e-5 * Math.abs(ref.sums[i] as number) + 1e-5, `sum ${i}`);
  for (let i = 0; i < B * T2; i++) {
    assert.ok(Math.abs((got.tokenLogps[i] as number) - (ref.tokenLogps[i] as number)) < 2e-6 * (1 + Math.abs(ref.tokenLogps[i] as number)), `token ${i}`);
    assert.ok(Math.abs((got.lse[i] as number) - (ref.lse[i] as number)) < 2e-6 * (1 + Math.abs(ref.lse[i] as number)), `lse ${i}`);
  }
});

test('ORT log-prob backward matches the TypeScript reference (row and token weights), unscored rows exactly 0 even with huge logits', async () => {
  const B = 2, T = 6, V = 257, rng = new Rng(22);
  const logits = randomLogits(B * T * V, 6);
  logits[(0 * T + 5) * V + 3] = 200; // last position scores nothing: exp(200) must not leak in as 0 * Infinity
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const mask = Uint8Array.from([0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0]);
  const rowGrad = Float64Array.from([0.7, -1.3]), tokenGrad = Float64Array.from({ length: B * T }, (_, i) => (mask[i] ? 0.1 * (i % 3) : 0));
  const ref = sequenceLogpsBackward(logits, sequenceLogps(logits, ids, mask, B, T, V), ids, mask, B, T, V, rowGrad, tokenGrad, new Float32Array(B * T * V));
  const s = await sequenceLogpsOrt(logits, ids, mask, B, T, V);
  const got = await sequenceLogpsBackwardOrt(logits.slice(), s, ids, mask, B, T, V, rowGrad, tokenGrad, new Float32Array(B * T * V));
  for (let i = 0; i < got.length; i++) {
    if (ref[i] === 0) assert.equal(got[i], 0, `dlogits[${i}] should be exactly 0`);
    else assert.ok(Math.abs((got[i] as number) - (ref[i] as number)) < 1e-6 + 1e-5 * Math.abs(ref[i] as number), `dlogits[${i}]: ${got[i]} vs ${ref[i]}`);
  }
  // in place over the logits, as the trainers call it
  const inPlace = logits.slice();
  await sequenceLogpsBackwardOrt(inPlace, s, ids, mask, B, T, V, rowGrad, tokenGrad, inPlace);
  assert.deepEqual(inPlace, got);
});

test('ORT log-probs over several row chunks (large vocabulary) equal the TypeScript reference, forward and backward', async () => {
  const B = 2, T = 4, V = 300_000, rng = new Rng(23); // 2.4M logits: chunks of 3 rows
  const logits = randomLogits(B * T * V, 8);
  const ids = Int32Array.from({ length: B * T }, () => rng.int(V));
  const mask = Uint8Array.from([0, 1, 1, 1, 0, 1, 1, 0]);
  const ref = sequenceLogps(logits, ids, mask, B, T, V), got = await sequenceLogpsOrt(logits, ids, mask, B, T, V);
  for (let i = 0; i < B * T; i++) assert.ok(Math.abs((got.tokenLogps[i] as number) - (ref.tokenLogps[i] as number)) < 1e-5 * (1 + Math.abs(ref.tokenLogps[i] as number)), `token ${i}`);
  const rowGrad = Float64Array.from([0.5, -2]);
  const want = sequenceLogpsBackward(logits, ref, ids, mask, B, T, V, rowGrad, null, new Float32Array(B * T * V));
  const have = await sequenceLogpsBackwardOrt(logits, got, ids, mask, B, T, V, rowGrad, null, new Float32Array(B * T * V));
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs((have[i] as number) - (want[i] as number)));
  assert.ok(worst < 1e-6, `max |dlogits| difference ${worst}`);
});
