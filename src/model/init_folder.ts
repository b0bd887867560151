// `radpo init` as a library function: a fresh randomly initialised model folder (config.json, model.safetensors,
// tokenizer.json, tokenizer_config.json) from a small JSON spec. Not training: the weights are random.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseModelConfig, type ModelConfig } from './config.js';
import { countParams } from './config.js';
import { Model } from './model.js';
import { buildTokenizer } from './tokenizer_build.js';
import { RadpoError } from '../util/errors.js';

/** The `tokenizer` section of an init spec. corpus_file: UTF-8 text, one document per line (relative to the spec). */
export interface InitTokenizerSpec { kind: 'char' | 'byte_bpe'; vocab_size?: number; corpus_file?: string; corpus?: string[] }

export interface InitResult { config: ModelConfig; numParams: number; tokenizerVocabSize: number }

/**
 * spec: config.json fields (model_type defaults to "llama"; vocab_size defaults to the tokenizer's size;
 * eos/pad ids default to the tokenizer's) plus an optional `tokenizer` section (default byte_bpe without a corpus:
 * the 256 byte symbols and the special tokens).
 */
export async function initModelFolder(spec: Record<string, unknown>, outDir: string, opts: { seed?: number; dtype?: 'F32' | 'BF16'; specFile?: string; corpus?: string[] } = {}): Promise<InitResult> {
  const file = opts.specFile ?? 'init spec';
  const { tokenizer: tokSpec = { kind: 'byte_bpe' }, ...modelFields } = spec as { tokenizer?: InitTokenizerSpec } & Record<string, unknown>;
  if (typeof tokSpec !== 'object' || tokSpec === null || (tokSpec.kind !== 'char' && tokSpec.kind !== 'byte_bpe')) {
    throw new RadpoError('config', 'tokenizer.kind must be "char" or "byte_bpe"', { file, field: 'tokenizer.kind', value: (tokSpec as { kind?: unknown } | null)?.kind });
  }
  let corpus = opts.corpus ?? tokSpec.corpus;
  if (!corpus && tokSpec.corpus_file) {
    const f = path.resolve(opts.specFile ? path.dirname(opts.specFile) : '.', tokSpec.corpus_file);
    try { corpus = fs.readFileSync(f, 'utf8').split('\n').filter((l) => l.length > 0); } catch (e) {
      throw new RadpoError('io', `cannot read corpus: ${(e as Error).message}`, { file, field: 'tokenizer.corpus_file', value: tokSpec.corpus_file });
    }
  }
  const tok = buildTokenizer({ kind: tokSpec.kind, vocabSize: tokSpec.vocab_size ?? (tokSpec.kind === 'byte_bpe' ? (modelFields.vocab_size as number | undefined) : undefined), corpus });
  const ids = tok.tokenizerJson.added_tokens as { id: number; content: string }[];
  const idOf = (t: unknown) => ids.find((a) => a.content === t)?.id ?? null;
  const fields: Record<string, unknown> = {
    model_type: 'llama', vocab_size: tok.vocabSize, bos_token_id: idOf(tok.tokenizerConfig.bos_token),
    eos_token_id: idOf(tok.tokenizerConfig.eos_token), pad_token_id: idOf(tok.tokenizerConfig.pad_token), ...modelFields,
  };
  const config = parseModelConfig(fields, file);
  if (config.vocab_size < tok.vocabSize) {
    throw new RadpoError('config', `vocab_size is smaller than the tokenizer's ${tok.vocabSize} ids`, { file, field: 'vocab_size', value: config.vocab_size });
  }
  const model = Model.init(config, opts.seed ?? 0);
  const json = (o: unknown) => JSON.stringify(o, null, 2) + '\n';
  await model.save(outDir, {
    dtype: opts.dtype ?? 'F32',
    extraFiles: {
      'tokenizer.json': json(tok.tokenizerJson),
      'tokenizer_config.json': json(tok.tokenizerConfig),
      'generation_config.json': json({ bos_token_id: config.bos_token_id, eos_token_id: config.eos_token_id, pad_token_id: config.pad_token_id }),
    },
  });
  return { config, numParams: countParams(config), tokenizerVocabSize: tok.vocabSize };
}
