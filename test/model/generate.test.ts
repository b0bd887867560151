import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Model } from '../../src/model/model.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { decodeSettings, DecodeWorkspace, forwardCached, KvCache, WasmWeights } from '../../src/model/kv_cache.js';
import { matmulRef } from '../../src/model/gemm.js';
import { layerNames } from '../../src/model/params.js';
import { generate, generateIds } from '../../src/model/generate.js';
import { argmax } from '../../src/model/sampling.js';
import { tinyConfig, randomParams, referenceLogits, writeTokenizerFiles } from './gguf_fixture.js';

const llama = new Model(tinyConfig(), randomParams(tinyConfig(), 11));
const qwen = (() => { const c = tinyConfig({ model_type: 'qwen2', tie_word_embeddings: true }); return new Model(c, randomParams(c, 12)); })();
const mistral = (() => { const c = tinyConfig({ model_type: 'mistral', sliding_window: 4 }); return new Model(c, randomParams(c, 13)); })();
const V = llama.config.vocab_size;

const prompts = [[5, 9, 200, 33, 71, 256, 12], [258, 1, 2], [44, 45, 46, 47, 48], [100]];
const forced = [[7, 8, 9, 10, 11], [12, 13, 14, 15, 16], [17, 18, 19, 20, 21], [22, 23, 24, 25, 26]];

/** Full forward of left-padded rows [prompt + forced] with transformers-style positions (cumsum(mask) - 1). */
async function fullLogits(m: Model, rows: number[][]): Promise<{ logits: Float32Array; T: number; pads: number[] }> {
  const B = rows.length, T = Math.max(...rows.map((r) => r.length));
  const ids = new Int32Array(B * T), mask = new Uint8Array(B * T), pos = new Int32Array(B * T).fill(1);
  const pads = rows.map((r, b) => {
    const pad = T - r.length;
    r.forEach((t, i) => { ids[b * T + pad + i] = t; mask[b * T + pad + i] = 1; pos[b * T + pad + i] = i; });
    return pad;
  });
  return { logits: await m.forward(ids, B, T, { attentionMask: mask, positionIds: pos }), T, pads };
}

// wasm: 'none' = ORT GEMMs + TypeScript attention; 'all' = WebAssembly GEMV (4 rows <= 4) and attention over a cache
// in WebAssembly memory; 'attention' = ORT GEMMs (4 rows > 2) with WebAssembly attention.
for (const [name, m, wasm] of [['llama', llama, 'none'], ['llama, WebAssembly GEMV + attention', llama, 'all'],
  ['llama, WebAssembly attention only', llama, 'attention'], ['qwen2 (bias, tied)', qwen, 'none'],
  ['qwen2, WebAssembly GEMV + attention', qwen, 'all'], ['mistral (sliding window 4)', mistral, 'none'],
  ['mistral (sliding window 4), WebAssembly', mistral, 'all']] as const) {
  test(`${name}: cached logits (prefill + 5 single-token steps, left-padded batch) == full forward within 1e-4`, async () => {
    const B = prompts.length, P = Math.max(...prompts.map((p) => p.length)), Vm = m.config.vocab_size;
    const ws = new DecodeWorkspace();
    let arena: Float32Array | null = null;
    const saved = decodeSettings.wasmMaxRows;
    if (wasm !== 'none') {
      ws.wasm = WasmWeights.build(m, 4, { B, capacity: P + 5 });
      assert.ok(ws.wasm);
      arena = ws.wasm.kvArena(KvCache.floats(m.config, B, P + 5), P + 5);
      assert.ok(arena);
      if (wasm === 'attention') decodeSettings.wasmMaxRows = 2;
    }
    const cache = new KvCache(m.config, B, P + 5, arena);
    try {
    const ids = new Int32Array(B * P), mask = new Uint8Array(B * P);
    prompts.forEach((p, b) => p.forEach((t, i) => { ids[b * P + P - p.length + i] = t; mask[b * P + P - p.length + i] = 1; }));
    const steps: Float32Array[] = [await forwardCached(m, cache, ids, P, mask, ws)];
    for (let s = 0; s < 4; s++) steps.push(await forwardCached(m, cache, Int32Array.from(forced.map((f) => f[s]!)), 1, null, ws));
    const full = await fullLogits(m, prompts.map((p, b) => [...p, ...forced[b]!.slice(0, 4)]));
    let maxd = 0;
    steps.forEach((lg, s) => {
      for (let b = 0; b < B; b++) {
        const t = full.pads[b]! + prompts[b]!.length - 1 + s; // the position whose logits predict step s
        for (let v = 0; v < Vm; v++) maxd = Math.max(maxd, Math.abs(lg[b * Vm + v]! - full.logits[(b * full.T + t) * Vm + v]!));
      }
    });
    // Same fp32 kernels in a different order (cache attention vs GEMM attention): ~1e-6 observed.
    assert.ok(maxd < 1e-4, `max |cached - full| = ${maxd}`);
    } finally { decodeSettings.wasmMaxRows = saved; }
  });
}

test('cached decoding of one unpadded sequence matches a float64 reference forward (independent math)', async () => {
  const seq = [5, 9, 200, 33, 71, 256, 12, 7, 8, 9];
  const ref = referenceLogits(llama.config, llama.params, seq);
  const cache = new KvCache(llama.config, 1, seq.length);
  const ws = new DecodeWorkspace();
  const pre = await forwardCached(llama, cache, Int32Array.from(seq.slice(0, 6)), 6, null, ws, true);
  let maxd = 0;
  for (let t = 0; t < 6; t++) for (let v = 0; v < V; v++) maxd = Math.max(maxd, Math.abs(pre[t * V + v]! - ref[t]![v]!));
  for (let t = 6; t < seq.length; t++) {
    const lg = await forwardCached(llama, cache, Int32Array.from([seq[t]!]), 1, null, ws);
    for (let v = 0; v < V; v++) maxd = Math.max(maxd, Math.abs(lg[v]! - ref[t]![v]!));
  }
  // fp32 storage and accumulation vs float64; logits are O(10) here: 1e-4 absolute is ~1e-5 relative.
  assert.ok(maxd < 1e-4, `max |cached - fp64 reference| = ${maxd}`);
});

test('greedy decoding with the cache == argmax of full-forward recomputation; batching does not change it', async () => {
  const many = [...prompts, [3, 4], [250, 251, 252, 253, 254, 255, 1, 2, 3]];
  for (let i = 0; i < 12; i++) many.push(Array.from({ length: 1 + ((i * 7) % 11) }, (_, j) => (i * 31 + j * 17) % 260));
  const out = await generateIds(llama, many, { max_new_tokens: 12, batch_size: 16 });
  const one = await generateIds(llama, many, { max_new_tokens: 12, batch_size: 1 });
  assert.deepEqual(out.map((g) => g.tokens), one.map((g) => g.tokens));
  for (let i = 0; i < many.length; i++) {
    const g = out[i]!;
    assert.equal(g.tokens.length, 12);
    assert.equal(g.finish_reason, 'length');
    const seq = [...many[i]!, ...g.tokens];
    const lg = await llama.forward(Int32Array.from(seq), 1, seq.length);
    for (let s = 0; s < g.tokens.length; s++) {
      const t = many[i]!.length - 1 + s;
      assert.equal(g.tokens[s], argmax(lg, t * V, V), `prompt ${i} step ${s}`);
    }
  }
});

test('generation stops at any EOS id, and finished rows leave the batch without disturbing the rest', async () => {
  const free = await generateIds(llama, prompts, { max_new_tokens: 8, batch_size: 4 });
  const stopAt = free[1]!.tokens[2]!; // make row 1 stop at its 3rd token
  const other = 259;
  const out = await generateIds(llama, prompts, { max_new_tokens: 8, batch_size: 4, eos_token_id: [other, stopAt] });
  out.forEach((g, i) => {
    const f = free[i]!.tokens;
    const k = f.findIndex((t) => t === stopAt || t === other);
    if (k >= 0) { assert.deepEqual(g.tokens, f.slice(0, k + 1)); assert.equal(g.finish_reason, 'eos'); }
    else { assert.deepEqual(g.tokens, f); assert.equal(g.finish_reason, 'length'); }
  });
  assert.equal(out[1]!.tokens.length <= 3, true);
});

test('sampling is seeded per sequence: reproducible, independent of batch size and prefill sharing, different across sequences', async () => {
  const o = { do_sample: true, temperature: 1.3, top_k: 50, top_p: 0.95, max_new_tokens: 10, num_return_sequences: 3, seed: 7 };
  const a = await generateIds(llama, prompts, { ...o, batch_size: 5 }); // prompts' prefills shared by their 3 sequences
  const b = await generateIds(llama, prompts, { ...o, batch_size: 1 }); // one prefill per sequence
  const c = await generateIds(llama, prompts, { ...o, batch_size: 5, seed: 8 });
  assert.equal(a.length, prompts.length * 3);
  assert.deepEqual(a.map((g) => g.tokens), b.map((g) => g.tokens));
  assert.notDeepEqual(a.map((g) => g.tokens), c.map((g) => g.tokens));
  assert.notDeepEqual(a[0]!.tokens, a[1]!.tokens); // two samples of prompt 0
});

test('generate() with a tokenizer: raw text and chat prompts, decoded completions', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-gen-'));
  try {
    writeTokenizerFiles(dir);
    const tok = Tokenizer.loadSync(dir);
    const res = await generate(llama, tok, ['the thin', [{ role: 'user', content: 'hi' }]], { max_new_tokens: 6, eos_token_id: [] });
    assert.equal(res.length, 2);
    const chatIds = tok.encode('<user>hi\n<assistant>', { addSpecialTokens: false });
    const direct = await generateIds(llama, [tok.encode('the thin'), chatIds], { max_new_tokens: 6 });
    res.forEach((r, i) => {
      assert.equal(r.prompt_index, i);
      assert.deepEqual(r.tokens, direct[i]!.tokens);
      assert.equal(r.text, tok.decode(direct[i]!.tokens, { skipSpecialTokens: true }));
    });
  } finally { fs.rmSync(dir, { recursive: true, force: true }); }
});

test('bad inputs are refused: empty prompt, out-of-vocab id, bad option', async () => {
  await assert.rejects(generateIds(llama, [[]]), /empty/);
  await assert.rejects(generateIds(llama, [[V]]), /outside the vocabulary/);
  await assert.rejects(generateIds(llama, [[1]], { top_p: 2 }), /top_p/);
  await assert.rejects(generateIds(llama, [[1]], { batch_size: 0 }), /batch_size/);
});

test('WebAssembly GEMV == reference GEMM (float64 accumulation) for 1..4 rows', () => {
  const W = WasmWeights.build(qwen)!;
  const c = qwen.config, n = layerNames(1);
  const x = Float32Array.from({ length: 4 * c.intermediate_size }, (_, i) => Math.sin(i * 0.7));
  for (const [key, w, N, K] of [[n.q, qwen.params.span(n.q, n.v), 128, 64], [n.down, qwen.params.view(n.down), 64, 96],
    ['head', qwen.params.view('model.embed_tokens.weight'), c.vocab_size, 64]] as const) {
    for (let M = 1; M <= 4; M++) {
      const got = new Float32Array(M * N), want = new Float32Array(M * N);
      W.matmul(got, x, key, M);
      matmulRef(want, x, w, M, N, K, { transB: true });
      // fp32 accumulation in 4 SIMD partial sums vs float64: |error| <= K * eps32 * sum|w x| ~ 1e-5 here
      for (let i = 0; i < M * N; i++) assert.ok(Math.abs(got[i]! - want[i]!) < 2e-5, `${key} M=${M} i=${i}: ${got[i]} vs ${want[i]}`);
    }
  }
});
