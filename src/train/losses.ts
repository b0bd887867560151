// DPO-family preference losses as pure scalar functions of summed completion log-probs, each with its gradient.
// Not a model pass: inputs are per-pair log-prob sums (policy and reference); see objective.ts for the batch loss.
//
// Notation (same as TRL 1.16 DPOTrainer._compute_loss): c = policy_chosen - ref_chosen, r = policy_rejected -
// ref_rejected (chosen / rejected log-ratios), d = c - r, z = beta * d. Per pair we return the loss and
// d(loss)/d(policy_chosen_logps), d(loss)/d(policy_rejected_logps) (= d/dc, d/dr: the reference is a constant).
//
// label_smoothing: TRL 1.16 ignores it for loss_type "sigmoid" (it only feeds robust / exo_pair). radpo matches the
// older TRL behaviour (TRL <= 0.x, incl. 0.8.2 used by the paper's reference recipes): on "sigmoid" it is
// conservative DPO (cDPO, Mitchell 2023), -(1-eps) logsig(z) - eps logsig(-z). With label_smoothing = 0 both agree.

export const LOSS_TYPES = [
  'sigmoid', 'robust', 'hinge', 'ipo', 'exo_pair', 'nca_pair', 'bco_pair', 'sppo_hard',
  'apo_zero', 'apo_down', 'discopop', 'sigmoid_norm',
] as const;
export type LossType = (typeof LOSS_TYPES)[number];

export interface LossParams {
  beta: number;
  label_smoothing: number;   // cDPO on sigmoid, flip rate on robust, epsilon on exo_pair
  discopop_tau: number;
}

/** One pair's inputs: summed completion log-probs and completion token counts. */
export interface PairLogps {
  policy_chosen: number;
  policy_rejected: number;
  ref_chosen: number;
  ref_rejected: number;
  chosen_length: number;
  rejected_length: number;
}

export interface PairLoss {
  loss: number;
  dChosen: number;    // d loss / d policy_chosen
  dRejected: number;  // d loss / d policy_rejected
}

/** log(sigmoid(x)), stable for large |x|. */
export function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

export function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

/** Per-pair loss and gradient of `type`. */
export function pairLoss(type: LossType, p: PairLogps, params: LossParams): PairLoss {
  const { beta } = params;
  const eps = params.label_smoothing;
  const c = p.policy_chosen - p.ref_chosen;
  const r = p.policy_rejected - p.ref_rejected;
  const z = beta * (c - r);
  // For losses of z only: dc = beta * dl/dz, dr = -beta * dl/dz.
  const ofZ = (loss: number, dz: number): PairLoss => ({ loss, dChosen: beta * dz, dRejected: -beta * dz });
  switch (type) {
    case 'sigmoid':
      // DPO, Rafailov et al. 2023, Eq. 7; with eps > 0 conservative DPO (cDPO, Mitchell 2023).
      return ofZ(-(1 - eps) * logSigmoid(z) - eps * logSigmoid(-z), -(1 - eps) * sigmoid(-z) + eps * sigmoid(z));
    case 'robust': {
      // Robust DPO, Chowdhury et al. 2024, Eq. 12 (unbiased loss under label-flip rate eps in [0, 0.5)).
      const k = 1 / (1 - 2 * eps);
      return ofZ(k * (-(1 - eps) * logSigmoid(z) + eps * logSigmoid(-z)), k * (-(1 - eps) * sigmoid(-z) - eps * sigmoid(z)));
    }
    case 'hinge':
      // SLiC, Zhao et al. 2023, Eq. 3 (hinge on the DPO margin); relu'(0) = 0 as in torch.
      return ofZ(Math.max(0, 1 - z), 1 - z > 0 ? -1 : 0);
    case 'ipo': {
      // IPO, Azar et al. 2023, Eq. 17, with log-ratios averaged per completion token (TRL); beta plays tau.
      const lc = Math.max(1, p.chosen_length), lr = Math.max(1, p.rejected_length);
      const e = c / lc - r / lr - 1 / (2 * beta);
      return { loss: e * e, dChosen: (2 * e) / lc, dRejected: (-2 * e) / lr };
    }
    case 'exo_pair': {
      // EXO, Ji et al. 2024, Eq. 16 (K = 2): KL(softmax(z) || [1-eps, eps]).
      const qw = sigmoid(z), ql = sigmoid(-z), lqw = logSigmoid(z), lql = logSigmoid(-z);
      const a = lqw - Math.log1p(-eps), b = lql - Math.log(eps);
      return ofZ(qw * a + ql * b, qw * ql * (a - b));
    }
    case 'nca_pair': {
      // NCA, Chen et al. 2024, Eq. 11 (pairwise): -logsig(a) - 0.5 logsig(-a) - 0.5 logsig(-b), a = beta c, b = beta r.
      const a = beta * c, b = beta * r;
      return {
        loss: -logSigmoid(a) - 0.5 * logSigmoid(-a) - 0.5 * logSigmoid(-b),
        dChosen: beta * (-sigmoid(-a) + 0.5 * sigmoid(a)),
        dRejected: beta * 0.5 * sigmoid(b),
      };
    }
    case 'bco_pair': {
      // BCO, Jung et al. 2024, Eq. 8, without the running reward-mean shift delta (as the golden file states).
      const a = beta * c, b = beta * r;
      return { loss: -logSigmoid(a) - logSigmoid(-b), dChosen: -beta * sigmoid(-a), dRejected: beta * sigmoid(b) };
    }
    case 'sppo_hard': {
      // SPPO, Wu et al. 2024, Eq. 4.7 with hard probabilities (P = 1 winner, 0 loser).
      const ec = c - 0.5 / beta, er = r + 0.5 / beta;
      return { loss: ec * ec + er * er, dChosen: 2 * ec, dRejected: 2 * er };
    }
    case 'apo_zero': {
      // APO-zero, D'Oosterlinck et al. 2024, Eq. 7.
      const sa = sigmoid(beta * c), sb = sigmoid(beta * r);
      return { loss: 1 - sa + sb, dChosen: -beta * sa * (1 - sa), dRejected: beta * sb * (1 - sb) };
    }
    case 'apo_down': {
      // APO-down, D'Oosterlinck et al. 2024, Eq. 8.
      const sa = sigmoid(beta * c), sz = sigmoid(z);
      return { loss: sa + 1 - sz, dChosen: beta * sa * (1 - sa) - beta * sz * (1 - sz), dRejected: beta * sz * (1 - sz) };
    }
    case 'discopop': {
      // DiscoPOP (log-ratio modulated loss), Chris Lu et al. 2024, Eq. 5.
      const tau = params.discopop_tau;
      const m = sigmoid(z / tau), dm = (m * (1 - m)) / tau, ez = Math.exp(-z), ls = logSigmoid(z);
      const loss = -ls * (1 - m) + ez * m;
      const dz = -sigmoid(-z) * (1 - m) + ls * dm - ez * m + ez * dm;
      return ofZ(loss, dz);
    }
    case 'sigmoid_norm': {
      // Length-normalised sigmoid DPO (TRL "sigmoid_norm"; cf. SimPO, Meng et al. 2024, Eq. 4 without a margin).
      const lc = Math.max(1, p.chosen_length), lr = Math.max(1, p.rejected_length);
      const dz = -beta * sigmoid(-beta * (c / lc - r / lr));
      return { loss: -logSigmoid(beta * (c / lc - r / lr)), dChosen: dz / lc, dRejected: -dz / lr };
    }
  }
}

/** Checks loss parameters the way TRL's DPOTrainer does; returns an error message or null. */
export function checkLossParams(type: LossType, params: LossParams): string | null {
  if (type === 'robust' && !(params.label_smoothing >= 0 && params.label_smoothing < 0.5)) {
    return `label_smoothing must lie in [0, 0.5) for loss_type robust, got ${params.label_smoothing}`;
  }
  if (type === 'exo_pair' && !(params.label_smoothing > 0 && params.label_smoothing < 1)) {
    return `label_smoothing must lie in (0, 1) for loss_type exo_pair (the paper uses 1e-3), got ${params.label_smoothing}`;
  }
  if (!(params.beta > 0)) return `beta must be > 0, got ${params.beta}`;
  return null;
}

/** TRL's reward metrics over a batch of pairs (means over pairs; accuracies counts strict chosen > rejected). */
export function rewardMetrics(pairs: PairLogps[], beta: number): Record<string, number> {
  const n = pairs.length;
  let rc = 0, rr = 0, acc = 0, lc = 0, lr = 0;
  for (const p of pairs) {
    const a = beta * (p.policy_chosen - p.ref_chosen), b = beta * (p.policy_rejected - p.ref_rejected);
    rc += a; rr += b; acc += a > b ? 1 : 0; lc += p.policy_chosen; lr += p.policy_rejected;
  }
  return {
    'rewards/chosen': rc / n,
    'rewards/rejected': rr / n,
    'rewards/margins': (rc - rr) / n,
    'rewards/accuracies': acc / n,
    'logps/chosen': lc / n,
    'logps/rejected': lr / n,
  };
}
