// `radpo export gguf --model DIR -o FILE.gguf`: an fp32 GGUF (v3) of a Hugging Face Llama / Mistral / Qwen2 folder
// that llama.cpp loads. Thin shell over exportGguf (src/model/gguf.ts).

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { Model } from '../../model/model.js';
import { exportGguf } from '../../model/gguf.js';

export const EXPORT_GGUF_OPTIONS = {
  model: { type: 'string', required: true, help: 'Hugging Face model folder (config.json, safetensors, tokenizer.json)' },
  out: { type: 'string', alias: 'o', required: true, help: 'output .gguf file (written atomically)' },
  name: { type: 'string', help: 'general.name in the GGUF (default: the folder name)' },
  pre: { type: 'string', help: 'llama.cpp pre-tokenizer name (tokenizer.ggml.pre); default: recognised from tokenizer.json, else "default"' },
} as const satisfies OptionTable;

export const exportGgufCommand: Command = {
  name: 'export gguf',
  summary: 'write a model folder as an fp32 GGUF for llama.cpp',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo export gguf --model DIR -o FILE.gguf [--name NAME] [--pre NAME]',
      description: 'Writes an fp32 GGUF (version 3) with llama / qwen2 metadata and the byte-level BPE tokenizer, loadable by llama.cpp.',
      options: EXPORT_GGUF_OPTIONS,
    }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    const model = await Model.load(o.model);
    const opts: { tokenizerDir: string; name?: string; pre?: string } = { tokenizerDir: o.model };
    if (o.name !== undefined) opts.name = o.name;
    if (o.pre !== undefined) opts.pre = o.pre;
    const r = exportGguf(model, o.out, opts);
    process.stdout.write(`wrote ${r.file}: ${r.architecture}, ${r.tensors} tensors, ${(r.bytes / 1048576).toFixed(1)} MiB, pre-tokenizer ${r.pre}\n`);
    if (r.contextCappedByWindow !== null) {
      process.stderr.write(`note: context_length set to the sliding window (${r.contextCappedByWindow}): llama.cpp attends to every earlier token, which ` +
        `equals the model's sliding-window attention only up to ${r.contextCappedByWindow} tokens; do not run it with a longer context\n`);
    }
    return 0;
  },
};
