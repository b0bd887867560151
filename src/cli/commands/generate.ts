// `radpo generate --model DIR --input PROMPTS.jsonl --output OUT.jsonl`: completions for prompt rows (raw text or
// chat messages) with a KV cache, greedy or sampled. Thin shell over generate() (src/model/generate.ts).

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { AtomicWriteStream } from '../../util/atomic.js';
import { RadpoError } from '../../util/errors.js';
import { Progress } from '../../util/progress.js';
import { readRows } from '../../data/read.js';
import { resolveInferenceModel } from '../../model/lora_io.js';
import { Tokenizer } from '../../model/tokenizer.js';
import { generate, type Prompt } from '../../model/generate.js';

export const GENERATE_OPTIONS = {
  model: { type: 'string', required: true, help: 'Hugging Face model folder (config.json, safetensors, tokenizer.json), or a PEFT adapter folder with a local base', group: 'Input/output' },
  adapter: { type: 'string', help: 'PEFT LoRA adapter folder applied on top of --model (merged in memory)', group: 'Input/output' },
  input: { type: 'string', alias: 'i', required: true, help: 'prompt rows: JSONL / JSON / Parquet with a "prompt" field (text or message list)', group: 'Input/output' },
  output: { type: 'string', alias: 'o', required: true, help: 'output JSONL: each input row plus "completion" and "completion_tokens" (written atomically)', group: 'Input/output' },
  prompt_field: { type: 'string', default: 'prompt', help: 'field holding the prompt', group: 'Input/output' },
  max_new_tokens: { type: 'int', default: 64, min: 0, help: 'tokens generated per completion at most (EOS included)', group: 'Generation' },
  do_sample: { type: 'boolean', default: false, help: 'sample (temperature / top_k / top_p) instead of greedy decoding', group: 'Generation' },
  temperature: { type: 'number', default: 1, help: 'softmax temperature when sampling (> 0)', group: 'Generation' },
  top_k: { type: 'int', default: 0, min: 0, help: 'keep the k most likely tokens when sampling (0 = off)', group: 'Generation' },
  top_p: { type: 'number', default: 1, help: 'nucleus sampling mass in (0, 1] (1 = off)', group: 'Generation' },
  num_return_sequences: { type: 'int', default: 1, min: 1, help: 'completions per prompt (one output row each)', group: 'Generation' },
  seed: { type: 'int', default: 0, help: 'seed of the per-sequence random streams', group: 'Generation' },
  batch_size: { type: 'int', default: 16, min: 1, help: 'sequences decoded together', group: 'Generation' },
} as const satisfies OptionTable;

export const generateCommand: Command = {
  name: 'generate',
  summary: 'generate completions for prompts with a KV cache (greedy or sampled)',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo generate --model DIR --input PROMPTS.jsonl --output OUT.jsonl [options]',
      description: 'Generates completions. Text prompts are tokenized with the tokenizer\'s special tokens; message-list prompts\nget the chat template with add_generation_prompt. Stops at any EOS id or max_new_tokens.',
      options: GENERATE_OPTIONS,
      recipe: true,
    }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    const rows: Record<string, unknown>[] = [];
    const prompts: Prompt[] = [];
    for await (const r of readRows(o.input)) {
      const p = r.row[o.prompt_field];
      const isChat = Array.isArray(p) && p.length > 0 && p.every((m) => m && typeof m === 'object' && typeof (m as { role?: unknown }).role === 'string');
      if (typeof p !== 'string' && !isChat) {
        throw new RadpoError('input', 'expected a prompt string or a list of {role, content} messages', { file: r.file, line: r.line, field: o.prompt_field, value: p });
      }
      rows.push(r.row);
      prompts.push(p as Prompt);
    }
    const { model, tokenizerDir } = await resolveInferenceModel(o.model, o.adapter);
    const tok = Tokenizer.loadSync(tokenizerDir);
    const n = o.num_return_sequences;
    const bar = new Progress({ total: prompts.length * n, label: 'generate', unit: 'seq' });
    const t0 = Date.now();
    const gens = await generate(model, tok, prompts, {
      max_new_tokens: o.max_new_tokens, do_sample: o.do_sample, temperature: o.temperature, top_k: o.top_k, top_p: o.top_p,
      num_return_sequences: n, seed: o.seed, batch_size: o.batch_size, onProgress: (d) => bar.update(d),
    });
    bar.done();
    const out = new AtomicWriteStream(o.output);
    let tokens = 0;
    try {
      for (const g of gens) {
        tokens += g.tokens.length;
        const row: Record<string, unknown> = { ...rows[g.prompt_index], completion: g.text, completion_tokens: g.tokens.length, finish_reason: g.finish_reason };
        if (n > 1) row.sequence_index = g.sequence_index;
        out.write(JSON.stringify(row) + '\n');
      }
      out.commit();
    } catch (e) { out.abort(); throw e; }
    const secs = (Date.now() - t0) / 1000;
    process.stdout.write(`generated ${gens.length} completions (${tokens} tokens, ${(tokens / Math.max(secs, 1e-9)).toFixed(0)} tokens/s) -> ${o.output}\n`);
    return 0;
  },
};
