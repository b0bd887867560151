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

test('radpo generate / logprobs with a LoRA adapter: --adapter, or the adapter folder as --model, equal the merged checkpoint', async () => {
  const { LoraAdapter, LORA_TARGETS } = await import('../../src/model/lora.js');
  const { saveAdapter, mergeAdapter } = await import('../../src/model/lora_io.js');
  const { logprobsCommand } = await import('../../src/cli/commands/logprobs.js');
  const { Rng } = await import('../../src/util/rng.js');
  const base = path.join(tmp, 'model'), ad = path.join(tmp, 'adapter'), merged = path.join(tmp, 'merged');
  if (!fs.existsSync(base)) throw new Error('needs the model folder of the first test');
  const c = (await Model.load(base)).config;
  const adapter = LoraAdapter.init(c, { r: 2, lora_alpha: 4, lora_dropout: 0, target_modules: [...LORA_TARGETS], use_rslora: false }, 5);
  const rng = new Rng(6);
  for (const s of adapter.slots) { const B = adapter.params.view(s.b); for (let i = 0; i < B.length; i++) B[i] = rng.normal() * 0.5; }
  await saveAdapter(ad, adapter, { baseModel: base });
  await mergeAdapter(base, ad, merged);
  const input = path.join(tmp, 'lora_prompts.jsonl');
  fs.writeFileSync(input, '{"prompt": "the thin", "completion": " cat"}\n{"prompt": "x", "completion": "yz"}\n');
  const gen = async (...model: string[]) => {
    const output = path.join(tmp, `lora_gen_${model.length}_${path.basename(model[0]!)}.jsonl`);
    assert.equal((await quiet(() => generateCommand.run([...model, '-i', input, '-o', output, '--max_new_tokens', '6']))).rc, 0);
    return fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l).completion as string);
  };
  const score = async (...model: string[]) => {
    const output = path.join(tmp, `lora_lp_${model.length}_${path.basename(model[0]!)}.jsonl`);
    assert.equal(await logprobsCommand.run([...model, '--input', input, '-o', output]), 0);
    return fs.readFileSync(output, 'utf8').trim().split('\n').map((l) => JSON.parse(l).completion_logprob as number);
  };
  const want = await gen('--model', merged), wantLp = await score('--model', merged);
  assert.deepEqual(await gen('--model', base, '--adapter', ad), want);
  assert.deepEqual(await gen('--model', ad), want);
  const baseLp = await score('--model', base);
  for (const lp of [await score('--model', base, '--adapter', ad), await score('--model', ad)]) {
    lp.forEach((x, i) => assert.ok(Math.abs(x - wantLp[i]!) < 1e-4, `${x} vs ${wantLp[i]}`));
  }
  // the adapter matters: the base alone scores differently
  assert.ok(baseLp.some((x, i) => Math.abs(x - wantLp[i]!) > 1e-2), `${baseLp} vs ${wantLp}`);
  // an adapter folder whose base is not a local folder
  const orphan = path.join(tmp, 'orphan');
  await saveAdapter(orphan, adapter, { baseModel: 'someone/llama-hub-id' });
  await assert.rejects(quiet(() => generateCommand.run(['--model', orphan, '--input', input, '-o', path.join(tmp, 'o.jsonl')])),
    (e: Error) => /base_model_name_or_path/.test(e.message) && /--adapter/.test(e.message));
});
