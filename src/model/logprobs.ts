// Completion log-probabilities under a model: prompt/completion rows -> per-token log-probs of the completion tokens,
// batched (right padding + attention mask, length-sorted, output in input order). Not a loss and no gradients.

import { RadpoError } from '../util/errors.js';
import { Progress } from '../util/progress.js';
import { logSumExp } from './kernels/loss.js';
import { ortRowLogSumExp } from './kernels/ort_ops.js';
import type { Tokenizer } from './tokenizer.js';
import { tokenizePair, type PairRow, type TokenizePairOptions } from './tokenize_pair.js';

/** What scoring needs of a model (Model satisfies it). */
export interface LogitsModel {
  config: { vocab_size: number };
  forward(ids: Int32Array, B: number, T: number, opts?: { attentionMask?: Uint8Array }): Promise<Float32Array>;
}

export interface CompletionScore {
  /** Sum of token_logprobs (natural log). */
  completion_logprob: number;
  /** log p(token_i | tokens_<i) for each scored completion token, in order. */
  token_logprobs: number[];
  num_tokens: number;
}

export interface ScoreOptions extends TokenizePairOptions {
  /** Rows per forward pass. Default 8. */
  batch_size?: number;
  /** Cap on B*T*V logits held at once (memory: 4 bytes each); batches shrink to fit. Default 2^26 (256 MiB). */
  max_batch_logits?: number;
  /** Draw a progress bar (TTY only). Default true. */
  progress?: boolean;
  /** Called after each batch with the number of rows done. */
  onBatch?: (done: number, total: number) => void;
}

/**
 * Scores one row of a logits buffer. logits [T_row, V] starting at position `offset` (in positions, not floats);
 * a completion token at i >= 1 is scored by the logits at i-1 (logits at t score token t+1). A completion token at
 * position 0 has no context and is not scored. Sums in float64. `lse` (per position of the same buffer, e.g. from
 * ortRowLogSumExp) replaces the TypeScript log-sum-exp of each scored position.
 */
export function completionLogprobs(logits: ArrayLike<number>, V: number, offset: number, ids: ArrayLike<number>, mask: ArrayLike<number>, lse?: ArrayLike<number>): CompletionScore {
  const token_logprobs: number[] = [];
  let sum = 0;
  for (let i = 1; i < ids.length; i++) {
    if (!mask[i]) continue;
    const target = ids[i] as number;
    if (!(target >= 0 && target < V)) throw new RadpoError('model', `token id ${target} is outside the model's vocabulary [0, ${V}); the tokenizer does not match the model`, { field: 'vocab_size', value: V });
    const o = (offset + i - 1) * V;
    const lp = (logits[o + target] as number) - (lse ? (lse[offset + i - 1] as number) : logSumExp(logits as Float32Array, o, V));
    token_logprobs.push(lp);
    sum += lp;
  }
  return { completion_logprob: sum, token_logprobs, num_tokens: token_logprobs.length };
}

/** Scores already-tokenized rows (input_ids + completion_mask), batching rows of similar length. */
export async function scoreTokenized(model: LogitsModel, items: readonly { input_ids: number[]; completion_mask: number[] }[], opts: ScoreOptions & { padTokenId?: number } = {}): Promise<CompletionScore[]> {
  const V = model.config.vocab_size;
  const maxB = opts.batch_size ?? 8;
  const budget = opts.max_batch_logits ?? 2 ** 26;
  if (!(Number.isInteger(maxB) && maxB >= 1)) throw new RadpoError('config', 'batch_size must be a positive integer', { field: 'batch_size', value: maxB });
  const pad = opts.padTokenId !== undefined && opts.padTokenId < V ? opts.padTokenId : 0; // padding is masked; any valid id
  const out: CompletionScore[] = new Array(items.length);
  const order = items.map((_, i) => i).filter((i) => {
    const it = items[i]!;
    if (it.input_ids.length !== it.completion_mask.length) throw new Error(`scoreTokenized: row ${i} has ${it.input_ids.length} ids and ${it.completion_mask.length} mask entries`);
    if (it.input_ids.length < 2 || !it.completion_mask.some((m, j) => j > 0 && m)) { out[i] = { completion_logprob: 0, token_logprobs: [], num_tokens: 0 }; return false; }
    return true;
  });
  order.sort((a, b) => items[b]!.input_ids.length - items[a]!.input_ids.length || a - b); // longest first: memory peaks early
  const bar = new Progress({ total: items.length, label: 'logprobs', unit: 'rows', enabled: opts.progress === false ? false : undefined });
  let done = items.length - order.length;
  for (let s = 0; s < order.length;) {
    const T = items[order[s]!]!.input_ids.length;
    const B = Math.max(1, Math.min(maxB, order.length - s, Math.floor(budget / (T * V))));
    const batch = order.slice(s, s + B);
    const ids = new Int32Array(B * T).fill(pad);
    const attn = new Uint8Array(B * T);
    batch.forEach((r, b) => {
      const row = items[r]!.input_ids;
      for (let t = 0; t < row.length; t++) { ids[b * T + t] = row[t]!; attn[b * T + t] = 1; }
    });
    const logits = await model.forward(ids, B, T, { attentionMask: attn });
    const lse = new Float32Array(B * T);
    await ortRowLogSumExp(lse, logits, B * T, V); // every position in ORT graphs (vectorised), not per token in TypeScript
    batch.forEach((r, b) => { out[r] = completionLogprobs(logits, V, b * T, items[r]!.input_ids, items[r]!.completion_mask, lse); });
    s += B;
    done += B;
    bar.update(done);
    opts.onBatch?.(done, items.length);
  }
  bar.done();
  return out;
}

/** Tokenizes each row with tokenizePair (raw text or chat template) and scores its completion tokens. */
export async function scoreCompletions(model: LogitsModel, tokenizer: Tokenizer, rows: readonly PairRow[], opts: ScoreOptions = {}): Promise<CompletionScore[]> {
  const items = rows.map((r) => tokenizePair(tokenizer, r, opts));
  return scoreTokenized(model, items, { ...opts, padTokenId: tokenizer.padTokenId ?? tokenizer.eosTokenId ?? 0 });
}
