// Library readers the trainers use: preference pairs and SFT examples from any container and schema, normalised
// (implicit prompts split off as TRL's extract_prompt does), plus a prompt-set reader for evaluation prompts.

import { RadpoError } from '../util/errors.js';
import { readRows } from './read.js';
import { InvalidRowError, type InvalidHandler } from './invalid.js';
import { detectSchema, toPreferencePair, SCHEMAS, type SchemaName } from './schema.js';
import { splitMessages, splitText, looksLikeHh, parseHh } from './conversation.js';
import { isMessageList, type Message, type PreferencePair, type Row } from './types.js';

export interface ReadPairsOptions {
  split?: string; schema?: string; fieldMap?: Record<string, string>;
  /** Called for each bad row instead of throwing (e.g. RejectLog.handler); default: throw. */
  onInvalid?: InvalidHandler;
}

function schemaOf(s: string | undefined, row: Row, file: string, line: number): SchemaName {
  if (s !== undefined) {
    if (!(SCHEMAS as readonly string[]).includes(s)) throw new RadpoError('config', `unknown schema; known: ${SCHEMAS.join(', ')}`, { field: 'schema', value: s });
    return s as SchemaName;
  }
  const d = detectSchema(row);
  if (d === null) throw new RadpoError('input', 'cannot tell the schema of this row; pass schema "custom" and a fieldMap', { file, line, value: Object.keys(row) });
  return d;
}

/** Preference pairs, checked (bad rows throw RadpoError naming file, line, field, value). Scores when present. */
export async function* readPreferencePairs(file: string, opts: ReadPairsOptions = {}): AsyncGenerator<PreferencePair> {
  let schema: SchemaName | null = null;
  for await (const { row, line, file: f } of readRows(file, { split: opts.split, onInvalid: opts.onInvalid })) {
    schema ??= schemaOf(opts.schema, row, f, line);
    let pair: PreferencePair;
    try { pair = toPreferencePair(row, { schema, fieldMap: opts.fieldMap, file: f, line }); } catch (e) {
      if (!(e instanceof InvalidRowError) || !opts.onInvalid) throw e;
      opts.onInvalid(e, row);
      continue;
    }
    yield pair;
  }
}

export interface SftExample { prompt: Message[] | string; completion: Message[] | string }

/** The prompt and last assistant turn of a conversation. */
function splitLastAssistant(msgs: Message[], file: string, line: number): SftExample {
  let i = msgs.length - 1;
  while (i >= 0 && (msgs[i] as Message).role !== 'assistant') i--;
  if (i < 0) throw new RadpoError('input', 'messages have no assistant turn', { file, line, field: 'messages' });
  return { prompt: msgs.slice(0, i), completion: [msgs[i] as Message] };
}

/**
 * SFT rows: `messages` (completion = last assistant turn), `prompt`/`completion` as they are, or the chosen side of
 * a preference file.
 */
export async function* readSftExamples(file: string, opts: { split?: string } = {}): AsyncGenerator<SftExample> {
  for await (const { row, line, file: f } of readRows(file, { split: opts.split })) {
    if (isMessageList(row.messages) && !('chosen' in row)) { yield splitLastAssistant(row.messages, f, line); continue; }
    if (row.prompt !== undefined && row.completion !== undefined) {
      const p = row.prompt; const c = row.completion;
      if ((typeof p === 'string' || isMessageList(p)) && (typeof c === 'string' || isMessageList(c))) { yield { prompt: p, completion: c }; continue; }
      throw new RadpoError('input', 'prompt and completion must be strings or message lists', { file: f, line, field: 'completion', value: c });
    }
    if (row.chosen !== undefined && row.rejected !== undefined) {
      const pair = toPreferencePair(row, { schema: schemaOf(undefined, row, f, line), file: f, line });
      yield { prompt: pair.prompt, completion: pair.chosen };
      continue;
    }
    if (isMessageList(row.messages)) { yield splitLastAssistant(row.messages, f, line); continue; }
    throw new RadpoError('input', 'not an SFT row: expected messages, prompt/completion, or chosen/rejected', { file: f, line, value: Object.keys(row) });
  }
}

export interface PromptItem { id: string; prompt: Message[] | string; turns?: string[]; category?: string; [extra: string]: unknown }

/**
 * Evaluation prompt sets: MT-Bench (`turns`), Arena-Hard (`prompt`, `uid`), AlpacaEval (`instruction`), IFEval
 * (`prompt`, `key`), and any pair / SFT file (its prompt side).
 */
export async function* readPrompts(file: string, opts: { split?: string } = {}): AsyncGenerator<PromptItem> {
  for await (const { row, line, file: f } of readRows(file, { split: opts.split })) {
    const id = String(row.question_id ?? row.uid ?? row.key ?? row.id ?? row.prompt_id ?? line);
    const extra: Record<string, unknown> = {};
    if (typeof row.category === 'string') extra.category = row.category;
    if (Array.isArray(row.turns) && row.turns.every((t) => typeof t === 'string')) {
      yield { id, prompt: row.turns[0] as string, turns: row.turns as string[], ...extra };
    } else if (typeof row.instruction === 'string') {
      yield { id, prompt: row.instruction, ...extra };
    } else if (typeof row.prompt === 'string' || isMessageList(row.prompt)) {
      yield { id, prompt: row.prompt as string | Message[], ...extra };
    } else if (isMessageList(row.chosen) && isMessageList(row.rejected)) {
      yield { id, prompt: splitMessages(row.chosen, row.rejected).prompt, ...extra };
    } else if (typeof row.chosen === 'string' && typeof row.rejected === 'string') {
      yield { id, prompt: looksLikeHh(row.chosen) ? splitMessages(parseHh(row.chosen), parseHh(row.rejected)).prompt : splitText(row.chosen, row.rejected).prompt, ...extra };
    } else if (isMessageList(row.messages)) {
      yield { id, prompt: splitLastAssistant(row.messages, f, line).prompt, ...extra };
    } else {
      throw new RadpoError('input', 'no prompt found (expected turns, instruction, prompt, chosen/rejected or messages)', { file: f, line, value: Object.keys(row) });
    }
  }
}

