// Collators: already-tokenized rows -> padded batches with attention and completion masks (TRL layouts), length
// fitting (max_length, max_prompt_length, truncation_mode) and SFT packing. Not a tokenizer: rows arrive as ids.

import { RadpoError } from '../util/errors.js';

export type TruncationMode = 'keep_start' | 'keep_end';

/** A tokenized preference pair (TRL's prompt_ids / chosen_ids / rejected_ids columns). */
export interface TokenizedPair {
  prompt_ids: number[];
  chosen_ids: number[];
  rejected_ids: number[];
  weight?: number;              // per-pair loss weight (data column), default 1
  ref_chosen_logps?: number;    // precomputed reference log-probs, when available
  ref_rejected_logps?: number;
  [column: string]: unknown;    // other data columns ride along (e.g. the weight_column)
}

/** A tokenized SFT example: the full sequence and which tokens are trained on (1 = completion). */
export interface TokenizedSft {
  input_ids: number[];
  completion_mask: number[];
  [column: string]: unknown;
}

/** A padded batch of B rows of length T (right padding). */
export interface LmBatch {
  B: number;
  T: number;
  ids: Int32Array;            // [B*T]
  attentionMask: Uint8Array;  // [B*T] 1 on real tokens
  completionMask: Uint8Array; // [B*T] 1 on tokens the loss scores
  positionIds?: Int32Array;   // [B*T] only for packed rows (reset at each packed sequence)
}

/** DPO batch: rows 0..n-1 are prompt+chosen, rows n..2n-1 prompt+rejected (B = 2n). */
export interface DpoBatch extends LmBatch {
  n: number;
  weights: Float64Array | null;       // [n] per-pair weights, null when all 1
  refChosen: Float64Array | null;     // [n] precomputed reference log-probs, null when the reference runs live
  refRejected: Float64Array | null;
}

export interface LengthOptions {
  max_length?: number | undefined;
  max_prompt_length?: number | undefined;
  truncation_mode: TruncationMode;
}

/** One sequence prompt+completion, truncated like TRL; returns null when no completion token survives. */
export function fitSequence(prompt: number[], completion: number[], o: LengthOptions): { ids: number[]; mask: number[] } | null {
  let p = prompt;
  if (o.max_prompt_length !== undefined && p.length > o.max_prompt_length) {
    // Prompt cap (older TRL's max_prompt_length, and tokenize_pair.ts): the prompt's last tokens are kept.
    p = p.slice(p.length - o.max_prompt_length);
  }
  let ids = [...p, ...completion];
  let mask = [...p.map(() => 0), ...completion.map(() => 1)];
  if (o.max_length !== undefined && ids.length > o.max_length) {
    // TRL 1.16 DataCollatorForPreference: slice the whole sequence, start (keep_start) or end (keep_end).
    const sl = o.truncation_mode === 'keep_end' ? (a: number[]) => a.slice(a.length - o.max_length!) : (a: number[]) => a.slice(0, o.max_length);
    ids = sl(ids); mask = sl(mask);
  }
  // A completion token is scored only from position >= 1 (it needs a preceding token).
  if (!mask.some((m, i) => m === 1 && i > 0)) return null;
  return { ids, mask };
}

/**
 * Stops with the reason when fitting dropped every training row (the trainer's generic "no training rows left" would
 * not say why): no completion token fits in max_length with this truncation mode.
 */
export function assertRowsFit(kept: number, dropped: number, o: LengthOptions): void {
  if (kept > 0 || dropped === 0) return;
  const keep = o.truncation_mode === 'keep_start' ? '; --truncation_mode keep_end keeps the end of each sequence instead' : '';
  throw new RadpoError('input', `all ${dropped} training rows were dropped: no completion token fits in max_length ${o.max_length ?? 'none'} ` +
    `(truncation_mode ${o.truncation_mode}${o.max_prompt_length !== undefined ? `, max_prompt_length ${o.max_prompt_length}` : ''}); raise --max_length${keep}`,
  { field: 'max_length', value: o.max_length });
}

/** Fits every pair; pairs where chosen or rejected keeps no completion token are dropped and counted. */
export function fitPairs(pairs: TokenizedPair[], o: LengthOptions): { kept: TokenizedPair[]; dropped: number } {
  const kept: TokenizedPair[] = [];
  let dropped = 0;
  for (const pr of pairs) {
    const c = fitSequence(pr.prompt_ids, pr.chosen_ids, o);
    const r = fitSequence(pr.prompt_ids, pr.rejected_ids, o);
    if (c && r) kept.push(pr); else dropped++;
  }
  return { kept, dropped };
}

function padRows(rows: { ids: number[]; mask: number[] }[], padId: number): LmBatch {
  const B = rows.length;
  const T = Math.max(1, ...rows.map((r) => r.ids.length));
  const ids = new Int32Array(B * T).fill(padId);
  const attentionMask = new Uint8Array(B * T);
  const completionMask = new Uint8Array(B * T);
  rows.forEach((r, b) => {
    for (let t = 0; t < r.ids.length; t++) {
      ids[b * T + t] = r.ids[t] as number;
      attentionMask[b * T + t] = 1;
      completionMask[b * T + t] = r.mask[t] as number;
    }
  });
  return { B, T, ids, attentionMask, completionMask };
}

/** TRL DataCollatorForPreference layout: [prompt+chosen rows; prompt+rejected rows], right-padded with padId. */
export function collatePreference(pairs: TokenizedPair[], padId: number, o: LengthOptions): DpoBatch {
  const chosen: { ids: number[]; mask: number[] }[] = [];
  const rejected: { ids: number[]; mask: number[] }[] = [];
  for (const pr of pairs) {
    const c = fitSequence(pr.prompt_ids, pr.chosen_ids, o);
    const r = fitSequence(pr.prompt_ids, pr.rejected_ids, o);
    if (!c || !r) throw new Error('collatePreference: pair does not fit max_length (filter with fitPairs first)');
    chosen.push(c); rejected.push(r);
  }
  const n = pairs.length;
  const base = padRows([...chosen, ...rejected], padId);
  const anyWeight = pairs.some((p) => p.weight !== undefined && p.weight !== 1);
  const hasRef = n > 0 && pairs.every((p) => p.ref_chosen_logps !== undefined && p.ref_rejected_logps !== undefined);
  return {
    ...base,
    n,
    weights: anyWeight ? Float64Array.from(pairs, (p) => p.weight ?? 1) : null,
    refChosen: hasRef ? Float64Array.from(pairs, (p) => p.ref_chosen_logps as number) : null,
    refRejected: hasRef ? Float64Array.from(pairs, (p) => p.ref_rejected_logps as number) : null,
  };
}

/** Fits an SFT example to max_length (keep_start / keep_end); null when no completion token survives. */
export function fitSft(ex: TokenizedSft, o: LengthOptions): TokenizedSft | null {
  let ids = ex.input_ids, mask = ex.completion_mask;
  if (o.max_length !== undefined && ids.length > o.max_length) {
    const a = o.truncation_mode === 'keep_end' ? ids.length - o.max_length : 0;
    ids = ids.slice(a, a + o.max_length); mask = mask.slice(a, a + o.max_length);
  }
  if (!mask.some((m, i) => m === 1 && i > 0)) return null;
  return { input_ids: ids, completion_mask: mask };
}

/** SFT batch, right-padded (completion-only loss: prompt tokens have completion_mask 0). */
export function collateSft(rows: TokenizedSft[], padId: number): LmBatch {
  return padRows(rows.map((r) => ({ ids: r.input_ids, mask: r.completion_mask })), padId);
}

/**
 * Packing: greedily concatenates examples (in order) into rows of at most `maxLength` tokens; each packed
 * sequence restarts its position ids at 0 and its first token is never scored (no cross-example targets).
 * Returns groups of examples, one group per packed row.
 */
export function packSft(rows: TokenizedSft[], maxLength: number): TokenizedSft[][] {
  const out: TokenizedSft[][] = [];
  let cur: TokenizedSft[] = [];
  let len = 0;
  for (const r of rows) {
    if (cur.length > 0 && len + r.input_ids.length > maxLength) { out.push(cur); cur = []; len = 0; }
    cur.push(r); len += r.input_ids.length;
  }
  if (cur.length > 0) out.push(cur);
  return out;
}

/** Collates packed rows (groups from packSft) with per-sequence position ids. */
export function collatePacked(groups: TokenizedSft[][], padId: number): LmBatch {
  const rows = groups.map((g) => ({
    ids: g.flatMap((r) => r.input_ids),
    // the first token of each packed sequence is not a target of the previous one
    mask: g.flatMap((r) => r.completion_mask.map((m, i) => (i === 0 ? 0 : m))),
    pos: g.flatMap((r) => r.input_ids.map((_, i) => i)),
  }));
  const batch = padRows(rows, padId);
  const positionIds = new Int32Array(batch.B * batch.T);
  rows.forEach((r, b) => { for (let t = 0; t < r.pos.length; t++) positionIds[b * batch.T + t] = r.pos[t] as number; });
  batch.positionIds = positionIds;
  return batch;
}
