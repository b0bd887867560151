import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Model } from '../../src/model/model.js';
import { Tokenizer } from '../../src/model/tokenizer.js';
import { generate } from '../../src/model/generate.js';
import { generateCommand } from '../../src/cli/commands/generate.js';
import { tinyConfig, randomParams, tinyTokenizerJson } from './gguf_fixture.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'radpo-gencli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function quiet(fn: () => Promise<number>): Promise<{ rc: number; out: string }> {
  const write = process.stdout.write;
  let out = '';
  // Capture only the command's summary line: the test reporter also writes to stdout meanwhile.
  process.stdout.write = ((s: string, ...rest: unknown[]) => {
    if (typeof s === 'string' && /^generated /.test(s)) { out += s; return true; }
    return (write as (...a: unknown[]) => boolean).call(process.stdout, s, ...rest);
  }) as typeof process.stdout.write;
  try { return { rc: await fn(), out }; } finally { process.stdout.write = write; }
}

test('radpo generate: rows keep their fields and gain completion, completion_tokens; same as the library call', async () => {
  const c = tinyConfig();
  const m = new Model(c, randomParams(c, 31));
  const dir = path.join(tmp, 'model');
  const template = "{% for m in messages %}<{{ m['role'] }}>{{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}<assistant>{% endif %}";
  await m.save(dir, { extraFiles: {
    'tokenizer.json': JSON.stringify(tinyTokenizerJson()),
    'tokenizer_config.json': JSON.stringify({ eos_token: '<|endoftext|>', chat_template: template }),
  } });
  const input = path.join(tmp, 'prompts.jsonl');
  const rows = [{ prompt: 'the thin', id: 'a' }, { prompt: [{ role: 'user', content: 'hello' }], id: 'b' }, { prompt: 'x', id: 'c' }];
  fs.writeFileSync(input, rows.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const output = path.join(tmp, 'out.jsonl');
  const args = ['--model', dir, '--input', input, '-o', output, '--max_new_tokens', '5', '--do_sample', '--temperature', '0.8',
    '--top_k', '20', '--seed', '3', '--num_return_sequences', '2', '--batch_size', '4'];
  const { rc, out } = await quiet(() => generateCommand.run(args));
  assert.equal(rc, 0);
  assert.match(out, /generated 6 completions/);
  const got = fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(got.length, 6);
  const lib = await generate(m, Tokenizer.loadSync(dir), rows.map((r) => r.prompt as never), {
    max_new_tokens: 5, do_sample: true, temperature: 0.8, top_k: 20, seed: 3, num_return_sequences: 2, batch_size: 4,
  });
  got.forEach((g, i) => {
    const r = rows[Math.floor(i / 2)]!;
    assert.equal(g.id, r.id);
    assert.deepEqual(g.prompt, r.prompt);
    assert.equal(g.sequence_index, i % 2);
    assert.equal(g.completion, lib[i]!.text);
    assert.equal(g.completion_tokens, lib[i]!.tokens.length);
    assert.ok(g.completion_tokens >= 1 && g.completion_tokens <= 5);
  });
  // no temp files left beside the output
  assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.endsWith('.tmp')), []);
});

test('radpo generate: a row without a usable prompt names file, line and field', async () => {
  const input = path.join(tmp, 'bad.jsonl');
  fs.writeFileSync(input, '{"prompt": "ok"}\n{"prompt": 5}\n');
  await assert.rejects(quiet(() => generateCommand.run(['--model', path.join(tmp, 'model'), '--input', input, '-o', path.join(tmp, 'x.jsonl')])),
    (e: Error) => /bad\.jsonl:2/.test(e.message) && /field "prompt"/.test(e.message));
  assert.equal(fs.existsSync(path.join(tmp, 'x.jsonl')), false);
});
