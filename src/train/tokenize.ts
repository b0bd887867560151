// Text rows -> token-id rows for the trainers, through model/tokenize_pair.ts (chat templates, EOS, boundaries).
// Not truncation: collate.ts fits lengths so that the same rules apply to pre-tokenized rows.

import { RadpoError } from '../util/errors.js';
import { tokenizePair, type PairRow } from '../model/tokenize_pair.js';
import type { Tokenizer } from '../model/tokenizer.js';
import type { PreferencePair } from '../data/types.js';
import type { TokenizedPair, TokenizedSft } from './collate.js';

function commonPrefix(a: number[], b: number[]): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

/** True when rows are already tokenized (prompt_ids / input_ids columns). */
export function isTokenizedPairs(rows: readonly unknown[]): rows is TokenizedPair[] {
  return rows.length > 0 && typeof rows[0] === 'object' && rows[0] !== null && Array.isArray((rows[0] as TokenizedPair).prompt_ids);
}

/**
 * One preference pair -> prompt_ids / chosen_ids / rejected_ids. The prompt ends where the two tokenized sequences
 * and the tokenized prompt stop agreeing (TRL: min common prefix), so merged boundary tokens count as completion.
 */
export function tokenizePreference(tok: Tokenizer, p: PreferencePair, weightColumn?: string): TokenizedPair {
  const c = tokenizePair(tok, { prompt: p.prompt, completion: p.chosen } as PairRow);
  const r = tokenizePair(tok, { prompt: p.prompt, completion: p.rejected } as PairRow);
  const k = Math.min(commonPrefix(c.input_ids, r.input_ids), c.prompt_length, r.prompt_length);
  const out: TokenizedPair = { prompt_ids: c.input_ids.slice(0, k), chosen_ids: c.input_ids.slice(k), rejected_ids: r.input_ids.slice(k) };
  if (weightColumn !== undefined) {
    const w = p[weightColumn];
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) throw new RadpoError('input', 'per-pair weight must be a finite number >= 0', { field: weightColumn, value: w });
    out.weight = w;
  }
  return out;
}

/** One SFT example (prompt + completion, text or messages) -> input_ids / completion_mask. */
export function tokenizeSft(tok: Tokenizer, ex: { prompt: unknown; completion: unknown }): TokenizedSft {
  const t = tokenizePair(tok, { prompt: ex.prompt, completion: ex.completion } as PairRow);
  return { input_ids: t.input_ids, completion_mask: t.completion_mask };
}
