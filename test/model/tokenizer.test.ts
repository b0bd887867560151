import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { RadpoError } from '../../src/util/errors.js';

// Fixtures: small BPEs trained with the Python `tokenizers` library (interop/fixtures/make_tokenizer_fixtures.py);
// expected.json holds what Python transformers' AutoTokenizer returned for them (make_tokenizer_expected.py).
const FIX = 'interop/fixtures/tokenizers';
const FAMILIES = ['chatml', 'llama3', 'mistral', 'gemma'] as const;
const expected = JSON.parse(fs.readFileSync(path.join(FIX, 'expected.json'), 'utf8'));

for (const fam of FAMILIES) {
  test(`${fam}: ids, special tokens and decoding agree with transformers (expected.json)`, () => {
    const tok = Tokenizer.loadSync(path.join(FIX, fam));
    const e = expected[fam];
    assert.equal(tok.bosTokenId, e.bos_token_id);
    assert.equal(tok.eosTokenId, e.eos_token_id);
    assert.equal(tok.padTokenId, e.pad_token_id);
    assert.equal(tok.vocabSize, e.len);
    for (const t of e.texts) {
      assert.deepEqual(tok.encode(t.text), t.ids, `ids of ${JSON.stringify(t.text)}`);
      assert.deepEqual(tok.encode(t.text, { addSpecialTokens: false }), t.ids_no_special, `ids (no special) of ${JSON.stringify(t.text)}`);
      assert.equal(tok.decode(t.ids), t.decoded);
      assert.equal(tok.decode(t.ids, { skipSpecialTokens: true }), t.decoded_skip);
    }
    for (const c of e.chats) {
      const text = tok.applyChatTemplate(c.messages, { addGenerationPrompt: c.add_generation_prompt, tools: c.tools ?? undefined });
      assert.equal(text, c.text);
      assert.deepEqual(tok.encode(text, { addSpecialTokens: false }), c.ids);
    }
  });
}

test('BOS as the post-processor defines it; stop ids follow generation_config, then config.json, then the tokenizer', () => {
  const llama = Tokenizer.loadSync(path.join(FIX, 'llama3'));
  assert.deepEqual(llama.specialPrefix, [0]);
  assert.deepEqual(llama.specialSuffix, []);
  assert.deepEqual(llama.stopTokenIds, [1, 4]); // generation_config.json eos_token_id [1, 4]
  const chatml = Tokenizer.loadSync(path.join(FIX, 'chatml'));
  assert.deepEqual(chatml.specialPrefix, []);
  assert.deepEqual(chatml.stopTokenIds, [2]); // no generation/model config: the tokenizer's eos <|im_end|>
  assert.deepEqual(Tokenizer.loadSync(path.join(FIX, 'mistral')).specialPrefix, [1]);

  const files = { tokenizerJson: chatml.tokenizerJson, tokenizerConfig: chatml.tokenizerConfig };
  assert.deepEqual(new Tokenizer({ ...files, modelConfig: { eos_token_id: 0 } }).stopTokenIds, [0]);
  assert.deepEqual(new Tokenizer({ ...files, modelConfig: { eos_token_id: 0 }, generationConfig: { eos_token_id: [2, 0] } }).stopTokenIds, [2, 0]);
  // AddedToken-style dicts in tokenizer_config.json
  const t = new Tokenizer({ ...files, tokenizerConfig: { ...chatml.tokenizerConfig, eos_token: { __type: 'AddedToken', content: '<|endoftext|>' } } });
  assert.equal(t.eosTokenId, 0);
});

test('named templates: default, tool_use with tools, chat_template.jinja overrides tokenizer_config', () => {
  const chatml = Tokenizer.loadSync(path.join(FIX, 'chatml'));
  const msgs = [{ role: 'user', content: 'Hi' }];
  assert.match(chatml.applyChatTemplate(msgs), /You are Qwen/); // "default" of the named list
  assert.equal(chatml.applyChatTemplate(msgs, { chatTemplate: 'plain' }), '<|im_start|>user\nHi<|im_end|>\n');
  assert.throws(() => chatml.applyChatTemplate(msgs, { chatTemplate: 'nope' }), /no chat template named "nope".*"default", "plain"/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-tok-'));
  try {
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(FIX, 'chatml', f), path.join(dir, f));
    fs.writeFileSync(path.join(dir, 'chat_template.jinja'), '{% for m in messages %}[{{ m.role }}]{{ m.content }}{% endfor %}');
    assert.equal(Tokenizer.loadSync(dir).applyChatTemplate(msgs), '[user]Hi');
    // transformers 5 save_pretrained layout: named templates in additional_chat_templates/NAME.jinja
    fs.mkdirSync(path.join(dir, 'additional_chat_templates'));
    fs.writeFileSync(path.join(dir, 'additional_chat_templates', 'tool_use.jinja'), 'tools={{ tools | length }}');
    const named = Tokenizer.loadSync(dir);
    assert.equal(named.applyChatTemplate(msgs), '[user]Hi');
    assert.equal(named.applyChatTemplate(msgs, { tools: [{}, {}] }), 'tools=2');
    assert.deepEqual((named.tokenizerConfig.chat_template as { name: string }[]).map((t) => t.name), ['default', 'tool_use']);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('missing or broken files are reported with the path', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-tok-'));
  try {
    assert.throws(() => Tokenizer.loadSync(dir), (e: unknown) => e instanceof RadpoError && /no tokenizer.json/.test(e.message) && e.message.includes(dir));
    fs.writeFileSync(path.join(dir, 'tokenizer.json'), '{"model": ');
    assert.throws(() => Tokenizer.loadSync(dir), /tokenizer.json: not valid JSON/);
    fs.copyFileSync(path.join(FIX, 'chatml', 'tokenizer.json'), path.join(dir, 'tokenizer.json'));
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({ eos_token: '<|nope|>' }));
    assert.throws(() => Tokenizer.loadSync(dir), /field "eos_token", value "<\|nope\|>": eos_token is not in the vocabulary/);
    fs.writeFileSync(path.join(dir, 'tokenizer_config.json'), JSON.stringify({}));
    assert.throws(() => Tokenizer.loadSync(dir).applyChatTemplate([{ role: 'user', content: 'x' }]), /has no chat template/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('the word-cache speed-up (tok_speed.ts) changes no ids: patched vs the unpatched library on real text', async () => {
  const { Tokenizer: HfTokenizer } = await import('@huggingface/tokenizers');
  const texts = fs.readFileSync('../shared/data/real/hh-rlhf/harmless-base_test.first200.jsonl', 'utf8').trim().split('\n')
    .slice(0, 40).flatMap((l) => { const r = JSON.parse(l); return [r.chosen as string, r.rejected as string]; });
  for (const fam of FAMILIES) {
    const dir = path.join(FIX, fam);
    const ours = Tokenizer.loadSync(dir);
    const plain = new HfTokenizer(JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer.json'), 'utf8')), JSON.parse(fs.readFileSync(path.join(dir, 'tokenizer_config.json'), 'utf8')));
    for (const t of [...texts, ...texts]) assert.deepEqual(ours.encode(t), plain.encode(t).ids); // second pass: cache hits
  }
});
