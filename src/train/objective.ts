// The two training objectives as pure functions (logits, batch) -> { loss, dlogits, metrics } (style.md: "three
// nouns and a loop"). Not a loop: trainer.ts runs forward/backward and the optimizer around these.
//
// Scaling for gradient accumulation: an optimizer step over micro-batches k = 1..K minimises
//   DPO: sum_k sum_{pairs i in k} w_i l_i / N_pairs(step)        (+ rpo_alpha * sum chosen-token NLL / N_chosen_tokens(step))
//   SFT: sum_k sum_{completion tokens} -log p / N_tokens(step)
// so batch 8 x accumulation 1 == batch 1 x accumulation 8 exactly (the denominators cover the whole step, as
// transformers does with num_items_in_batch for causal-LM loss).

import type { DpoBatch, LmBatch } from './collate.js';
import { sequenceLogpsBackwardOrt, sequenceLogpsOrt } from './logps.js';
import { pairLoss, rewardMetrics, type LossParams, type LossType, type PairLogps } from './losses.js';

export interface ObjectiveResult {
  /** This micro-batch's contribution to the step loss (already divided by the step denominators). */
  loss: number;
  /** d loss / d logits [B*T*V]; written over the logits buffer. */
  dlogits: Float32Array;
  /** Micro-batch metric means (TRL names), weighted by `count` when aggregated. */
  metrics: Record<string, number>;
  count: number;
}

export interface DpoObjectiveOptions extends LossParams {
  loss_type: LossType;
  rpo_alpha: number | undefined;
}

/** Denominators for one optimizer step: all pairs / chosen completion tokens / completion tokens in the step. */
export interface StepNorm { pairs: number; chosenTokens: number; tokens: number }

/** Reference log-prob sums [2n] (chosen rows then rejected rows) from a reference logits pass. */
export async function referenceLogps(logits: Float32Array, batch: LmBatch, V: number): Promise<Float64Array> {
  return (await sequenceLogpsOrt(logits, batch.ids, batch.completionMask, batch.B, batch.T, V)).sums;
}

/**
 * DPO objective. batch.refChosen / refRejected must be set (precomputed or from a live reference pass).
 * With computeGrad false (evaluation) dlogits is left as the logits buffer, untouched.
 */
export async function dpoObjective(logits: Float32Array, batch: DpoBatch, V: number, o: DpoObjectiveOptions, norm: StepNorm, computeGrad = true): Promise<ObjectiveResult> {
  const { n, B, T, ids, completionMask } = batch;
  if (!batch.refChosen || !batch.refRejected) throw new Error('dpoObjective: reference log-probs missing from the batch');
  const s = await sequenceLogpsOrt(logits, ids, completionMask, B, T, V);
  const pairs: PairLogps[] = [];
  const rowGrad = new Float64Array(B);
  let lossSum = 0, weighted = 0;
  for (let i = 0; i < n; i++) {
    const p: PairLogps = {
      policy_chosen: s.sums[i] as number, policy_rejected: s.sums[n + i] as number,
      ref_chosen: batch.refChosen[i] as number, ref_rejected: batch.refRejected[i] as number,
      chosen_length: s.counts[i] as number, rejected_length: s.counts[n + i] as number,
    };
    pairs.push(p);
    const w = batch.weights ? (batch.weights[i] as number) : 1;
    const l = pairLoss(o.loss_type, p, o);
    lossSum += l.loss; weighted += w * l.loss;
    rowGrad[i] = (w * l.dChosen) / norm.pairs;
    rowGrad[n + i] = (w * l.dRejected) / norm.pairs;
  }
  let loss = weighted / norm.pairs;
  const metrics = rewardMetrics(pairs, o.beta);
  let tokenGrad: Float64Array | null = null;
  if (o.rpo_alpha !== undefined && o.rpo_alpha !== 0) {
    // RPO (Pang et al. 2024, Eq. 3): + alpha * NLL of the chosen completion tokens (TRL: loss_type "sft").
    let nll = 0, cnt = 0;
    tokenGrad = new Float64Array(B * T);
    for (let i = 0; i < n; i++) {
      nll -= s.sums[i] as number; cnt += s.counts[i] as number;
      for (let t = 1; t < T; t++) if (completionMask[i * T + t]) tokenGrad[i * T + t] = -o.rpo_alpha / norm.chosenTokens;
    }
    loss += (o.rpo_alpha * nll) / norm.chosenTokens;
    metrics.nll_loss = cnt > 0 ? nll / cnt : 0;
  }
  metrics.loss = batch.weights ? weighted / n : lossSum / n;
  if (metrics.nll_loss !== undefined && o.rpo_alpha) metrics.loss += o.rpo_alpha * metrics.nll_loss;
  const dlogits = computeGrad ? await sequenceLogpsBackwardOrt(logits, s, ids, completionMask, B, T, V, rowGrad, tokenGrad, logits) : logits;
  return { loss, dlogits, metrics, count: n };
}

/** SFT objective: token-level NLL over completion tokens (prompt masked), divided by the step's token count. */
export async function sftObjective(logits: Float32Array, batch: LmBatch, V: number, norm: StepNorm, computeGrad = true): Promise<ObjectiveResult> {
  const { B, T, ids, completionMask } = batch;
  const s = await sequenceLogpsOrt(logits, ids, completionMask, B, T, V);
  let nll = 0, cnt = 0;
  for (let b = 0; b < B; b++) { nll -= s.sums[b] as number; cnt += s.counts[b] as number; }
  const rowGrad = new Float64Array(B).fill(-1 / norm.tokens);
  const dlogits = computeGrad ? await sequenceLogpsBackwardOrt(logits, s, ids, completionMask, B, T, V, rowGrad, null, logits) : logits;
  return { loss: nll / norm.tokens, dlogits, metrics: { loss: cnt > 0 ? nll / cnt : 0 }, count: cnt };
}

/** Completion tokens that a batch scores (position >= 1 with completion_mask 1), per row. */
export function scoredTokens(batch: LmBatch, rows?: number): number {
  let c = 0;
  const R = rows ?? batch.B;
  for (let b = 0; b < R; b++) for (let t = 1; t < batch.T; t++) c += batch.completionMask[b * batch.T + t] as number;
  return c;
}
