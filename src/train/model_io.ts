// Loading and saving for the trainers: the engine's Model and tokenizer from model_name_or_path, the training
// rows from dataset_name, and save/clone/load-weights for any TrainableModel. Not training.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { RadpoError } from '../util/errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import { Model } from '../model/model.js';
import { Tokenizer } from '../model/tokenizer.js';
import { checkPairRow } from '../model/tokenize_pair.js';
import { detectContainer, readRows } from '../data/read.js';
import { detectSchema, toPreferencePair, PAIR_SCHEMAS } from '../data/schema.js';
import { isMessageList, type Message, type PreferencePair } from '../data/types.js';
import type { TrainableModel } from './model_api.js';
import { loadParamsBin, saveParamsBin } from './checkpoint.js';
import type { TokenizedPair, TokenizedSft } from './collate.js';

interface ModelKeys { model_name_or_path?: string | undefined }

/** The policy (given, or loaded from model_name_or_path) and its tokenizer (given, or the folder's tokenizer.json). */
export async function loadModelFor<M extends TrainableModel>(cfg: ModelKeys, model?: M, tokenizer?: Tokenizer): Promise<{ model: M; tokenizer: Tokenizer | undefined }> {
  const dir = cfg.model_name_or_path;
  let tok = tokenizer;
  if (!tok && dir && fs.existsSync(path.join(dir, 'tokenizer.json'))) tok = await Tokenizer.load(dir);
  if (model) return { model, tokenizer: tok };
  if (!dir) throw new RadpoError('config', 'missing model: give --model_name_or_path (a model folder)', { field: 'model_name_or_path' });
  return { model: (await Model.load(dir)) as unknown as M, tokenizer: tok };
}

export function padIdOf(model: TrainableModel, tok: Tokenizer | undefined): number {
  const c = model.config as { pad_token_id?: number | null };
  return tok?.padTokenId ?? tok?.eosTokenId ?? c.pad_token_id ?? 0;
}

interface Saveable { save(dir: string, opts?: { extraFiles?: Record<string, string | Uint8Array> }): Promise<void> }
interface Cloneable { clone(): TrainableModel }

/** Save / clone / reload helpers for a model: the engine's HF folder when available, else a raw params.bin. */
export function modelIo(model: TrainableModel) {
  const m = model as TrainableModel & Partial<Saveable> & Partial<Cloneable>;
  return {
    clone(): TrainableModel {
      if (typeof m.clone !== 'function') throw new Error('the model has no clone(); pass refModel or use precompute_ref_log_probs');
      return m.clone();
    },
    async save(dir: string, tok?: Tokenizer): Promise<void> {
      const extraFiles: Record<string, string> = {};
      if (tok) {
        extraFiles['tokenizer.json'] = JSON.stringify(tok.tokenizerJson);
        extraFiles['tokenizer_config.json'] = JSON.stringify(tok.tokenizerConfig, null, 2);
      }
      if (typeof m.save === 'function') {
        // writes into dir atomically; a checkpoint folder is itself a temp folder that already exists, so the
        // model's own atomic write replaces it with the model files, and the trainer adds its files after.
        await m.save(dir, { extraFiles });
      } else {
        fs.mkdirSync(dir, { recursive: true });
        saveParamsBin(dir, model.params.data);
        writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(model.config, null, 2) + '\n');
      }
    },
    async loadWeights(dir: string): Promise<Float32Array> {
      const P = model.params.data.length;
      if (fs.existsSync(path.join(dir, 'params.bin'))) return loadParamsBin(dir, P);
      const loaded = await Model.load(dir);
      if (loaded.params.data.length !== P) throw new RadpoError('model', `checkpoint has ${loaded.params.data.length} parameters, the model ${P}`, { file: dir });
      return loaded.params.data;
    },
  };
}

/** dataset_name as a folder (split by name) or a file (whole file; a test split may name another file). */
function splitSource(cfg: { dataset_name?: string | undefined; dataset_train_split: string }, split: string): { file: string; split?: string } {
  const name = cfg.dataset_name;
  if (!name) throw new RadpoError('config', 'missing data: give --dataset_name (a local file or folder)', { field: 'dataset_name' });
  if (detectContainer(name) === 'folder') return { file: name, split };
  if (split === cfg.dataset_train_split) return { file: name };
  // Only an existing regular file counts: a folder that happens to be named like the split (say ./test) is not data.
  if (fs.statSync(split, { throwIfNoEntry: false })?.isFile()) return { file: split };
  throw new RadpoError('config', `dataset_name is a single file, so the evaluation split must be a path to a data file`, { field: 'dataset_test_split', value: split });
}

export type SftRow = { prompt: string | Message[]; completion: string | Message[] };

/** Reads the rows of one split; rows with TRL's tokenized columns (prompt_ids ... / input_ids) pass through as ids. */
export async function loadTrainRows(cfg: { dataset_name?: string | undefined; dataset_train_split: string }, kind: 'dpo' | 'sft', split: string): Promise<PreferencePair[] | SftRow[] | TokenizedPair[] | TokenizedSft[]> {
  const src = splitSource(cfg, split);
  const out: (PreferencePair | SftRow | TokenizedPair | TokenizedSft)[] = [];
  let schema: ReturnType<typeof detectSchema> = null;
  for await (const r of readRows(src.file, src.split !== undefined ? { split: src.split } : {})) {
    const tokenized = kind === 'dpo' ? tokenizedPairRow(r.row, r.file, r.line) : tokenizedSftRow(r.row, r.file, r.line);
    if (tokenized) { out.push(tokenized as never); continue; }
    schema ??= detectSchema(r.row);
    if (kind === 'dpo') {
      if (!schema || !PAIR_SCHEMAS.has(schema)) throw new RadpoError('input', `rows are not preference pairs (detected schema: ${schema ?? 'none'})`, { file: r.file, line: r.line });
      out.push(toPreferencePair(r.row, { schema, file: r.file, line: r.line }));
    } else {
      out.push(toSftRow(r.row, r.file, r.line));
    }
  }
  return out as PreferencePair[] | SftRow[] | TokenizedPair[] | TokenizedSft[];
}

const isIds = (v: unknown): v is number[] => Array.isArray(v) && v.every((x) => Number.isInteger(x) && x >= 0);

/** TRL's tokenized preference columns (prompt_ids, chosen_ids, rejected_ids [, weight]), or null for text rows. */
function tokenizedPairRow(row: Record<string, unknown>, file: string, line: number): TokenizedPair | null {
  if (row.prompt_ids === undefined) return null;
  for (const f of ['prompt_ids', 'chosen_ids', 'rejected_ids']) {
    if (!isIds(row[f])) throw new RadpoError('input', 'expected a list of token ids (integers >= 0)', { file, line, field: f, value: row[f] });
  }
  const p: TokenizedPair = { prompt_ids: row.prompt_ids as number[], chosen_ids: row.chosen_ids as number[], rejected_ids: row.rejected_ids as number[] };
  for (const [k, v] of Object.entries(row)) if (!(k in p)) (p as unknown as Record<string, unknown>)[k] = v;
  return p;
}

/** Tokenized SFT rows (input_ids [+ completion_mask, default all 1]), or null for text rows. */
function tokenizedSftRow(row: Record<string, unknown>, file: string, line: number): TokenizedSft | null {
  if (row.input_ids === undefined) return null;
  if (!isIds(row.input_ids)) throw new RadpoError('input', 'expected a list of token ids', { file, line, field: 'input_ids', value: row.input_ids });
  const mask = row.completion_mask ?? row.input_ids.map(() => 1);
  if (!Array.isArray(mask) || mask.length !== row.input_ids.length || !mask.every((m) => m === 0 || m === 1)) {
    throw new RadpoError('input', 'expected a 0/1 list as long as input_ids', { file, line, field: 'completion_mask', value: row.completion_mask });
  }
  return { input_ids: row.input_ids, completion_mask: mask as number[] };
}

/**
 * SFT rows: prompt/completion (text or messages); messages (the last assistant turn is the completion); preference
 * rows, trained on the chosen response: prompt + chosen (TRL's explicit-prompt formats, radpo augment's output, so
 * SFT on augmented data is reward-conditioned SFT) or a chosen conversation (implicit prompt); text (every token).
 * Checked here, with file and line, so later tokenization never meets a malformed row.
 */
export function toSftRow(row: Record<string, unknown>, file: string, line: number): SftRow {
  const where = { file, line };
  let r: { prompt: unknown; completion: unknown }, field: string;
  if (row.prompt !== undefined && row.completion !== undefined) { r = { prompt: row.prompt, completion: row.completion }; field = 'prompt'; }
  else if (isMessageList(row.messages)) {
    const msgs = row.messages;
    const last = msgs[msgs.length - 1] as Message;
    if (last.role !== 'assistant') throw new RadpoError('input', 'the last message must be the assistant turn to train on', { file, line, field: 'messages', value: last });
    r = { prompt: msgs.slice(0, -1), completion: [last] }; field = 'messages';
  } else if (row.prompt !== undefined && row.chosen !== undefined) { r = { prompt: row.prompt, completion: row.chosen }; field = 'prompt'; }
  else if (isMessageList(row.chosen)) { r = { prompt: row.chosen.slice(0, -1), completion: row.chosen.slice(-1) }; field = 'chosen'; }
  else if (typeof row.text === 'string') return { prompt: '', completion: row.text }; // language modelling: every token
  else throw new RadpoError('input', 'an SFT row needs "prompt" + "completion", "messages", "prompt" + "chosen", or "text"', { file, line });
  const checked = checkPairRow(r, where);
  if (Array.isArray(checked.prompt) && checked.prompt.length === 0) {
    throw new RadpoError('input', 'the conversation has no turn before the assistant reply to condition on', { file, line, field, value: row[field] });
  }
  return { prompt: checked.prompt as SftRow['prompt'], completion: checked.completion as SftRow['completion'] };
}
