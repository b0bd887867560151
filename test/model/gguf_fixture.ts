// Test fixtures for GGUF and generation tests: a tiny random Llama/Qwen2 ParamStore, a minimal byte-level BPE
// tokenizer.json, and a float64 reference forward pass written from the transformers equations (independent of
// radpo's kernels). Not used by library code.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseModelConfig, type ModelConfig } from '../../src/model/config.js';
import { ParamStore, paramLayout } from '../../src/model/params.js';
import { Rng } from '../../src/util/rng.js';

export function tinyConfig(over: Record<string, unknown> = {}): ModelConfig {
  return parseModelConfig({
    model_type: 'llama', vocab_size: 261, hidden_size: 64, intermediate_size: 96, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, rms_norm_eps: 1e-5, rope_theta: 10000,
    max_position_embeddings: 128, tie_word_embeddings: false, bos_token_id: null, eos_token_id: 260, ...over,
  });
}

/** Random weights large enough that next-token distributions are far from uniform. */
export function randomParams(c: ModelConfig, seed: number): ParamStore {
  const p = new ParamStore(paramLayout(c));
  const rng = new Rng(seed);
  for (const e of p.entries) {
    const v = p.view(e.name);
    const isNorm = e.shape.length === 1 && e.name.endsWith('layernorm.weight') || e.name === 'model.norm.weight';
    for (let i = 0; i < v.length; i++) v[i] = isNorm ? 1 + 0.1 * rng.normal() : (e.name.includes('embed') ? 1 : 0.15) * rng.normal();
  }
  return p;
}

/** GPT-2's byte -> printable character map used by byte-level BPE vocabularies. */
export function bytesToUnicode(): string[] {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) if (!bs.includes(b)) { bs.push(b); cs.push(256 + n); n++; }
  const out = new Array<string>(256);
  bs.forEach((b, i) => { out[b] = String.fromCodePoint(cs[i] as number); });
  return out;
}

/** A byte-level BPE tokenizer.json: 256 byte tokens, 4 merges (ids 256..259), <|endoftext|> = 260. */
export function tinyTokenizerJson(): Record<string, unknown> {
  const m = bytesToUnicode();
  const vocab: Record<string, number> = {};
  m.forEach((ch, b) => { vocab[ch] = b; });
  const G = m[32] as string; // "Ġ"
  const merges = [[G, 't'], ['h', 'e'], [`${G}t`, 'he'], ['i', 'n']];
  merges.forEach(([a, b], i) => { vocab[`${a}${b}`] = 256 + i; });
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: 260, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges },
  };
}

export function writeTokenizerFiles(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'tokenizer.json'), JSON.stringify(tinyTokenizerJson()));
  fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({
    eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', add_bos_token: false,
    chat_template: "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}",
  }));
}

/**
 * float64 reference forward of one unpadded sequence: logits [T, V] from the transformers equations
 * (RMSNorm, rotate-half RoPE at positions 0..T-1, causal GQA attention, SwiGLU MLP, residuals, final norm, LM head).
 */
export function referenceLogits(c: ModelConfig, p: ParamStore, ids: number[]): Float64Array[] {
  const C = c.hidden_size, NH = c.num_attention_heads, NKV = c.num_key_value_heads, HS = c.head_dim, T = ids.length;
  const w = (n: string): Float32Array => p.view(n);
  const linear = (x: Float64Array, W: Float32Array, out: number, inp: number, b?: Float32Array): Float64Array => {
    const y = new Float64Array(out);
    for (let o = 0; o < out; o++) { let s = b ? (b[o] as number) : 0; for (let i = 0; i < inp; i++) s += (x[i] as number) * (W[o * inp + i] as number); y[o] = s; }
    return y;
  };
  const rms = (x: Float64Array, g: Float32Array): Float64Array => {
    let ss = 0; for (const v of x) ss += v * v;
    const r = 1 / Math.sqrt(ss / x.length + c.rms_norm_eps);
    return x.map((v, i) => v * r * (g[i] as number));
  };
  const rope = (v: Float64Array, heads: number, pos: number): void => {
    for (let h = 0; h < heads; h++) for (let i = 0; i < HS / 2; i++) {
      const f = pos / Math.pow(c.rope_theta, (2 * i) / HS);
      const a = v[h * HS + i] as number, b = v[h * HS + i + HS / 2] as number;
      v[h * HS + i] = a * Math.cos(f) - b * Math.sin(f);
      v[h * HS + i + HS / 2] = b * Math.cos(f) + a * Math.sin(f);
    }
  };
  let xs = ids.map((id) => Float64Array.from(w('model.embed_tokens.weight').subarray(id * C, id * C + C)));
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const pre = `model.layers.${l}.`;
    const bias = (n: string): Float32Array | undefined => (p.has(n) ? w(n) : undefined);
    const qs: Float64Array[] = [], ks: Float64Array[] = [], vs: Float64Array[] = [];
    xs.forEach((x, t) => {
      const h = rms(x, w(`${pre}input_layernorm.weight`));
      const q = linear(h, w(`${pre}self_attn.q_proj.weight`), NH * HS, C, bias(`${pre}self_attn.q_proj.bias`));
      const k = linear(h, w(`${pre}self_attn.k_proj.weight`), NKV * HS, C, bias(`${pre}self_attn.k_proj.bias`));
      const v = linear(h, w(`${pre}self_attn.v_proj.weight`), NKV * HS, C, bias(`${pre}self_attn.v_proj.bias`));
      rope(q, NH, t); rope(k, NKV, t);
      qs.push(q); ks.push(k); vs.push(v);
    });
    xs = xs.map((x, t) => {
      const att = new Float64Array(NH * HS);
      for (let h = 0; h < NH; h++) {
        const g = Math.floor(h / (NH / NKV));
        const sc: number[] = [];
        for (let s = 0; s <= t; s++) { let d = 0; for (let i = 0; i < HS; i++) d += (qs[t]![h * HS + i] as number) * (ks[s]![g * HS + i] as number); sc.push(d / Math.sqrt(HS)); }
        const mx = Math.max(...sc); const e = sc.map((z) => Math.exp(z - mx)); const z = e.reduce((a, b) => a + b, 0);
        for (let s = 0; s <= t; s++) for (let i = 0; i < HS; i++) att[h * HS + i] += ((e[s] as number) / z) * (vs[s]![g * HS + i] as number);
      }
      const o = linear(att, w(`${pre}self_attn.o_proj.weight`), C, NH * HS, bias(`${pre}self_attn.o_proj.bias`));
      const x1 = x.map((v, i) => v + (o[i] as number));
      const h2 = rms(x1, w(`${pre}post_attention_layernorm.weight`));
      const I = c.intermediate_size;
      const gt = linear(h2, w(`${pre}mlp.gate_proj.weight`), I, C), up = linear(h2, w(`${pre}mlp.up_proj.weight`), I, C);
      const act = gt.map((gv, i) => (gv / (1 + Math.exp(-gv))) * (up[i] as number));
      const dn = linear(act, w(`${pre}mlp.down_proj.weight`), C, I);
      return x1.map((v, i) => v + (dn[i] as number));
    });
  }
  const head = c.tie_word_embeddings ? w('model.embed_tokens.weight') : w('lm_head.weight');
  return xs.map((x) => linear(rms(x, w('model.norm.weight')), head, c.vocab_size, C));
}

export function softmax64(l: ArrayLike<number>): Float64Array {
  let mx = -Infinity; for (let i = 0; i < l.length; i++) mx = Math.max(mx, l[i] as number);
  const e = new Float64Array(l.length); let z = 0;
  for (let i = 0; i < l.length; i++) { e[i] = Math.exp((l[i] as number) - mx); z += e[i] as number; }
  return e.map((v) => v / z);
}
