// Builds a fresh tokenizer for training from scratch: character-level (with byte fallback) or byte-level BPE trained
// here on a corpus, written as tokenizer.json + tokenizer_config.json that transformers and radpo load alike. Not a loader.

import * as path from 'node:path';
import { writeJsonAtomic } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';
import { trainByteLevelBpe } from './tok_bpe_train.js';

export const CHATML_TEMPLATE =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

/** Special tokens of the default layout: ids 0, 1, 2 in this order. */
export const DEFAULT_SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'] as const;

export interface BuildTokenizerOptions {
  kind: 'char' | 'byte_bpe';
  /** Total vocabulary including special tokens (and, for 'char', the 256 byte-fallback tokens). byte_bpe: merges
   *  stop early when no pair occurs min_frequency times. Default: byte_bpe 4096; char: every character of the corpus. */
  vocabSize?: number;
  /** Training text. Without it, byte_bpe has only the 256 byte symbols and char the printable ASCII characters. */
  corpus?: string[];
  /** Jinja chat template; default ChatML (<|im_start|>role\n...<|im_end|>\n). */
  chatTemplate?: string;
  /** Special tokens, ids 0..n-1. Default <|endoftext|> (pad), <|im_start|>, <|im_end|> (eos). */
  specialTokens?: string[];
  eosToken?: string;
  padToken?: string;
  /** byte_bpe: least count of a pair to be merged. Default 2. */
  minFrequency?: number;
  modelMaxLength?: number;
  /** char: BPE merges applied in this order, each adding its joined string as one token (e.g. ["1", "0"] makes
   *  "10" one token, as Llama-3's tokenizer keeps numbers whole). Both parts must be in the vocabulary by then. */
  merges?: [string, string][];
}

export interface BuiltTokenizer {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** Number of ids (max id + 1): use it as config.json's vocab_size or below it. */
  vocabSize: number;
}

export function buildTokenizer(opts: BuildTokenizerOptions): BuiltTokenizer {
  const specials = opts.specialTokens ?? [...DEFAULT_SPECIAL_TOKENS];
  const eos = opts.eosToken ?? (specials.includes('<|im_end|>') ? '<|im_end|>' : specials[0]);
  const pad = opts.padToken ?? (specials.includes('<|endoftext|>') ? '<|endoftext|>' : eos);
  for (const [field, t] of [['eosToken', eos], ['padToken', pad]] as const) {
    if (t === undefined || !specials.includes(t)) throw new RadpoError('config', 'must be one of the special tokens', { field, value: t });
  }
  if (new Set(specials).size !== specials.length) throw new RadpoError('config', 'special tokens must be distinct', { field: 'specialTokens', value: specials });
  const corpus = opts.corpus ?? [];
  const vocab: Record<string, number> = {};
  specials.forEach((t, i) => { vocab[t] = i; });
  let model: Record<string, unknown>;
  let pre: unknown = null;
  let post: unknown = null;
  let decoder: unknown;

  if (opts.kind === 'byte_bpe') {
    const target = opts.vocabSize ?? 4096;
    const numMerges = target - specials.length - 256;
    if (numMerges < 0) throw new RadpoError('config', `byte_bpe needs vocabSize >= 256 + ${specials.length} special tokens`, { field: 'vocabSize', value: target });
    const { tokens, merges } = trainByteLevelBpe(corpus, numMerges, opts.minFrequency ?? 2, specials);
    tokens.forEach((t, i) => { vocab[t] = specials.length + i; });
    model = bpeModel(vocab, merges, false);
    pre = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true };
    post = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true };
    decoder = { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true };
  } else if (opts.kind === 'char') {
    for (let b = 0; b < 256; b++) vocab[`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`] = specials.length + b;
    const freq = new Map<string, number>();
    if (corpus.length === 0) for (let c = 0x20; c < 0x7f; c++) freq.set(String.fromCharCode(c), 1);
    const specialRe = specials.length ? new RegExp(specials.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g') : null;
    for (const text of corpus) for (const ch of specialRe ? text.replace(specialRe, '') : text) freq.set(ch, (freq.get(ch) ?? 0) + 1);
    const chars = [...freq].sort((x, y) => y[1] - x[1] || (x[0].codePointAt(0) as number) - (y[0].codePointAt(0) as number)).map(([c]) => c);
    const room = opts.vocabSize === undefined ? chars.length : opts.vocabSize - specials.length - 256;
    if (room < 0) throw new RadpoError('config', `char needs vocabSize >= 256 byte-fallback tokens + ${specials.length} special tokens`, { field: 'vocabSize', value: opts.vocabSize });
    let next = specials.length + 256;
    for (const c of chars.slice(0, room).sort()) if (!(c in vocab)) vocab[c] = next++;
    const merges = opts.merges ?? [];
    for (const [a, b] of merges) {
      if (!(a in vocab) || !(b in vocab)) throw new RadpoError('config', 'merge parts must already be tokens (corpus characters or earlier merges)', { field: 'merges', value: [a, b] });
      if (!(a + b in vocab)) vocab[a + b] = next++;
    }
    model = bpeModel(vocab, merges, true);
    decoder = { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Fuse' }] };
  } else {
    throw new RadpoError('config', 'kind must be "char" or "byte_bpe"', { field: 'kind', value: (opts as { kind: unknown }).kind });
  }

  const added = specials.map((content, id) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }));
  const tokenizerJson = { version: '1.0', truncation: null, padding: null, added_tokens: added, normalizer: null, pre_tokenizer: pre, post_processor: post, decoder, model };
  const addedDecoder = Object.fromEntries(added.map(({ id, ...t }) => [String(id), t]));
  const tokenizerConfig: Record<string, unknown> = {
    add_bos_token: false,
    add_prefix_space: false,
    added_tokens_decoder: addedDecoder,
    additional_special_tokens: specials.filter((s) => s !== eos && s !== pad),
    bos_token: null,
    chat_template: opts.chatTemplate ?? CHATML_TEMPLATE,
    clean_up_tokenization_spaces: false,
    eos_token: eos,
    errors: 'replace',
    pad_token: pad,
    split_special_tokens: false,
    tokenizer_class: 'PreTrainedTokenizerFast',
    unk_token: null,
  };
  if (opts.modelMaxLength !== undefined) tokenizerConfig.model_max_length = opts.modelMaxLength;
  return { tokenizerJson, tokenizerConfig, vocabSize: Math.max(...Object.values(vocab)) + 1 };
}

/** Writes tokenizer.json and tokenizer_config.json into `dir` (each atomically). */
export function writeTokenizer(dir: string, built: Pick<BuiltTokenizer, 'tokenizerJson' | 'tokenizerConfig'>): void {
  writeJsonAtomic(path.join(dir, 'tokenizer.json'), built.tokenizerJson);
  writeJsonAtomic(path.join(dir, 'tokenizer_config.json'), built.tokenizerConfig);
}

function bpeModel(vocab: Record<string, number>, merges: [string, string][], byteFallback: boolean): Record<string, unknown> {
  return {
    type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
    fuse_unk: false, byte_fallback: byteFallback, ignore_merges: false, vocab, merges,
  };
}
