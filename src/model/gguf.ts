// GGUF (version 3, fp32) export of a Hugging Face Llama / Mistral / Qwen2 model folder for llama.cpp, and a header
// reader for checking such files. Not a quantizer and not a GGUF loader for radpo (radpo reads safetensors).

import * as fs from 'node:fs';
import * as path from 'node:path';
import { AtomicWriteStream } from '../util/atomic.js';
import { RadpoError } from '../util/errors.js';
import type { ModelConfig } from './config.js';

export const GGUF_MAGIC = 0x46554747; // "GGUF" little-endian
export const GGUF_VERSION = 3;
export const GGUF_ALIGNMENT = 32;

/** GGUF metadata value types (gguf spec numbering). */
export const GgufType = { u8: 0, i8: 1, u16: 2, i16: 3, u32: 4, i32: 5, f32: 6, bool: 7, str: 8, arr: 9, u64: 10, i64: 11, f64: 12 } as const;
type Scalar = 'u32' | 'i32' | 'f32' | 'bool' | 'str' | 'u64';
export type GgufValue = { type: Scalar; value: number | boolean | string } | { type: 'arr'; of: Scalar; value: (number | string | boolean)[] };
export type GgufKv = [key: string, value: GgufValue];

/** One tensor to write, with its shape in Hugging Face / row-major order ([out, in]); GGUF stores it reversed. */
export interface GgufTensor { name: string; shape: number[]; data: Float32Array }

/** The tokenizer part of the metadata (tokenizer.ggml.*), built from tokenizer.json. */
export interface GgufVocab {
  /** "gpt2": byte-level BPE (merges). "llama": SentencePiece-style with <0xXX> byte fallback (scores, no merges). */
  model: 'gpt2' | 'llama';
  tokens: string[]; tokenTypes: number[]; merges: string[]; scores?: number[]; addSpacePrefix?: boolean;
  pre: string; bosId?: number; eosId?: number; padId?: number; addBos: boolean; chatTemplate?: string;
}

const u32 = (v: number): GgufValue => ({ type: 'u32', value: v });
const f32 = (v: number): GgufValue => ({ type: 'f32', value: v });
const str = (v: string): GgufValue => ({ type: 'str', value: v });

// ---------------------------------------------------------------------------------------------------------------
// Binary writer

class Bytes {
  private chunks: Buffer[] = [];
  length = 0;
  push(b: Buffer): void { this.chunks.push(b); this.length += b.length; }
  u32(v: number): void { const b = Buffer.alloc(4); b.writeUInt32LE(v >>> 0); this.push(b); }
  i32(v: number): void { const b = Buffer.alloc(4); b.writeInt32LE(v | 0); this.push(b); }
  u64(v: number): void { const b = Buffer.alloc(8); b.writeBigUInt64LE(BigInt(v)); this.push(b); }
  f32(v: number): void { const b = Buffer.alloc(4); b.writeFloatLE(v); this.push(b); }
  bool(v: boolean): void { this.push(Buffer.from([v ? 1 : 0])); }
  str(s: string): void { const b = Buffer.from(s, 'utf8'); this.u64(b.length); this.push(b); }
  scalar(t: Scalar, v: number | boolean | string): void {
    switch (t) {
      case 'u32': this.u32(v as number); break;
      case 'i32': this.i32(v as number); break;
      case 'u64': this.u64(v as number); break;
      case 'f32': this.f32(v as number); break;
      case 'bool': this.bool(v as boolean); break;
      case 'str': this.str(v as string); break;
    }
  }
  concat(): Buffer { return Buffer.concat(this.chunks, this.length); }
}

const padTo = (n: number, a: number): number => Math.ceil(n / a) * a;

/** Writes a GGUF v3 file atomically: header, metadata, tensor infos, then tensor data aligned to 32 bytes. */
export function writeGguf(file: string, kvs: GgufKv[], tensors: GgufTensor[]): { bytes: number } {
  const h = new Bytes();
  h.u32(GGUF_MAGIC); h.u32(GGUF_VERSION); h.u64(tensors.length); h.u64(kvs.length + 1);
  h.str('general.alignment'); h.u32(GgufType.u32); h.u32(GGUF_ALIGNMENT);
  for (const [key, v] of kvs) {
    h.str(key);
    if (v.type === 'arr') {
      h.u32(GgufType.arr); h.u32(GgufType[v.of]); h.u64(v.value.length);
      for (const x of v.value) h.scalar(v.of, x);
    } else { h.u32(GgufType[v.type]); h.scalar(v.type, v.value); }
  }
  let offset = 0;
  for (const t of tensors) {
    const n = t.shape.reduce((a, b) => a * b, 1);
    if (n !== t.data.length) throw new Error(`writeGguf: tensor ${t.name} has ${t.data.length} values, shape ${t.shape.join('x')}`);
    h.str(t.name); h.u32(t.shape.length);
    for (let i = t.shape.length - 1; i >= 0; i--) h.u64(t.shape[i] as number); // ne[0] is the innermost dimension
    h.u32(0 /* GGML_TYPE_F32 */); h.u64(offset);
    offset = padTo(offset + n * 4, GGUF_ALIGNMENT);
  }
  const out = new AtomicWriteStream(file);
  try {
    const head = h.concat();
    out.write(head);
    let pos = head.length;
    const pad = (to: number): void => { if (to > pos) { out.write(new Uint8Array(to - pos)); pos = to; } };
    pad(padTo(pos, GGUF_ALIGNMENT));
    for (const t of tensors) {
      out.write(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength));
      pos += t.data.byteLength;
      pad(padTo(pos, GGUF_ALIGNMENT));
    }
    out.commit();
    return { bytes: pos };
  } catch (e) { out.abort(); throw e; }
}

// ---------------------------------------------------------------------------------------------------------------
// Hugging Face config / weights -> GGUF metadata and tensors

/** llama.cpp architecture for a model_type: Mistral runs as llama; Qwen2 has its own (q/k/v bias, NeoX RoPE). */
export function ggufArchitecture(c: ModelConfig): 'llama' | 'qwen2' {
  if (c.model_type === 'llama' || c.model_type === 'mistral') return 'llama';
  if (c.model_type === 'qwen2') return 'qwen2';
  throw new RadpoError('unsupported', 'GGUF export supports model_type llama, mistral and qwen2', { field: 'model_type', value: c.model_type });
}

/**
 * The context length written to the GGUF. llama.cpp runs the llama / qwen2 architectures with full causal attention;
 * a sliding window of W keys (key j seen from query i when i - j < W) changes nothing while a sequence has at most W
 * tokens, so a windowed model is exported with its context capped at the smallest window (exact up to there).
 */
export function ggufContextLength(c: ModelConfig): { length: number; cappedByWindow: number | null } {
  const windows = c.layer_windows.filter((w): w is number => w !== null);
  if (windows.length === 0) return { length: c.max_position_embeddings, cappedByWindow: null };
  const w = Math.min(...windows);
  return w < c.max_position_embeddings ? { length: w, cappedByWindow: w } : { length: c.max_position_embeddings, cappedByWindow: null };
}

export function ggufModelMetadata(c: ModelConfig, name: string): GgufKv[] {
  const arch = ggufArchitecture(c);
  const hd = c.head_dim;
  return [
    ['general.architecture', str(arch)],
    ['general.name', str(name)],
    ['general.file_type', u32(0)], // ALL_F32
    [`${arch}.context_length`, u32(ggufContextLength(c).length)],
    [`${arch}.embedding_length`, u32(c.hidden_size)],
    [`${arch}.block_count`, u32(c.num_hidden_layers)],
    [`${arch}.feed_forward_length`, u32(c.intermediate_size)],
    [`${arch}.rope.dimension_count`, u32(hd)],
    [`${arch}.attention.head_count`, u32(c.num_attention_heads)],
    [`${arch}.attention.head_count_kv`, u32(c.num_key_value_heads)],
    [`${arch}.attention.key_length`, u32(hd)],
    [`${arch}.attention.value_length`, u32(hd)],
    [`${arch}.attention.layer_norm_rms_epsilon`, f32(c.rms_norm_eps)],
    [`${arch}.rope.freq_base`, f32(c.rope_theta)],
    [`${arch}.vocab_size`, u32(c.vocab_size)],
  ];
}

/**
 * Llama-3 RoPE frequency divisors (the rope_freqs.weight tensor llama.cpp reads), [head_dim / 2]; null when the
 * config has no llama3 rope_scaling. Formula from Meta's Llama 3.1 reference (apply_scaling).
 */
export function llama3RopeFreqs(c: ModelConfig): Float32Array | null {
  const rs = c.rope_scaling;
  if (!rs) return null;
  const hd = c.head_dim;
  const base = c.rope_theta;
  const factor = rs.factor, lo = rs.low_freq_factor, hi = rs.high_freq_factor, old = rs.original_max_position_embeddings;
  const out = new Float32Array(hd / 2);
  for (let i = 0; i < hd / 2; i++) {
    const freq = 1 / Math.pow(base, (2 * i) / hd);
    const wavelen = (2 * Math.PI) / freq;
    if (wavelen < old / hi) out[i] = 1;
    else if (wavelen > old / lo) out[i] = factor;
    else { const s = (old / wavelen - lo) / (hi - lo); out[i] = 1 / ((1 - s) / factor + s); }
  }
  return out;
}

/**
 * Reorders the rows of a q_proj / k_proj weight [nHeads*hd, C] (or bias [nHeads*hd]) from the rotate-half RoPE
 * layout of transformers to the interleaved-pair layout llama.cpp's llama architecture expects: within each head,
 * new row 2i+j = old row j*hd/2 + i (the inverse of the permutation transformers' Llama converter applies).
 */
export function permuteForRope(w: Float32Array, nHeads: number, cols: number): Float32Array {
  const rows = w.length / cols;
  const hd = rows / nHeads;
  if (!Number.isInteger(hd) || hd % 2 !== 0) throw new Error(`permuteForRope: ${rows} rows do not split into ${nHeads} even heads`);
  const out = new Float32Array(w.length);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < hd / 2; i++) {
      for (let j = 0; j < 2; j++) {
        const src = (h * hd + j * (hd / 2) + i) * cols;
        out.set(w.subarray(src, src + cols), (h * hd + 2 * i + j) * cols);
      }
    }
  }
  return out;
}

/** A source of Hugging Face tensors by name: fp32 data and [out, in]-style shape, or undefined when absent. */
export type HfTensorSource = (name: string) => { data: Float32Array; shape: number[] } | undefined;

/** Maps Hugging Face tensor names to llama.cpp's (blk.N.attn_q.weight, ...) with the RoPE permutation for llama. */
export function ggufTensors(c: ModelConfig, get: HfTensorSource): GgufTensor[] {
  const arch = ggufArchitecture(c);
  const nh = c.num_attention_heads, nkv = c.num_key_value_heads;
  const need = (name: string): { data: Float32Array; shape: number[] } => {
    const t = get(name);
    if (!t) throw new RadpoError('model', `tensor ${name} is missing`, { field: name });
    return t;
  };
  const out: GgufTensor[] = [];
  const add = (gname: string, hf: string, permuteHeads = 0): void => {
    const t = need(hf);
    const cols = t.shape.length === 2 ? (t.shape[1] as number) : 1;
    const data = permuteHeads > 0 && arch === 'llama' ? permuteForRope(t.data, permuteHeads, cols) : t.data;
    out.push({ name: gname, shape: t.shape, data });
  };
  add('token_embd.weight', 'model.embed_tokens.weight');
  const freqs = llama3RopeFreqs(c);
  if (freqs) out.push({ name: 'rope_freqs.weight', shape: [freqs.length], data: freqs });
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`, b = `blk.${l}.`;
    add(`${b}attn_norm.weight`, `${p}input_layernorm.weight`);
    add(`${b}attn_q.weight`, `${p}self_attn.q_proj.weight`, nh);
    add(`${b}attn_k.weight`, `${p}self_attn.k_proj.weight`, nkv);
    add(`${b}attn_v.weight`, `${p}self_attn.v_proj.weight`);
    if (get(`${p}self_attn.q_proj.bias`)) {
      add(`${b}attn_q.bias`, `${p}self_attn.q_proj.bias`, nh);
      add(`${b}attn_k.bias`, `${p}self_attn.k_proj.bias`, nkv);
      add(`${b}attn_v.bias`, `${p}self_attn.v_proj.bias`);
    }
    add(`${b}attn_output.weight`, `${p}self_attn.o_proj.weight`);
    if (get(`${p}self_attn.o_proj.bias`)) add(`${b}attn_output.bias`, `${p}self_attn.o_proj.bias`);
    add(`${b}ffn_norm.weight`, `${p}post_attention_layernorm.weight`);
    add(`${b}ffn_gate.weight`, `${p}mlp.gate_proj.weight`);
    add(`${b}ffn_up.weight`, `${p}mlp.up_proj.weight`);
    add(`${b}ffn_down.weight`, `${p}mlp.down_proj.weight`);
  }
  add('output_norm.weight', 'model.norm.weight');
  // Tied models omit output.weight: llama.cpp then reuses token_embd.
  if (!c.tie_word_embeddings && get('lm_head.weight')) add('output.weight', 'lm_head.weight');
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// tokenizer.json -> tokenizer.ggml.*

export const TokenType = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/**
 * Builds the llama.cpp vocabulary from tokenizer.json and tokenizer_config.json objects: "gpt2" for byte-level BPE,
 * "llama" (SentencePiece-style) for BPE with byte_fallback (radpo's char tokenizers, Llama-2 / Mistral-style files).
 */
export function ggufVocab(tok: any, tokCfg: any, c: ModelConfig, pre?: string): GgufVocab {
  const model = tok?.model;
  if (!model || model.type !== 'BPE' || typeof model.vocab !== 'object') {
    throw new RadpoError('unsupported', 'GGUF export needs a BPE tokenizer.json (model.type "BPE")', { field: 'model.type', value: model?.type });
  }
  const n = c.vocab_size;
  const tooBig = (id: unknown): boolean => typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= n;
  for (const [t, id] of Object.entries(model.vocab as Record<string, unknown>)) {
    if (tooBig(id)) throw new RadpoError('model', `token id outside the model's vocab_size ${n}`, { field: `model.vocab.${t}`, value: id });
  }
  for (const a of (tok.added_tokens ?? []) as { id: unknown; content: string }[]) {
    if (tooBig(a.id)) throw new RadpoError('model', `added token id outside the model's vocab_size ${n}`, { field: `added_tokens.${a.content}`, value: a.id });
  }
  const tokens = new Array<string | undefined>(n);
  const types = new Array<number>(n).fill(TokenType.normal);
  for (const [t, id] of Object.entries(model.vocab as Record<string, number>)) tokens[id] = t;
  for (const a of (tok.added_tokens ?? []) as { id: number; content: string; special?: boolean }[]) {
    tokens[a.id] = a.content;
    types[a.id] = a.special ? TokenType.control : TokenType.userDefined;
  }
  for (let i = 0; i < n; i++) if (tokens[i] === undefined) { tokens[i] = `[PAD${i}]`; types[i] = TokenType.unused; }
  const merges = ((model.merges ?? []) as (string | string[])[]).map((m) => (Array.isArray(m) ? m.join(' ') : m));
  const spm = model.byte_fallback === true;
  let scores: number[] | undefined;
  let addSpacePrefix: boolean | undefined;
  if (spm) {
    // llama.cpp's SentencePiece tokenizer writes spaces as U+2581 and merges by score: <0xXX> tokens are bytes, a
    // literal " " token becomes "▁", and score -id reproduces vocabulary-order (merge-order) priority.
    const hasSpace = tokens.includes(' ');
    if (hasSpace && tokens.includes('\u2581')) throw new RadpoError('unsupported', 'vocabulary has both " " and "\u2581" tokens; cannot map it to llama.cpp\'s SentencePiece tokenizer', { field: 'model.vocab' });
    for (let i = 0; i < n; i++) {
      const t = tokens[i] as string;
      if (types[i] === TokenType.normal && /^<0x[0-9A-F]{2}>$/.test(t)) types[i] = TokenType.byte;
      else if (types[i] === TokenType.normal && hasSpace) tokens[i] = t.replaceAll(' ', '\u2581');
    }
    scores = tokens.map((_, i) => (types[i] === TokenType.normal ? -i : 0));
    const norm = JSON.stringify(tok.normalizer ?? null) + JSON.stringify(tok.pre_tokenizer ?? null);
    addSpacePrefix = /"Prepend"|"prepend_scheme":"(first|always)"|"add_prefix_space":true/.test(norm);
  }
  const idOf = (v: unknown): number | undefined => {
    const s = typeof v === 'string' ? v : v && typeof v === 'object' && typeof (v as any).content === 'string' ? (v as any).content : undefined;
    if (s === undefined) return undefined;
    const i = tokens.indexOf(s);
    return i >= 0 ? i : undefined;
  };
  const first = (v: number | number[] | null | undefined): number | undefined => (Array.isArray(v) ? v[0] : v ?? undefined);
  const vocab: GgufVocab = {
    model: spm ? 'llama' : 'gpt2', tokens: tokens as string[], tokenTypes: types, merges: spm ? [] : merges,
    pre: pre ?? (spm ? 'default' : guessPreTokenizer(tok, c)),
    addBos: typeof tokCfg?.add_bos_token === 'boolean' ? tokCfg.add_bos_token : postProcessorAddsBos(tok),
  };
  const bos = first(c.bos_token_id) ?? idOf(tokCfg?.bos_token);
  const eos = first(c.eos_token_id) ?? idOf(tokCfg?.eos_token);
  const pad = idOf(tokCfg?.pad_token);
  if (bos !== undefined) vocab.bosId = bos;
  if (eos !== undefined) vocab.eosId = eos;
  if (pad !== undefined) vocab.padId = pad;
  if (scores) vocab.scores = scores;
  if (addSpacePrefix !== undefined) vocab.addSpacePrefix = addSpacePrefix;
  if (typeof tokCfg?.chat_template === 'string') vocab.chatTemplate = tokCfg.chat_template;
  return vocab;
}

export function ggufVocabMetadata(v: GgufVocab): GgufKv[] {
  const kv: GgufKv[] = [
    ['tokenizer.ggml.model', str(v.model)],
    ['tokenizer.ggml.pre', str(v.pre)],
    ['tokenizer.ggml.tokens', { type: 'arr', of: 'str', value: v.tokens }],
    ['tokenizer.ggml.token_type', { type: 'arr', of: 'i32', value: v.tokenTypes }],
  ];
  if (v.model === 'gpt2') kv.push(['tokenizer.ggml.merges', { type: 'arr', of: 'str', value: v.merges }]);
  if (v.scores) kv.push(['tokenizer.ggml.scores', { type: 'arr', of: 'f32', value: v.scores }]);
  if (v.addSpacePrefix !== undefined) kv.push(['tokenizer.ggml.add_space_prefix', { type: 'bool', value: v.addSpacePrefix }]);
  kv.push(['tokenizer.ggml.add_bos_token', { type: 'bool', value: v.addBos }]);
  if (v.bosId !== undefined) kv.push(['tokenizer.ggml.bos_token_id', u32(v.bosId)]);
  if (v.eosId !== undefined) kv.push(['tokenizer.ggml.eos_token_id', u32(v.eosId)]);
  if (v.padId !== undefined) kv.push(['tokenizer.ggml.padding_token_id', u32(v.padId)]);
  if (v.chatTemplate !== undefined) kv.push(['tokenizer.chat_template', str(v.chatTemplate)]);
  return kv;
}

/** llama.cpp names pre-tokenizers by their split regex; radpo recognises the common ones, else "default". */
function guessPreTokenizer(tok: any, c: ModelConfig): string {
  const text = JSON.stringify(tok?.pre_tokenizer ?? null);
  if (text.includes('\\\\p{N}{1,3}')) return 'llama-bpe';
  if (c.model_type === 'qwen2' || text.includes("[^\\\\r\\\\n\\\\p{L}\\\\p{N}]?\\\\p{L}+|\\\\p{N}|")) return 'qwen2';
  const pt = tok?.pre_tokenizer;
  if (pt?.type === 'ByteLevel' && pt.use_regex !== false) return 'gpt-2';
  // SmolLM: single digits, then GPT-2's byte-level regex
  const parts = pt?.type === 'Sequence' && Array.isArray(pt.pretokenizers) ? pt.pretokenizers : [];
  if (parts.length === 2 && parts[0]?.type === 'Digits' && parts[0].individual_digits === true && parts[1]?.type === 'ByteLevel' && parts[1].use_regex !== false) return 'smollm';
  return 'default';
}

function postProcessorAddsBos(tok: any): boolean {
  const single = tok?.post_processor?.single;
  return Array.isArray(single) && single.length > 0 && single[0]?.SpecialToken !== undefined;
}

// ---------------------------------------------------------------------------------------------------------------
// The whole export

/** What the export needs of a loaded model (Model satisfies it). */
export interface GgufSourceModel {
  config: ModelConfig;
  params: { has(name: string): boolean; view(name: string): Float32Array; entry(name: string): { shape: number[] } };
}

export interface ExportGgufOptions {
  /** Model folder holding tokenizer.json (and optionally tokenizer_config.json). */
  tokenizerDir: string;
  /** general.name; default: the folder name. */
  name?: string;
  /** tokenizer.ggml.pre override (llama.cpp pre-tokenizer name); default: recognised from tokenizer.json. */
  pre?: string;
}

/** contextCappedByWindow: the sliding window the GGUF's context_length was capped at (ggufContextLength), or null. */
export interface ExportGgufResult { file: string; bytes: number; tensors: number; architecture: string; pre: string; contextCappedByWindow: number | null }

/** Writes `model` (fp32) and its tokenizer as a GGUF v3 file llama.cpp loads. Atomic. */
export function exportGguf(model: GgufSourceModel, outFile: string, opts: ExportGgufOptions): ExportGgufResult {
  const c = model.config;
  const readJson = (name: string, required: boolean): any => {
    const f = path.join(opts.tokenizerDir, name);
    if (!fs.existsSync(f)) {
      if (required) throw new RadpoError('model', `${name} not found; GGUF export needs the tokenizer`, { file: f });
      return null;
    }
    try { return JSON.parse(fs.readFileSync(f, 'utf8')); } catch (e) {
      throw new RadpoError('model', `not valid JSON: ${(e as Error).message}`, { file: f });
    }
  };
  const vocab = ggufVocab(readJson('tokenizer.json', true), readJson('tokenizer_config.json', false), c, opts.pre);
  const kvs = [...ggufModelMetadata(c, opts.name ?? path.basename(path.resolve(opts.tokenizerDir))), ...ggufVocabMetadata(vocab)];
  const p = model.params;
  const tensors = ggufTensors(c, (n) => (p.has(n) ? { data: p.view(n), shape: p.entry(n).shape } : undefined));
  const { bytes } = writeGguf(outFile, kvs, tensors);
  return { file: outFile, bytes, tensors: tensors.length, architecture: ggufArchitecture(c), pre: vocab.pre, contextCappedByWindow: ggufContextLength(c).cappedByWindow };
}

// ---------------------------------------------------------------------------------------------------------------
// Reading back (for tests and `radpo export gguf` summaries)

export interface GgufHeader {
  version: number;
  kv: Map<string, unknown>;
  tensors: { name: string; dims: number[]; type: number; offset: number }[];
  dataOffset: number;
}

/** Parses the header of a GGUF file held in memory. Bounds are checked: a truncated file throws, never hangs. */
export function readGgufHeader(buf: Uint8Array, file = '<buffer>'): GgufHeader {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let p = 0;
  const need = (n: number): void => { if (p + n > b.length) throw new RadpoError('model', `truncated GGUF (needs ${n} bytes at offset ${p})`, { file }); };
  const u32r = (): number => { need(4); const v = b.readUInt32LE(p); p += 4; return v; };
  const u64r = (): number => { need(8); const v = b.readBigUInt64LE(p); p += 8; if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new RadpoError('model', 'GGUF integer too large', { file }); return Number(v); };
  const strr = (): string => { const n = u64r(); need(n); const s = b.toString('utf8', p, p + n); p += n; return s; };
  const val = (t: number): unknown => {
    switch (t) {
      case 0: need(1); return b.readUInt8(p++);
      case 1: need(1); return b.readInt8(p++);
      case 2: need(2); p += 2; return b.readUInt16LE(p - 2);
      case 3: need(2); p += 2; return b.readInt16LE(p - 2);
      case 4: return u32r();
      case 5: need(4); p += 4; return b.readInt32LE(p - 4);
      case 6: need(4); p += 4; return b.readFloatLE(p - 4);
      case 7: need(1); return b.readUInt8(p++) !== 0;
      case 8: return strr();
      case 9: { const et = u32r(); const n = u64r(); if (n > b.length) throw new RadpoError('model', `GGUF array length ${n} exceeds the file`, { file }); const a: unknown[] = []; for (let i = 0; i < n; i++) a.push(val(et)); return a; }
      case 10: return u64r();
      case 11: need(8); p += 8; return Number(b.readBigInt64LE(p - 8));
      case 12: need(8); p += 8; return b.readDoubleLE(p - 8);
      default: throw new RadpoError('model', `unknown GGUF value type ${t}`, { file });
    }
  };
  if (u32r() !== GGUF_MAGIC) throw new RadpoError('model', 'not a GGUF file (bad magic)', { file });
  const version = u32r();
  const nt = u64r(), nkv = u64r();
  const kv = new Map<string, unknown>();
  for (let i = 0; i < nkv; i++) { const k = strr(); kv.set(k, val(u32r())); }
  const tensors: GgufHeader['tensors'] = [];
  for (let i = 0; i < nt; i++) {
    const name = strr(); const nd = u32r();
    if (nd > 8) throw new RadpoError('model', `tensor ${name} has ${nd} dims`, { file });
    const dims: number[] = [];
    for (let d = 0; d < nd; d++) dims.push(u64r());
    tensors.push({ name, dims, type: u32r(), offset: u64r() });
  }
  const align = Number(kv.get('general.alignment') ?? GGUF_ALIGNMENT);
  return { version, kv, tensors, dataOffset: padTo(p, align) };
}

/** Reads a GGUF file's header from disk (whole file read; intended for test-sized models). */
export function readGgufFile(file: string): GgufHeader & { buffer: Buffer } {
  const buffer = fs.readFileSync(path.resolve(file));
  return { ...readGgufHeader(buffer, file), buffer };
}
