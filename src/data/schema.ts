// Preference-data schemas (docs/formats.md): detection from a row, and normalisation of a row into a checked
// PreferencePair with scores. Not a container reader (read.ts) and not the relabeling (augment.ts).

import { RadpoError } from '../util/errors.js';
import { InvalidRowError } from './invalid.js';
import { getPath } from './fields.js';
import { looksLikeHh, parseHh, splitMessages, splitText } from './conversation.js';
import { KNOWN_ROLES, isMessageList, type Message, type PreferencePair, type Row } from './types.js';

export const SCHEMAS = [
  'ultrafeedback-raw', 'ultrafeedback-binarized', 'ultrafeedback-reference', 'trl-standard', 'trl-standard-implicit',
  'trl-conversational', 'trl-conversational-implicit', 'hh-rlhf', 'helpsteer2', 'steerlm-regression', 'sft-messages',
  'prompt-completion', 'prompt-set', 'custom',
] as const;
export type SchemaName = (typeof SCHEMAS)[number];

/** Schemas whose rows are preference pairs (as opposed to multi-response rows, SFT rows or prompt sets). */
export const PAIR_SCHEMAS: ReadonlySet<SchemaName> = new Set<SchemaName>([
  'ultrafeedback-binarized', 'ultrafeedback-reference', 'trl-standard', 'trl-standard-implicit', 'trl-conversational',
  'trl-conversational-implicit', 'hh-rlhf', 'custom',
]);

/** Names a row's schema from its fields; null if it fits none (use --schema custom with --field-map). */
export function detectSchema(row: Row): SchemaName | null {
  const has = (k: string): boolean => row[k] !== undefined;
  if (typeof row.instruction === 'string' && Array.isArray(row.completions)) return 'ultrafeedback-raw';
  if (has('chosen') && has('rejected')) {
    const c = row.chosen;
    if (has('overall_score_chosen') || has('avg_fine_score_chosen')) return 'ultrafeedback-reference';
    if (isMessageList(c)) {
      if (isMessageList(row.prompt)) return 'trl-conversational';
      if (typeof row.prompt === 'string' && (has('score_chosen') || has('prompt_id'))) return 'ultrafeedback-binarized';
      return 'trl-conversational-implicit';
    }
    if (typeof c === 'string') {
      if (typeof row.prompt === 'string') return 'trl-standard';
      if (looksLikeHh(c)) return 'hh-rlhf';
      return 'trl-standard-implicit';
    }
    return null;
  }
  if (typeof row.prompt === 'string' && typeof row.response === 'string' && has('helpfulness')) return 'helpsteer2';
  if (typeof row.text === 'string' && Array.isArray(row.label) && row.text.includes('<extra_id_1>')) return 'steerlm-regression';
  if (isMessageList(row.messages)) return 'sft-messages';
  if (has('prompt') && has('completion')) return 'prompt-completion';
  if (typeof row.prompt === 'string' || typeof row.instruction === 'string' || Array.isArray(row.turns)) return 'prompt-set';
  return null;
}

/** Where a pair's canonical fields live in a row: canonical name -> dotted path (from --field-map). */
export type FieldMap = Record<string, string>;

export interface PairOptions {
  schema: SchemaName;
  fieldMap?: FieldMap;
  requireScores?: boolean;   // augment: scores must exist and be finite
  extras?: boolean;          // copy the row's other fields into the pair (default true)
  file: string;
  line: number;
}

/** The dotted path of the score fields for a schema (field map first). */
export function scorePaths(schema: SchemaName, row: Row, fieldMap: FieldMap = {}): [string, string] {
  if (fieldMap.score_chosen || fieldMap.score_rejected) return [fieldMap.score_chosen ?? 'score_chosen', fieldMap.score_rejected ?? 'score_rejected'];
  if (schema === 'ultrafeedback-reference' && row.overall_score_chosen !== undefined) return ['overall_score_chosen', 'overall_score_rejected'];
  if (row.score_chosen === undefined && row.metadata && typeof row.metadata === 'object' && (row.metadata as Row).score_chosen !== undefined) {
    return ['metadata.score_chosen', 'metadata.score_rejected'];
  }
  return ['score_chosen', 'score_rejected'];
}

/** Reads a score: numbers and numeric strings pass; anything else is an invalid row naming field and value. */
export function readScore(v: unknown, field: string, file: string, line: number): number {
  let x: number;
  if (typeof v === 'number') x = v;
  else if (typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))) x = Number(v);
  else if (v === undefined || v === null) throw new InvalidRowError('missing_field', 'score is missing', { file, line, field, value: v });
  else throw new InvalidRowError('non_numeric_score', 'score is not a number', { file, line, field, value: v });
  if (!Number.isFinite(x)) throw new InvalidRowError('non_finite_score', 'score is NaN or infinite', { file, line, field, value: x });
  return x;
}

function need(row: Row, path: string, file: string, line: number): unknown {
  const v = getPath(row, path);
  if (v === undefined || v === null) throw new InvalidRowError('missing_field', 'required field is missing', { file, line, field: path, value: v });
  return v;
}

/** Checks a message list: each message an object with a known role and string content. */
export function checkMessages(v: unknown, field: string, file: string, line: number): Message[] {
  if (!Array.isArray(v) || v.length === 0) throw new InvalidRowError('bad_value', 'expected a non-empty list of {role, content} messages', { file, line, field, value: v });
  for (let i = 0; i < v.length; i++) {
    const m = v[i] as Record<string, unknown> | null;
    if (m === null || typeof m !== 'object') throw new InvalidRowError('bad_value', 'message is not an object', { file, line, field: `${field}.${i}`, value: m });
    if (typeof m.role !== 'string' || !KNOWN_ROLES.has(m.role)) {
      throw new InvalidRowError('unknown_role', `unknown role (expected ${[...KNOWN_ROLES].join(', ')})`, { file, line, field: `${field}.${i}.role`, value: m.role });
    }
    if (typeof m.content !== 'string') throw new InvalidRowError(m.content === undefined ? 'missing_field' : 'bad_value', 'message content must be a string', { file, line, field: `${field}.${i}.content`, value: m.content });
  }
  return v as Message[];
}

function isBlank(x: Message[] | string): boolean {
  if (typeof x === 'string') return x.trim() === '';
  return x.every((m) => m.role !== 'assistant' || m.content.trim() === '') && x.every((m) => m.content.trim() === '');
}

function sameCompletion(a: Message[] | string, b: Message[] | string): boolean {
  if (typeof a === 'string' || typeof b === 'string') return a === b;
  return a.length === b.length && a.every((m, i) => m.role === (b[i] as Message).role && m.content === (b[i] as Message).content);
}

/**
 * Normalises one row into a checked pair: prompt split off for implicit formats, scores read from the schema's
 * fields (or the field map), every bad-input class reported as an InvalidRowError with file, line, field, value.
 */
export function toPreferencePair(row: Row, opts: PairOptions): PreferencePair {
  const { schema, file, line } = opts;
  const fm = opts.fieldMap ?? {};
  if (!PAIR_SCHEMAS.has(schema)) throw new RadpoError('input', `schema ${schema} rows are not preference pairs (prepare them first)`, { file, line });
  const cPath = fm.chosen ?? 'chosen'; const rPath = fm.rejected ?? 'rejected'; const pPath = fm.prompt ?? 'prompt';
  const chosenRaw = need(row, cPath, file, line);
  const rejectedRaw = need(row, rPath, file, line);
  const promptRaw = getPath(row, pPath);
  let prompt: Message[] | string; let chosen: Message[] | string; let rejected: Message[] | string;
  if (Array.isArray(chosenRaw) || Array.isArray(rejectedRaw)) {
    const c = checkMessages(chosenRaw, cPath, file, line);
    const r = checkMessages(rejectedRaw, rPath, file, line);
    if (Array.isArray(promptRaw)) {
      prompt = checkMessages(promptRaw, pPath, file, line); chosen = c; rejected = r;
    } else {
      ({ prompt, chosen, rejected } = splitMessages(c, r));
    }
  } else if (typeof chosenRaw === 'string' && typeof rejectedRaw === 'string') {
    if (schema === 'hh-rlhf' || (promptRaw === undefined && looksLikeHh(chosenRaw))) {
      const c = parseHh(chosenRaw); const r = parseHh(rejectedRaw);
      if (c.length === 0) throw new InvalidRowError('bad_value', 'no "\\n\\nHuman:" / "\\n\\nAssistant:" turns found', { file, line, field: cPath, value: chosenRaw });
      if (r.length === 0) throw new InvalidRowError('bad_value', 'no "\\n\\nHuman:" / "\\n\\nAssistant:" turns found', { file, line, field: rPath, value: rejectedRaw });
      ({ prompt, chosen, rejected } = splitMessages(c, r));
    } else if (typeof promptRaw === 'string') {
      prompt = promptRaw; chosen = chosenRaw; rejected = rejectedRaw;
    } else if (promptRaw === undefined) {
      ({ prompt, chosen, rejected } = splitText(chosenRaw, rejectedRaw));
    } else throw new InvalidRowError('bad_value', 'prompt must be a string when chosen/rejected are strings', { file, line, field: pPath, value: promptRaw });
  } else {
    const bad = typeof chosenRaw === 'string' || Array.isArray(chosenRaw) ? rPath : cPath;
    throw new InvalidRowError('bad_value', 'expected a string or a list of messages', { file, line, field: bad, value: getPath(row, bad) });
  }
  if (isBlank(chosen)) throw new InvalidRowError('empty_response', 'chosen response is empty', { file, line, field: cPath, value: getPath(row, cPath) });
  if (isBlank(rejected)) throw new InvalidRowError('empty_response', 'rejected response is empty', { file, line, field: rPath, value: getPath(row, rPath) });
  if (sameCompletion(chosen, rejected)) throw new InvalidRowError('identical_responses', 'chosen and rejected are identical', { file, line, field: cPath, value: typeof chosen === 'string' ? chosen : chosen.map((m) => m.content).join('\n') });
  const pair: PreferencePair = { prompt, chosen, rejected };
  const [sc, sr] = scorePaths(schema, row, fm);
  const vc = getPath(row, sc); const vr = getPath(row, sr);
  if (opts.requireScores || vc !== undefined) pair.score_chosen = readScore(vc, sc, file, line);
  if (opts.requireScores || vr !== undefined) pair.score_rejected = readScore(vr, sr, file, line);
  const wPath = fm.weight ?? 'weight';
  const w = getPath(row, wPath);
  if (w !== undefined && w !== null) {
    if (typeof w !== 'number' || !Number.isFinite(w)) throw new InvalidRowError('bad_value', 'weight must be a finite number', { file, line, field: wPath, value: w });
    pair.weight = w;
  }
  if (opts.extras !== false) for (const [k, v] of Object.entries(row)) if (!(k in pair) && k !== cPath && k !== rPath && k !== pPath) pair[k] = v;
  return pair;
}
