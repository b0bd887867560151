import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { main } from '../../src/cli/main.js';
import { initCommand } from '../../src/cli/commands/init.js';
import { Model } from '../../src/model/model.js';
import { countParams, parseModelConfig } from '../../src/model/config.js';

test('configs/small.json is the reference small config (vocab 4096, hidden 256, 4 layers, 4/2 heads, intermediate 688)', () => {
  const { tokenizer, ...spec } = JSON.parse(fs.readFileSync('configs/small.json', 'utf8'));
  const c = parseModelConfig(spec);
  assert.deepEqual([c.vocab_size, c.hidden_size, c.num_hidden_layers, c.num_attention_heads, c.num_key_value_heads, c.intermediate_size], [4096, 256, 4, 4, 2, 688]);
  assert.equal(countParams(c), 2 * 4096 * 256 + 256 + 4 * (2 * 256 + 256 * 512 + 256 * 256 + 3 * 256 * 688));
  assert.equal(tokenizer.kind, 'byte_bpe');
});

test('radpo init writes a loadable model folder with a tokenizer; refuses a vocab smaller than the tokenizer', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-init-'));
  try {
    const spec = path.join(dir, 'tiny.json');
    fs.writeFileSync(path.join(dir, 'corpus.txt'), 'hello world\nhello there\n');
    fs.writeFileSync(spec, JSON.stringify({ hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, tokenizer: { kind: 'char', corpus_file: 'corpus.txt' } }));
    const out = path.join(dir, 'm');
    const write = process.stdout.write;
    let printed = '';
    process.stdout.write = ((s: string) => { printed += s; return true; }) as typeof process.stdout.write;
    let code: number;
    try { code = await main(['init', '--config', spec, '-o', out, '--seed', '3'], [initCommand]); } finally { process.stdout.write = write; }
    assert.equal(code, 0);
    assert.match(printed, /wrote .*llama/);
    for (const f of ['config.json', 'model.safetensors', 'tokenizer.json', 'tokenizer_config.json']) assert.ok(fs.existsSync(path.join(out, f)), f);
    const m = await Model.load(out);
    const tok = JSON.parse(fs.readFileSync(path.join(out, 'tokenizer.json'), 'utf8'));
    // char tokenizer: 3 specials + 256 byte fallbacks + the corpus characters "helo wrdt" (9)
    assert.equal(m.config.vocab_size, 3 + 256 + 9);
    assert.equal(Object.keys(tok.model.vocab).length, 3 + 256 + 9);
    assert.equal(m.config.eos_token_id, 2);
    const std = Math.sqrt(m.params.view('model.layers.0.mlp.up_proj.weight').reduce((s, x) => s + x * x, 0) / (24 * 16));
    assert.ok(Math.abs(std - 0.02) < 0.004, `init std ${std}`); // 384 samples: standard error of the std ~0.0007
    fs.writeFileSync(spec, JSON.stringify({ vocab_size: 10, hidden_size: 16, intermediate_size: 24, num_hidden_layers: 1, num_attention_heads: 2, tokenizer: { kind: 'char' } }));
    const err = process.stderr.write;
    let msg = '';
    process.stderr.write = ((s: string) => { msg += s; return true; }) as typeof process.stderr.write;
    try { code = await main(['init', '--config', spec, '-o', path.join(dir, 'x')], [initCommand]); } finally { process.stderr.write = err; }
    assert.equal(code, 1);
    assert.match(msg, /vocab_size.*smaller than the tokenizer/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
