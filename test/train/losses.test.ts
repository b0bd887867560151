import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { LOSS_TYPES, pairLoss, rewardMetrics, type LossType, type PairLogps } from '../../src/train/losses.js';

const golden = JSON.parse(fs.readFileSync(new URL('../../../shared/golden/preference_losses.json', import.meta.url), 'utf8'));
const inp = golden.inputs;
const pairs: PairLogps[] = inp.policy_chosen_logps.map((_: number, i: number) => ({
  policy_chosen: inp.policy_chosen_logps[i], policy_rejected: inp.policy_rejected_logps[i],
  ref_chosen: inp.ref_chosen_logps[i], ref_rejected: inp.ref_rejected_logps[i],
  chosen_length: inp.chosen_lengths[i], rejected_length: inp.rejected_lengths[i],
}));

// golden key -> radpo loss type (sigmoid_label_smoothing is sigmoid with label_smoothing = cDPO)
const KEY_TYPE: Record<string, LossType> = { sigmoid_label_smoothing: 'sigmoid' };

function paramsOf(key: string) {
  const p = golden.losses[key].params;
  return { beta: inp.beta, label_smoothing: p.label_smoothing ?? 0, discopop_tau: p.discopop_tau ?? 0.05 };
}

test('every loss type matches the float64 golden per pair and in the mean', () => {
  const covered = new Set<string>();
  for (const key of Object.keys(golden.losses)) {
    const type = KEY_TYPE[key] ?? (key as LossType);
    assert.ok(LOSS_TYPES.includes(type), `golden loss ${key} has no radpo loss type`);
    covered.add(type);
    const per = pairs.map((p) => pairLoss(type, p, paramsOf(key)).loss);
    // both sides are float64 evaluations of the same closed forms; 1e-12 relative allows reordering of terms
    per.forEach((l, i) => assert.ok(Math.abs(l - golden.losses[key].per_pair[i]) <= 1e-12 * Math.max(1, Math.abs(l)), `${key}[${i}]: ${l} vs ${golden.losses[key].per_pair[i]}`));
    const mean = per.reduce((a, b) => a + b, 0) / per.length;
    assert.ok(Math.abs(mean - golden.losses[key].mean) <= 1e-12 * Math.max(1, mean), `${key} mean`);
  }
  for (const t of LOSS_TYPES) assert.ok(covered.has(t), `loss type ${t} has no golden value`);
});

test('reward metrics match the golden', () => {
  const m = rewardMetrics(pairs, inp.beta);
  for (const [k, v] of Object.entries(golden.metrics)) {
    assert.ok(Math.abs((m[k] as number) - (v as number)) < 1e-12, `${k}: ${m[k]} vs ${v}`);
  }
});

test('loss gradients agree with central finite differences for every loss type', () => {
  // float64 central differences with h = 1e-5: truncation error O(h^2 f''') ~ 1e-9 here, rounding ~ 1e-11 / h
  const h = 1e-5;
  const extra: PairLogps[] = [...pairs, { policy_chosen: -3, policy_rejected: -40, ref_chosen: -9, ref_rejected: -7, chosen_length: 4, rejected_length: 9 }];
  for (const type of LOSS_TYPES) {
    for (const ls of type === 'exo_pair' ? [0.001, 0.2] : type === 'robust' || type === 'sigmoid' ? [0, 0.3] : [0]) {
      const params = { beta: 0.1, label_smoothing: ls, discopop_tau: 0.05 };
      for (const p of extra) {
        const g = pairLoss(type, p, params);
        const f = (dc: number, dr: number) => pairLoss(type, { ...p, policy_chosen: p.policy_chosen + dc, policy_rejected: p.policy_rejected + dr }, params).loss;
        const fdc = (f(h, 0) - f(-h, 0)) / (2 * h);
        const fdr = (f(0, h) - f(0, -h)) / (2 * h);
        assert.ok(Math.abs(g.dChosen - fdc) < 1e-6 * Math.max(1, Math.abs(fdc)), `${type} ls=${ls} dChosen ${g.dChosen} vs fd ${fdc}`);
        assert.ok(Math.abs(g.dRejected - fdr) < 1e-6 * Math.max(1, Math.abs(fdr)), `${type} ls=${ls} dRejected ${g.dRejected} vs fd ${fdr}`);
      }
    }
  }
});

test('sigmoid loss is ln 2 with zero margin, and label smoothing is the cDPO mixture', () => {
  const p: PairLogps = { policy_chosen: -5, policy_rejected: -7, ref_chosen: -5, ref_rejected: -7, chosen_length: 3, rejected_length: 3 };
  assert.ok(Math.abs(pairLoss('sigmoid', p, { beta: 0.1, label_smoothing: 0, discopop_tau: 0.05 }).loss - Math.LN2) < 1e-15);
  // hand-checked: z = 0.1 * 2 = 0.2; (1-0.3)*softplus(-0.2) + 0.3*softplus(0.2)
  const q = { ...p, policy_chosen: -3 };
  const sp = (x: number) => Math.log(1 + Math.exp(x));
  assert.ok(Math.abs(pairLoss('sigmoid', q, { beta: 0.1, label_smoothing: 0.3, discopop_tau: 0.05 }).loss - (0.7 * sp(-0.2) + 0.3 * sp(0.2))) < 1e-15);
});

test('losses stay finite for extreme margins', () => {
  const p: PairLogps = { policy_chosen: -1, policy_rejected: -5000, ref_chosen: -1, ref_rejected: -1, chosen_length: 3, rejected_length: 3 };
  for (const type of LOSS_TYPES) {
    if (type === 'discopop') continue; // exp(-z) is unbounded for z -> -inf by definition; tested above at moderate z
    const r = pairLoss(type, p, { beta: 1, label_smoothing: 0.1, discopop_tau: 0.05 });
    assert.ok(Number.isFinite(r.loss) && Number.isFinite(r.dChosen) && Number.isFinite(r.dRejected), type);
    const q = pairLoss(type, { ...p, policy_chosen: -5000, policy_rejected: -1 }, { beta: 1, label_smoothing: 0.1, discopop_tau: 0.05 });
    assert.ok(Number.isFinite(q.loss) && Number.isFinite(q.dChosen), `${type} reversed`);
  }
});
