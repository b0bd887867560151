// llama.cpp cross-check: node-llama-cpp (pinned 3.21.1, prebuilt CPU binary, offline) loads radpo's exported GGUF
// and its next-token probabilities match radpo's forward pass (F32 KV cache, flash attention off).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getLlama, LlamaLogLevel, type Llama, type Token } from 'node-llama-cpp';
import { Model } from '../../src/model/model.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { initModelFolder } from '../../src/model/init_folder.js';
import { exportGguf } from '../../src/model/gguf.js';
import { exportGgufCommand } from '../../src/cli/commands/export_gguf.js';
import { tinyConfig, randomParams, referenceLogits, softmax64, tinyTokenizerJson, writeTokenizerFiles } from './gguf_fixture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-llamacpp-'));
let llama: Llama | null = null;
after(async () => { await llama?.dispose(); fs.rmSync(tmp, { recursive: true, force: true }); });

async function llamaProbs(file: string, ids: number[], V: number): Promise<{ probs: Float64Array[]; tokenize: (s: string) => number[] }> {
  llama ??= await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
  const ctx = await model.createContext({
    contextSize: 64, flashAttention: false, threads: 1,
    experimentalKvCacheKeyType: 'F32', experimentalKvCacheValueType: 'F32',
  });
  try {
    const seq = ctx.getSequence();
    const res = await seq.controlledEvaluate(ids.map((t) => [t as Token, { generateNext: { probabilities: true } }] as [Token, { generateNext: { probabilities: boolean } }]));
    const probs = res.map((r) => {
      const p = new Float64Array(V);
      for (const [tok, v] of r!.next!.probabilities!) p[tok] = v;
      return p;
    });
    const toks = model.tokenize('the thin');
    return { probs, tokenize: () => Array.from(toks) };
  } finally { await ctx.dispose(); await model.dispose(); }
}

const ids = [72, 101, 256, 33, 258, 5, 200, 259, 10, 32, 116, 104];

for (const [name, over] of [
  ['llama (untied, GQA: Q/K permuted for llama.cpp rotary layout)', {}],
  ['qwen2 (q/k/v bias, tied embeddings)', { model_type: 'qwen2', tie_word_embeddings: true }],
  ['mistral (runs as the llama architecture)', { model_type: 'mistral' }],
  ['llama with llama3 rope scaling (rope_freqs tensor) and q/k/v/o biases', {
    attention_bias: true, rope_theta: 500000,
    rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 16 },
  }],
] as const) {
  test(`llama.cpp next-token probabilities == radpo's: ${name}`, async () => {
    const c = tinyConfig(over);
    const m = new Model(c, randomParams(c, 21));
    const dir = path.join(tmp, `${c.model_type}-${c.rope_scaling ? 'scaled' : 'plain'}`);
    writeTokenizerFiles(dir);
    const file = path.join(dir, 'model.gguf');
    exportGguf(m, file, { tokenizerDir: dir });
    const { probs, tokenize } = await llamaProbs(file, ids, c.vocab_size);
    const logits = await m.forward(Int32Array.from(ids), 1, ids.length);
    // The float64 reference implements unscaled RoPE only; the llama3-scaled config is checked against radpo alone.
    const ref = c.rope_scaling ? null : referenceLogits(c, m.params, ids);
    const V = c.vocab_size;
    let dRadpo = 0, dRef = 0, dLog = 0;
    for (let t = 0; t < ids.length; t++) {
      const pr = softmax64(logits.subarray(t * V, (t + 1) * V));
      const pf = ref ? softmax64(ref[t]!) : pr;
      for (let v = 0; v < V; v++) {
        const pl = probs[t]![v]!;
        dRadpo = Math.max(dRadpo, Math.abs(pl - pr[v]!));
        dRef = Math.max(dRef, Math.abs(pl - pf[v]!));
        if (pr[v]! > 1e-3) dLog = Math.max(dLog, Math.abs(Math.log(pl) - Math.log(pr[v]!)));
      }
    }
    // Both sides compute in fp32 with different summation orders; observed ~1e-7 on probabilities in [0, 1].
    assert.ok(dRadpo < 1e-5, `max |p_llama.cpp - p_radpo| = ${dRadpo}`);
    assert.ok(dRef < 1e-5, `max |p_llama.cpp - p_fp64 reference| = ${dRef}`);
    assert.ok(dLog < 1e-3, `max |log p_llama.cpp - log p_radpo| over p > 1e-3 = ${dLog}`); // 1e-5 / 1e-3 relative bound
    // llama.cpp's own tokenizer reads the exported vocabulary and merges: "the thin" -> t|he|Ġt|h|in
    assert.deepEqual(tokenize('the thin'), [116, 257, 256, 104, 259]);
  });
}

test('sliding-window mistral: GGUF context capped at the window; llama.cpp equals radpo up to the window and not beyond', async () => {
  const { readGgufFile } = await import('../../src/model/gguf.js');
  const W = 4, c = tinyConfig({ model_type: 'mistral', sliding_window: W });
  const m = new Model(c, randomParams(c, 23));
  const dir = path.join(tmp, 'swa');
  writeTokenizerFiles(dir);
  const file = path.join(dir, 'model.gguf');
  const r = exportGguf(m, file, { tokenizerDir: dir });
  assert.equal(r.contextCappedByWindow, W);
  assert.equal(readGgufFile(file).kv.get('llama.context_length'), W);
  const { probs } = await llamaProbs(file, ids, c.vocab_size);
  const logits = await m.forward(Int32Array.from(ids), 1, ids.length);
  const V = c.vocab_size, diff = (t: number) => {
    const pr = softmax64(logits.subarray(t * V, (t + 1) * V));
    let d = 0;
    for (let v = 0; v < V; v++) d = Math.max(d, Math.abs(probs[t]![v]! - pr[v]!));
    return d;
  };
  for (let t = 0; t < W; t++) assert.ok(diff(t) < 1e-5, `position ${t} (inside the window): ${diff(t)}`);
  // beyond the window llama.cpp's full attention differs from the model's: why the context is capped
  assert.ok(Math.max(...ids.slice(W).map((_, k) => diff(W + k))) > 1e-3);
});

test('a wrong RoPE layout is caught: without the Q/K permutation llama.cpp disagrees', async () => {
  const c = tinyConfig();
  const m = new Model(c, randomParams(c, 22));
  const dir = path.join(tmp, 'perm');
  writeTokenizerFiles(dir);
  const file = path.join(tmp, 'unpermuted.gguf');
  // Export as if it were qwen2-style (NeoX rotary, no permutation) but label it llama: probabilities must differ.
  const params = { has: (n: string) => m.params.has(n), view: (n: string) => m.params.view(n), entry: (n: string) => m.params.entry(n) };
  exportGguf({ config: { ...c, model_type: 'qwen2', qkv_bias: false }, params }, file, { tokenizerDir: dir, pre: 'gpt-2' });
  const buf = fs.readFileSync(file);
  fs.writeFileSync(file, Buffer.from(buf.toString('latin1').replaceAll('qwen2', 'llama'), 'latin1')); // same length
  const { probs } = await llamaProbs(file, ids.slice(0, 6), c.vocab_size);
  const logits = await m.forward(Int32Array.from(ids.slice(0, 6)), 1, 6);
  let d = 0;
  for (let t = 1; t < 6; t++) {
    const pr = softmax64(logits.subarray(t * c.vocab_size, (t + 1) * c.vocab_size));
    for (let v = 0; v < c.vocab_size; v++) d = Math.max(d, Math.abs(probs[t]![v]! - pr[v]!));
  }
  assert.ok(d > 1e-3, `expected a visible disagreement, got ${d}`);
});

test('radpo export gguf CLI writes a file llama.cpp loads from a saved model folder', async () => {
  const c = tinyConfig();
  const m = new Model(c, randomParams(c, 23));
  const dir = path.join(tmp, 'saved');
  await m.save(dir, { extraFiles: { 'tokenizer.json': JSON.stringify(tinyTokenizerJson()), 'tokenizer_config.json': JSON.stringify({ eos_token: '<|endoftext|>' }) } });
  const out = path.join(tmp, 'cli.gguf');
  const write = process.stdout.write;
  let printed = '';
  // Capture only the command's summary line: the test reporter also writes to stdout meanwhile.
  process.stdout.write = ((s: string, ...rest: unknown[]) => {
    if (typeof s === 'string' && /^wrote /.test(s)) { printed += s; return true; }
    return (write as (...a: unknown[]) => boolean).call(process.stdout, s, ...rest);
  }) as typeof process.stdout.write;
  let rc: number;
  try { rc = await exportGgufCommand.run(['--model', dir, '-o', out]); } finally { process.stdout.write = write; }
  assert.equal(rc, 0);
  assert.match(printed, /llama, 21 tensors/);
  const { probs } = await llamaProbs(out, [1, 2, 3], c.vocab_size);
  const lg = await m.forward(Int32Array.from([1, 2, 3]), 1, 3);
  const pr = softmax64(lg.subarray(2 * c.vocab_size, 3 * c.vocab_size));
  let d = 0;
  for (let v = 0; v < c.vocab_size; v++) d = Math.max(d, Math.abs(probs[2]![v]! - pr[v]!));
  assert.ok(d < 1e-5, `max |p diff| = ${d}`);
});

for (const kind of ['byte_bpe', 'char'] as const) {
  test(`llama.cpp tokenizes like radpo for a radpo init folder with a ${kind} tokenizer (${kind === 'char' ? 'SentencePiece-style, byte fallback' : 'byte-level BPE'})`, async () => {
    const corpus = ['the quick brown fox jumps over the lazy dog', 'hello world, héllo wörld 123 4567', 'the the the then there'];
    const dir = path.join(tmp, `init-${kind}`);
    await initModelFolder({ hidden_size: 32, intermediate_size: 48, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1,
      tokenizer: { kind, ...(kind === 'byte_bpe' ? { vocab_size: 300 } : {}), corpus } }, dir, { seed: 1 });
    const m = await Model.load(dir);
    const tok = Tokenizer.loadSync(dir);
    const file = path.join(dir, 'model.gguf');
    exportGguf(m, file, { tokenizerDir: dir });
    llama ??= await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error });
    const lm = await llama.loadModel({ modelPath: file, gpuLayers: 0 });
    try {
      // unseen characters (✓, tab, '!') exercise byte fallback / byte-level symbols; specials must stay whole
      for (const text of ['the quick brown fox', 'héllo wörld ✓', '  spaces  and\nnewlines\t!', '<|im_start|>user\nhi<|im_end|>\n']) {
        assert.deepEqual(Array.from(lm.tokenize(text, true)), tok.encode(text, { addSpecialTokens: false }), JSON.stringify(text));
      }
      assert.equal(lm.tokens.eos, tok.eosTokenId);
    } finally { await lm.dispose(); }
  });
}
