// `radpo init --config small.json -o DIR`: writes a fresh randomly initialised model folder with a tokenizer.
// Thin shell over initModelFolder (src/model/init_folder.ts); not training.

import * as fs from 'node:fs';
import type { Command } from '../command.js';
import { formatHelp, parseArgv, resolveOptions, type OptionTable } from '../../util/options.js';
import { RadpoError } from '../../util/errors.js';
import { initModelFolder } from '../../model/init_folder.js';

export const INIT_OPTIONS = {
  config: { type: 'string', required: true, help: 'JSON: config.json fields (model_type, hidden_size, ...) plus an optional "tokenizer": {"kind": "char"|"byte_bpe", "vocab_size", "corpus_file"}' },
  output: { type: 'string', alias: 'o', required: true, help: 'model folder to write (replaced atomically)' },
  seed: { type: 'int', default: 0, min: 0, help: 'seed of the weight initialisation' },
  corpus: { type: 'string', help: 'text file (one document per line) to train the tokenizer on; overrides tokenizer.corpus_file' },
  dtype: { type: 'string', default: 'F32', choices: ['F32', 'BF16'] as const, help: 'safetensors dtype of the weights' },
} as const satisfies OptionTable;

export const initCommand: Command = {
  name: 'init',
  summary: 'a fresh randomly initialised model folder with a tokenizer',
  async run(argv) {
    // parseCommand reserves --config for YAML recipes; here --config is the model spec, so parse directly.
    const parsed = parseArgv(INIT_OPTIONS, argv);
    if (parsed.help) {
      process.stdout.write(formatHelp('radpo init --config small.json -o DIR [options]',
        'Writes config.json, model.safetensors, tokenizer.json and tokenizer_config.json for training from scratch.\nWeights follow transformers\' initialisation (normal(0, initializer_range), unit norms); see configs/small.json.',
        INIT_OPTIONS) + '\n');
      return 0;
    }
    if (parsed.positionals.length) throw new RadpoError('usage', `unexpected argument ${parsed.positionals[0]}; usage: radpo init --config small.json -o DIR`);
    const o = resolveOptions(INIT_OPTIONS, parsed.flags);
    let spec: unknown;
    try { spec = JSON.parse(fs.readFileSync(o.config, 'utf8')); } catch (e) {
      throw new RadpoError('config', `cannot read model spec: ${(e as Error).message}`, { file: o.config });
    }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) throw new RadpoError('config', 'model spec must be a JSON object', { file: o.config });
    const corpus = o.corpus ? fs.readFileSync(o.corpus, 'utf8').split('\n').filter((l) => l.length > 0) : undefined;
    const r = await initModelFolder(spec as Record<string, unknown>, o.output, { seed: o.seed, dtype: o.dtype, specFile: o.config, corpus });
    const c = r.config;
    process.stdout.write(`radpo init: wrote ${o.output}: ${c.model_type}, ${(r.numParams / 1e6).toFixed(2)}M parameters ` +
      `(hidden ${c.hidden_size}, ${c.num_hidden_layers} layers, ${c.num_attention_heads} heads / ${c.num_key_value_heads} kv), ` +
      `vocab ${c.vocab_size} (tokenizer ${r.tokenizerVocabSize} ids)\n`);
    return 0;
  },
};
