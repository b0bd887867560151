// An independent float64 Llama-family forward pass written the plain way (per head loops, repeat_kv, rotate_half
// with double-precision angles) used as the reference for the engine tests. Not fast; tiny shapes only.

import type { ModelConfig } from '../../src/model/config.js';

export type Params64 = Map<string, Float64Array>;

export function refForward(c: ModelConfig, P: Params64, ids: Int32Array, B: number, T: number, mask: Uint8Array | null, pos: Int32Array | null): Float64Array {
  const C = c.hidden_size, V = c.vocab_size, NH = c.num_attention_heads, NKV = c.num_key_value_heads, HS = c.head_dim, I = c.intermediate_size;
  const G = NH / NKV, N = B * T, get = (n: string): Float64Array => P.get(n)!;
  const lin = (x: Float64Array, w: Float64Array, b: Float64Array | null, inD: number, outD: number): Float64Array => {
    const y = new Float64Array(N * outD);
    for (let n = 0; n < N; n++) for (let o = 0; o < outD; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inD; i++) s += x[n * inD + i]! * w[o * inD + i]!;
      y[n * outD + o] = s;
    }
    return y;
  };
  const norm = (x: Float64Array, w: Float64Array): Float64Array => {
    const y = new Float64Array(N * C);
    for (let n = 0; n < N; n++) {
      let ss = 0; for (let i = 0; i < C; i++) ss += x[n * C + i]! ** 2;
      const r = 1 / Math.sqrt(ss / C + c.rms_norm_eps);
      for (let i = 0; i < C; i++) y[n * C + i] = w[i]! * x[n * C + i]! * r;
    }
    return y;
  };
  // inverse frequencies, with llama3 scaling written out from the transformers formula
  const inv: number[] = [];
  for (let i = 0; i < HS / 2; i++) {
    let f = 1 / Math.pow(c.rope_theta, (2 * i) / HS);
    const s = c.rope_scaling;
    if (s) {
      const wl = (2 * Math.PI) / f, lowWl = s.original_max_position_embeddings / s.low_freq_factor, highWl = s.original_max_position_embeddings / s.high_freq_factor;
      if (wl > lowWl) f = f / s.factor;
      else if (wl >= highWl) { const sm = (s.original_max_position_embeddings / wl - s.low_freq_factor) / (s.high_freq_factor - s.low_freq_factor); f = (1 - sm) * f / s.factor + sm * f; }
    }
    inv.push(f);
  }
  const rope = (x: Float64Array, heads: number): void => { // x [N, heads*HS]
    for (let n = 0; n < N; n++) {
      const p = pos ? pos[n]! : n % T;
      for (let h = 0; h < heads; h++) {
        const o = n * heads * HS + h * HS, r = Array.from(x.subarray(o, o + HS));
        for (let d = 0; d < HS; d++) {
          const a = p * inv[d % (HS / 2)]!, rot = d < HS / 2 ? -r[d + HS / 2]! : r[d - HS / 2]!;
          x[o + d] = r[d]! * Math.cos(a) + rot * Math.sin(a);
        }
      }
    }
  };
  let x = new Float64Array(N * C);
  const emb = get('model.embed_tokens.weight');
  for (let n = 0; n < N; n++) for (let i = 0; i < C; i++) x[n * C + i] = emb[ids[n]! * C + i]!;
  for (let l = 0; l < c.num_hidden_layers; l++) {
    const p = `model.layers.${l}.`, win = c.layer_windows[l] ?? null;
    const h1 = norm(x, get(`${p}input_layernorm.weight`));
    const q = lin(h1, get(`${p}self_attn.q_proj.weight`), P.get(`${p}self_attn.q_proj.bias`) ?? null, C, NH * HS);
    const k = lin(h1, get(`${p}self_attn.k_proj.weight`), P.get(`${p}self_attn.k_proj.bias`) ?? null, C, NKV * HS);
    const v = lin(h1, get(`${p}self_attn.v_proj.weight`), P.get(`${p}self_attn.v_proj.bias`) ?? null, C, NKV * HS);
    rope(q, NH); rope(k, NKV);
    const att = new Float64Array(N * NH * HS);
    for (let b = 0; b < B; b++) for (let h = 0; h < NH; h++) for (let i = 0; i < T; i++) {
      const kh = Math.floor(h / G), sc: number[] = [];
      for (let j = 0; j < T; j++) {
        const ok = j <= i && (!mask || mask[b * T + j] === 1) && (win === null || i - j < win);
        let d = 0; for (let e = 0; e < HS; e++) d += q[(b * T + i) * NH * HS + h * HS + e]! * k[(b * T + j) * NKV * HS + kh * HS + e]!;
        sc.push(ok ? d / Math.sqrt(HS) : -Infinity);
      }
      const mx = Math.max(...sc);
      if (mx === -Infinity) continue;
      const ex = sc.map((z) => Math.exp(z - mx)), tot = ex.reduce((a, z) => a + z, 0);
      for (let j = 0; j < T; j++) for (let e = 0; e < HS; e++) att[(b * T + i) * NH * HS + h * HS + e]! += (ex[j]! / tot) * v[(b * T + j) * NKV * HS + kh * HS + e]!;
    }
    const o = lin(att, get(`${p}self_attn.o_proj.weight`), P.get(`${p}self_attn.o_proj.bias`) ?? null, NH * HS, C);
    const x2 = x.map((z, i) => z + o[i]!);
    const h2 = norm(x2, get(`${p}post_attention_layernorm.weight`));
    const gt = lin(h2, get(`${p}mlp.gate_proj.weight`), null, C, I), up = lin(h2, get(`${p}mlp.up_proj.weight`), null, C, I);
    const act = gt.map((g, i) => (g / (1 + Math.exp(-g))) * up[i]!);
    const dn = lin(act, get(`${p}mlp.down_proj.weight`), null, I, C);
    x = x2.map((z, i) => z + dn[i]!);
  }
  const hf = norm(x, get('model.norm.weight'));
  return lin(hf, get(c.tie_word_embeddings ? 'model.embed_tokens.weight' : 'lm_head.weight'), null, C, V);
}

/** Mean next-token cross-entropy over targets (labelMask [B*T], 1 = token is a target) in float64. */
export function refLoss(logits: Float64Array, ids: Int32Array, B: number, T: number, V: number, labelMask: Uint8Array): number {
  let s = 0, n = 0;
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) {
    if (!labelMask[b * T + t + 1]) continue;
    const o = (b * T + t) * V;
    let mx = -Infinity; for (let i = 0; i < V; i++) mx = Math.max(mx, logits[o + i]!);
    let z = 0; for (let i = 0; i < V; i++) z += Math.exp(logits[o + i]! - mx);
    s += logits[o + ids[b * T + t + 1]!]! - mx - Math.log(z); n++;
  }
  return -s / n;
}
