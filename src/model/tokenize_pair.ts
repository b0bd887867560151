// Prompt + completion -> input_ids and completion_mask: the one place radpo decides which tokens a completion owns
// (SFT, DPO, logprobs and evaluation all call this). Not batching or padding (callers do that).
//
// Behaviour (TRL-compatible where TRL defines it):
// - Raw text rows: prompt+completion are tokenized together with the tokenizer's special tokens (BOS only if its
//   post-processor adds one; a prompt that already starts with the BOS text does not get a second one). EOS is
//   appended unless add_eos is false or the sequence already ends with EOS.
// - Conversational rows: the prompt is rendered with add_generation_prompt, the whole conversation without it; both
//   are tokenized without extra special tokens (as apply_chat_template(tokenize=True)), so the template alone decides
//   BOS and turn ends: no EOS is appended after a template that closes the turn.
// - Boundary: the tokens of the prompt alone must be a prefix of the tokens of prompt+completion. TRL only warns and
//   masks by the prompt's length; radpo instead puts the boundary at the longest common prefix, so a token that merges
//   text across the boundary counts as completion (never silently scores prompt text as completion or vice versa),
//   and reports boundary_mismatch: true.
// - Truncation (TRL DPO order): prompt to its last max_prompt_length tokens, completion to its first
//   max_completion_length tokens, then the whole to max_length keeping the start or the end (truncation_mode).

import { RadpoError, type ErrorLocation } from '../util/errors.js';
import type { ChatMessage, ChatTemplateOptions } from './chat_template.js';
import type { Tokenizer } from './tokenizer.js';

export interface PairRow {
  prompt: string | ChatMessage[];
  completion: string | ChatMessage[];
  /** Tool schemas for conversational rows (TRL's `tools` column). */
  tools?: unknown[];
  /** Extra chat-template variables (TRL's `chat_template_kwargs` column). */
  chat_template_kwargs?: Record<string, unknown>;
}

export interface TokenizePairOptions {
  /** Longest whole sequence; null = no limit. */
  max_length?: number | null;
  /** Longest prompt (its last tokens are kept); null = no limit. */
  max_prompt_length?: number | null;
  /** Longest completion (its first tokens are kept); null = no limit. */
  max_completion_length?: number | null;
  /** What max_length keeps: 'keep_end' drops the start of the prompt (TRL DPO default), 'keep_start' drops the end. */
  truncation_mode?: 'keep_start' | 'keep_end';
  /** Raw text rows: append EOS to the completion (TRL does). Default true. Conversational rows never get one. */
  add_eos?: boolean;
  /** Raw text rows: let the tokenizer add its special tokens (BOS). Default true. */
  add_special_tokens?: boolean;
  /** Template options for conversational rows (named template, kwargs). */
  chat?: Pick<ChatTemplateOptions, 'chatTemplate' | 'kwargs'>;
  /** File and line of the row, for error messages. */
  where?: Pick<ErrorLocation, 'file' | 'line'>;
}

export interface TokenizedPair {
  input_ids: number[];
  /** 1 on completion tokens, 0 on prompt tokens; same length as input_ids. */
  completion_mask: number[];
  /** Number of prompt tokens kept (the index of the first completion token). */
  prompt_length: number;
  /** The prompt's own tokens were not a prefix of the joint tokens (see the header). */
  boundary_mismatch: boolean;
  /** Some tokens were cut by max_length / max_prompt_length / max_completion_length. */
  truncated: boolean;
}

export function isConversation(v: unknown): v is ChatMessage[] {
  return Array.isArray(v) && v.every((m) => m !== null && typeof m === 'object' && typeof (m as ChatMessage).role === 'string');
}

/** Checks a row's shape; throws a RadpoError naming the field. */
export function checkPairRow(row: unknown, where: Pick<ErrorLocation, 'file' | 'line'> = {}): PairRow {
  if (!row || typeof row !== 'object' || Array.isArray(row)) throw new RadpoError('input', 'expected an object with "prompt" and "completion"', { ...where, value: row });
  const r = row as Record<string, unknown>;
  for (const f of ['prompt', 'completion'] as const) {
    const v = r[f];
    if (v === undefined) throw new RadpoError('input', `missing "${f}"`, { ...where, field: f });
    if (typeof v !== 'string' && !isConversation(v)) {
      throw new RadpoError('input', 'expected a string (raw text) or a list of {"role", "content"} messages', { ...where, field: f, value: v });
    }
  }
  if (typeof r.prompt !== typeof r.completion) {
    throw new RadpoError('input', '"prompt" and "completion" must both be strings or both be message lists', { ...where, field: 'completion', value: r.completion });
  }
  if (typeof r.completion === 'string' ? false : (r.completion as unknown[]).length === 0) {
    throw new RadpoError('input', 'the completion has no messages', { ...where, field: 'completion', value: r.completion });
  }
  if (r.tools !== undefined && r.tools !== null && !Array.isArray(r.tools)) throw new RadpoError('input', 'expected a list of tool schemas', { ...where, field: 'tools', value: r.tools });
  const out: PairRow = { prompt: r.prompt as PairRow['prompt'], completion: r.completion as PairRow['completion'] };
  if (Array.isArray(r.tools)) out.tools = r.tools;
  if (r.chat_template_kwargs && typeof r.chat_template_kwargs === 'object') out.chat_template_kwargs = r.chat_template_kwargs as Record<string, unknown>;
  return out;
}

export function tokenizePair(tok: Tokenizer, row: PairRow, opts: TokenizePairOptions = {}): TokenizedPair {
  const where = opts.where ?? {};
  let promptIds: number[];
  let fullIds: number[];
  let textMismatch = false;
  if (typeof row.prompt === 'string' && typeof row.completion === 'string') {
    const special = opts.add_special_tokens ?? true;
    fullIds = tok.encode(row.prompt + row.completion, { addSpecialTokens: special });
    promptIds = tok.encode(row.prompt, { addSpecialTokens: false });
    if (special) {
      promptIds = [...tok.specialPrefix, ...promptIds];
      // No double BOS: the text already starts with the BOS token the post-processor adds.
      const b = tok.bosTokenId;
      if (b !== null && tok.specialPrefix[0] === b && fullIds[0] === b && fullIds[1] === b && promptIds[1] === b) {
        fullIds = fullIds.slice(1);
        promptIds = promptIds.slice(1);
      }
    }
    const eos = tok.eosTokenId;
    if ((opts.add_eos ?? true) && eos !== null && fullIds[fullIds.length - 1] !== eos) fullIds = [...fullIds, eos];
  } else if (isConversation(row.prompt) && isConversation(row.completion)) {
    const chat: ChatTemplateOptions = { ...(opts.chat ?? {}) };
    if (row.tools) chat.tools = row.tools;
    if (row.chat_template_kwargs) chat.kwargs = { ...(chat.kwargs ?? {}), ...row.chat_template_kwargs };
    let promptText: string;
    let fullText: string;
    try {
      promptText = tok.applyChatTemplate(row.prompt, { ...chat, addGenerationPrompt: true });
      fullText = tok.applyChatTemplate([...row.prompt, ...row.completion], { ...chat, addGenerationPrompt: false });
    } catch (e) {
      if (e instanceof RadpoError && e.code === 'input' && where.file !== undefined) throw new RadpoError('input', e.message, where);
      throw e;
    }
    textMismatch = !fullText.startsWith(promptText);
    promptIds = tok.encode(promptText, { addSpecialTokens: false });
    fullIds = tok.encode(fullText, { addSpecialTokens: false });
  } else {
    throw new RadpoError('input', '"prompt" and "completion" must both be strings or both be message lists', { ...where, field: 'completion', value: row.completion });
  }

  let boundary = 0;
  const n = Math.min(promptIds.length, fullIds.length);
  while (boundary < n && promptIds[boundary] === fullIds[boundary]) boundary++;
  const mismatch = textMismatch || boundary !== promptIds.length;

  let prompt = fullIds.slice(0, boundary);
  let completion = fullIds.slice(boundary);
  const before = fullIds.length;
  if (opts.max_prompt_length != null && prompt.length > opts.max_prompt_length) prompt = prompt.slice(prompt.length - opts.max_prompt_length);
  if (opts.max_completion_length != null && completion.length > opts.max_completion_length) completion = completion.slice(0, opts.max_completion_length);
  let ids = [...prompt, ...completion];
  let mask = [...prompt.map(() => 0), ...completion.map(() => 1)];
  if (opts.max_length != null && ids.length > opts.max_length) {
    if ((opts.truncation_mode ?? 'keep_end') === 'keep_end') {
      ids = ids.slice(ids.length - opts.max_length);
      mask = mask.slice(mask.length - opts.max_length);
    } else {
      ids = ids.slice(0, opts.max_length);
      mask = mask.slice(0, opts.max_length);
    }
  }
  let promptLength = 0;
  while (promptLength < mask.length && mask[promptLength] === 0) promptLength++;
  return { input_ids: ids, completion_mask: mask, prompt_length: promptLength, boundary_mismatch: mismatch, truncated: ids.length < before };
}
