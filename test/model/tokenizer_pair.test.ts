import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { checkPairRow, tokenizePair } from '../../src/model/tokenize_pair.js';
import { RadpoError } from '../../src/util/errors.js';

const FIX = 'interop/fixtures/tokenizers';
const load = (fam: string): Tokenizer => Tokenizer.loadSync(path.join(FIX, fam));
const chatml = load('chatml'); // eos <|im_end|> = 2, no BOS
const llama3 = load('llama3'); // BOS <|begin_of_text|> = 0 added by the post-processor, eos <|eot_id|> = 4
const split = (tok: Tokenizer, r: { input_ids: number[]; completion_mask: number[] }): [string, string] => [
  tok.decode(r.input_ids.filter((_, i) => r.completion_mask[i] === 0)),
  tok.decode(r.input_ids.filter((_, i) => r.completion_mask[i] === 1)),
];

test('raw text: tokenized together, mask on completion tokens, EOS appended once', () => {
  const row = { prompt: 'Question: why?\nAnswer:', completion: ' Because.' };
  const r = tokenizePair(chatml, row);
  assert.deepEqual(r.input_ids, [...chatml.encode(row.prompt + row.completion), 2]);
  assert.deepEqual(r.completion_mask, [...Array(12).fill(0), ...Array(6).fill(1)]); // 12 prompt tokens (hand-counted with tokenize())
  assert.equal(r.prompt_length, 12);
  assert.equal(r.boundary_mismatch, false);
  assert.deepEqual(split(chatml, r), [row.prompt, ' Because.<|im_end|>']);
  assert.equal(tokenizePair(chatml, row, { add_eos: false }).input_ids.length, 17);
  // a completion that already ends with the EOS text gets no second one
  const own = tokenizePair(chatml, { prompt: row.prompt, completion: ' Because.<|im_end|>' });
  assert.deepEqual(own.input_ids, r.input_ids);
});

test('raw text: BOS only as the tokenizer defines it, never twice', () => {
  const r = tokenizePair(llama3, { prompt: 'Hi', completion: ' there' });
  assert.equal(r.input_ids[0], 0);
  assert.equal(r.input_ids.filter((x) => x === 0).length, 1);
  const again = tokenizePair(llama3, { prompt: '<|begin_of_text|>Hi', completion: ' there' });
  assert.deepEqual(again.input_ids, r.input_ids);
  assert.deepEqual(again.completion_mask, r.completion_mask);
  assert.equal(tokenizePair(chatml, { prompt: 'Hi', completion: ' there' }).input_ids[0] !== 0, true); // ChatML: no BOS at all
  assert.equal(tokenizePair(llama3, { prompt: 'Hi', completion: ' there' }, { add_special_tokens: false }).input_ids[0] !== 0, true);
});

test('boundary mismatch: a token merged across the boundary counts as completion and is reported', () => {
  // "Hello " alone ends with the token "Ġ"; "Hello world" has "Ġwor" + "ld": the prompt's tokens are not a prefix.
  assert.deepEqual(chatml.tokenize('Hello '), ['H', 'ell', 'o', 'Ġ']);
  const r = tokenizePair(chatml, { prompt: 'Hello ', completion: 'world' });
  assert.equal(r.boundary_mismatch, true);
  assert.deepEqual(r.completion_mask, [0, 0, 0, 1, 1, 1]);
  assert.deepEqual(split(chatml, r), ['Hello', ' world<|im_end|>']);
});

test('conversational: prompt rendered with the generation header, no EOS added after the closed turn, one BOS', () => {
  const prompt = [{ role: 'user', content: 'Hi there' }];
  const completion = [{ role: 'assistant', content: 'Hello!' }];
  const r = tokenizePair(chatml, { prompt, completion });
  assert.equal(r.boundary_mismatch, false);
  const full = chatml.applyChatTemplate([...prompt, ...completion]);
  assert.deepEqual(r.input_ids, chatml.encode(full, { addSpecialTokens: false }));
  assert.deepEqual(split(chatml, r), [chatml.applyChatTemplate(prompt, { addGenerationPrompt: true }), 'Hello!<|im_end|>\n']);

  const l = tokenizePair(llama3, { prompt, completion });
  assert.equal(l.input_ids.filter((x) => x === 0).length, 1); // the template writes bos_token; encode adds none
  assert.equal(l.input_ids[l.input_ids.length - 1], 4);
  assert.equal(l.input_ids.filter((x) => x === 4).length, 2); // one <|eot_id|> per turn, none appended
  assert.equal(split(llama3, l)[1], 'Hello!<|eot_id|>');

  const g = load('gemma');
  assert.throws(() => tokenizePair(g, { prompt: [{ role: 'system', content: 'Be brief.' }, ...prompt], completion }, { where: { file: 'in.jsonl', line: 7 } }),
    (e: unknown) => e instanceof RadpoError && /^in\.jsonl:7: .*does not accept a system message.*--placement prompt/.test(e.message));
});

test('truncation: prompt keeps its end, completion its start, max_length by truncation_mode', () => {
  const row = { prompt: 'Question: why?\nAnswer:', completion: ' Because.' };
  const full = tokenizePair(chatml, row); // 12 prompt + 6 completion tokens
  const P = full.input_ids.slice(0, 12);
  const C = full.input_ids.slice(12);
  let r = tokenizePair(chatml, row, { max_prompt_length: 5, max_completion_length: 4 });
  assert.deepEqual(r.input_ids, [...P.slice(7), ...C.slice(0, 4)]);
  assert.deepEqual(r.completion_mask, [0, 0, 0, 0, 0, 1, 1, 1, 1]);
  assert.equal(r.truncated, true);
  r = tokenizePair(chatml, row, { max_length: 8 }); // keep_end (TRL DPO default)
  assert.deepEqual(r.input_ids, [...P.slice(10), ...C]);
  assert.equal(r.prompt_length, 2);
  r = tokenizePair(chatml, row, { max_length: 14, truncation_mode: 'keep_start' });
  assert.deepEqual(r.input_ids, [...P, ...C.slice(0, 2)]);
  assert.deepEqual(r.completion_mask, [...Array(12).fill(0), 1, 1]);
  assert.equal(tokenizePair(chatml, row, { max_length: 100 }).truncated, false);
});

test('row checks name file, line, field and value', () => {
  const where = { file: 'rows.jsonl', line: 3 };
  assert.throws(() => checkPairRow({ prompt: 'x' }, where), /rows\.jsonl:3, field "completion": missing "completion"/);
  assert.throws(() => checkPairRow({ prompt: 'x', completion: 5 }, where), /rows\.jsonl:3, field "completion", value 5: expected a string/);
  assert.throws(() => checkPairRow({ prompt: 'x', completion: [{ role: 'assistant', content: 'y' }] }, where), /both be strings or both be message lists/);
  assert.throws(() => checkPairRow([1], where), /expected an object/);
  assert.deepEqual(checkPairRow({ prompt: 'a', completion: 'b', extra: 1 }), { prompt: 'a', completion: 'b' });
});
