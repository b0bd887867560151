// Batched text generation with a KV cache: prompts (raw text or chat messages) -> completions, greedy or sampled,
// stopping at any EOS id or max_new_tokens. Not the CLI (see cli/commands/generate.ts) and not a server.

import { RadpoError } from '../util/errors.js';
import type { ChatMessage } from './chat_template.js';
import { decodeSettings, DecodeWorkspace, forwardCached, KvCache, WasmWeights, type DecoderWeights } from './kv_cache.js';
import { checkSampling, DEFAULT_SAMPLING, SamplerScratch, selectToken, sequenceRng, type SamplingOptions } from './sampling.js';
import type { Tokenizer } from './tokenizer.js';

export interface GenerateOptions extends SamplingOptions {
  /** Tokens generated per sequence at most (the EOS, when produced, counts). */
  max_new_tokens: number;
  /** Sequences run together through the model (left-padded). */
  batch_size: number;
  /** Completions per prompt (each with its own random stream). */
  num_return_sequences: number;
  /** Seed of the per-sequence streams: sequence i of the run uses sequenceRng(seed, i), whatever the batching. */
  seed: number;
  /** Ids that end a sequence; default: the tokenizer's stop ids (generation_config / config / eos_token). */
  eos_token_id?: number[];
  /** Called after each batch with the number of sequences finished so far. */
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_GENERATE: GenerateOptions = {
  ...DEFAULT_SAMPLING, max_new_tokens: 64, batch_size: 16, num_return_sequences: 1, seed: 0,
};

/** A prompt: raw text (tokenized with the tokenizer's special tokens) or messages (chat template + generation prompt). */
export type Prompt = string | ChatMessage[];

export interface Generation {
  /** Index of the prompt in the input, and of this completion among its num_return_sequences. */
  prompt_index: number;
  sequence_index: number;
  /** Generated ids, including the EOS id when one ended the sequence. */
  tokens: number[];
  /** Decoded completion (special tokens skipped). */
  text: string;
  finish_reason: 'eos' | 'length';
}

export interface IdsGeneration { tokens: number[]; finish_reason: 'eos' | 'length' }

function resolve(options: Partial<GenerateOptions>): GenerateOptions {
  const o = { ...DEFAULT_GENERATE, ...options };
  checkSampling(o);
  for (const k of ['max_new_tokens', 'batch_size', 'num_return_sequences'] as const) {
    const v = o[k];
    if (!Number.isInteger(v) || v < (k === 'max_new_tokens' ? 0 : 1)) throw new RadpoError('config', `${k} must be an integer >= ${k === 'max_new_tokens' ? 0 : 1}`, { field: k, value: v });
  }
  return o;
}

/** Prompt ids as transformers' generation tokenizes them. */
export function encodePrompt(tok: Tokenizer, prompt: Prompt): number[] {
  if (typeof prompt === 'string') return tok.encode(prompt, { addSpecialTokens: true });
  return tok.encode(tok.applyChatTemplate(prompt, { addGenerationPrompt: true }), { addSpecialTokens: false });
}

/**
 * Generates num_return_sequences completions for every prompt; results are ordered prompt-major
 * (results[p * n + j]). Library entry point of `radpo generate`.
 */
export async function generate(model: DecoderWeights, tok: Tokenizer, prompts: Prompt[], options: Partial<GenerateOptions> = {}): Promise<Generation[]> {
  const o = resolve(options);
  const ids = prompts.map((p) => encodePrompt(tok, p));
  const stop = o.eos_token_id ?? tok.stopTokenIds;
  const out = await generateIds(model, ids, { ...o, eos_token_id: stop });
  return out.map((g, i) => {
    const body = g.finish_reason === 'eos' ? g.tokens.slice(0, -1) : g.tokens;
    return {
      prompt_index: Math.floor(i / o.num_return_sequences), sequence_index: i % o.num_return_sequences,
      tokens: g.tokens, text: tok.decode(body, { skipSpecialTokens: true }), finish_reason: g.finish_reason,
    };
  });
}

/** Token-level generation (no tokenizer): prompt ids in, generated ids out, ordered prompt-major. */
export async function generateIds(model: DecoderWeights, prompts: number[][], options: Partial<GenerateOptions> = {}): Promise<IdsGeneration[]> {
  const o = resolve(options);
  const V = model.config.vocab_size;
  prompts.forEach((p, i) => {
    if (p.length === 0) throw new RadpoError('input', 'prompt is empty after tokenization', { line: i + 1, field: 'prompt' });
    for (const t of p) if (!Number.isInteger(t) || t < 0 || t >= V) throw new RadpoError('input', `token id outside the vocabulary (size ${V})`, { line: i + 1, field: 'prompt', value: t });
  });
  const n = o.num_return_sequences;
  const total = prompts.length * n;
  const results: IdsGeneration[] = new Array(total);
  // Longest first, so each batch pads little; sequence numbers (and so random streams) do not depend on the order.
  const order = Array.from({ length: total }, (_, i) => i).sort((a, b) => (prompts[Math.floor(b / n)]!.length - prompts[Math.floor(a / n)]!.length) || a - b);
  const stop = new Set(o.eos_token_id ?? []);
  const ws = new DecodeWorkspace();
  // Decode steps with few live rows (batch 1, the tail of a batch) multiply in WebAssembly on a copy of the weights
  // made per call (they may have changed since the last one); its memory also holds the KV cache for attention,
  // sized by the first batch, which holds the longest prompts.
  const capacity = (total ? prompts[Math.floor(order[0]! / n)]!.length : 0) + o.max_new_tokens;
  if (decodeSettings.wasmMaxRows > 0 && o.max_new_tokens > 1) ws.wasm = WasmWeights.build(model, decodeSettings.wasmMaxRows, { B: Math.min(o.batch_size, total), capacity });
  const scratch = new SamplerScratch();
  let done = 0;
  for (let s = 0; s < total; s += o.batch_size) {
    const seqs = order.slice(s, s + o.batch_size);
    await generateBatch(model, prompts, n, seqs, o, stop, ws, scratch, results);
    done += seqs.length;
    o.onProgress?.(done, total);
  }
  return results;
}

/**
 * One left-padded batch of sequences (numbered prompt * n + j): the distinct prompts are prefilled once and their
 * cache rows copied to every sequence of that prompt; then one token per live row per step, finished rows leaving.
 */
async function generateBatch(model: DecoderWeights, allPrompts: number[][], n: number, seqIds: number[], o: GenerateOptions,
  stop: Set<number>, ws: DecodeWorkspace, scratch: SamplerScratch, results: IdsGeneration[]): Promise<void> {
  const B = seqIds.length, V = model.config.vocab_size;
  if (o.max_new_tokens === 0) { seqIds.forEach((q) => { results[q] = { tokens: [], finish_reason: 'length' }; }); return; }
  const uniq: number[] = [];                       // prompt index of each prefill row
  const src = seqIds.map((q) => {                  // prefill row of each sequence
    const pi = Math.floor(q / n);
    let u = uniq.indexOf(pi);
    if (u < 0) { u = uniq.length; uniq.push(pi); }
    return u;
  });
  const U = uniq.length;
  const P = Math.max(...uniq.map((pi) => allPrompts[pi]!.length));
  const ids = new Int32Array(U * P);
  const mask = new Uint8Array(U * P);
  uniq.forEach((pi, u) => {
    const p = allPrompts[pi]!, pad = P - p.length;
    for (let t = 0; t < p.length; t++) { ids[u * P + pad + t] = p[t]!; mask[u * P + pad + t] = 1; }
  });
  const cap = P + o.max_new_tokens;
  const cache = new KvCache(model.config, B, cap, ws.wasm?.kvArena(KvCache.floats(model.config, B, cap), cap) ?? null);
  cache.B = U;
  const pre = await forwardCached(model, cache, ids, P, mask, ws);
  // Sequences come sorted by prompt, so src[b] <= b and rows can be copied in place.
  let logits = pre;
  if (U < B) {
    cache.expand(src);
    logits = new Float32Array(B * V);
    src.forEach((u, b) => logits.set(pre.subarray(u * V, (u + 1) * V), b * V));
  }
  const rngs = seqIds.map((q) => (o.do_sample ? sequenceRng(o.seed, q) : null));
  const outs: number[][] = seqIds.map(() => []);
  let live = Array.from({ length: B }, (_, b) => b); // cache row -> batch index
  const next = new Int32Array(B);
  for (let step = 0; step < o.max_new_tokens; step++) {
    const keep: number[] = [];
    const nextLive: number[] = [];
    live.forEach((b, r) => {
      const t = selectToken(logits, r * V, V, o, rngs[b] ?? null, scratch);
      outs[b]!.push(t);
      if (stop.has(t)) results[seqIds[b]!] = { tokens: outs[b]!, finish_reason: 'eos' };
      else if (outs[b]!.length >= o.max_new_tokens) results[seqIds[b]!] = { tokens: outs[b]!, finish_reason: 'length' };
      else { keep.push(r); nextLive.push(b); next[keep.length - 1] = t; }
    });
    if (nextLive.length === 0) break;
    if (keep.length < live.length) cache.keep(keep);
    live = nextLive;
    logits = await forwardCached(model, cache, next.subarray(0, live.length), 1, null, ws);
  }
}
