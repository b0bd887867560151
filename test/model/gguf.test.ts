import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import {
  exportGguf, ggufVocab, permuteForRope, readGgufFile, readGgufHeader, writeGguf, llama3RopeFreqs, TokenType,
} from '../../src/model/gguf.js';
import { tinyConfig, randomParams, tinyTokenizerJson, writeTokenizerFiles } from './gguf_fixture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-gguf-'));
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

test('permuteForRope interleaves the two rotary halves of each head (hand-checked)', () => {
  // 2 heads of head_dim 4, one column: rows h0=[0,1,2,3] h1=[4,5,6,7] -> pairs (0,2),(1,3) per head
  const w = Float32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  assert.deepEqual(Array.from(permuteForRope(w, 2, 1)), [0, 2, 1, 3, 4, 6, 5, 7]);
  // two columns move as whole rows
  const w2 = Float32Array.from([0, 10, 1, 11, 2, 12, 3, 13]);
  assert.deepEqual(Array.from(permuteForRope(w2, 1, 2)), [0, 10, 2, 12, 1, 11, 3, 13]);
});

test('writeGguf output parses back: header, metadata, reversed dims, 32-byte aligned data', () => {
  const f = path.join(tmp, 'rt.gguf');
  const a = Float32Array.from({ length: 6 }, (_, i) => i + 0.5);
  const b = Float32Array.from([7, 8, 9]);
  writeGguf(f, [
    ['general.architecture', { type: 'str', value: 'llama' }],
    ['x.count', { type: 'u32', value: 7 }],
    ['x.eps', { type: 'f32', value: 0.25 }],
    ['x.flag', { type: 'bool', value: true }],
    ['x.list', { type: 'arr', of: 'str', value: ['a', 'Ġb', '€'] }],
    ['x.ints', { type: 'arr', of: 'i32', value: [1, -2, 3] }],
  ], [{ name: 'w', shape: [2, 3], data: a }, { name: 'n', shape: [3], data: b }]);
  const h = readGgufFile(f);
  assert.equal(h.version, 3);
  assert.equal(h.kv.get('general.alignment'), 32);
  assert.equal(h.kv.get('general.architecture'), 'llama');
  assert.equal(h.kv.get('x.count'), 7);
  assert.equal(h.kv.get('x.eps'), 0.25);
  assert.equal(h.kv.get('x.flag'), true);
  assert.deepEqual(h.kv.get('x.list'), ['a', 'Ġb', '€']);
  assert.deepEqual(h.kv.get('x.ints'), [1, -2, 3]);
  assert.deepEqual(h.tensors.map((t) => [t.name, t.dims, t.type, t.offset]), [['w', [3, 2], 0, 0], ['n', [3], 0, 32]]);
  assert.equal(h.dataOffset % 32, 0);
  const read = (o: number, n: number): number[] => Array.from(new Float32Array(h.buffer.buffer.slice(h.buffer.byteOffset + h.dataOffset + o, h.buffer.byteOffset + h.dataOffset + o + 4 * n)));
  assert.deepEqual(read(0, 6), Array.from(a));
  assert.deepEqual(read(32, 3), [7, 8, 9]);
  assert.equal(h.buffer.length, h.dataOffset + 32 + 32); // each tensor padded to 32 bytes
  // a truncated file is an error, not a hang or a crash
  assert.throws(() => readGgufHeader(h.buffer.subarray(0, 60)), /truncated GGUF/);
});

test('export metadata: llama keys, tokenizer, Q/K permuted for llama and not for qwen2', () => {
  writeTokenizerFiles(path.join(tmp, 'tok'));
  for (const arch of ['llama', 'qwen2'] as const) {
    const c = tinyConfig(arch === 'qwen2' ? { model_type: 'qwen2', tie_word_embeddings: true } : { vocab_size: 264 });
    const p = randomParams(c, 3);
    const f = path.join(tmp, `${arch}.gguf`);
    const r = exportGguf({ config: c, params: p }, f, { tokenizerDir: path.join(tmp, 'tok') });
    const h = readGgufFile(f);
    const k = (s: string): unknown => h.kv.get(`${arch}.${s}`);
    assert.equal(h.kv.get('general.architecture'), arch);
    assert.deepEqual([k('embedding_length'), k('block_count'), k('feed_forward_length'), k('attention.head_count'), k('attention.head_count_kv'), k('rope.dimension_count'), k('context_length'), k('vocab_size')],
      [64, 2, 96, 4, 2, 16, 128, c.vocab_size]);
    assert.ok(Math.abs((k('attention.layer_norm_rms_epsilon') as number) - 1e-5) < 1e-12); // stored as f32
    assert.equal(k('rope.freq_base'), 10000);
    assert.equal(h.kv.get('tokenizer.ggml.model'), 'gpt2');
    assert.equal(h.kv.get('tokenizer.ggml.pre'), arch === 'qwen2' ? 'qwen2' : 'gpt-2');
    assert.equal(h.kv.get('tokenizer.ggml.eos_token_id'), 260);
    assert.equal(h.kv.get('tokenizer.ggml.padding_token_id'), 260);
    const toks = h.kv.get('tokenizer.ggml.tokens') as string[];
    const types = h.kv.get('tokenizer.ggml.token_type') as number[];
    assert.equal(toks.length, c.vocab_size);
    assert.equal(toks[258], 'Ġthe');
    assert.equal(toks[260], '<|endoftext|>');
    assert.equal(types[260], TokenType.control);
    assert.equal(types[65], TokenType.normal);
    if (arch === 'llama') { assert.equal(toks[263], '[PAD263]'); assert.equal(types[263], TokenType.unused); }
    assert.deepEqual((h.kv.get('tokenizer.ggml.merges') as string[]).slice(0, 2), ['Ġ t', 'h e']);
    const names = h.tensors.map((t) => t.name);
    assert.equal(names.includes('output.weight'), arch === 'llama');
    assert.equal(names.includes('blk.1.attn_q.bias'), arch === 'qwen2');
    assert.equal(r.tensors, h.tensors.length);
    // blk.0.attn_k.weight: [NKV*HS=32, C=64] -> dims [64, 32]; row 1 of the GGUF is HF row 8 (= HS/2) for llama
    const kt = h.tensors.find((t) => t.name === 'blk.0.attn_k.weight')!;
    assert.deepEqual(kt.dims, [64, 32]);
    const row = (i: number): Float32Array => new Float32Array(h.buffer.buffer.slice(h.buffer.byteOffset + h.dataOffset + kt.offset + i * 256, h.buffer.byteOffset + h.dataOffset + kt.offset + (i + 1) * 256));
    const hf = p.view('model.layers.0.self_attn.k_proj.weight');
    assert.deepEqual(Array.from(row(1)), Array.from(hf.subarray((arch === 'llama' ? 8 : 1) * 64, (arch === 'llama' ? 9 : 2) * 64)));
  }
});

test('llama3 rope frequency divisors follow Meta apply_scaling (hand-checked ends)', () => {
  const c = tinyConfig({ rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 }, rope_theta: 500000 });
  const f = llama3RopeFreqs(c)!;
  assert.equal(f.length, 8);
  assert.equal(f[0], 1);               // wavelength 2*pi < 64/4: unscaled
  assert.equal(f[7], 8);               // wavelength 2*pi*500000^(14/16) >> 64: divided by factor
  assert.equal(llama3RopeFreqs(tinyConfig()), null);
});

test('tokenizer problems are refused with the field named', () => {
  const c = tinyConfig();
  assert.throws(() => ggufVocab({ model: { type: 'Unigram', vocab: [] } }, null, c), /BPE/);
  const tok = tinyTokenizerJson() as any;
  assert.throws(() => ggufVocab(tok, null, tinyConfig({ vocab_size: 200 })), /vocab_size 200/);
});

test('pre-tokenizer names llama.cpp knows are recognised from tokenizer.json (hand-written cases)', () => {
  const base = tinyTokenizerJson() as any;
  const c = tinyConfig();
  const withPre = (pre: unknown): string => ggufVocab({ ...base, pre_tokenizer: pre }, null, c).pre;
  const bl = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false };
  assert.equal(withPre({ ...bl, use_regex: true }), 'gpt-2');
  assert.equal(withPre({ type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: true }, { ...bl, use_regex: true }] }), 'smollm');
  const llama3 = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  const qwen = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
  const split = (re: string) => ({ type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: re }, behavior: 'Isolated', invert: false }, bl] });
  assert.equal(withPre(split(llama3)), 'llama-bpe');
  assert.equal(withPre(split(qwen)), 'qwen2');
  assert.equal(withPre(null), 'default');
  assert.equal(ggufVocab(base, null, c, 'custom').pre, 'custom');
});
