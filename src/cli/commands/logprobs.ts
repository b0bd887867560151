// `radpo logprobs --model DIR --input IN.jsonl --output OUT.jsonl`: completion log-probs of prompt/completion rows.
// Thin shell over tokenizePair + scoreTokenized (src/model/logprobs.ts); not a trainer or evaluator.

import type { Command } from '../command.js';
import { parseCommand } from '../command.js';
import type { OptionTable } from '../../util/options.js';
import { AtomicWriteStream } from '../../util/atomic.js';
import { RadpoError } from '../../util/errors.js';
import { readRows } from '../../data/read.js';
import { resolveInferenceModel } from '../../model/lora_io.js';
import { Tokenizer } from '../../model/tokenizer.js';
import { checkPairRow, tokenizePair, type TokenizedPair } from '../../model/tokenize_pair.js';
import { scoreTokenized } from '../../model/logprobs.js';

export const LOGPROBS_OPTIONS = {
  model: { type: 'string', required: true, help: 'model folder (config.json, model.safetensors, tokenizer.json), or a PEFT adapter folder with a local base', group: 'Input / output' },
  adapter: { type: 'string', help: 'PEFT LoRA adapter folder applied on top of --model (merged in memory)', group: 'Input / output' },
  input: { type: 'string', alias: 'i', required: true, help: 'rows {"prompt", "completion"}: strings (raw text) or message lists (chat template); JSONL, JSON, Parquet or dataset folder', group: 'Input / output' },
  output: { type: 'string', alias: 'o', required: true, help: 'JSONL: each input row plus completion_logprob, token_logprobs, num_tokens (written atomically)', group: 'Input / output' },
  split: { type: 'string', help: 'split of a dataset folder', group: 'Input / output' },
  batch_size: { type: 'int', default: 8, min: 1, help: 'rows per forward pass (rows are sorted by length; output keeps input order)', group: 'Scoring' },
  max_length: { type: 'int', min: 2, help: 'truncate each sequence to this many tokens (default: no limit)', group: 'Tokenization' },
  max_prompt_length: { type: 'int', min: 0, help: 'keep only the last N prompt tokens', group: 'Tokenization' },
  max_completion_length: { type: 'int', min: 0, help: 'keep only the first N completion tokens', group: 'Tokenization' },
  truncation_mode: { type: 'string', default: 'keep_end', choices: ['keep_end', 'keep_start'] as const, help: 'what max_length keeps (TRL)', group: 'Tokenization' },
  add_eos: { type: 'boolean', default: true, help: 'raw text rows: score an EOS after the completion (as TRL trains); chat rows never get an extra one', group: 'Tokenization' },
  chat_template: { type: 'string', help: 'name of the chat template when the tokenizer has several', group: 'Tokenization' },
} as const satisfies OptionTable;

export const logprobsCommand: Command = {
  name: 'logprobs',
  summary: 'log-probabilities of completions under a model (sum and per token)',
  async run(argv) {
    const parsed = parseCommand({
      usage: 'radpo logprobs --model DIR --input IN.jsonl --output OUT.jsonl [options]',
      description: 'Scores each row\'s completion under the model: completion_logprob (sum of natural-log token probabilities),\ntoken_logprobs (one per completion token) and num_tokens. Raw text rows are tokenized as prompt+completion (+EOS);\nconversational rows are rendered with the model\'s chat template.',
      options: LOGPROBS_OPTIONS,
      recipe: true,
    }, argv);
    if (!parsed) return 0;
    const o = parsed.options;
    const started = Date.now();
    const { model, tokenizerDir } = await resolveInferenceModel(o.model, o.adapter);
    const tok = Tokenizer.loadSync(tokenizerDir);
    const rows: Record<string, unknown>[] = [];
    const items: TokenizedPair[] = [];
    const tokOpts = {
      max_length: o.max_length ?? null, max_prompt_length: o.max_prompt_length ?? null, max_completion_length: o.max_completion_length ?? null,
      truncation_mode: o.truncation_mode, add_eos: o.add_eos, chat: o.chat_template !== undefined ? { chatTemplate: o.chat_template } : {},
    };
    for await (const { row, line, file } of readRows(o.input, { split: o.split })) {
      const where = { file, line };
      const r = row as Record<string, unknown>;
      if (r && typeof r === 'object' && r.completion === undefined && r.chosen !== undefined && r.rejected !== undefined) {
        throw new RadpoError('input', 'a preference row (chosen / rejected): logprobs scores "prompt" + "completion" rows; write chosen and rejected as two such rows, or use `radpo relabel` for implicit rewards of both', { ...where, field: 'completion' });
      }
      const pair = checkPairRow(row, where);
      const t = tokenizePair(tok, pair, { ...tokOpts, where });
      for (const id of t.input_ids) {
        if (id >= model.config.vocab_size) throw new RadpoError('model', `token id ${id} is outside the model's vocabulary (vocab_size ${model.config.vocab_size}): tokenizer and model do not match`, where);
      }
      rows.push(row as Record<string, unknown>);
      items.push(t);
    }
    if (rows.length === 0) throw new RadpoError('input', 'no rows to score', { file: o.input });
    const scores = await scoreTokenized(model, items, { batch_size: o.batch_size, padTokenId: tok.padTokenId ?? tok.eosTokenId ?? 0 });
    const out = new AtomicWriteStream(o.output);
    try {
      rows.forEach((row, i) => out.write(JSON.stringify({ ...row, ...scores[i] }) + '\n'));
      out.commit();
    } catch (e) {
      out.abort();
      throw e;
    }
    const tokens = scores.reduce((s, x) => s + x.num_tokens, 0);
    const mismatches = items.filter((t) => t.boundary_mismatch).length;
    const truncated = items.filter((t) => t.truncated).length;
    const empty = scores.filter((s) => s.num_tokens === 0).length;
    process.stdout.write(`scored ${rows.length} rows (${tokens} completion tokens) in ${((Date.now() - started) / 1000).toFixed(1)}s -> ${o.output}\n`);
    if (mismatches) process.stdout.write(`  ${mismatches} rows: prompt tokens were not a prefix of prompt+completion tokens; merged boundary tokens were scored as completion\n`);
    if (truncated) process.stdout.write(`  ${truncated} rows truncated (max_length / max_prompt_length / max_completion_length)\n`);
    if (empty) process.stdout.write(`  ${empty} rows have no completion token left to score (num_tokens 0)\n`);
    return 0;
  },
};
