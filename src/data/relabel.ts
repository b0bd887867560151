// Rewrites scored preference pairs with new per-response scores (implicit rewards mapped onto the goal scale):
// score columns, raw rewards, originals kept, chosen/rejected re-ordered. Not the scoring itself (verify/).

import type { PreferencePair } from './types.js';
import { isMessageList } from './types.js';
import { mapToScale, type ScaleMethod, type ScaleOptions } from './relabel_scale.js';
import { spearman } from '../eval/stats.js';

/**
 * What to do with a pair whose implicit reward prefers the rejected response:
 * - swap (default): exchange chosen and rejected with every per-side column (`relabel_swapped` records it).
 *   For reward-augmented training this changes only which of the two augmented copies is the "positive" one
 *   (each copy prefers the response whose score is its goal); for plain DPO on the output it makes "chosen" mean
 *   "preferred by the implicit reward", consistent with the new scores;
 * - keep: leave the judge's order (the scores then disagree with it);
 * - drop: remove the pair.
 * Exact ties keep the order.
 */
export type ReorderMode = 'swap' | 'keep' | 'drop';
export const REORDER_MODES: readonly ReorderMode[] = ['swap', 'keep', 'drop'];

export interface RelabelOptions extends ScaleOptions {
  scale_method: ScaleMethod;
  reorder?: ReorderMode;
}

export interface RelabelSummary {
  pairs_in: number;
  pairs_out: number;
  /** Pairs whose implicit reward disagreed with the original order (then swapped, kept or dropped). */
  disagreed: number;
  /** Fraction of pairs with a strict implicit-reward preference that agrees with the original order. */
  agreement: number;
  scale_method: ScaleMethod;
  fit: Record<string, number | number[]>;
  /** Spearman rank correlation of implicit rewards with the original scores, over responses that have one. */
  spearman_original: number | null;
}

/** Original judge score of each side: an earlier relabel's `original_score_*` wins over `score_*`. */
export function originalScores(p: PreferencePair): [number | undefined, number | undefined] {
  const pick = (orig: unknown, cur: unknown): number | undefined =>
    typeof orig === 'number' ? orig : typeof cur === 'number' ? cur : undefined;
  return [pick(p.original_score_chosen, p.score_chosen), pick(p.original_score_rejected, p.score_rejected)];
}

/**
 * Relabels pairs from implicit rewards `rewards` (two per pair: chosen at 2i, rejected at 2i+1). All responses are
 * mapped onto the scale together. Output rows keep every input field and get `implicit_reward_chosen/_rejected`
 * (raw), `score_chosen/_rejected` (mapped) and `original_score_chosen/_rejected` (when the input had scores);
 * the reference format's `overall_score_*` become `original_overall_score_*` so readers take the new scores.
 */
export function relabelPairs(pairs: readonly PreferencePair[], rewards: readonly number[], opts: RelabelOptions): { pairs: PreferencePair[]; summary: RelabelSummary } {
  if (rewards.length !== 2 * pairs.length) throw new Error(`relabelPairs: ${rewards.length} rewards for ${pairs.length} pairs (need 2 per pair)`);
  const originals = pairs.flatMap((p) => originalScores(p));
  const { mapped, fit } = mapToScale(rewards, opts.scale_method, { ...opts, original: originals });
  const reorder = opts.reorder ?? 'swap';
  const out: PreferencePair[] = [];
  let disagreed = 0, strict = 0;
  pairs.forEach((p, i) => {
    const rc = rewards[2 * i] as number, rr = rewards[2 * i + 1] as number;
    const [oc, or] = originals.slice(2 * i, 2 * i + 2);
    let row: PreferencePair = {
      ...p,
      score_chosen: mapped[2 * i] as number,
      score_rejected: mapped[2 * i + 1] as number,
      implicit_reward_chosen: rc,
      implicit_reward_rejected: rr,
    };
    if (oc !== undefined) row.original_score_chosen = oc;
    if (or !== undefined) row.original_score_rejected = or;
    for (const side of ['chosen', 'rejected']) renameKey(row, `overall_score_${side}`, `original_overall_score_${side}`);
    if (rc !== rr) strict++;
    const disagree = rr > rc;
    if (disagree) disagreed++;
    if (disagree && reorder === 'drop') return;
    if (disagree && reorder === 'swap') row = swapSides(row);
    row.relabel_swapped = disagree && reorder === 'swap';
    out.push(row);
  });
  const summary: RelabelSummary = {
    pairs_in: pairs.length,
    pairs_out: out.length,
    disagreed,
    agreement: strict > 0 ? (strict - disagreed) / strict : 1,
    scale_method: opts.scale_method,
    fit,
    spearman_original: spearmanPresent(rewards, originals),
  };
  return { pairs: out, summary };
}

/** Readers take the reference format's overall_score_* over score_*: keep those originals under another name. */
function renameKey(row: PreferencePair, from: string, to: string): void {
  if (!(from in row)) return;
  row[to] = row[from];
  delete row[from];
}

/**
 * Exchanges chosen and rejected with every per-side column (`x_chosen`/`x_rejected`, `chosen_x`/`rejected_x`,
 * `chosen-x`/`rejected-x`), and rebuilds H4's `messages` (prompt + chosen) when present.
 */
export function swapSides(p: PreferencePair): PreferencePair {
  const q: PreferencePair = { ...p, chosen: p.rejected, rejected: p.chosen };
  for (const k of Object.keys(p)) {
    const partner = sidePartner(k);
    if (partner !== null && partner in p) q[k] = p[partner];
  }
  if ('messages' in p && isMessageList(p.prompt) && isMessageList(q.chosen)) q.messages = [...p.prompt, ...q.chosen];
  return q;
}

function sidePartner(k: string): string | null {
  const m = /^(.*)_(chosen|rejected)$/.exec(k);
  if (m) return `${m[1]}_${m[2] === 'chosen' ? 'rejected' : 'chosen'}`;
  const m2 = /^(chosen|rejected)([-_].+)$/.exec(k);
  if (m2) return `${m2[1] === 'chosen' ? 'rejected' : 'chosen'}${m2[2]}`;
  return null;
}

/** Spearman correlation (average ranks for ties) over the entries where `b` is a number; null under 2 such. */
export function spearmanPresent(a: readonly number[], b: readonly (number | undefined | null)[]): number | null {
  const xs: number[] = [], ys: number[] = [];
  a.forEach((x, i) => { const y = b[i]; if (typeof y === 'number' && Number.isFinite(y)) { xs.push(x); ys.push(y); } });
  if (xs.length < 2) return null;
  const rho = spearman(xs, ys);
  return Number.isNaN(rho) ? null : rho;
}
