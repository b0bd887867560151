// The flat parameter layout (llm.c style): one Float32Array per store with named, shaped views. Parameters,
// gradients and optimizer state share the layout. Not I/O: safetensors.ts maps Hugging Face tensor names onto it.

import type { ModelConfig } from './config.js';

export interface ParamEntry { name: string; shape: number[]; offset: number; size: number }

export class ParamStore {
  readonly data: Float32Array;
  readonly entries: readonly ParamEntry[];
  private readonly index: Map<string, ParamEntry>;

  constructor(entries: readonly ParamEntry[], data?: Float32Array) {
    const total = entries.length ? entries[entries.length - 1]!.offset + entries[entries.length - 1]!.size : 0;
    if (data && data.length !== total) throw new Error(`ParamStore: data length ${data.length} != layout size ${total}`);
    this.entries = entries;
    this.data = data ?? new Float32Array(total);
    this.index = new Map(entries.map((e) => [e.name, e]));
  }

  get size(): number { return this.data.length; }
  has(name: string): boolean { return this.index.has(name); }
  entry(name: string): ParamEntry {
    const e = this.index.get(name);
    if (!e) throw new Error(`ParamStore: no parameter named ${name}`);
    return e;
  }
  /** A live view (shares memory with `data`). */
  view(name: string): Float32Array {
    const e = this.entry(name);
    return this.data.subarray(e.offset, e.offset + e.size);
  }
  /** A live view spanning the contiguous entries `first`..`last` (e.g. q/k/v weights as one matrix). */
  span(first: string, last: string): Float32Array {
    const a = this.entry(first), b = this.entry(last);
    return this.data.subarray(a.offset, b.offset + b.size);
  }
  /** A zero-filled store with the same layout (gradients, optimizer moments). */
  zerosLike(): ParamStore { return new ParamStore(this.entries); }
  clone(): ParamStore { return new ParamStore(this.entries, this.data.slice()); }
}

/** Hugging Face names of one layer's tensors. */
export function layerNames(l: number) {
  const p = `model.layers.${l}.`;
  return {
    ln1: `${p}input_layernorm.weight`,
    q: `${p}self_attn.q_proj.weight`, k: `${p}self_attn.k_proj.weight`, v: `${p}self_attn.v_proj.weight`,
    qb: `${p}self_attn.q_proj.bias`, kb: `${p}self_attn.k_proj.bias`, vb: `${p}self_attn.v_proj.bias`,
    o: `${p}self_attn.o_proj.weight`, ob: `${p}self_attn.o_proj.bias`,
    ln2: `${p}post_attention_layernorm.weight`,
    gate: `${p}mlp.gate_proj.weight`, up: `${p}mlp.up_proj.weight`, down: `${p}mlp.down_proj.weight`,
  };
}

/**
 * The layout: q/k/v weights are adjacent (one [q+2kv, C] matrix), so are their biases, and gate/up weights
 * (one [2I, C] matrix), so each is a single GEMM. Tied models have no lm_head entry.
 */
export function paramLayout(c: ModelConfig): ParamEntry[] {
  const C = c.hidden_size, Q = c.num_attention_heads * c.head_dim, KV = c.num_key_value_heads * c.head_dim, I = c.intermediate_size;
  const out: ParamEntry[] = [];
  let off = 0;
  const add = (name: string, shape: number[]): void => {
    const size = shape.reduce((a, b) => a * b, 1);
    out.push({ name, shape, offset: off, size });
    off += size;
  };
  add('model.embed_tokens.weight', [c.vocab_size, C]);
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const n = layerNames(l);
    add(n.ln1, [C]);
    add(n.q, [Q, C]); add(n.k, [KV, C]); add(n.v, [KV, C]);
    if (c.qkv_bias) { add(n.qb, [Q]); add(n.kb, [KV]); add(n.vb, [KV]); }
    add(n.o, [C, Q]);
    if (c.o_bias) add(n.ob, [C]);
    add(n.ln2, [C]);
    add(n.gate, [I, C]); add(n.up, [I, C]);
    add(n.down, [C, I]);
  }
  add('model.norm.weight', [C]);
  if (!c.tie_word_embeddings) add('lm_head.weight', [c.vocab_size, C]);
  return out;
}
