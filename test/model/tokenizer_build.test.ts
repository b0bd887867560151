import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import { buildTokenizer } from '../../src/model/tokenizer_build.js';
import { byteToUnicode, trainByteLevelBpe } from '../../src/model/tok_bpe_train.js';
import { Tokenizer } from '../../src/model/tokenizer.js';

const UNICODE = [
  'Hello, world! naïve café — “quotes” … Straße',
  '日本語のテキスト 中文 한국어 🙂🚀 👩‍👩‍👧 e\u0301 (combining) \u00a0nbsp',
  'tabs\tand\r\nCRLF   multiple   spaces\n\n\ncode: x ** 2 # ok',
  '',
  ' leading and trailing ',
];

function corpus(): string[] {
  const rows = fs.readFileSync('../shared/data/real/hh-rlhf/harmless-base_test.first200.jsonl', 'utf8').trim().split('\n').slice(0, 60);
  return rows.flatMap((l) => { const r = JSON.parse(l); return [r.chosen as string, r.rejected as string]; });
}
const load = (b: { tokenizerJson: object; tokenizerConfig: object }): Tokenizer =>
  new Tokenizer({ tokenizerJson: b.tokenizerJson as Record<string, unknown>, tokenizerConfig: b.tokenizerConfig as Record<string, unknown> });

test('bytes_to_unicode: 256 distinct printable symbols, space -> Ġ, newline -> Ċ (GPT-2)', () => {
  const m = byteToUnicode();
  assert.equal(new Set(m).size, 256);
  assert.equal(m[0x20], 'Ġ');
  assert.equal(m[0x0a], 'Ċ');
  assert.equal(m[0x41], 'A');
});

test('BPE training on a hand-checked corpus', () => {
  // Token ids of the alphabet are byte values (a = 97, b = 98, Ġ = space = 32); merged tokens get 256, 257, ...
  // words "aaab", "Ġaab": pair counts aa:3, ab:2, Ġa:1 -> merge (a,a) = 256. Then every pair occurs once and ties go
  // to the smallest (left id, right id): (Ġ,aa) = (32,256) -> 257; (a,b) = (97,98) -> 258; (aa,ab) = (256,258);
  // last (Ġaa,b) = (257,98).
  const r = trainByteLevelBpe(['aaab aab'], 5, 1);
  assert.deepEqual(r.merges, [['a', 'a'], ['Ġ', 'aa'], ['a', 'b'], ['aa', 'ab'], ['Ġaa', 'b']]);
  assert.equal(r.tokens[256], 'aa');
  assert.deepEqual(trainByteLevelBpe(['aaab aab'], 5, 2).merges, [['a', 'a']]); // with min_frequency 2 only aa:3 qualifies
});

test('byte_bpe: trained tokenizer loads, round-trips unicode text and compresses the corpus', () => {
  const texts = corpus();
  const built = buildTokenizer({ kind: 'byte_bpe', vocabSize: 600, corpus: texts });
  assert.equal(built.vocabSize, 600);
  const tok = load(built);
  assert.equal(tok.vocabSize, 600);
  assert.equal(tok.eosTokenId, 2);
  assert.equal(tok.padTokenId, 0);
  for (const x of [...UNICODE, ...texts.slice(0, 5)]) assert.equal(tok.decode(tok.encode(x)), x);
  const sample = texts.slice(0, 20).join('');
  const ids = tok.encode(sample);
  assert.ok(ids.length < new TextEncoder().encode(sample).length * 0.6, `compression ${ids.length} tokens for ${sample.length} chars`);
  // special tokens are single ids, and the ChatML template renders
  assert.deepEqual(tok.encode('<|im_start|>user\nhi<|im_end|>').filter((i) => i < 3), [1, 2]);
  assert.equal(tok.applyChatTemplate([{ role: 'user', content: 'hi' }], { addGenerationPrompt: true }), '<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n');
  // deterministic
  assert.deepEqual(buildTokenizer({ kind: 'byte_bpe', vocabSize: 600, corpus: texts }).tokenizerJson, built.tokenizerJson);
});

test('char: one id per known character, byte fallback for the rest, round trip', () => {
  const built = buildTokenizer({ kind: 'char', corpus: ['hello world', 'héllo'] });
  const tok = load(built);
  assert.equal(built.vocabSize, 3 + 256 + 9); // specials + bytes + {space,d,e,h,l,o,r,w,é}
  const ids = tok.encode('hello');
  assert.equal(ids.length, 5);
  assert.deepEqual(ids.map((i) => tok.idToToken(i)), ['h', 'e', 'l', 'l', 'o']);
  assert.deepEqual(tok.encode('日').map((i) => tok.idToToken(i)), ['<0xE6>', '<0x97>', '<0xA5>']);
  for (const x of UNICODE) assert.equal(tok.decode(tok.encode(x)), x);
  const capped = buildTokenizer({ kind: 'char', corpus: ['aaab'], vocabSize: 3 + 256 + 1 });
  assert.equal(load(capped).idToToken(259), 'a'); // only the most frequent character is kept
  assert.throws(() => buildTokenizer({ kind: 'char', vocabSize: 10 }), /vocabSize/);
  assert.throws(() => buildTokenizer({ kind: 'byte_bpe', eosToken: '<x>' }), /special tokens/);
});

test('char with merges: merged strings become single tokens, applied in order, elsewhere characters', () => {
  const built = buildTokenizer({ kind: 'char', corpus: ['0123 ab'], merges: [['1', '0'], ['2', '3'], ['10', '0']] });
  const tok = load(built);
  assert.equal(built.vocabSize, 3 + 256 + 7 + 3);
  const pieces = (s: string) => tok.encode(s).map((i) => tok.idToToken(i));
  assert.deepEqual(pieces('a 10 100 1 23 32'), ['a', ' ', '10', ' ', '100', ' ', '1', ' ', '23', ' ', '3', '2']);
  assert.deepEqual(pieces('1000'), ['100', '0']);
  for (const x of ['10 b 230', '0101']) assert.equal(tok.decode(tok.encode(x)), x);
  assert.throws(() => buildTokenizer({ kind: 'char', corpus: ['ab'], merges: [['a', 'c']] }), /merge parts/);
  assert.throws(() => buildTokenizer({ kind: 'char', corpus: ['ab'], merges: [['ab', 'a']] }), /merge parts/);
});
